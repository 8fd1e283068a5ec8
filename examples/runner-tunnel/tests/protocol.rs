//! The protocol through Spikard's in-memory client: envelopes, codes, auth, allow-list,
//! events, discovery, and Spikard's middleware (CORS, compression, deadline, body limit)
//! answered in the protocol's dialect.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{call, client, client_with, config, TOKEN};
use runner_tunnel::{demo, Exposure, Output, Registry, TaskError, Value};
use spikard::{get, App, CorsConfig, Ctx};

#[tokio::test]
async fn a_task_answers_in_the_success_envelope() {
    let c = client();
    let res = call(&c, "/task/app.tasks.add", r#"{"input":{"a":2,"b":3.5}}"#).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(res.text(), r#"{"ok":true,"result":5.5}"#);
    assert!(res.header("x-runner-request-id").is_some_and(|id| !id.is_empty()));
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn typed_values_round_trip_exactly() {
    let c = client();
    let input = r#"{"d":{"__type":"Date","value":"2024-02-29T12:34:56.789Z"},"r":{"__type":"RegExp","value":{"pattern":"^a$","flags":"gi"}},"m":{"__type":"Map","value":[["k",{"__type":"BigInt","value":"123456789012345678901234567890"}]]},"b":{"__type":"Uint8Array","value":[0,255]},"u":{"__type":"Undefined","value":null},"n":{"__type":"NonFiniteNumber","value":"-Infinity"},"$runner.escape::__type":"x"}"#;
    let res = call(&c, "/task/app.tasks.echo", &format!(r#"{{"input":{input}}}"#)).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.text(), format!(r#"{{"ok":true,"result":{input}}}"#));
}

#[tokio::test]
async fn a_body_without_an_input_member_is_the_input_and_an_empty_one_is_undefined() {
    let c = client();
    let res = call(&c, "/task/app.tasks.echo", r#"{"a":1}"#).await;
    assert_eq!(res.text(), r#"{"ok":true,"result":{"a":1}}"#);
    let res = call(&c, "/task/app.tasks.echo", "").await;
    assert_eq!(
        res.text(),
        r#"{"ok":true,"result":{"__type":"Undefined","value":null}}"#
    );
}

#[tokio::test]
async fn failures_answer_the_error_envelope_with_their_codes() {
    let c = client();
    let cases = [
        (
            "/task/app.tasks.add",
            "{bad json",
            400,
            r#"{"ok":false,"error":{"message":"Invalid JSON body","code":"INVALID_JSON"}}"#,
        ),
        (
            "/task/app.tasks.echo",
            r#"{"input":{"__type":"Nope","value":1}}"#,
            400,
            r#"{"ok":false,"error":{"message":"Invalid JSON body","code":"INVALID_JSON"}}"#,
        ),
        (
            "/task/app.tasks.nope",
            "{}",
            403,
            r#"{"ok":false,"error":{"message":"Task app.tasks.nope not exposed","code":"FORBIDDEN"}}"#,
        ),
        (
            "/task/app.tasks.secret",
            "{}",
            403,
            r#"{"ok":false,"error":{"message":"Task app.tasks.secret not exposed","code":"FORBIDDEN"}}"#,
        ),
        (
            "/event/app.events.nope",
            "{}",
            403,
            r#"{"ok":false,"error":{"message":"Event app.events.nope not exposed","code":"FORBIDDEN"}}"#,
        ),
        (
            "/task/app.tasks.crash",
            "{}",
            500,
            r#"{"ok":false,"error":{"message":"Internal Error","code":"INTERNAL_ERROR"}}"#,
        ),
        (
            "/task/app.tasks.fail",
            r#"{"input":{"balance":1,"amount":5}}"#,
            409,
            r#"{"ok":false,"error":{"message":"Cannot withdraw 5: balance is 1","code":"INTERNAL_ERROR","id":"app.errors.Overdraft","data":{"balance":1,"amount":5},"httpCode":409}}"#,
        ),
        (
            "/task/app.tasks.add",
            r#"{"input":{"a":"x","b":1}}"#,
            400,
            r#"{"ok":false,"error":{"message":"Invalid input: a must be a number","code":"INTERNAL_ERROR","id":"app.errors.InvalidInput","data":{"field":"a","reason":"expected a number"},"httpCode":400}}"#,
        ),
    ];
    for (path, body, status, envelope) in cases {
        let res = call(&c, path, body).await;
        assert_eq!((res.status, res.text().as_str()), (status, envelope), "{path} {body}");
    }
}

#[tokio::test]
async fn an_exposed_id_that_is_not_registered_is_not_found() {
    let exposure = Exposure::listed(["app.tasks.ghost"], ["app.events.ghost"]);
    let c = client_with(Registry::new(), runner_tunnel::TunnelConfig { exposure, ..config() });
    let res = call(&c, "/task/app.tasks.ghost", "{}").await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            404,
            r#"{"ok":false,"error":{"message":"Task app.tasks.ghost not found","code":"NOT_FOUND"}}"#
        )
    );
    let res = call(&c, "/event/app.events.ghost", "{}").await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            404,
            r#"{"ok":false,"error":{"message":"Event app.events.ghost not found","code":"NOT_FOUND"}}"#
        )
    );
}

#[tokio::test]
async fn auth_is_spikards_api_key_middleware_answered_in_the_envelope() {
    let c = client();
    for token in [None, Some("wrong")] {
        let mut req = c
            .post("/__runner/task/app.tasks.add")
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("x-runner-token", t);
        }
        let res = req.body(r#"{"input":{"a":1,"b":1}}"#).send().await;
        assert_eq!(res.status, 401);
        assert_eq!(
            res.text(),
            r#"{"ok":false,"error":{"message":"Unauthorized","code":"UNAUTHORIZED"}}"#
        );
        assert_eq!(res.header("content-type"), Some("application/json; charset=utf-8"));
        assert!(res.header("www-authenticate").is_some());
    }
    // Neither the query string nor the discovery document lets anyone in.
    let res = c.get("/__runner/discovery?api_key=test-token").send().await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn events_fire_and_forget_or_return_the_final_payload() {
    let c = client();
    let res = call(&c, "/event/app.events.log", r#"{"payload":{"n":1}}"#).await;
    assert_eq!(res.text(), r#"{"ok":true}"#);
    let res = call(
        &c,
        "/event/app.events.log",
        r#"{"payload":{"n":2},"returnPayload":true}"#,
    )
    .await;
    assert_eq!(res.text(), r#"{"ok":true,"result":{"n":2,"logged":true}}"#);
    let res = call(
        &c,
        "/event/app.events.parallel",
        r#"{"payload":1,"returnPayload":true}"#,
    )
    .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["error"]["code"], "PARALLEL_EVENT_RETURN_UNSUPPORTED");
    let stats = call(&c, "/task/app.tasks.stats", "{}").await;
    assert_eq!(
        stats.json()["result"]["logged"],
        serde_json::json!([{"n": 1}, {"n": 2}])
    );
}

#[tokio::test]
async fn discovery_lists_the_allow_list() {
    let c = client();
    let res = c
        .get("/__runner/discovery")
        .header("x-runner-token", TOKEN)
        .send()
        .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["allowList"]["enabled"], true);
    assert_eq!(
        body["result"]["allowList"]["tasks"].as_array().map(Vec::len),
        Some(demo::TASKS.len())
    );
    assert_eq!(body["result"]["allowList"]["events"], serde_json::json!(demo::EVENTS));
}

#[tokio::test]
async fn routing_refusals_under_the_base_path_are_envelopes_and_other_routes_are_untouched() {
    let mut app = App::new();
    app.route(get("/health").handler(|_ctx: Ctx| async { "ok" })).unwrap();
    runner_tunnel::mount(&mut app, demo::registry(), config()).unwrap();
    let c = app.test_client();
    let res = c
        .get("/__runner/task/app.tasks.add")
        .header("x-runner-token", TOKEN)
        .send()
        .await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            405,
            r#"{"ok":false,"error":{"message":"Method Not Allowed","code":"METHOD_NOT_ALLOWED"}}"#
        )
    );
    let res = c.post("/__runner/elsewhere").send().await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            404,
            r#"{"ok":false,"error":{"message":"Not Found","code":"NOT_FOUND"}}"#
        )
    );
    let res = c.get("/nowhere").send().await;
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(c.get("/health").send().await.text(), "ok");
}

