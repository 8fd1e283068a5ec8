//! JWT authentication through the pipeline: every security refusal asserts the exact response.

mod common;

use common::{arc, spec};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use spikard_core::config::ServerConfig;
use spikard_http::middleware::auth::JwtClaims;
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, TestClient};

const SECRET: &str = "integration-secret";
const RSA_PRIVATE: &str = include_str!("../../../testing_data/auth/keys/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("../../../testing_data/auth/keys/rsa_public.pem");
const EC_PRIVATE: &str = include_str!("../../../testing_data/auth/keys/ec_p256_private.pem");
const EC_PUBLIC: &str = include_str!("../../../testing_data/auth/keys/ec_p256_public.pem");
const FAR: u64 = 4_102_444_800;

/// Answers with what authentication handed over.
struct Whoami;

impl Handler for Whoami {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move {
            let typed = r
                .extensions
                .get::<JwtClaims>()
                .and_then(|c| c.subject().map(str::to_owned));
            Ok(HandlerResponse::json(json!({
                "claims": r.state.get("jwt_claims"), "method": r.state.get("auth_method"), "typed_sub": typed,
            })))
        })
    }
}

fn client_with(jwt: Value) -> TestClient {
    let config: ServerConfig = serde_json::from_value(json!({"jwt_auth": jwt})).unwrap();
    let mut b = PipelineBuilder::new(config);
    b.route(
        spec(json!({"method": "GET", "path": "/me", "parameters": {"headers": {"authorization": {"type": "string"}}}})),
        arc(Whoami),
    )
    .unwrap();
    b.route(
        spec(json!({"method": "GET", "path": "/public", "middleware": {"jwt_auth": {"enabled": false}}})),
        arc(Whoami),
    )
    .unwrap();
    TestClient::new(b.build().unwrap())
}

fn hs_client() -> TestClient {
    client_with(json!({"secret": SECRET, "audience": ["api"], "issuer": "auth", "leeway": 60}))
}

fn hs_token(claims: Value) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn refused(client: &TestClient, token: &str, detail: &str) {
    let res = client
        .get("/me")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
    assert_eq!(res.status, 401, "{}", res.text());
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.header("www-authenticate"),
        Some(format!("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"{detail}\"").as_str())
    );
    let title = if detail.starts_with("Malformed") {
        "Malformed JWT token"
    } else {
        "JWT validation failed"
    };
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/unauthorized", "title": title, "status": 401, "detail": detail})
    );
    assert!(!res.text().contains(token), "the token must never be echoed");
}

fn good_claims() -> Value {
    json!({"sub": "u1", "exp": FAR, "aud": "api", "iss": "auth", "role": "admin"})
}

#[tokio::test]
async fn valid_token_claims_reach_the_handler_as_json_and_typed() {
    let res = hs_client()
        .get("/me")
        .header("Authorization", &format!("Bearer {}", hs_token(good_claims())))
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.json(),
        json!({"claims": good_claims(), "method": "jwt", "typed_sub": "u1"})
    );
}

#[tokio::test]
async fn alg_none_is_refused_in_any_spelling() {
    let client = hs_client();
    for alg in ["none", "None", "NONE"] {
        let unsigned = format!("{}.{}.", b64(&json!({"alg": alg, "typ": "JWT"})), b64(&good_claims()));
        refused(&client, &unsigned, "Unsigned tokens (alg 'none') are not accepted").await;
    }
}

#[tokio::test]
async fn hmac_token_signed_with_the_rsa_public_key_is_refused() {
    let client = client_with(json!({"algorithm": "RS256", "public_key": RSA_PUBLIC}));
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "u1", "exp": FAR}),
        &EncodingKey::from_secret(RSA_PUBLIC.as_bytes()),
    )
    .unwrap();
    refused(
        &client,
        &confused,
        "Token algorithm 'HS256' does not match the expected algorithm 'RS256'",
    )
    .await;
}

