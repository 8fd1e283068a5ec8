//! Request logging end to end: the real log lines of requests through the
//! pipeline carry method, route pattern, status, duration and request ID, and
//! never the values of sensitive headers (at debug level headers are logged,
//! redacted). The only test here installs a global subscriber.

mod common;

use common::{arc, spec, Captured, Echo};
use serde_json::json;
use spikard_core::config::{ApiKeyConfig, RequestIdConfig, ServerConfig};
use spikard_http::{PipelineBuilder, TestClient};

#[tokio::test]
async fn request_lines_without_secrets() {
    let capture = Captured::install(tracing::Level::DEBUG);

    let config = ServerConfig {
        request_id: Some(RequestIdConfig::default()),
        api_key_auth: Some(ApiKeyConfig {
            keys: vec!["top-secret-service-key".into()],
            header_name: "X-Service-Token".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/items/{id:int}"})), arc(Echo))
        .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client
        .get("/items/7")
        .header("x-request-id", "trace-1")
        .header("x-service-token", "top-secret-service-key")
        .header("authorization", "Bearer top-secret-jwt")
        .header("cookie", "session=top-secret-cookie")
        .header("x-api-key", "top-secret-api-key")
        .header("accept", "application/json")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text());

    let log = capture.text();
    assert!(!log.contains("top-secret"), "{log}");
    assert!(
        log.contains(r#"request received method=GET path=/items/7 headers=x-request-id: "trace-1", x-service-token: "[redacted]", authorization: "[redacted]", cookie: "[redacted]", x-api-key: "[redacted]", accept: "application/json""#),
        "{log}"
    );
    assert!(
        log.contains(r#"request completed method=GET route="/items/{id:int}" status=200 duration_ms="#),
        "{log}"
    );
    assert!(log.contains(r#"request_id="trace-1""#), "{log}");
}
