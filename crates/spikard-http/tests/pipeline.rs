//! The request pipeline through the in-memory test client.

mod common;

use common::{arc, builder, spec, Echo, Panics};
use serde_json::json;
use spikard_core::config::ServerConfig;
use spikard_http::{PipelineBuilder, TestClient};

fn client() -> TestClient {
    let mut b = builder();
    b.route(spec(json!({"method": "GET", "path": "/items/{id:int}"})), arc(Echo))
        .unwrap();
    b.route(spec(json!({"method": "DELETE", "path": "/items/{id:int}"})), arc(Echo))
        .unwrap();
    b.route(
        spec(
            json!({"method": "POST", "path": "/items", "body_schema": {"type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}}}}),
        ),
        arc(Echo),
    )
    .unwrap();
    b.route(spec(json!({"method": "GET", "path": "/boom"})), arc(Panics))
        .unwrap();
    b.route(spec(json!({"method": "GET", "path": "/files/{rest:path}"})), arc(Echo))
        .unwrap();
    TestClient::new(b.build().unwrap())
}

#[tokio::test]
async fn typed_path_params_reach_the_handler_coerced() {
    let res = client().get("/items/42").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["path"], json!({"id": 42}));
    let res = client().get("/files/a/b%20c.txt").send().await;
    assert_eq!(res.json()["path"], json!({"rest": "a/b c.txt"}));
}

#[tokio::test]
async fn not_found_and_method_not_allowed_are_problems() {
    let c = client();
    let res = c.get("/nope?x=1").send().await;
    assert_eq!(res.status, 404);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/not-found", "title": "Not Found", "status": 404,
            "detail": "No route matches GET /nope"})
    );
    let res = c.request("PUT", "/items/1").send().await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), Some("GET, HEAD, DELETE"));
    assert_eq!(res.json()["detail"], json!("Method PUT is not allowed for /items/1"));
}

#[tokio::test]
async fn head_answers_get_routes_without_a_body() {
    let res = client().request("HEAD", "/items/3").send().await;
    assert_eq!(res.status, 200);
    assert!(res.body.is_empty());
}

#[tokio::test]
async fn a_panicking_handler_gives_500_and_the_pipeline_keeps_serving() {
    let c = client();
    let res = c.get("/boom").send().await;
    assert_eq!(res.status, 500);
    assert_eq!(
        res.json()["type"],
        json!("https://spikard.dev/errors/internal-server-error")
    );
    assert_eq!(res.json()["detail"], json!("Internal server error"));
    assert_eq!(c.get("/items/1").send().await.status, 200);
}

#[tokio::test]
async fn malformed_and_mismatched_bodies_are_400() {
    let c = client();
    let res = c
        .post("/items")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.json()["type"], json!("https://spikard.dev/errors/malformed-json"));
    let res = c
        .post("/items")
        .header("content-type", "application/json")
        .header("content-length", "50")
        .body("{}")
        .send()
        .await;
    assert_eq!(res.status, 400);
    assert!(res.json()["detail"].as_str().unwrap().contains("Content-Length"));
    let res = c.get("/items/%zz").send().await;
    assert_eq!(res.status, 400);
    let res = c
        .post("/items")
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await;
    assert_eq!(res.status, 415);
}

#[tokio::test]
async fn missing_body_is_a_validation_error() {
    let res = client().post("/items").send().await;
    assert_eq!(res.status, 422);
    assert_eq!(
        res.json()["errors"],
        json!([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": null}])
    );
}

#[tokio::test]
async fn an_optional_body_may_be_left_out_but_is_validated_when_sent() {
    let mut b = builder();
    b.route(
        spec(json!({"method": "PATCH", "path": "/items", "body_optional": true,
            "body_schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}})),
        arc(Echo),
    )
    .unwrap();
    let c = TestClient::new(b.build().unwrap());
    let res = c.request("PATCH", "/items").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["body"], json!(null));
    let res = c.request("PATCH", "/items").json(&json!({"other": 1})).send().await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json()["errors"][0]["type"], json!("missing"));
    let res = c.request("PATCH", "/items").json(&json!({"name": "x"})).send().await;
    assert_eq!(res.json()["body"], json!({"name": "x"}));
}

#[tokio::test]
async fn size_limits_answer_413_414_431() {
    let config = ServerConfig {
        max_body_size: 16,
        max_uri_length: 64,
        max_header_size: 256,
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "POST", "path": "/u"})), arc(Echo))
        .unwrap();
    let c = TestClient::new(b.build().unwrap());
    assert_eq!(c.post("/u").body(vec![b'x'; 17]).send().await.status, 413);
    assert_eq!(c.post("/u").body(vec![b'x'; 16]).send().await.status, 200);
    let long = format!("/u?q={}", "a".repeat(100));
    let res = c.post(&long).send().await;
    assert_eq!(res.status, 414);
    assert_eq!(res.json()["type"], json!("https://spikard.dev/errors/uri-too-long"));
    let res = c.post("/u").header("x-big", &"b".repeat(300)).send().await;
    assert_eq!(res.status, 431);
}

