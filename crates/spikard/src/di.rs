//! Dependency injection for Rust apps: values and (async) factories registered
//! on the [`App`], declared per route with [`Route::depends_on`], read in
//! handlers with [`Ctx::dep`](crate::Ctx::dep).
//!
//! Factories are created per use unless made [`FactoryHandle::cacheable`] (once
//! per request) or [`FactoryHandle::singleton`] (once per app); they receive the
//! [`Dependencies`] named in [`FactoryHandle::depends_on`] and the request. A
//! [`FactoryHandle::cleanup`] runs after the response has been sent, in reverse
//! creation order. A cycle or a missing dependency makes building the app fail
//! with an error naming them (see [`Route::defer_dependency_errors`] to answer
//! requests with the 500 problem instead).
//!
//! ```
//! use std::sync::Arc;
//! use spikard::{get, App, Ctx, Error};
//!
//! struct Config { greeting: String }
//! struct Greeter { text: String }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.dependency("config", Config { greeting: "hello".into() });
//! app.factory("greeter", |deps, _req| {
//!     let config = deps.get_as::<Config>("config");
//!     async move {
//!         let config = config.ok_or_else(|| Error::internal("no config"))?;
//!         Ok(Greeter { text: format!("{} world", config.greeting) })
//!     }
//! })
//! .depends_on(["config"])
//! .cacheable();
//! app.route(get("/").handler(|ctx: Ctx| async move {
//!     let greeter: Arc<Greeter> = ctx.dep("greeter")?;
//!     Ok::<_, Error>(greeter.text.clone())
//! }).depends_on(["greeter"])).unwrap();
//! assert_eq!(app.test_client().get("/").send().await.text(), "hello world");
//! # });
//! ```

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;
use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::di::{Cleanup, DependencyRegistry, Provided, Provider};
use spikard_http::{BoxFuture, RequestData};

pub use spikard_http::di::{
    Dependencies, Dependency, DependencyFactory, Lifetime, RequestInputs, Resolved, RouteDependencies,
};

use crate::app::App;
use crate::error::Error;
use crate::route::Route;

type CleanupFn<T> = Arc<dyn Fn(Arc<T>) -> Cleanup + Send + Sync>;
type ErasedFn<T> = Arc<dyn Fn(&Dependencies, &RequestData) -> BoxFuture<Result<T, Error>> + Send + Sync>;

struct FnFactory<T> {
    f: ErasedFn<T>,
    cleanup: Option<CleanupFn<T>>,
}

impl<T: Any + Send + Sync> DependencyFactory for FnFactory<T> {
    fn create(&self, deps: &Dependencies, request: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
        let fut = (self.f)(deps, request);
        let cleanup = self.cleanup.clone();
        Box::pin(fut.map(move |r| {
            let value = Arc::new(r.map_err(|e| e.0)?);
            Ok(Provided {
                cleanup: cleanup.map(|c| c(value.clone())),
                value: Resolved::from_arc(value),
            })
        }))
    }
}

/// Tunes a factory just registered with [`App::factory`].
pub struct FactoryHandle<'a, T> {
    dependency: &'a mut Dependency,
    f: ErasedFn<T>,
}

impl<T: Any + Send + Sync> FactoryHandle<'_, T> {
    /// The dependencies the factory receives.
    pub fn depends_on<I: IntoIterator<Item = S>, S: Into<String>>(self, names: I) -> Self {
        self.dependency.depends_on = names.into_iter().map(Into::into).collect();
        self
    }

    /// The request parameters (and body) the factory reads, as a route declares its own:
    /// every route using it validates, coerces and documents them (a failure is the
    /// route's 422), and the factory finds them in the request it gets.
    ///
    /// ```
    /// use serde_json::json;
    /// use spikard::di::RequestInputs;
    /// use spikard::{get, App, Ctx, Error};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut inputs = RequestInputs::default();
    /// inputs.parameters.query.insert("skip".into(), json!({"type": "integer", "default": 0}));
    /// let mut app = App::new();
    /// app.factory("skip", |_deps, req| {
    ///     let skip = req.query_params.get("skip").and_then(|v| v.as_i64()).unwrap_or_default();
    ///     async move { Ok(skip) }
    /// })
    /// .reads(inputs);
    /// app.route(get("/items").handler(|ctx: Ctx| async move {
    ///     let skip: std::sync::Arc<i64> = ctx.dep("skip")?;
    ///     Ok::<_, Error>(format!("skip {skip}"))
    /// }).depends_on(["skip"])).unwrap();
    /// let client = app.test_client();
    /// assert_eq!(client.get("/items?skip=2").send().await.text(), "skip 2");
    /// assert_eq!(client.get("/items?skip=x").send().await.status, 422);
    /// # });
    /// ```
    pub fn reads(self, inputs: RequestInputs) -> Self {
        self.dependency.inputs = inputs;
        self
    }

    /// Create once per request, shared within it.
    pub fn cacheable(self) -> Self {
        self.dependency.lifetime = Lifetime::PerRequest;
        self
    }

    /// Create once per app (on first use), shared by every request.
    pub fn singleton(self) -> Self {
        self.dependency.lifetime = Lifetime::Singleton;
        self
    }

    /// Run `cleanup` with each created value once the response has been sent, or
    /// the request ended otherwise (singletons are never cleaned up per request).
    pub fn cleanup<C, CFut>(self, cleanup: C) -> Self
    where
        C: Fn(Arc<T>) -> CFut + Send + Sync + 'static,
        CFut: Future<Output = ()> + Send + 'static,
    {
        self.dependency.provider = Provider::Factory(Arc::new(FnFactory {
            f: self.f.clone(),
            cleanup: Some(Arc::new(move |v| Box::pin(cleanup(v)))),
        }));
        self
    }
}

