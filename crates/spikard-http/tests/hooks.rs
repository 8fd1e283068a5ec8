//! Lifecycle hooks through the pipeline: order, early answers, response changes,
//! failures, and the exact responses a client gets.

mod common;

use std::sync::{Arc, Mutex};

use common::{arc, builder, spec, Echo};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{json, Value};
use spikard_core::SpikardError;
use spikard_http::hooks::{reply_header, request_hook, response_hook};
use spikard_http::{
    BoxFuture, HandlerResponse, HandlerResult, HookFlow, HookRequest, LifecycleHooks, RequestData, TestClient,
};

type Log = Arc<Mutex<Vec<String>>>;

fn marker(log: &Log, name: &'static str) -> Arc<dyn spikard_http::RequestHook> {
    let log = log.clone();
    request_hook(move |mut r: RequestData| {
        log.lock().unwrap().push(name.to_owned());
        if let Value::Array(seen) = r.state.entry("seen").or_insert_with(|| json!([])) {
            seen.push(name.into());
        }
        async move { Ok(HookFlow::Continue(r)) }
    })
}

fn tagger(log: &Log, name: &'static str) -> Arc<dyn spikard_http::ResponseHook> {
    let log = log.clone();
    response_hook(move |r: HandlerResponse, _q: &HookRequest| {
        log.lock().unwrap().push(name.to_owned());
        async move { Ok(r) }
    })
}

struct State;

impl spikard_http::Handler for State {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move { Ok(HandlerResponse::json(Value::Object(r.state))) })
    }
}