#[tokio::test]
async fn body_limits_are_spikards_and_the_json_limit_the_references() {
    let mut cfg = config();
    cfg.json_max_size = 64;
    cfg.max_body_size = 1024;
    let c = client_with(demo::registry(), cfg);
    let big = format!(r#"{{"input":"{}"}}"#, "x".repeat(100));
    let res = call(&c, "/task/app.tasks.echo", &big).await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            413,
            r#"{"ok":false,"error":{"message":"Payload too large","code":"PAYLOAD_TOO_LARGE"}}"#
        )
    );
    // Over the route's own limit, refused by Spikard from Content-Length before the task.
    let res = c
        .post("/__runner/task/app.tasks.count")
        .header("x-runner-token", TOKEN)
        .header("content-type", "application/octet-stream")
        .header("content-length", "2000")
        .body(vec![b'a'; 2000])
        .send()
        .await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            413,
            r#"{"ok":false,"error":{"message":"Payload too large","code":"PAYLOAD_TOO_LARGE"}}"#
        )
    );
}

#[tokio::test]
async fn cors_and_compression_are_spikards() {
    let mut cfg = config();
    cfg.cors = Some(CorsConfig {
        allowed_origins: vec!["https://app.example".into()],
        allowed_methods: vec!["POST".into()],
        allowed_headers: vec!["content-type".into(), "x-runner-token".into()],
        ..Default::default()
    });
    let c = client_with(demo::registry(), cfg);
    let preflight = c
        .request("OPTIONS", "/__runner/task/app.tasks.add")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-runner-token")
        .send()
        .await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let big = format!(r#"{{"input":"{}"}}"#, "abc".repeat(2000));
    let res = c
        .post("/__runner/task/app.tasks.echo")
        .header("origin", "https://app.example")
        .header("accept-encoding", "gzip")
        .header("x-runner-token", TOKEN)
        .body(big)
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert!(res.raw_body.len() < res.body.len() / 10);
    assert_eq!(res.json()["result"], "abc".repeat(2000));
}

#[tokio::test]
async fn a_deadline_answers_408_and_the_task_sees_the_cancellation() {
    let saw_cancel = Arc::new(AtomicBool::new(false));
    let seen = saw_cancel.clone();
    let mut registry = Registry::new();
    registry.task("app.tasks.wait", move |_input, ctx| {
        let seen = seen.clone();
        async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(10)) => Ok(Output::from(Value::from("late"))),
                () = ctx.cancelled() => {
                    seen.store(true, Ordering::SeqCst);
                    Err(TaskError::Cancelled)
                }
            }
        }
    });
    let mut cfg = runner_tunnel::TunnelConfig::new(runner_tunnel::Auth::Anonymous, Exposure::Open);
    cfg.request_timeout = Some(Duration::from_millis(100));
    let c = client_with(registry, cfg);
    let res = c.post("/__runner/task/app.tasks.wait").body("{}").send().await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            408,
            r#"{"ok":false,"error":{"message":"Request Timeout","code":"REQUEST_TIMEOUT"}}"#
        )
    );
    for _ in 0..50 {
        if saw_cancel.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(saw_cancel.load(Ordering::SeqCst), "the task saw the cancellation");
}

