//! A fixture as a binding registers it: declarations as JSON (`RouteDecl`, `HookDecl`,
//! `DependencyDecl`) plus the list of the binding's objects they refer to by index,
//! registered with [`ForeignApp`].
//!
//! Request-phase hooks are declared with the route; response-phase hooks app-wide
//! (`add_hook`) unless the app has other routes they would see. App-level dependencies
//! are `provide`d, route overrides declared with the route.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use spikard_http::foreign::{decl, DependencyDecl, ForeignApp, ForeignWebSocket, HookDecl, RouteDecl};
use spikard_http::{RouteKind, RouteSpec, TestClient};

use super::args::{self, Wanted};
use super::binding::{Answer, Behaviour, FactorySpec, HandlerSpec, Journal, TestBinding, DEPENDENCY, PARAMETER};
use super::streams::TestSessions;
use super::Mode;
use crate::features::di::{self, EventLog};
use crate::features::hooks::{hook_plan, PHASES};
use crate::features::realtime::WsChannel;
use crate::features::{background, files, streaming, timing};
use crate::fixture::Fixture;
use crate::play::{application_answers, configures_middleware, returns, route_spec, server_config};

/// The name the fixture's handler is declared (and journaled) under.
pub const HANDLER: &str = "handler";

/// A fixture's app, registered.
pub struct Registered {
    pub client: TestClient,
    pub binding: TestBinding,
    /// What the handler must receive.
    pub wanted: Wanted,
}

/// One declaration's objects.
#[derive(Default)]
struct Objects(Vec<Behaviour>);

impl Objects {
    fn add(&mut self, b: Behaviour) -> usize {
        self.0.push(b);
        self.0.len() - 1
    }
}

fn dependency_arg(name: &str) -> Value {
    json!({"name": format!("{DEPENDENCY}{name}"), "source": "dependency", "key": name})
}

fn handler_spec(answer: Answer) -> Behaviour {
    Behaviour::Handler(Arc::new(HandlerSpec {
        answer,
        needs: Vec::new(),
        hooks: None,
        sleep: None,
    }))
}

/// A route answering `{key: read()}` (a state log), as a declaration and its objects.
fn state_route(path: &str, key: &str, read: Arc<dyn Fn() -> Value + Send + Sync>) -> (Value, Objects) {
    let mut objects = Objects::default();
    let f = objects.add(handler_spec(Answer::Log {
        key: key.to_owned(),
        read,
    }));
    let decl = json!({
        "route": {"method": "GET", "path": path},
        "handler": {"function": f, "name": "state"},
    });
    (decl, objects)
}

/// A fixture dependency (`{type, value, factory, depends_on, singleton, cacheable, cleanup}`)
/// as a `DependencyDecl`, its object added to `objects`.
fn dependency_decl(
    f: &Fixture,
    name: &str,
    def: &Value,
    log: &EventLog,
    objects: &mut Objects,
    mode: Mode,
) -> Result<Value, String> {
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("value");
    let flag = |k: &str| def.get(k).and_then(Value::as_bool).unwrap_or(false);
    match kind {
        "value" => {
            let i = objects.add(Behaviour::Value(def.get("value").cloned().unwrap_or(Value::Null)));
            Ok(json!({"kind": "value", "function": i}))
        }
        "factory" | "async_factory" => {
            let factory = def.get("factory").and_then(Value::as_str).unwrap_or(name).to_owned();
            let cleanup = flag("cleanup").then(|| (di::label_for(name, &di::cleanup_labels(f)), log.clone()));
            let generator = cleanup.is_some();
            let reads = def.get("parameters").cloned();
            let i = objects.add(Behaviour::Factory(Arc::new(FactorySpec {
                reads: reads.is_some(),
                fails_with: di::fails_with(f, &factory),
                factory,
                count: AtomicU64::new(0),
                cleanup,
            })));
            let lifetime = if flag("singleton") {
                "singleton"
            } else if flag("cacheable") {
                "per_request"
            } else {
                "per_use"
            };
            let mut args: Vec<Value> = di::names(def.get("depends_on"))
                .iter()
                .map(|d| dependency_arg(d))
                .collect();
            // What it reads from the request: an argument per parameter, by section.
            let empty = Map::new();
            for (section, source) in [
                ("path", "path"),
                ("query", "query"),
                ("headers", "header"),
                ("cookies", "cookie"),
            ] {
                let names = reads.as_ref().and_then(|r| r.get(section)).and_then(Value::as_object);
                for name in names.unwrap_or(&empty).keys() {
                    args.push(json!({"name": format!("{PARAMETER}{name}"), "source": source, "key": name}));
                }
            }
            let mut decl = json!({
                "kind": if generator { "generator" } else { "factory" },
                "function": i,
                "is_async": kind == "async_factory" || mode == Mode::Async,
                "args": args,
                "lifetime": lifetime,
            });
            if let Some(reads) = reads {
                decl["parameters"] = reads;
            }
            Ok(decl)
        }
        other => Err(format!("dependency '{name}': unknown type '{other}'")),
    }
}

