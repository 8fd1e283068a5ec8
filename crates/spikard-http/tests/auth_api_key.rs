//! API-key authentication, combined schemes, and the rule that credentials never reach logs or problems.

mod common;

use common::{arc, spec, Captured};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};
use spikard_core::config::ServerConfig;
use spikard_http::middleware::auth::ApiKeyAuthenticated;
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, TestClient};

const CURRENT: &str = "sk_live_current_4f1e9a";
const OLD: &str = "sk_live_old_77c2d0";
const SECRET: &str = "logging-test-secret";

/// Answers with how the request authenticated and how its headers print.
struct Report;

impl Handler for Report {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move {
            let key = r.extensions.get::<ApiKeyAuthenticated>().map(|a| a.deprecated);
            tracing::info!(headers = ?r.headers, "handler saw the request");
            Ok(HandlerResponse::json(json!({
                "method": r.state.get("auth_method"), "deprecated": key, "headers_debug": format!("{:?}", r.headers),
            })))
        })
    }
}

fn client(config: Value) -> TestClient {
    let config: ServerConfig = serde_json::from_value(config).unwrap();
    let mut b = PipelineBuilder::new(config);
    b.route(spec(json!({"method": "GET", "path": "/data"})), arc(Report))
        .unwrap();
    TestClient::new(b.build().unwrap())
}

fn keys(extra: Value) -> TestClient {
    let mut api = json!({"keys": [CURRENT], "deprecated_keys": [OLD]});
    api.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    client(json!({"api_key_auth": api}))
}

fn problem(title: &str, detail: &str) -> Value {
    json!({"type": "https://spikard.dev/errors/unauthorized", "title": title, "status": 401, "detail": detail})
}

#[tokio::test]
async fn key_in_query_is_ignored_when_only_the_header_is_configured() {
    let res = keys(json!({"query_param": null}))
        .get(&format!("/data?api_key={CURRENT}"))
        .send()
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("www-authenticate"),
        Some("ApiKey realm=\"api\", header=\"X-API-Key\"")
    );
    assert_eq!(
        res.json(),
        problem("Missing API key", "Expected 'X-API-Key' header with valid API key")
    );
    let res = keys(json!({})).get(&format!("/data?api_key={CURRENT}")).send().await;
    assert_eq!((res.status, res.json()["method"].clone()), (200, json!("api_key")));
}

#[tokio::test]
async fn invalid_keys_are_refused_without_echo() {
    let client = keys(json!({}));
    for guess in [
        "sk_live_current_4f1e9",
        "sk_live_current_4f1e9a0",
        "SK_LIVE_CURRENT_4F1E9A",
    ] {
        let res = client.get("/data").header("X-API-Key", guess).send().await;
        assert_eq!(res.status, 401);
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
        assert_eq!(
            res.json(),
            problem("Invalid API key", "The provided API key is not valid")
        );
        assert!(!res.text().contains(guess));
    }
}

#[tokio::test]
async fn deprecated_keys_are_accepted_and_flagged() {
    let client = keys(json!({}));
    let res = client.get("/data").header("X-API-Key", OLD).send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("x-api-key-deprecated"), Some("true"));
    assert_eq!(res.json()["deprecated"], json!(true));
    let res = client.get("/data").header("X-API-Key", CURRENT).send().await;
    assert_eq!((res.status, res.header("x-api-key-deprecated")), (200, None));
    assert_eq!(res.json()["deprecated"], json!(false));
}

#[tokio::test]
async fn with_both_schemes_either_credential_suffices() {
    let c = client(json!({"jwt_auth": {"secret": SECRET}, "api_key_auth": {"keys": [CURRENT]}}));
    let token = encode(
        &Header::default(),
        &json!({"sub": "u", "exp": 4_102_444_800u64}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let res = c
        .get("/data")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(res.json()["method"], json!("jwt"));
    let res = c.get("/data").header("X-API-Key", CURRENT).send().await;
    assert_eq!(res.json()["method"], json!("api_key"));
    let res = c.get("/data").send().await;
    assert_eq!(res.status, 401);
    let challenges: Vec<&str> = res
        .headers
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(
        challenges,
        [
            "Bearer realm=\"api\"",
            "ApiKey realm=\"api\", header=\"X-API-Key\", query=\"api_key\""
        ]
    );
    assert_eq!(
        res.json(),
        problem(
            "Missing credentials",
            "Expected 'Authorization: Bearer <token>', 'X-API-Key' header or 'api_key' query parameter with valid API key"
        )
    );
}

#[tokio::test]
async fn credentials_never_reach_logs_or_debug_output() {
    // Global: other tests of this binary then log here too, which the assertions below also hold for.
    let captured = Captured::install(tracing::Level::TRACE);

    let c = client(json!({"jwt_auth": {"secret": SECRET}, "api_key_auth": {"keys": [CURRENT]}}));
    let valid = encode(
        &Header::default(),
        &json!({"sub": "u", "exp": 4_102_444_800u64}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let expired = encode(
        &Header::default(),
        &json!({"sub": "u", "exp": 1_600_000_000u64}),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let ok = c
        .get("/data")
        .header("Authorization", &format!("Bearer {valid}"))
        .send()
        .await;
    assert_eq!(ok.status, 200);
    assert!(!ok.json()["headers_debug"].as_str().unwrap().contains(&valid));
    let ok = c.get("/data").header("X-API-Key", CURRENT).send().await;
    assert!(!ok.json()["headers_debug"].as_str().unwrap().contains(CURRENT));
    let res = c
        .get("/data")
        .header("Authorization", &format!("Bearer {expired}"))
        .send()
        .await;
    assert_eq!(res.json()["detail"], json!("Token has expired"));
    let res = c.get("/data").header("X-API-Key", "sk_live_wrong_000000").send().await;
    assert_eq!(res.json()["title"], json!("Invalid API key"));

    let logs = captured.text();
    assert!(logs.contains("authentication refused"), "{logs}");
    assert!(logs.contains("Token has expired"), "{logs}");
    assert!(logs.contains("handler saw the request"), "{logs}");
    for secret in [
        valid.as_str(),
        expired.as_str(),
        CURRENT,
        "sk_live_wrong_000000",
        SECRET,
    ] {
        assert!(!logs.contains(secret), "a credential leaked into the logs: {logs}");
    }
}