#[tokio::test]
async fn params_and_body_errors_are_reported_together() {
    let mut b = builder();
    b.route(
        spec(json!({"method": "POST", "path": "/p/{id:int}",
            "parameters": {"query": {"limit": {"type": "integer", "maximum": 10}}, "headers": {"X-Key": {"type": "string"}}},
            "body_schema": {"type": "object", "properties": {"n": {"type": "integer"}}}})),
        arc(Echo),
    )
    .unwrap();
    let res = TestClient::new(b.build().unwrap())
        .post("/p/x?limit=20")
        .json(&json!({"n": "z"}))
        .send()
        .await;
    assert_eq!(res.status, 422);
    let body = res.json();
    let types: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["int_parsing", "less_than_equal", "missing", "int_parsing"]);
    assert_eq!(body["detail"], json!("4 validation errors in request"));
}

#[test]
fn conflicting_routes_are_refused_naming_both() {
    let mut b = builder();
    b.route(spec(json!({"method": "GET", "path": "/u/{id:int}"})), arc(Echo))
        .unwrap();
    let err = match b.route(spec(json!({"method": "GET", "path": "/u/{name}"})), arc(Echo)) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("conflict accepted"),
    };
    assert!(err.contains("/u/{id:int}") && err.contains("/u/{name}"), "{err}");
}

/// An application error carrying response headers and extension members.
struct Refuses;

impl spikard_http::Handler for Refuses {
    fn call(&self, _request: spikard_http::RequestData) -> spikard_http::BoxFuture<spikard_http::HandlerResult> {
        let problem = spikard_core::HttpProblem::new(401, "Token expired")
            .header("WWW-Authenticate", r#"Bearer error="invalid_token""#)
            .header("x-trace", "a")
            .header("x-trace", "b")
            .header("bad header", "dropped")
            .extension("hint", json!("log in again"));
        Box::pin(std::future::ready(Err(problem.into())))
    }
}

#[tokio::test]
async fn application_problems_send_their_headers_and_extension_members() {
    let mut b = builder();
    b.route(spec(json!({"method": "GET", "path": "/me"})), arc(Refuses))
        .unwrap();
    let res = TestClient::new(b.build().unwrap()).get("/me").send().await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(res.header("www-authenticate"), Some(r#"Bearer error="invalid_token""#));
    let traces: Vec<_> = res.headers.get_all("x-trace").iter().collect();
    assert_eq!(traces, ["a", "b"]);
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/unauthorized", "title": "Unauthorized", "status": 401,
            "detail": "Token expired", "hint": "log in again"})
    );
}

/// Answers with the raw target and body it was handed.
struct Raw;

impl spikard_http::Handler for Raw {
    fn call(&self, r: spikard_http::RequestData) -> spikard_http::BoxFuture<spikard_http::HandlerResult> {
        Box::pin(async move {
            let target = r.extensions.get::<spikard_http::RawTarget>().cloned();
            Ok(spikard_http::HandlerResponse::json(json!({
                "path": target.as_ref().map(|t| t.path().to_owned()),
                "query": target.as_ref().and_then(|t| t.query().map(str::to_owned)),
                "version": target.map(|t| format!("{:?}", t.version)),
                "body": String::from_utf8_lossy(&r.raw_body), "decoded": r.body,
            })))
        })
    }
}

#[tokio::test]
async fn a_raw_request_reaches_its_handler_as_received() {
    let mut b = builder();
    b.route(
        spec(json!({"method": "POST", "path": "/legacy/{rest:path}", "raw_request": true})),
        arc(Raw),
    )
    .unwrap();
    b.route(spec(json!({"method": "POST", "path": "/plain"})), arc(Raw))
        .unwrap();
    let c = TestClient::new(b.build().unwrap());
    let res = c
        .post("/legacy/a%20b?x=%zz&y=1+2")
        .header("content-type", "application/json")
        .body("{\"broken\": ")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        json!({"path": "/legacy/a%20b", "query": "x=%zz&y=1+2", "version": "HTTP/1.1",
            "body": "{\"broken\": ", "decoded": null})
    );
    // Other routes decode (and refuse) as before, and carry no raw target.
    let res = c
        .post("/plain")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await;
    assert_eq!(res.json()["path"], json!(null));
    assert_eq!(res.json()["decoded"], json!({}));
    let res = c.post("/plain?x=%zz").send().await;
    assert_eq!(res.status, 400);
}

#[test]
fn a_raw_request_declares_no_body() {
    let mut b = builder();
    let err = b
        .route(
            spec(json!({"method": "POST", "path": "/x", "raw_request": true, "body_schema": {"type": "object"}})),
            arc(Raw),
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("raw_request"), "{err}");
}