/// Whether a dependency is one instance per request (or per app), by the route's or the app's definition.
fn shared_dependency(f: &Fixture, name: &str) -> bool {
    let h = f.handler();
    let def = ["route_overrides", "dependencies"]
        .iter()
        .find_map(|k| h.get(*k).and_then(|d| d.get(name)));
    def.is_some_and(|d| {
        let flag = |k: &str| d.get(k).and_then(Value::as_bool).unwrap_or(false);
        d.get("type").and_then(Value::as_str).unwrap_or("value") == "value" || flag("cacheable") || flag("singleton")
    })
}

fn expected_or_called(f: &Fixture, keep_headers: bool) -> Answer {
    if application_answers(f) {
        Answer::Expected {
            expected: f.expected().clone(),
            keep_headers,
        }
    } else {
        Answer::Called
    }
}

/// Register the fixture's route (with its hooks, dependencies and state routes) and build
/// the test client.
pub fn register(f: &Fixture, mode: Mode) -> Result<Registered, String> {
    let spec = route_spec(f)?;
    let binding = TestBinding::default();
    let mut app = ForeignApp::new(server_config(f));
    let mut objects = Objects::default();
    let mut extra: Vec<(Value, Objects)> = Vec::new();
    let hooks = hook_plan(f).map(Arc::new);
    let has_di = di::has_dependencies(f);
    let log: EventLog = Arc::default();

    // What the handler answers: the same choice, in the same order, as `features::build_route`.
    let mut sleep = None;
    let mut takes_request = mode == Mode::Async;
    let answer = if let Some(value) = returns(f) {
        Answer::Returns(value.clone())
    } else if let Some(name) = di::returns_dependency(f) {
        Answer::Dependency(format!("{DEPENDENCY}{name}"))
    } else if let Some(plan) = &hooks {
        if plan.handler_raises {
            Answer::Raise
        } else {
            expected_or_called(f, false)
        }
    } else if has_di {
        expected_or_called(f, !configures_middleware(f))
    } else if let Some(file) = files::file_answer(f) {
        Answer::File(file?)
    } else if let Some(stream) = streaming::stream_answer(f) {
        Answer::Stream(stream?)
    } else if let Some(section) = background::section(f) {
        let section = section?;
        let state: Arc<Mutex<Vec<Value>>> = Arc::default();
        let reader = state.clone();
        let read = Arc::new(move || Value::Array(reader.lock().map(|s| s.clone()).unwrap_or_default()));
        extra.push(state_route(&section.state_path, &section.state_key, read));
        takes_request = true;
        Answer::Background {
            field: section.value_field,
            state,
            expected: f.expected().clone(),
            keep_headers: !configures_middleware(f),
        }
    } else if let Some(pause) = timing::sleep_of(f) {
        sleep = Some(pause);
        expected_or_called(f, false)
    } else {
        expected_or_called(f, !configures_middleware(f))
    };
    if has_di {
        if let Some((path, key)) = di::state_route(f) {
            if path != spec.path || spec.method != "GET" {
                let reader = log.clone();
                let read = Arc::new(move || json!(reader.lock().map(|e| e.clone()).unwrap_or_default()));
                extra.push(state_route(&path, &key, read));
            }
        }
    }

    // The handler's arguments.
    let mut handler_args = Vec::new();
    if takes_request {
        handler_args.push(json!({"name": "request", "source": "request", "positional": true}));
    }
    let (params, wanted) = args::parameters(f, &spec, mode == Mode::Sync)?;
    handler_args.extend(params);
    // A dependency listed twice is taken by two arguments (one instance when it is cached).
    let mut needs: Vec<(String, String)> = Vec::new();
    let mut wanted = wanted;
    for name in di::handler_needs(f) {
        let mut arg = dependency_arg(&name);
        if let Some((first, _)) = needs.iter().find(|(_, n)| *n == name) {
            let arg_name = format!("{DEPENDENCY}{name}#{}", needs.len() + 1);
            if shared_dependency(f, &name) {
                wanted.same.push((first.clone(), arg_name.clone()));
            }
            arg["name"] = json!(arg_name);
        }
        needs.push((arg["name"].as_str().unwrap_or_default().to_owned(), name));
        handler_args.push(arg);
    }
    if hooks.is_some() {
        handler_args.push(json!({"name": "state:hooks_run", "source": "state", "key": "hooks_run", "optional": true}));
    }
    let handler = objects.add(Behaviour::Handler(Arc::new(HandlerSpec {
        answer,
        needs,
        hooks: hooks.clone(),
        sleep,
    })));

    // Dependencies: app-level ones provided, overrides declared with the route.
    let empty = Map::new();
    let h = f.handler();
    for (name, def) in h.get("dependencies").and_then(Value::as_object).unwrap_or(&empty) {
        let mut own = Objects::default();
        let d = dependency_decl(f, name, def, &log, &mut own, mode)?;
        let d: DependencyDecl = decl::read(&format!("dependency {name}"), d).map_err(|e| e.to_string())?;
        app.provide(&binding, name, d, &own.0)
            .map_err(|e| format!("dependency registration failed: {e}"))?;
    }
    let mut overrides = Map::new();
    for (name, def) in h.get("route_overrides").and_then(Value::as_object).unwrap_or(&empty) {
        overrides.insert(name.clone(), dependency_decl(f, name, def, &log, &mut objects, mode)?);
    }

    // Hooks.
    let mut route_hooks = Vec::new();
    for hook in hooks.iter().flat_map(|p| p.hooks.iter()) {
        let request_phase = hook.phase() < 3;
        let mut hook_args = Vec::new();
        if request_phase {
            hook_args.push(json!({"name": "request", "source": "request", "positional": true}));
            hook_args.extend(hook.needs().iter().map(|d| dependency_arg(d)));
        }
        let mut decl = json!({
            "phase": PHASES[hook.phase()],
            "name": hook.name(),
            "is_async": mode == Mode::Async,
            "args": hook_args,
            "with_request": !request_phase && hook.reads_request(),
        });
        if request_phase || !extra.is_empty() {
            decl["function"] = json!(objects.add(Behaviour::Hook(hook.clone())));
            route_hooks.push(decl);
        } else {
            decl["function"] = json!(0);
            let d: HookDecl = decl::read("hook", decl).map_err(|e| e.to_string())?;
            app.add_hook(&binding, d, &[Behaviour::Hook(hook.clone())])
                .map_err(|e| format!("hook registration failed: {e}"))?;
        }
    }

    let route = serde_json::to_value(&spec).map_err(|e| format!("route spec: {e}"))?;
    let expected_types = h.get("expected_types").cloned().unwrap_or(json!({}));
    let declaration = json!({
        "route": route,
        "handler": {
            "function": handler,
            "name": HANDLER,
            "is_async": mode == Mode::Async || sleep.is_some(),
            "args": handler_args,
        },
        "hooks": route_hooks,
        "dependencies": overrides,
        "expected_types": expected_types,
        "defer_dependency_errors": has_di,
        "response_model": h.get("response_model"),
        "run_dependencies": h.get("run_dependencies").cloned().unwrap_or(json!([])),
    });
    add_route(&mut app, &binding, declaration, &objects.0)?;
    for (declaration, objects) in extra {
        add_route(&mut app, &binding, declaration, &objects.0)?;
    }
    let pipeline = app.pipeline().map_err(|e| format!("app did not build: {e}"))?;
    Ok(Registered {
        client: TestClient::new(pipeline),
        binding,
        wanted,
    })
}

