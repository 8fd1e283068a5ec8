//! The foreign-call layer's adapters where the fixtures do not pin them: what a
//! generator dependency's cleanup is resumed with, cancellation of a pending handler,
//! response hooks and streamed bodies, registration errors naming what is wrong, response
//! models (filtered, refused without leaking, documented) and the pipeline built once.
//! (`e2e/rust/tests/foreign_fixtures.rs` plays every fixture through the layer.)

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::{json, Value};
use spikard_core::SpikardError;
use spikard_http::di::{Failure, Resolved};
use spikard_http::foreign::{
    decl, Arg, Binding, Call, Completion, DependencyDecl, Expect, ForeignApp, ForeignError, ForeignFn,
    ForeignGenerator, FunctionInfo, HookDecl, Input, Outcome, Returned, RouteDecl,
};
use spikard_http::{BoxFuture, HandlerResponse, ResponseBody, TestClient};

type Log = Arc<Mutex<Vec<String>>>;

/// The objects of a minimal binding: functions already written in Rust, or plain values.
#[derive(Clone)]
enum Obj {
    F(Arc<dyn ForeignFn>),
    V(Value),
}

struct Rust;

impl Binding for Rust {
    type Object = Obj;

    fn function(
        &self,
        f: &Obj,
        _info: &FunctionInfo<'_>,
        _objects: &[Obj],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        match f {
            Obj::F(f) => Ok(f.clone()),
            Obj::V(_) => Err(SpikardError::Config("a value is not callable".into())),
        }
    }

    fn value(&self, value: &Obj) -> Resolved {
        match value {
            Obj::V(v) => Resolved::json(v.clone()),
            Obj::F(_) => Resolved::json(Value::Null),
        }
    }
}

