//! Fixtures with dependency injection (`handler.dependencies`,
//! `handler_dependencies`, `route_overrides`, `expected_types`, hooks'
//! `dependencies`). The runner registers them through the public API as a
//! binding would: values as JSON values, factories as [`DependencyFactory`]
//! objects (vocabulary in `testing_data/README.md`):
//!
//! - a factory creates `{"factory", "id" (UUID), "created_at", "count", "inputs"}`
//!   (`count`: how many times this registration has created a value; `inputs`:
//!   the JSON of the dependencies it received); an `async_factory` yields to the
//!   runtime first;
//! - a factory with `parameters` declares them as its request inputs (validated and
//!   documented with the route) and creates the object of the values it read and the
//!   dependencies it got, by name; `handler.returns_dependency` makes the handler answer
//!   with that dependency's value;
//! - `cleanup: true`: creating records `<label>_opened` and the cleanup
//!   `<label>_closed` in the fixture's state log, served at `background.state_path`
//!   as `{<state_key>: [...]}`; the label is the longest `<label>_opened` entry of
//!   `background.expected_state` contained in the dependency's name, else the name;
//! - a factory whose name contains `fail`, `raise` or `throw` fails: with the
//!   fixture's expected status when it is an error status, else 500.
//!
//! The route always defers graph errors (cycles, missing dependencies) to request
//! time, since the fixtures pin the request-time problem. The handler checks that
//! every dependency it declares was resolved before answering.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use spikard::di::{Dependencies, Dependency, DependencyFactory, Resolved};
use spikard::{App, Ctx, Error, Response, Route, RouteBuilder, StatusCode};
use spikard_http::di::Provided;
use spikard_http::di::RequestInputs;
use spikard_http::route::ParameterSpecs;
use spikard_http::{BoxFuture, RequestData, RouteSpec, SpikardError};

use super::Built;
use crate::fixture::Fixture;
use crate::play::{app_response, application_answers, route_builder};

/// The state log of a fixture (cleanup events).
pub type EventLog = Arc<Mutex<Vec<String>>>;

/// Whether the fixture uses dependency injection.
pub fn has_dependencies(f: &Fixture) -> bool {
    let h = f.handler();
    [
        "dependencies",
        "handler_dependencies",
        "route_overrides",
        "run_dependencies",
    ]
    .iter()
    .any(|k| h.get(k).is_some())
}

/// A fixture list of names (`depends_on`, `handler_dependencies`, ...).
pub fn names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The dependencies the fixture's handler declares.
pub fn handler_needs(f: &Fixture) -> Vec<String> {
    names(f.handler().get("handler_dependencies"))
}

struct RunnerFactory {
    factory: String,
    /// The request parameters it reads (`parameters`): it creates their values instead.
    reads: Option<ParameterSpecs>,
    is_async: bool,
    count: AtomicU64,
    /// `(label, log)` when the factory has a cleanup.
    cleanup: Option<(String, EventLog)>,
    /// The status a failing factory answers with.
    fails_with: Option<u16>,
}

impl DependencyFactory for RunnerFactory {
    fn create(&self, deps: &Dependencies, request: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
        if let Some(status) = self.fails_with {
            let err = refusal(&self.factory, status);
            return Box::pin(async move { Err(err) });
        }
        let count = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let value = match &self.reads {
            Some(reads) => read_values(reads, request, deps.to_json()),
            None => created(&self.factory, count, Value::Object(deps.to_json())),
        };
        let cleanup = self.cleanup.as_ref().map(|(label, log)| {
            if let Ok(mut events) = log.lock() {
                events.push(format!("{label}_opened"));
            }
            let (label, log) = (label.clone(), log.clone());
            Box::pin(async move {
                if let Ok(mut events) = log.lock() {
                    events.push(format!("{label}_closed"));
                }
            }) as BoxFuture<()>
        });
        let is_async = self.is_async;
        Box::pin(async move {
            if is_async {
                tokio::task::yield_now().await;
            }
            Ok(Provided {
                value: Resolved::json(value),
                cleanup,
            })
        })
    }
}