fn body_route() -> spikard_http::RouteSpec {
    spec(
        json!({"method": "POST", "path": "/things", "body_schema": {"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}}}}),
    )
}

#[tokio::test]
async fn app_hooks_run_before_route_hooks_in_phase_order_and_the_handler_sees_state() {
    let log: Log = Arc::default();
    let mut b = builder();
    let app = b.hooks_mut();
    app.on_request.push(marker(&log, "app_request"));
    app.pre_handler.push(marker(&log, "app_pre_handler"));
    app.on_response.push(tagger(&log, "app_response"));
    let mut route = LifecycleHooks::default();
    route.on_request.push(marker(&log, "route_request"));
    route.pre_validation.push(marker(&log, "route_pre_validation"));
    route.on_response.push(tagger(&log, "route_response"));
    b.route_with_hooks(body_route(), arc(State), &route).unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.post("/things").json(&json!({"name": "x"})).send().await;
    assert_eq!(res.status, 200);
    let order = [
        "app_request",
        "route_request",
        "route_pre_validation",
        "app_pre_handler",
    ];
    assert_eq!(res.json(), json!({"seen": order}));
    let mut all: Vec<&str> = order.to_vec();
    all.extend(["app_response", "route_response"]);
    assert_eq!(*log.lock().unwrap(), all);
}

#[tokio::test]
async fn an_early_answer_skips_the_rest_but_passes_the_response_hooks() {
    let log: Log = Arc::default();
    let mut hooks = LifecycleHooks::default();
    hooks.on_request.push(request_hook(|_r| async {
        let r = HandlerResponse::json(json!({"error": "closed"})).with_status(StatusCode::SERVICE_UNAVAILABLE);
        Ok(HookFlow::Respond(r))
    }));
    hooks.pre_handler.push(marker(&log, "never"));
    hooks
        .on_error
        .push(response_hook(|r: HandlerResponse, q: &HookRequest| {
            let path = q.path.clone();
            async move { r.try_header("x-seen-path", &path).map_err(SpikardError::Internal) }
        }));
    let mut b = builder();
    b.route_with_hooks(body_route(), arc(Echo), &hooks).unwrap();
    let client = TestClient::new(b.build().unwrap());
    // An invalid body: the early answer comes before validation.
    let res = client.post("/things").json(&json!({})).send().await;
    assert_eq!(res.status, 503);
    assert_eq!(res.json(), json!({"error": "closed"}));
    assert_eq!(res.header("x-seen-path"), Some("/things"));
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_hook_error_keeps_its_status_and_anything_else_is_a_500() {
    let mut b = builder();
    let mut refusing = LifecycleHooks::default();
    refusing.pre_handler.push(request_hook(|_r| async {
        Err(SpikardError::Http {
            status: 403,
            detail: "not yours".into(),
        })
    }));
    b.route_with_hooks(spec(json!({"method": "GET", "path": "/refuse"})), arc(Echo), &refusing)
        .unwrap();
    let mut failing = LifecycleHooks::default();
    failing.on_request.push(request_hook(|_r| async {
        Err(SpikardError::Internal("secret cause".into()))
    }));
    b.route_with_hooks(spec(json!({"method": "GET", "path": "/fail"})), arc(Echo), &failing)
        .unwrap();
    let mut panicking = LifecycleHooks::default();
    panicking
        .on_response
        .push(response_hook(|_r: HandlerResponse, _q: &HookRequest| {
            if true {
                panic!("hook exploded");
            }
            async { Err(SpikardError::Internal("unreachable".into())) }
        }));
    b.route_with_hooks(spec(json!({"method": "GET", "path": "/panic"})), arc(Echo), &panicking)
        .unwrap();
    let client = TestClient::new(b.build().unwrap());

    let res = client.get("/refuse").send().await;
    assert_eq!(res.status, 403);
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/forbidden", "title": "Forbidden", "status": 403, "detail": "not yours"})
    );
    let internal = json!({"type": "https://spikard.dev/errors/internal-server-error",
        "title": "Internal Server Error", "status": 500, "detail": "Internal server error"});
    for path in ["/fail", "/panic"] {
        let res = client.get(path).send().await;
        assert_eq!(res.status, 500, "{path}");
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert_eq!(res.json(), internal, "{path}");
    }
    // The server keeps serving after a panicking hook.
    assert_eq!(client.get("/refuse").send().await.status, 403);
}

#[tokio::test]
async fn request_hooks_add_response_headers_and_response_hooks_change_responses() {
    let mut hooks = LifecycleHooks::default();
    hooks.on_request.push(request_hook(|mut r: RequestData| async move {
        reply_header(
            &mut r,
            HeaderName::from_static("x-trace"),
            HeaderValue::from_static("t-1"),
        );
        r.state.insert("user".into(), "ada".into());
        Ok(HookFlow::Continue(r))
    }));
    hooks
        .on_response
        .push(response_hook(|mut r: HandlerResponse, q: &HookRequest| {
            let user = q.state.get("user").cloned().unwrap_or(Value::Null);
            r.status = StatusCode::ACCEPTED;
            async move {
                r.try_header("x-user", user.as_str().unwrap_or("-"))
                    .map_err(SpikardError::Internal)
            }
        }));
    let mut b = builder();
    b.route_with_hooks(spec(json!({"method": "GET", "path": "/me"})), arc(State), &hooks)
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/me").send().await;
    assert_eq!(res.status, 202);
    assert_eq!(res.header("x-trace"), Some("t-1"));
    assert_eq!(res.header("x-user"), Some("ada"));
    assert_eq!(res.json(), json!({"user": "ada"}));
}

#[tokio::test]
async fn app_hooks_see_404_and_405_answers() {
    let mut b = builder();
    b.hooks_mut()
        .on_error
        .push(response_hook(|r: HandlerResponse, _q: &HookRequest| {
            let r = r.try_header("x-hooked", "yes").map_err(SpikardError::Internal);
            async move { r }
        }));
    b.route(spec(json!({"method": "GET", "path": "/only-get"})), arc(Echo))
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/nowhere").send().await;
    assert_eq!(res.status, 404);
    assert_eq!(res.header("x-hooked"), Some("yes"));
    let res = client.post("/only-get").send().await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("x-hooked"), Some("yes"));
}

#[tokio::test]
async fn an_early_answer_keeps_headers_and_state_of_earlier_phases() {
    let mut hooks = LifecycleHooks::default();
    hooks.on_request.push(request_hook(|mut r: RequestData| async move {
        reply_header(
            &mut r,
            HeaderName::from_static("x-request-id"),
            HeaderValue::from_static("r-1"),
        );
        r.state.insert("phase".into(), "on_request".into());
        Ok(HookFlow::Continue(r))
    }));
    hooks.pre_handler.push(request_hook(|_r| async {
        Ok(HookFlow::Respond(
            HandlerResponse::text("stop").with_status(StatusCode::TOO_MANY_REQUESTS),
        ))
    }));
    hooks
        .on_error
        .push(response_hook(|r: HandlerResponse, q: &HookRequest| {
            let phase = q
                .state
                .get("phase")
                .and_then(Value::as_str)
                .unwrap_or("none")
                .to_owned();
            async move { r.try_header("x-phase", &phase).map_err(SpikardError::Internal) }
        }));
    let mut b = builder();
    b.route_with_hooks(spec(json!({"method": "GET", "path": "/x"})), arc(Echo), &hooks)
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/x").send().await;
    assert_eq!(res.status, 429);
    assert_eq!(res.text(), "stop");
    assert_eq!(res.header("x-request-id"), Some("r-1"));
    assert_eq!(res.header("x-phase"), Some("on_request"));
}