/// The test's "exception": a message.
struct Exception(&'static str);

fn ready(result: Result<Outcome, ForeignError>) -> Completion {
    Box::pin(std::future::ready(result))
}

/// A handler answering `{"db": <its db argument>}`, raising, or never finishing.
enum Handler {
    Answers,
    Raises(&'static str),
    /// Pending forever; counts its completions dropped.
    Hangs(Arc<AtomicUsize>),
}

struct CountsDrop(Arc<AtomicUsize>);

impl Drop for CountsDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A completion that never finishes.
struct Never(#[allow(dead_code)] CountsDrop);

impl Future for Never {
    type Output = Result<Outcome, ForeignError>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

impl ForeignFn for Handler {
    fn call(&self, call: Call<'_>) -> Completion {
        let Input::Args(args) = call.input else {
            return ready(Err(ForeignError::new(SpikardError::Internal("no args".into()))));
        };
        match self {
            Handler::Answers => {
                let db = match args.first() {
                    Some(Arg::Dependency(r)) => r.as_json().cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                ready(Ok(Returned::Response(HandlerResponse::json(json!({"db": db}))).into()))
            }
            Handler::Raises(message) => ready(Err(ForeignError::raised(
                SpikardError::Internal((*message).into()),
                Arc::new(Exception(message)),
            ))),
            Handler::Hangs(dropped) => Box::pin(Never(CountsDrop(dropped.clone()))),
        }
    }
}

/// A generator dependency yielding `"conn"`; its cleanup logs what it was resumed with.
struct Generator(Log);

struct Cleanup(Log);

impl ForeignFn for Generator {
    fn call(&self, call: Call<'_>) -> Completion {
        assert_eq!(call.expect, Expect::Dependency);
        let cleanup: Box<dyn ForeignGenerator> = Box::new(Cleanup(self.0.clone()));
        ready(Ok(Returned::Generator(Resolved::json(json!("conn")), cleanup).into()))
    }
}

impl ForeignGenerator for Cleanup {
    fn finish(self: Box<Self>, failure: Option<Failure>) -> BoxFuture<()> {
        let line = match failure {
            None => "finished".to_owned(),
            Some(Failure::Cancelled) => "cancelled".to_owned(),
            Some(Failure::Raised(e)) => match e.downcast_ref::<Exception>() {
                Some(Exception(m)) => format!("raised: {m}"),
                None => "raised: something else".to_owned(),
            },
            Some(Failure::Error(e)) => format!("failed: {e}"),
        };
        Box::pin(async move {
            if let Ok(mut log) = self.0.lock() {
                log.push(line);
            }
        })
    }
}

/// An app with one route taking the generator dependency `db`, handled by `handler`.
fn app_with(handler: Handler, log: &Log, route: Value) -> ForeignApp {
    let mut app = ForeignApp::new(Default::default());
    let db: DependencyDecl = decl::read("dependency db", json!({"kind": "generator", "function": 0})).unwrap();
    app.provide(&Rust, "db", db, &[Obj::F(Arc::new(Generator(log.clone())))])
        .unwrap();
    let decl = RouteDecl::from_json(json!({
        "route": route,
        "handler": {"function": 0, "args": [{"name": "db", "source": "dependency"}]},
    }))
    .unwrap();
    app.add_route(&Rust, decl, &[Obj::F(Arc::new(handler))]).unwrap();
    app
}

/// The log once it has `n` lines (cleanups run after the response, possibly on a task).
async fn log_of(log: &Log, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let lines = log.lock().unwrap().clone();
        if lines.len() >= n {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn a_generator_cleanup_is_resumed_normally_after_a_success() {
    let log = Log::default();
    let app = app_with(Handler::Answers, &log, json!({"method": "GET", "path": "/x"}));
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({"db": "conn"}));
    assert_eq!(log_of(&log, 1).await, ["finished"]);
}

#[tokio::test]
async fn a_generator_cleanup_receives_the_handlers_exception() {
    let log = Log::default();
    let app = app_with(
        Handler::Raises("db exploded"),
        &log,
        json!({"method": "GET", "path": "/x"}),
    );
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 500);
    assert!(!res.text().contains("db exploded"), "the cause leaked: {}", res.text());
    assert_eq!(log_of(&log, 1).await, ["raised: db exploded"]);
}

/// A factory that fails with a 503 problem.
struct Fails;

impl ForeignFn for Fails {
    fn call(&self, _call: Call<'_>) -> Completion {
        let e = SpikardError::Http {
            status: 503,
            detail: "no connection".into(),
        };
        ready(Err(ForeignError::new(e)))
    }
}

#[tokio::test]
async fn a_generator_learns_that_a_later_dependency_failed() {
    let log = Log::default();
    let mut app = ForeignApp::new(Default::default());
    let db: DependencyDecl = decl::read("dependency db", json!({"kind": "generator", "function": 0})).unwrap();
    app.provide(&Rust, "db", db, &[Obj::F(Arc::new(Generator(log.clone())))])
        .unwrap();
    let repo = json!({"kind": "factory", "function": 0, "args": [{"name": "db", "source": "dependency"}]});
    let repo: DependencyDecl = decl::read("dependency repo", repo).unwrap();
    app.provide(&Rust, "repo", repo, &[Obj::F(Arc::new(Fails))]).unwrap();
    let decl = RouteDecl::from_json(json!({
        "route": {"method": "GET", "path": "/x"},
        "handler": {"function": 0, "args": [{"name": "repo", "source": "dependency"}]},
    }))
    .unwrap();
    app.add_route(&Rust, decl, &[Obj::F(Arc::new(Handler::Answers))])
        .unwrap();
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 503);
    assert_eq!(log_of(&log, 1).await, ["failed: no connection"]);
}

#[tokio::test]
async fn a_handler_cut_off_by_the_deadline_is_dropped_and_leaves_cancelled() {
    let log = Log::default();
    let dropped = Arc::new(AtomicUsize::new(0));
    let route = json!({"method": "GET", "path": "/x", "middleware": {"request_timeout": {"seconds": 0.05}}});
    let app = app_with(Handler::Hangs(dropped.clone()), &log, route);
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/x").send().await;
    assert!(res.status >= 400, "status {}", res.status);
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the pending completion was not dropped"
    );
    assert_eq!(log_of(&log, 1).await, ["cancelled"]);
}

/// A response hook that counts its calls and adds `x-hooked`.
struct Hook(Arc<AtomicUsize>);

impl ForeignFn for Hook {
    fn call(&self, call: Call<'_>) -> Completion {
        self.0.fetch_add(1, Ordering::SeqCst);
        let Input::Response { mut response, .. } = call.input else {
            return ready(Err(ForeignError::new(SpikardError::Internal("not a response".into()))));
        };
        response
            .headers
            .insert("x-hooked", http::HeaderValue::from_static("yes"));
        ready(Ok(Returned::Response(response).into()))
    }
}

/// Answers a streamed body.
struct Streams;

impl ForeignFn for Streams {
    fn call(&self, _call: Call<'_>) -> Completion {
        type Chunk = Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>>;
        let chunks = futures_util::stream::iter([Chunk::Ok(bytes::Bytes::from_static(b"a"))]);
        let body = ResponseBody::Stream(Box::pin(chunks));
        ready(Ok(
            Returned::Response(HandlerResponse::new(http::StatusCode::OK, body)).into()
        ))
    }
}

#[tokio::test]
async fn response_hooks_see_buffered_responses_and_pass_streamed_ones() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut app = ForeignApp::new(Default::default());
    let hook: HookDecl = decl::read("hook", json!({"phase": "on_response", "function": 0})).unwrap();
    app.add_hook(&Rust, hook, &[Obj::F(Arc::new(Hook(calls.clone())))])
        .unwrap();
    for (path, handler) in [
        ("/json", Obj::F(Arc::new(Handler::Answers))),
        ("/stream", Obj::F(Arc::new(Streams))),
    ] {
        let decl = RouteDecl::from_json(json!({"route": {"method": "GET", "path": path}, "handler": {"function": 0}}));
        app.add_route(&Rust, decl.unwrap(), &[handler]).unwrap();
    }
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/json").send().await;
    assert_eq!(res.header("x-hooked"), Some("yes"));
    let res = client.get("/stream").send().await;
    assert_eq!(
        (res.status, res.text().as_str(), res.header("x-hooked")),
        (200, "a", None)
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

fn add(decl: Value, objects: &[Obj]) -> String {
    let mut app = ForeignApp::new(Default::default());
    match RouteDecl::from_json(decl) {
        Ok(d) => app
            .add_route(&Rust, d, objects)
            .map_or_else(|e| e.to_string(), |()| "ok".into()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_declarations_name_the_route_and_the_field() {
    let f = || Obj::F(Arc::new(Handler::Answers));
    let route = json!({"method": "GET", "path": "/users/{id:int}"});
    let cases = [
        (
            json!({"route": route, "handler": {"function": 0, "args": [{"name": "id", "source": "moon"}]}}),
            "route GET /users/{id:int}: handler.args[0].source:",
        ),
        (
            json!({"route": route, "handler": {"function": 0, "colour": "red"}}),
            "route GET /users/{id:int}: handler.colour: unknown field `colour`",
        ),
        (
            json!({"route": route, "handler": {"function": 2}}),
            "route GET /users/{id:int}: handler: function: object 2 is out of range (1 given)",
        ),
        (
            json!({"route": route, "handler": {"function": 0, "args": [
                {"name": "id", "source": "path"}, {"name": "id", "source": "query"}]}}),
            "route GET /users/{id:int}: handler: args[1]: argument 'id' is declared twice",
        ),
        (
            json!({"route": route, "handler": {"function": 0}, "dependencies": {"db": {"kind": "magic", "function": 0}}}),
            "route GET /users/{id:int}: dependencies.db: kind:",
        ),
        (
            json!({"route": route, "handler": {"function": 0}, "hooks": [{"phase": "on_request", "function": 1}]}),
            "route GET /users/{id:int}: hooks[0]: function: object 1 is out of range",
        ),
        (
            json!({"route": route, "handler": {"function": 0}, "expected_types": {"db": 3}}),
            "route GET /users/{id:int}: expected_types.db: must be a JSON type name",
        ),
    ];
    for (decl, want) in cases {
        let got = add(decl, &[f()]);
        assert!(got.contains(want), "expected {want:?} in {got:?}");
    }
    // The binding's own refusal is prefixed with what it refused.
    let got = add(json!({"route": route, "handler": {"function": 0}}), &[Obj::V(json!(1))]);
    assert!(
        got.contains("route GET /users/{id:int}: handler: a value is not callable"),
        "{got}"
    );
}

/// Builds a handler's result.
type Make = fn() -> HandlerResponse;

/// A handler answering what its `Make` builds.
struct Returns(Make);

impl ForeignFn for Returns {
    fn call(&self, _call: Call<'_>) -> Completion {
        ready(Ok(Returned::Response((self.0)()).into()))
    }
}

fn json_bytes(v: Value) -> HandlerResponse {
    HandlerResponse::new(
        http::StatusCode::OK,
        ResponseBody::JsonBytes(serde_json::to_vec(&v).unwrap().into()),
    )
}

const USER: fn() -> Value = || {
    json!({
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    })
};

/// An app with a route per `(path, result)` checked against the `USER` model, its
/// handlers taking the generator dependency `db` (which logs how its request ended).
fn checked_app(routes: &[(&str, Make)], log: &Log) -> ForeignApp {
    let mut app = ForeignApp::new(Default::default());
    let db: DependencyDecl = decl::read("dependency db", json!({"kind": "generator", "function": 0})).unwrap();
    app.provide(&Rust, "db", db, &[Obj::F(Arc::new(Generator(log.clone())))])
        .unwrap();
    for (path, make) in routes {
        let decl = RouteDecl::from_json(json!({
            "route": {"method": "GET", "path": path},
            "handler": {"function": 0, "args": [{"name": "db", "source": "dependency"}]},
            "response_model": USER(),
        }))
        .unwrap();
        app.add_route(&Rust, decl, &[Obj::F(Arc::new(Returns(*make)))]).unwrap();
    }
    app
}

#[tokio::test]
async fn a_response_model_drops_undeclared_fields_of_json_results() {
    let log = Log::default();
    let app = checked_app(
        &[
            ("/bytes", || json_bytes(json!({"id": 1, "name": "a", "password": "x"}))),
            ("/value", || {
                HandlerResponse::json(json!({"id": 2, "name": "b", "token": "t"}))
            }),
        ],
        &log,
    );
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/bytes").send().await;
    assert_eq!((res.status, res.json()), (200, json!({"id": 1, "name": "a"})));
    assert_eq!(res.header("content-type"), Some("application/json"));
    let res = client.get("/value").send().await;
    assert_eq!((res.status, res.json()), (200, json!({"id": 2, "name": "b"})));
    assert_eq!(log_of(&log, 2).await, ["finished", "finished"]);
}

#[tokio::test]
async fn a_result_breaking_the_model_is_a_500_naming_the_route_and_the_place_only() {
    let log = Log::default();
    let app = checked_app(
        &[("/users/{id}", || json_bytes(json!({"id": "hunter2", "name": "a"})))],
        &log,
    );
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/users/7").send().await;
    assert_eq!(res.status, 500);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/internal-server-error", "title": "Internal Server Error",
               "status": 500, "detail": "Internal server error"})
    );
    // What is logged (and what generator dependencies learn) names the route and the place.
    let lines = log_of(&log, 1).await;
    assert_eq!(
        lines,
        ["failed: route GET /users/{id}: the result does not match its response model: int_parsing at id"]
    );
    assert!(!lines[0].contains("hunter2"));
}

#[tokio::test]
async fn responses_the_handler_built_pass_unchecked() {
    let log = Log::default();
    let app = checked_app(
        &[
            ("/accepted", || {
                let mut r = json_bytes(json!({"queued": true}));
                r.status = http::StatusCode::ACCEPTED;
                r
            }),
            ("/text", || HandlerResponse::text("plain")),
            ("/typed", || {
                json_bytes(json!({"other": 1}))
                    .try_header("content-type", "text/plain")
                    .unwrap()
            }),
        ],
        &log,
    );
    let client = TestClient::new(app.pipeline().unwrap());
    let res = client.get("/accepted").send().await;
    assert_eq!((res.status, res.json()), (202, json!({"queued": true})));
    let res = client.get("/text").send().await;
    assert_eq!((res.status, res.text().as_str()), (200, "plain"));
    let res = client.get("/typed").send().await;
    assert_eq!((res.status, res.text().as_str()), (200, r#"{"other":1}"#));
}

#[tokio::test]
async fn a_response_model_is_compiled_at_registration_and_documents_the_route() {
    let route = json!({"method": "GET", "path": "/u"});
    let got = add(
        json!({"route": route, "handler": {"function": 0}, "response_model": {"type": 5}}),
        &[Obj::F(Arc::new(Handler::Answers))],
    );
    assert!(got.starts_with("GET /u: response_model: invalid JSON Schema"), "{got}");

    let config = spikard_http::ServerConfig {
        openapi: Some(Default::default()),
        ..Default::default()
    };
    let mut app = ForeignApp::new(config);
    for (path, extra) in [
        ("/model", json!({})),
        ("/documented", json!({"response_schema": {"type": "string"}})),
    ] {
        let mut route = json!({"method": "GET", "path": path});
        route
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let decl = RouteDecl::from_json(json!({"route": route, "handler": {"function": 0}, "response_model": USER()}));
        app.add_route(&Rust, decl.unwrap(), &[Obj::F(Arc::new(Handler::Answers))])
            .unwrap();
    }
    let client = TestClient::new(app.pipeline().unwrap());
    let doc = client.get("/openapi.json").send().await.json();
    let schema =
        |path: &str| doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone();
    assert_eq!(schema("/model")["properties"]["id"], json!({"type": "integer"}));
    assert_eq!(schema("/documented"), json!({"type": "string"}));
}

#[tokio::test]
async fn the_pipeline_is_built_once_and_rebuilt_after_a_registration() {
    let mut app = ForeignApp::new(Default::default());
    let route = |path: &str| {
        RouteDecl::from_json(json!({"route": {"method": "GET", "path": path}, "handler": {"function": 0}})).unwrap()
    };
    app.add_route(&Rust, route("/a"), &[Obj::F(Arc::new(Handler::Answers))])
        .unwrap();
    let first = app.pipeline().unwrap();
    let again = app.pipeline().unwrap();
    assert!(
        std::ptr::eq(first.config(), again.config()),
        "the same pipeline is shared"
    );
    let old_client = TestClient::new(first);
    app.add_route(&Rust, route("/b"), &[Obj::F(Arc::new(Handler::Answers))])
        .unwrap();
    let rebuilt = app.pipeline().unwrap();
    assert!(!std::ptr::eq(again.config(), rebuilt.config()));
    assert_eq!(TestClient::new(rebuilt).get("/b").send().await.status, 200);
    assert_eq!(old_client.get("/b").send().await.status, 404);
    assert_eq!(old_client.get("/a").send().await.status, 200);
}
