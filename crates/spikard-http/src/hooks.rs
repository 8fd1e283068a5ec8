//! Lifecycle hooks: `on_request`, `pre_validation`, `pre_handler`, `on_response`,
//! `on_error`. Like handlers they are binding-neutral trait objects, so every
//! language can register hooks written in it. Hooks of a phase run in
//! registration order (app-wide first, then the route's own).
//!
//! - `on_request`: after routing and the middleware chain, before the body is read
//!   (`raw_body` is empty, the query is not parsed yet).
//! - `pre_validation`: the body has been read, nothing validated yet.
//! - `pre_handler`: parameters and body validated, dependencies resolved, just
//!   before the handler.
//!
//!   Each of these may change the request (headers, `state` for the handler,
//!   [`reply_header`] for the response) or answer early with
//!   [`HookFlow::Respond`]; the later request phases and the handler are then skipped.
//! - `on_response`: every response with status < 400; may change it.
//! - `on_error`: every response with status >= 400 (problems included); may change it.
//!
//! Every response the application side produces goes through the response
//! phase: the handler's, errors of validation, dependencies and hooks, early
//! answers from request hooks, and 404/405 answers (as after-request hooks in
//! FastAPI, Litestar and Fastify see every response). Refusals of the middleware
//! chain (CORS preflights, authentication, rate limits, ...) wrap the hooks like
//! tower layers and are answered outside them. Response hooks get a
//! [`HookRequest`] (method, path, arrival time and the request `state` as last
//! seen) with it.
//!
//! Request hooks run for requests that matched a route; 404/405 answers go
//! through the app-wide response hooks only.
//!
//! A hook that returns an error answers with that error's problem
//! (`SpikardError::Http` keeps its status, anything else is a 500); a hook that
//! panics is a 500 and the server keeps serving. A failing response hook's
//! problem is sent as is (no second round of hooks).
//!
//! Which phases run is decided at registration: an empty phase costs one branch,
//! and the request summary for response hooks is only kept when the route has some.
//!
//! ```
//! use spikard_http::hooks::{request_hook, HookFlow, LifecycleHooks};
//! let mut hooks = LifecycleHooks::default();
//! hooks.on_request.push(request_hook(|mut req| async move {
//!     req.state.insert("seen".into(), true.into());
//!     Ok(HookFlow::Continue(req))
//! }));
//! assert!(!hooks.is_empty());
//! assert!(!hooks.needs_request_view());
//! ```

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::{Map, Value};
use spikard_core::SpikardError;

use crate::handler::{BoxFuture, RequestData};
use crate::response::HandlerResponse;

/// What a request-phase hook decided.
#[allow(clippy::large_enum_variant)] // the request moves through every hook; boxing it would cost an allocation
pub enum HookFlow {
    /// Go on with this (possibly changed) request.
    Continue(RequestData),
    /// Answer now with this response (the response hooks still run).
    Respond(HandlerResponse),
}

impl HookFlow {
    /// Answer early with `response`.
    pub fn respond(response: impl Into<HandlerResponse>) -> Self {
        Self::Respond(response.into())
    }
}

/// A hook of the `on_request`, `pre_validation` or `pre_handler` phase.
pub trait RequestHook: Send + Sync + 'static {
    fn call(&self, request: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>>;

    /// Dependencies (by name) this hook reads from the request's
    /// [`crate::di::Dependencies`]; they are resolved before the hook's phase.
    fn dependencies(&self) -> &[String] {
        &[]
    }
}

/// A hook of the `on_response` or `on_error` phase.
pub trait ResponseHook: Send + Sync + 'static {
    fn call(
        &self,
        response: HandlerResponse,
        request: &HookRequest,
    ) -> BoxFuture<Result<HandlerResponse, SpikardError>>;
}

/// What response hooks know of the request behind a response.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub method: Method,
    pub path: String,
    /// When the pipeline received the request (for timing headers).
    pub received: crate::rt::Instant,
    /// The request's `state` as it was handed to the handler (or as the last phase left it).
    pub state: Map<String, Value>,
}

/// Headers request hooks add to the eventual response (kept in the request's extensions).
#[derive(Debug, Clone, Default)]
pub struct ReplyHeaders(pub HeaderMap);

