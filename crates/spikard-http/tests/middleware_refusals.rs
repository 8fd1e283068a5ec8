//! Security refusals of the built-in middleware, each asserting the exact response:
//! CORS misconfiguration and refused preflights, spoofed X-Forwarded-For, rate
//! limits, oversize bodies, deadlines, and request IDs on early problems.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use common::{arc, builder, spec, Echo, Slow};
use http::Request;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use spikard_core::config::{CorsConfig, RateLimitConfig, ServerConfig};
use spikard_http::{
    BoxFuture, Handler, HandlerResponse, HandlerResult, Pipeline, PipelineBuilder, RequestData, TestClient,
};

/// Answers with the client IP the core worked out.
struct ClientIp;

impl Handler for ClientIp {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move { Ok(HandlerResponse::json(json!({ "client_ip": r.client_ip }))) })
    }
}

fn problem(code: &str, title: &str, status: u16, detail: &str) -> Value {
    json!({"type": format!("https://spikard.dev/errors/{code}"), "title": title, "status": status, "detail": detail})
}

fn problem_body(res: &spikard_http::TestResponse) -> Value {
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    res.json()
}

/// Send a request as if it came from `peer` over a socket.
async fn from_peer(pipeline: &Pipeline, peer: &str, forwarded_for: Option<&str>) -> (u16, Option<String>, Value) {
    let mut req = Request::builder().uri("/ip");
    if let Some(xff) = forwarded_for {
        req = req.header("x-forwarded-for", xff);
    }
    let mut req = req.body(Body::empty()).unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = pipeline.handle(req).await;
    let status = res.status().as_u16();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, retry, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn limited(trusted: &[&str]) -> Pipeline {
    let config = ServerConfig {
        trusted_proxies: trusted.iter().map(|s| (*s).to_owned()).collect(),
        rate_limit: Some(RateLimitConfig {
            per_second: 0.1,
            burst: 1,
            per_ip: true,
            global: false,
        }),
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/ip"})), Arc::new(ClientIp))
        .unwrap();
    b.build().unwrap()
}

#[tokio::test]
async fn spoofed_forwarded_for_from_an_untrusted_peer_is_not_believed() {
    let pipeline = limited(&[]);
    let (status, _, body) = from_peer(&pipeline, "203.0.113.5", Some("198.51.100.1")).await;
    assert_eq!((status, body), (200, json!({"client_ip": "203.0.113.5"})));
    // A new forwarded address does not buy the same peer a fresh bucket.
    let (status, retry, body) = from_peer(&pipeline, "203.0.113.5", Some("198.51.100.2")).await;
    assert_eq!(status, 429);
    assert_eq!(retry.as_deref(), Some("10"));
    assert_eq!(
        body,
        problem(
            "too-many-requests",
            "Too Many Requests",
            429,
            "Rate limit exceeded; retry after 10 seconds"
        )
    );
    // Another peer has its own bucket.
    let (status, _, _) = from_peer(&pipeline, "203.0.113.6", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let pipeline = limited(&["10.0.0.0/8"]);
    let (status, _, body) = from_peer(&pipeline, "10.0.0.1", Some("198.51.100.1")).await;
    assert_eq!((status, body), (200, json!({"client_ip": "198.51.100.1"})));
    let (status, _, body) = from_peer(&pipeline, "10.0.0.1", Some("198.51.100.2")).await;
    assert_eq!((status, body), (200, json!({"client_ip": "198.51.100.2"})));
    let (status, retry, _) = from_peer(&pipeline, "10.0.0.1", Some("198.51.100.1")).await;
    assert_eq!((status, retry.as_deref()), (429, Some("10")));
}

#[test]
fn cors_credentials_with_wildcard_are_refused_at_build() {
    let cors = CorsConfig {
        allowed_origins: vec!["*".into()],
        allow_credentials: true,
        ..Default::default()
    };
    let message =
        "cors: allow_credentials cannot be combined with the '*' origin (browsers refuse it; list the origins)";
    let mut b = builder();
    let mut route = spec(json!({"method": "GET", "path": "/me"}));
    route.middleware.cors = Some(cors.clone());
    let err = b.route(route, arc(Echo)).err().expect("route refused");
    assert_eq!(err.to_string(), format!("GET /me: {message}"));
    let server = PipelineBuilder::new(ServerConfig {
        cors: Some(cors),
        ..Default::default()
    });
    let err = server.build().err().expect("server refused");
    assert_eq!(err.to_string(), message);
}

fn cors_client() -> TestClient {
    let mut b = builder();
    let mut route = spec(json!({"method": "PUT", "path": "/docs/{id}"}));
    route.middleware.cors = Some(CorsConfig {
        allowed_origins: vec!["https://app.example.com".into()],
        allowed_methods: vec!["GET".into(), "PUT".into()],
        allowed_headers: vec!["content-type".into()],
        allow_credentials: true,
        ..Default::default()
    });
    b.route(route, arc(Echo)).unwrap();
    TestClient::new(b.build().unwrap())
}

#[tokio::test]
async fn disallowed_preflights_get_the_exact_problem() {
    let client = cors_client();
    let cases = [
        (
            "https://evil.example",
            "PUT",
            "content-type",
            "Origin 'https://evil.example' is not allowed",
        ),
        (
            "https://app.example.com",
            "PUT",
            "x-admin",
            "Header 'x-admin' is not allowed",
        ),
    ];
    for (origin, method, headers, detail) in cases {
        let res = client
            .request("OPTIONS", "/docs/1")
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
            .send()
            .await;
        assert_eq!(res.status, 403);
        assert_eq!(res.header("access-control-allow-origin"), None);
        assert_eq!(
            problem_body(&res),
            problem("forbidden", "CORS Request Refused", 403, detail)
        );
    }
    // A method the path does not have is judged by the CORS settings of a route it has.
    let res = client
        .request("OPTIONS", "/docs/1")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "DELETE")
        .send()
        .await;
    assert_eq!(res.status, 403);
    assert_eq!(
        problem_body(&res),
        problem(
            "forbidden",
            "CORS Request Refused",
            403,
            "Method 'DELETE' is not allowed"
        )
    );
    // A path without CORS: the preflight is a plain OPTIONS request (405 with Allow).
    let mut b = builder();
    b.route(spec(json!({"method": "POST", "path": "/plain"})), arc(Echo))
        .unwrap();
    let res = TestClient::new(b.build().unwrap())
        .request("OPTIONS", "/plain")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!((res.status, res.header("allow")), (405, Some("POST")));
    assert_eq!(res.header("access-control-allow-origin"), None);
    let ok = client
        .request("OPTIONS", "/docs/1")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "PUT")
        .send()
        .await;
    assert_eq!(ok.status, 204);
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(ok.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(ok.header("access-control-allow-methods"), Some("GET, PUT"));
    assert!(ok.body.is_empty());
}

#[tokio::test]
async fn oversize_bodies_get_413_before_the_handler() {
    let mut b = builder();
    let mut route = spec(json!({"method": "POST", "path": "/upload", "body_schema": {"type": "object"}}));
    route.middleware.body_limit = Some(spikard_core::config::BodyLimitConfig { max_bytes: 16 });
    b.route(route, arc(Echo)).unwrap();
    let client = TestClient::new(b.build().unwrap());
    let expected = problem(
        "payload-too-large",
        "Payload Too Large",
        413,
        "Request body size exceeds maximum allowed size of 16 bytes",
    );
    let res = client
        .post("/upload")
        .json(&json!({"data": "0123456789abcdef"}))
        .send()
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(problem_body(&res), expected);
    let ok = client.post("/upload").json(&json!({"a": 1})).send().await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn slow_handlers_get_408() {
    let mut b = builder();
    let mut route = spec(json!({"method": "GET", "path": "/slow"}));
    route.middleware.request_timeout = Some(spikard_core::config::RequestTimeoutConfig { seconds: 0.05 });
    b.route(route, arc(Slow(5_000))).unwrap();
    let res = TestClient::new(b.build().unwrap()).get("/slow").send().await;
    assert_eq!(res.status, 408);
    assert_eq!(
        problem_body(&res),
        problem(
            "request-timeout",
            "Request Timeout",
            408,
            "Request did not complete within 0.05 seconds"
        )
    );
}

#[tokio::test]
async fn request_ids_are_echoed_on_early_problems() {
    let config = ServerConfig {
        request_id: Some(Default::default()),
        max_uri_length: 64,
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/a"})), arc(Echo))
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/nope").header("x-request-id", "trace-404").send().await;
    assert_eq!((res.status, res.header("x-request-id")), (404, Some("trace-404")));
    let long = format!("/{}", "a".repeat(100));
    let res = client.get(&long).header("x-request-id", "trace-414").send().await;
    assert_eq!((res.status, res.header("x-request-id")), (414, Some("trace-414")));
    let res = client.get("/a").send().await;
    let id = res.header("x-request-id").expect("generated id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[test]
fn an_invalid_deadline_is_refused_at_registration() {
    for seconds in [-1.0, f64::INFINITY, f64::NAN] {
        let mut route = spec(json!({"method": "GET", "path": "/t"}));
        route.middleware.request_timeout = Some(spikard_core::config::RequestTimeoutConfig { seconds });
        let err = builder().route(route, arc(Echo)).err().expect("refused");
        assert_eq!(
            err.to_string(),
            format!("GET /t: request_timeout.seconds must be a finite number of seconds >= 0 (got {seconds})")
        );
    }
}

#[tokio::test]
async fn the_server_wide_limit_is_shared_by_routes_and_a_route_limit_is_its_own() {
    let config = ServerConfig {
        rate_limit: Some(RateLimitConfig {
            per_second: 0.1,
            burst: 2,
            per_ip: true,
            global: false,
        }),
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/a"})), arc(Echo))
        .unwrap();
    b.route(spec(json!({"method": "GET", "path": "/b"})), arc(Echo))
        .unwrap();
    let mut own = spec(json!({"method": "GET", "path": "/own"}));
    own.middleware.rate_limit = Some(RateLimitConfig {
        per_second: 0.1,
        burst: 1,
        per_ip: true,
        global: false,
    });
    b.route(own, arc(Echo)).unwrap();
    let client = TestClient::new(b.build().unwrap());
    assert_eq!(client.get("/a").send().await.status, 200);
    assert_eq!(client.get("/b").send().await.status, 200);
    let third = client.get("/a").send().await;
    assert_eq!((third.status, third.header("retry-after")), (429, Some("10")));
    // 404s draw from the same server-wide bucket.
    assert_eq!(client.get("/missing").send().await.status, 429);
    assert_eq!(client.get("/own").send().await.status, 200);
    assert_eq!(client.get("/own").send().await.status, 429);
}