/// What a factory with `parameters` creates: the values it read, by parameter name (absent
/// ones left out), and the dependencies it received, by name.
pub fn read_values(reads: &ParameterSpecs, request: &RequestData, deps: Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (names, values, lowercase) in [
        (&reads.path, &request.path_params, false),
        (&reads.query, &request.query_params, false),
        (&reads.headers, &request.header_params, true),
        (&reads.cookies, &request.cookie_params, false),
    ] {
        for name in names.keys() {
            let key = if lowercase {
                name.to_ascii_lowercase()
            } else {
                name.clone()
            };
            if let Some(v) = values.get(&key) {
                out.insert(name.clone(), v.clone());
            }
        }
    }
    out.extend(deps);
    Value::Object(out)
}

/// The request parameters a fixture dependency reads (`parameters`), if any.
pub fn reads(def: &Value) -> Result<Option<ParameterSpecs>, String> {
    def.get("parameters")
        .map(|p| serde_json::from_value(p.clone()).map_err(|e| format!("parameters: {e}")))
        .transpose()
}

/// What a factory creates (see the module docs).
pub fn created(factory: &str, count: u64, inputs: Value) -> Value {
    let created_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    json!({
        "factory": factory,
        "id": uuid::Uuid::new_v4().to_string(),
        "created_at": created_at,
        "count": count,
        "inputs": inputs,
    })
}

/// The error a failing factory answers with.
pub fn refusal(factory: &str, status: u16) -> SpikardError {
    if status >= 500 {
        SpikardError::Internal(format!("factory {factory} failed"))
    } else {
        SpikardError::Http {
            status,
            detail: format!("factory {factory} refused the request"),
        }
    }
}

/// The status a factory fails with, when its name says it fails.
pub fn fails_with(f: &Fixture, factory: &str) -> Option<u16> {
    let failing = ["fail", "raise", "throw"].iter().any(|w| factory.contains(w));
    let expected = f.expected_status();
    failing.then_some(if expected >= 400 { expected } else { 500 })
}

/// The labels of the cleanup events the fixture expects (`<label>_opened`).
pub fn cleanup_labels(f: &Fixture) -> Vec<String> {
    names(f.json.get("background").and_then(|b| b.get("expected_state")))
        .into_iter()
        .filter_map(|e| e.strip_suffix("_opened").map(str::to_owned))
        .collect()
}