#[tokio::test]
async fn rsa_token_against_hmac_config_is_refused() {
    let rs = encode(
        &Header::new(Algorithm::RS256),
        &good_claims(),
        &EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    refused(
        &hs_client(),
        &rs,
        "Token algorithm 'RS256' does not match the expected algorithm 'HS256'",
    )
    .await;
}

#[tokio::test]
async fn asymmetric_tokens_verify_with_their_public_keys() {
    let rs_key = EncodingKey::from_rsa_pem(RSA_PRIVATE.as_bytes()).unwrap();
    let ec_key = EncodingKey::from_ec_pem(EC_PRIVATE.as_bytes()).unwrap();
    let claims = json!({"sub": "u1", "exp": FAR});
    for (alg, public, key) in [
        (Algorithm::RS256, RSA_PUBLIC, &rs_key),
        (Algorithm::PS512, RSA_PUBLIC, &rs_key),
        (Algorithm::ES256, EC_PUBLIC, &ec_key),
    ] {
        let name = format!("{alg:?}");
        let client = client_with(json!({"algorithm": name, "public_key": public}));
        let token = encode(&Header::new(alg), &claims, key).unwrap();
        let res = client
            .get("/me")
            .header("Authorization", &format!("Bearer {token}"))
            .send()
            .await;
        assert_eq!(
            (res.status, res.json()["typed_sub"].clone()),
            (200, json!("u1")),
            "{name}"
        );
    }
}

#[tokio::test]
async fn expiry_honours_the_leeway() {
    let now = jsonwebtoken::get_current_timestamp();
    let client = hs_client();
    let mut recent = good_claims();
    recent["exp"] = json!(now - 30);
    let res = client
        .get("/me")
        .header("Authorization", &format!("Bearer {}", hs_token(recent)))
        .send()
        .await;
    assert_eq!(res.status, 200, "30 s past exp is within the 60 s leeway");
    let mut old = good_claims();
    old["exp"] = json!(now - 3600);
    refused(&client, &hs_token(old), "Token has expired").await;
}

#[tokio::test]
async fn wrong_audience_issuer_and_tampering_are_refused() {
    let client = hs_client();
    let mut aud = good_claims();
    aud["aud"] = json!(["other"]);
    refused(&client, &hs_token(aud), "Token audience is invalid").await;
    let mut iss = good_claims();
    iss["iss"] = json!("evil");
    refused(&client, &hs_token(iss), "Token issuer is invalid").await;
    let mut no_iss = good_claims();
    no_iss.as_object_mut().unwrap().remove("iss");
    refused(&client, &hs_token(no_iss), "Token issuer is invalid").await;

    let token = hs_token(good_claims());
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut elevated = good_claims();
    elevated["sub"] = json!("admin");
    parts[1] = b64(&elevated);
    refused(&client, &parts.join("."), "Token signature is invalid").await;
    refused(
        &client,
        "a.b",
        "Malformed JWT token: expected 3 parts separated by dots, found 2",
    )
    .await;
}

#[tokio::test]
async fn refusal_precedes_parameter_validation_and_the_handler() {
    let config: ServerConfig = serde_json::from_value(json!({"jwt_auth": {"secret": SECRET}})).unwrap();
    let mut b = PipelineBuilder::new(config);
    let route = json!({"method": "POST", "path": "/items", "parameters": {"query": {"n": {"type": "integer"}}},
        "body_schema": {"type": "object", "required": ["name"]}});
    b.route(spec(route), arc(Whoami)).unwrap();
    let res = TestClient::new(b.build().unwrap()).post("/items?n=abc").send().await;
    assert_eq!(res.status, 401);
    assert_eq!(res.header("www-authenticate"), Some("Bearer realm=\"api\""));
    assert_eq!(
        res.json(),
        json!({"type": "https://spikard.dev/errors/unauthorized", "title": "Missing or invalid Authorization header",
            "status": 401, "detail": "Expected 'Authorization: Bearer <token>'"})
    );
}

#[tokio::test]
async fn routes_may_opt_out_and_unknown_routes_stay_protected() {
    let client = hs_client();
    let res = client.get("/public").send().await;
    assert_eq!((res.status, res.json()["method"].clone()), (200, Value::Null));
    let res = client.get("/nowhere").send().await;
    assert_eq!(
        res.status, 401,
        "the server-wide chain authenticates before answering 404"
    );
    let res = client
        .get("/nowhere")
        .header("Authorization", &format!("Bearer {}", hs_token(good_claims())))
        .send()
        .await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn a_preflight_without_cors_does_not_bypass_authentication() {
    let res = hs_client()
        .request("OPTIONS", "/me")
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    assert_eq!(res.status, 401);
    assert_eq!(res.json()["title"], json!("Missing or invalid Authorization header"));
}

#[test]
fn bad_configuration_is_refused_at_registration() {
    let register = |jwt: Value| {
        let mut b = PipelineBuilder::new(Default::default());
        let route = spec(json!({"method": "GET", "path": "/x", "middleware": {"jwt_auth": jwt}}));
        b.route(route, arc(Whoami))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(register(json!({"algorithm": "HS256"})).contains("jwt_auth.secret is required for HS256"));
    assert!(register(json!({"algorithm": "ES384", "public_key": EC_PUBLIC}))
        .contains("jwt_auth.public_key cannot verify ES384"));
    assert!(register(
        json!({"algorithm": "RS256", "public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"})
    )
    .contains("jwt_auth.public_key is not a PEM RSA public key"));
}