fn register<'a, F, Fut, T>(registry: &'a mut DependencyRegistry, name: &str, f: F) -> FactoryHandle<'a, T>
where
    F: Fn(&Dependencies, &RequestData) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
    T: Any + Send + Sync,
{
    let f: ErasedFn<T> =
        Arc::new(move |d: &Dependencies, r: &RequestData| -> BoxFuture<Result<T, Error>> { Box::pin(f(d, r)) });
    let factory = FnFactory {
        f: f.clone(),
        cleanup: None,
    };
    let dependency = registry.insert(name, Dependency::factory(Arc::new(factory)));
    FactoryHandle { dependency, f }
}

impl App {
    /// Register a value shared by every request (read it with `ctx.dep::<T>(name)`).
    pub fn dependency<T: Any + Send + Sync>(&mut self, name: &str, value: T) -> &mut Self {
        self.dependencies_mut()
            .insert(name, Dependency::value(Resolved::new(value)));
        self
    }

    /// Register a JSON value (read it with `ctx.dep_json(name)` or `ctx.dep::<serde_json::Value>`).
    pub fn dependency_json(&mut self, name: &str, value: Value) -> &mut Self {
        self.dependencies_mut()
            .insert(name, Dependency::value(Resolved::json(value)));
        self
    }

    /// Register an async factory; tune it with the returned handle.
    pub fn factory<F, Fut, T>(&mut self, name: &str, f: F) -> FactoryHandle<'_, T>
    where
        F: Fn(&Dependencies, &RequestData) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
        T: Any + Send + Sync,
    {
        register(self.dependencies_mut(), name, f)
    }
}

impl Route {
    /// The dependencies this route's handler reads.
    pub fn depends_on<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.di.needs.extend(names.into_iter().map(Into::into));
        self
    }

    /// Replace an app-level dependency with a value for this route only.
    pub fn override_dependency<T: Any + Send + Sync>(mut self, name: &str, value: T) -> Self {
        self.di.overrides.insert(name, Dependency::value(Resolved::new(value)));
        self
    }

    /// Replace an app-level dependency with any binding-neutral registration for this route only.
    pub fn override_with(mut self, name: &str, dependency: Dependency) -> Self {
        self.di.overrides.insert(name, dependency);
        self
    }

    /// Require the JSON view of a dependency to have this JSON type (checked per request,
    /// a mismatch is a 500 `type_mismatch` dependency problem).
    pub fn expect_dependency_type(mut self, name: &str, json_type: &str) -> Self {
        self.di.expected_types.push((name.into(), json_type.into()));
        self
    }

    /// Answer requests with the dependency problem when this route's graph is broken,
    /// instead of failing the app's build.
    pub fn defer_dependency_errors(mut self) -> Self {
        self.di.defer_errors = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{get, Ctx};
    use serde_json::json;
    use std::sync::Mutex;

    #[tokio::test]
    async fn cleanup_runs_after_the_response_and_singletons_are_shared() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut app = App::new();
        let opened = log.clone();
        app.factory("session", move |_d, _r| {
            opened.lock().unwrap().push("open");
            async { Ok(7u32) }
        })
        .cacheable()
        .cleanup({
            let log = log.clone();
            move |v: Arc<u32>| {
                let log = log.clone();
                async move { log.lock().unwrap().push(if *v == 7 { "close" } else { "wrong" }) }
            }
        });
        let counter = Arc::new(std::sync::atomic::AtomicU32::new(0));
        app.factory("single", move |_d, _r| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok(n) }
        })
        .singleton();
        app.route(
            get("/")
                .handler(|ctx: Ctx| async move {
                    let s: Arc<u32> = ctx.dep("session")?;
                    let one: Arc<u32> = ctx.dep("single")?;
                    Ok::<_, Error>(json!([*s, *one]))
                })
                .depends_on(["session", "single"]),
        )
        .unwrap();
        let client = app.test_client();
        assert_eq!(client.get("/").send().await.json(), json!([7, 0]));
        assert_eq!(client.get("/").send().await.json(), json!([7, 0]));
        assert_eq!(*log.lock().unwrap(), vec!["open", "close", "open", "close"]);
    }

    #[test]
    fn a_cycle_fails_the_build_by_name() {
        let mut app = App::new();
        app.factory("a", |_d, _r| async { Ok(1u8) }).depends_on(["b"]);
        app.factory("b", |_d, _r| async { Ok(2u8) }).depends_on(["a"]);
        app.route(get("/").handler(|_c: Ctx| async { "x" }).depends_on(["a"]))
            .unwrap();
        let err = app.try_test_client().err().unwrap().to_string();
        assert_eq!(err, "GET /: Circular dependency detected (a -> b -> a)");
    }

    #[tokio::test]
    async fn deferred_errors_answer_with_the_problem() {
        let mut app = App::new();
        app.route(
            get("/")
                .handler(|_c: Ctx| async { "x" })
                .depends_on(["nothing"])
                .defer_dependency_errors(),
        )
        .unwrap();
        let res = app.test_client().get("/").send().await;
        assert_eq!(res.status, 500);
        assert_eq!(res.json()["errors"][0]["dependency_key"], "nothing");
        assert_eq!(res.json()["type"], "https://spikard.dev/errors/dependency-error");
    }
}