/// The label of a dependency's cleanup events.
pub fn label_for(name: &str, labels: &[String]) -> String {
    labels
        .iter()
        .filter(|l| name.contains(l.as_str()))
        .max_by_key(|l| l.len())
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

/// One fixture dependency definition as a registration.
fn dependency_of(f: &Fixture, name: &str, def: &Value, log: &EventLog) -> Result<Dependency, String> {
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("value");
    let flag = |k: &str| def.get(k).and_then(Value::as_bool).unwrap_or(false);
    let dependency = match kind {
        "value" => Dependency::value(Resolved::json(def.get("value").cloned().unwrap_or(Value::Null))),
        "factory" | "async_factory" => {
            let factory = def.get("factory").and_then(Value::as_str).unwrap_or(name).to_owned();
            let reads = reads(def).map_err(|e| format!("dependency '{name}': {e}"))?;
            let inputs = RequestInputs {
                parameters: reads.clone().unwrap_or_default(),
                body_schema: None,
            };
            let runner = RunnerFactory {
                reads,
                is_async: kind == "async_factory",
                count: AtomicU64::new(0),
                cleanup: flag("cleanup").then(|| (label_for(name, &cleanup_labels(f)), log.clone())),
                fails_with: fails_with(f, &factory),
                factory,
            };
            let d = Dependency::factory(Arc::new(runner))
                .depends_on(names(def.get("depends_on")))
                .with_inputs(inputs);
            if flag("singleton") {
                d.singleton()
            } else if flag("cacheable") {
                d.cacheable()
            } else {
                d
            }
        }
        other => return Err(format!("dependency '{name}': unknown type '{other}'")),
    };
    Ok(dependency)
}

/// Register the fixture's app-level dependencies (and its state route) on `app`, and
/// add the route's needs, overrides and expected types to `route`.
pub fn configure(f: &Fixture, app: &mut App, route: Route) -> Result<Route, String> {
    let h = f.handler();
    let log: EventLog = Arc::default();
    let empty = Map::new();
    for (name, def) in h.get("dependencies").and_then(Value::as_object).unwrap_or(&empty) {
        let d = dependency_of(f, name, def, &log)?;
        app.dependencies_mut().insert(name.as_str(), d);
    }
    let mut route = route
        .depends_on(handler_needs(f))
        .depends_on(names(h.get("run_dependencies")))
        .defer_dependency_errors();
    for (name, def) in h.get("route_overrides").and_then(Value::as_object).unwrap_or(&empty) {
        route = route.override_with(name, dependency_of(f, name, def, &log)?);
    }
    for (name, ty) in h.get("expected_types").and_then(Value::as_object).unwrap_or(&empty) {
        if let Some(ty) = ty.as_str() {
            route = route.expect_dependency_type(name, ty);
        }
    }
    if let Some((path, key)) = state_route(f) {
        if path != route.spec().path || route.spec().method != "GET" {
            let state = RouteBuilder::from_spec(RouteSpec::new("GET", &path)).handler(move |_ctx: Ctx| {
                let events = log.lock().map(|e| e.clone()).unwrap_or_default();
                let key = key.clone();
                async move { Ok::<_, Error>(Response::new(StatusCode::OK).json(&json!({ key: events }))) }
            });
            app.route(state).map_err(|e| format!("state route: {e}"))?;
        }
    }
    Ok(route)
}

/// The dependency the handler answers with (`handler.returns_dependency`).
pub fn returns_dependency(f: &Fixture) -> Option<String> {
    f.handler()
        .get("returns_dependency")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Where the cleanup log is served: `(background.state_path, background.state_key)`.
pub fn state_route(f: &Fixture) -> Option<(String, String)> {
    let bg = f.json.get("background")?;
    let text = |k: &str, default: &str| bg.get(k).and_then(Value::as_str).unwrap_or(default).to_owned();
    Some((text("state_path", "/state"), text("state_key", "events")))
}

/// Fail unless every named dependency was resolved for this request.
pub fn check_resolved(data: &RequestData, needs: &[String]) -> Result<(), Error> {
    let deps = data.extensions.get::<Dependencies>();
    for name in needs {
        if deps.and_then(|d| d.get(name)).is_none() {
            return Err(Error::internal(format!("dependency '{name}' was not resolved")));
        }
    }
    Ok(())
}

/// Build the route of a DI fixture without hooks (the hooks module handles DI fixtures with hooks).
pub fn build(f: &Fixture, app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    if !has_dependencies(f) {
        return Ok(Built::NotMine(spec));
    }
    let needs = handler_needs(f);
    let app_answers = application_answers(f);
    let expected = f.expected().clone();
    let keep_headers = !crate::play::configures_middleware(f);
    let returns = returns_dependency(f);
    let route = route_builder(f, spec).handler(move |ctx: Ctx| {
        let checked = check_resolved(ctx.data(), &needs);
        let expected = expected.clone();
        let returned = returns.as_ref().map(|name| {
            let deps = ctx.data().extensions.get::<Dependencies>();
            deps.map(|d| d.to_json())
                .and_then(|d| d.get(name).cloned())
                .unwrap_or(Value::Null)
        });
        async move {
            checked?;
            if let Some(value) = returned {
                return Ok(Response::new(StatusCode::OK).json(&value));
            }
            if app_answers {
                app_response(&expected, keep_headers)
            } else {
                Ok(Response::new(StatusCode::OK).json(&json!({"handler_called": true})))
            }
        }
    });
    Ok(Built::Route(configure(f, app, route)?))
}

/// After the request: the state log at `background.state_path` must equal `expected_state`.
pub fn after_check(f: &Fixture) -> Option<super::AfterCheck> {
    if !has_dependencies(f) {
        return None;
    }
    let bg = f.json.get("background")?.clone();
    let path = bg.get("state_path")?.as_str()?.to_owned();
    let key = bg
        .get("state_key")
        .and_then(Value::as_str)
        .unwrap_or("events")
        .to_owned();
    let expected = bg.get("expected_state").cloned().unwrap_or(Value::Null);
    Some(Box::new(move |client: spikard::TestClient| {
        Box::pin(async move {
            let res = client.get(&path).send().await;
            let got = res.json().get(&key).cloned().unwrap_or(Value::Null);
            if got == expected {
                Vec::new()
            } else {
                vec![format!("state {path} {key} = {got}, expected {expected}")]
            }
        })
    }))
}