fn add_route(app: &mut ForeignApp, binding: &TestBinding, decl: Value, objects: &[Behaviour]) -> Result<(), String> {
    let decl = RouteDecl::from_json(decl).map_err(|e| e.to_string())?;
    app.add_route(binding, decl, objects)
        .map_err(|e| format!("route registration failed: {e}"))
}

/// An app of `specs` whose handlers report that they were called (OpenAPI documents).
pub fn register_specs(
    config: spikard_http::ServerConfig,
    specs: Vec<RouteSpec>,
    mode: Mode,
) -> Result<TestClient, String> {
    let binding = TestBinding::default();
    let mut app = ForeignApp::new(config);
    for (i, spec) in specs.into_iter().enumerate() {
        let route = serde_json::to_value(&spec).map_err(|e| format!("openapi.routes[{i}]: {e}"))?;
        let decl =
            json!({"route": route, "handler": {"function": 0, "name": HANDLER, "is_async": mode == Mode::Async}});
        add_route(&mut app, &binding, decl, &[handler_spec(Answer::Called)])
            .map_err(|e| format!("openapi.routes[{i}]: {e}"))?;
    }
    app.pipeline()
        .map(TestClient::new)
        .map_err(|e| format!("app did not build: {e}"))
}

/// An SSE route for `channel` (kind `sse`, with its event schema).
pub fn register_sse(
    channel: Arc<crate::features::realtime::SseChannel>,
    mode: Mode,
) -> Result<(TestClient, Journal), String> {
    let binding = TestBinding::default();
    let mut app = ForeignApp::new(spikard_http::ServerConfig::default());
    let mut route = json!({"method": "GET", "path": channel.pattern, "kind": "sse"});
    if let Some(schema) = &channel.schema {
        route["event_schema"] = schema.clone();
    }
    let decl = json!({"route": route, "handler": {"function": 0, "name": HANDLER, "is_async": mode == Mode::Async}});
    add_route(&mut app, &binding, decl, &[handler_spec(Answer::Sse(channel))])
        .map_err(|e| format!("SSE route: {e}"))?;
    let pipeline = app.pipeline().map_err(|e| format!("app did not build: {e}"))?;
    Ok((TestClient::new(pipeline), binding.journal))
}

/// A WebSocket route for `channel` served by the binding's sessions through `ForeignWebSocket`.
pub fn register_websocket(channel: &WsChannel, mode: Mode) -> Result<(TestClient, Journal), String> {
    let binding = TestBinding::default();
    let mut app = ForeignApp::new(spikard_http::ServerConfig::default());
    let mut spec = RouteSpec::new("GET", &channel.pattern);
    spec.kind = RouteKind::WebSocket;
    spec.message_schema.clone_from(&channel.schema);
    spec.max_message_size = channel.max_message_size;
    let sessions = TestSessions {
        journal: binding.journal.clone(),
        is_async: mode == Mode::Async,
    };
    app.add_websocket(spec, Arc::new(ForeignWebSocket::new(sessions)))
        .map_err(|e| format!("WebSocket route {}: {e}", channel.pattern))?;
    let pipeline = app.pipeline().map_err(|e| format!("app did not build: {e}"))?;
    Ok((TestClient::new(pipeline), binding.journal))
}