#[tokio::test]
async fn an_open_exposure_serves_every_registered_id_and_reports_no_list() {
    let c = client_with(
        demo::registry(),
        runner_tunnel::TunnelConfig::new(runner_tunnel::Auth::Anonymous, Exposure::Open),
    );
    let res = c.post("/__runner/task/app.tasks.secret").body("{}").send().await;
    assert_eq!(res.text(), r#"{"ok":true,"result":"classified"}"#);
    let res = c.get("/__runner/discovery").send().await;
    assert_eq!(
        res.json()["result"]["allowList"],
        serde_json::json!({"enabled": false, "tasks": [], "events": []})
    );
}

#[tokio::test]
async fn a_panicking_task_answers_500_and_the_server_keeps_serving() {
    let mut registry = demo::registry();
    registry.task("app.tasks.add", |_input, _ctx| async move {
        if true {
            panic!("task bug");
        }
        Ok(Output::from(Value::Null))
    });
    let c = client_with(registry, config());
    let res = call(&c, "/task/app.tasks.add", "{}").await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            500,
            r#"{"ok":false,"error":{"message":"Internal Error","code":"INTERNAL_ERROR"}}"#
        )
    );
    let res = call(&c, "/task/app.tasks.echo", r#"{"input":1}"#).await;
    assert_eq!(res.text(), r#"{"ok":true,"result":1}"#);
}

#[tokio::test]
async fn bytes_that_are_not_utf8_json_are_invalid_json() {
    let c = client();
    let res = c
        .post("/__runner/task/app.tasks.echo")
        .header("x-runner-token", TOKEN)
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await;
    assert_eq!(
        (res.status, res.text().as_str()),
        (
            400,
            r#"{"ok":false,"error":{"message":"Invalid JSON body","code":"INVALID_JSON"}}"#
        )
    );
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let res = call(&c, "/task/app.tasks.echo", &deep).await;
    assert_eq!(res.status, 400);
}