/// Add a header to the response this request will get, whoever produces it
/// (a header the response already has is kept).
pub fn reply_header(request: &mut RequestData, name: HeaderName, value: HeaderValue) {
    match request.extensions.get_mut::<ReplyHeaders>() {
        Some(h) => {
            h.0.append(name, value);
        }
        None => {
            let mut h = HeaderMap::new();
            h.insert(name, value);
            request.extensions.insert(ReplyHeaders(h));
        }
    }
}

/// The hooks of every phase.
#[derive(Clone, Default)]
pub struct LifecycleHooks {
    pub on_request: Vec<Arc<dyn RequestHook>>,
    pub pre_validation: Vec<Arc<dyn RequestHook>>,
    pub pre_handler: Vec<Arc<dyn RequestHook>>,
    pub on_response: Vec<Arc<dyn ResponseHook>>,
    pub on_error: Vec<Arc<dyn ResponseHook>>,
}

impl LifecycleHooks {
    pub fn is_empty(&self) -> bool {
        self.on_request.is_empty()
            && self.pre_validation.is_empty()
            && self.pre_handler.is_empty()
            && !self.needs_request_view()
    }

    /// Whether any response hook runs (so the pipeline keeps a [`HookRequest`]).
    pub fn needs_request_view(&self) -> bool {
        !self.on_response.is_empty() || !self.on_error.is_empty()
    }

    /// These hooks followed by `other`'s, phase by phase.
    pub fn merged(&self, other: &LifecycleHooks) -> LifecycleHooks {
        fn cat<T: ?Sized>(a: &[Arc<T>], b: &[Arc<T>]) -> Vec<Arc<T>> {
            a.iter().chain(b).cloned().collect()
        }
        LifecycleHooks {
            on_request: cat(&self.on_request, &other.on_request),
            pre_validation: cat(&self.pre_validation, &other.pre_validation),
            pre_handler: cat(&self.pre_handler, &other.pre_handler),
            on_response: cat(&self.on_response, &other.on_response),
            on_error: cat(&self.on_error, &other.on_error),
        }
    }

    /// Dependency names the request hooks of the first `phases` phases read
    /// (0: none, 1: on_request, 2: + pre_validation, 3: + pre_handler).
    pub fn dependencies_before(&self, phases: usize) -> impl Iterator<Item = &String> {
        [&self.on_request, &self.pre_validation, &self.pre_handler]
            .into_iter()
            .take(phases)
            .flat_map(|p| p.iter().flat_map(|h| h.dependencies().iter()))
    }
}

/// Poll a hook's (or handler's) future with panics turned into a 500 error.
pub async fn guarded<T>(
    what: &str,
    make: impl FnOnce() -> BoxFuture<Result<T, SpikardError>>,
) -> Result<T, SpikardError> {
    let future = std::panic::catch_unwind(AssertUnwindSafe(make))
        .map_err(|p| SpikardError::Internal(format!("{what} panicked: {}", panic_message(&p))))?;
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(p) => Err(SpikardError::Internal(format!(
            "{what} panicked: {}",
            panic_message(&p)
        ))),
    }
}

pub(crate) fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Run the request hooks of one phase in order.
pub async fn run_request_hooks(
    hooks: &[Arc<dyn RequestHook>],
    mut request: RequestData,
) -> Result<HookFlow, SpikardError> {
    for hook in hooks {
        match guarded("request hook", || hook.call(request)).await? {
            HookFlow::Continue(next) => request = next,
            respond @ HookFlow::Respond(_) => return Ok(respond),
        }
    }
    Ok(HookFlow::Continue(request))
}

/// Run `on_response` (status < 400) or `on_error` (status >= 400) hooks in order.
pub async fn run_response_hooks(
    hooks: &LifecycleHooks,
    mut response: HandlerResponse,
    request: &HookRequest,
) -> Result<HandlerResponse, SpikardError> {
    let phase = if response.status.as_u16() >= 400 {
        &hooks.on_error
    } else {
        &hooks.on_response
    };
    for hook in phase {
        response = guarded("response hook", || hook.call(response, request)).await?;
    }
    Ok(response)
}

struct FnRequestHook<F>(F);

impl<F, Fut> RequestHook for FnRequestHook<F>
where
    F: Fn(RequestData) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HookFlow, SpikardError>> + Send + 'static,
{
    fn call(&self, request: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        Box::pin((self.0)(request))
    }
}

struct FnResponseHook<F>(F);

impl<F, Fut> ResponseHook for FnResponseHook<F>
where
    F: Fn(HandlerResponse, &HookRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HandlerResponse, SpikardError>> + Send + 'static,
{
    fn call(
        &self,
        response: HandlerResponse,
        request: &HookRequest,
    ) -> BoxFuture<Result<HandlerResponse, SpikardError>> {
        Box::pin((self.0)(response, request))
    }
}

/// A request hook from an async closure.
pub fn request_hook<F, Fut>(f: F) -> Arc<dyn RequestHook>
where
    F: Fn(RequestData) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HookFlow, SpikardError>> + Send + 'static,
{
    Arc::new(FnRequestHook(f))
}

/// A response hook from a closure returning a future (read what you need from the
/// [`HookRequest`] before the future starts).
pub fn response_hook<F, Fut>(f: F) -> Arc<dyn ResponseHook>
where
    F: Fn(HandlerResponse, &HookRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HandlerResponse, SpikardError>> + Send + 'static,
{
    Arc::new(FnResponseHook(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn req() -> RequestData {
        RequestData::new(Method::GET, "/".into(), HeaderMap::new())
    }

    #[tokio::test]
    async fn request_hooks_run_in_order_and_stop_at_an_answer() {
        let add = |name: &'static str| {
            request_hook(move |mut r: RequestData| async move {
                let order = r.state.entry("order").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = order {
                    items.push(name.into());
                }
                Ok(HookFlow::Continue(r))
            })
        };
        let stop = request_hook(|_r| async { Ok(HookFlow::respond(HandlerResponse::text("early"))) });
        let hooks = vec![add("a"), add("b")];
        let HookFlow::Continue(r) = run_request_hooks(&hooks, req()).await.unwrap() else {
            panic!("expected continue")
        };
        assert_eq!(r.state["order"], serde_json::json!(["a", "b"]));
        let hooks = vec![add("a"), stop, add("never")];
        assert!(matches!(
            run_request_hooks(&hooks, req()).await.unwrap(),
            HookFlow::Respond(_)
        ));
    }

    #[tokio::test]
    async fn a_panicking_hook_is_an_internal_error() {
        let hooks = vec![request_hook(|_r| async { panic!("boom") })];
        let err = run_request_hooks(&hooks, req()).await.err().unwrap();
        assert_eq!(err.status(), 500);
        assert!(err.to_string().contains("boom"));
    }

    #[tokio::test]
    async fn response_hooks_pick_the_phase_by_status() {
        let mut hooks = LifecycleHooks::default();
        hooks
            .on_error
            .push(response_hook(|r: HandlerResponse, _q: &HookRequest| {
                let r = r.try_header("x-phase", "error").map_err(SpikardError::Internal);
                async move { r }
            }));
        assert!(hooks.needs_request_view());
        let view = HookRequest {
            method: Method::GET,
            path: "/".into(),
            received: crate::rt::Instant::now(),
            state: Map::new(),
        };
        let ok = run_response_hooks(&hooks, HandlerResponse::text("x"), &view)
            .await
            .unwrap();
        assert!(ok.headers.get("x-phase").is_none());
        let failed = HandlerResponse::text("x").with_status(StatusCode::NOT_FOUND);
        let failed = run_response_hooks(&hooks, failed, &view).await.unwrap();
        assert_eq!(failed.headers["x-phase"], "error");
    }

    #[test]
    fn reply_headers_accumulate() {
        let mut r = req();
        reply_header(&mut r, HeaderName::from_static("x-a"), HeaderValue::from_static("1"));
        reply_header(&mut r, HeaderName::from_static("x-b"), HeaderValue::from_static("2"));
        let h = r.extensions.get::<ReplyHeaders>().unwrap();
        assert_eq!(h.0.len(), 2);
    }
}
