//! Serving the OpenAPI/AsyncAPI documents and the docs pages through the test client.

mod common;

use common::{arc, spec, Echo};
use serde_json::json;
use spikard_core::config::{ApiKeyConfig, JwtConfig, OpenApiConfig};
use spikard_http::{PipelineBuilder, ServerConfig, TestClient};

fn client_with(openapi: Option<OpenApiConfig>, configure: impl FnOnce(&mut ServerConfig)) -> TestClient {
    let mut config = ServerConfig {
        openapi,
        ..Default::default()
    };
    configure(&mut config);
    let mut b = PipelineBuilder::new(config);
    b.route(
        spec(json!({
            "method": "GET", "path": "/users/{id:int}",
            "parameters": {"query": {"verbose": {"type": "boolean", "default": false}}},
            "tags": ["users"], "summary": "Get a user", "operation_id": "getUser",
            "response_schema": {"type": "object", "properties": {"id": {"type": "integer"}}}
        })),
        arc(Echo),
    )
    .unwrap();
    b.route(
        spec(
            json!({"method": "POST", "path": "/users", "body_schema": {"type": "object"},
                    "middleware": {"jwt_auth": {"secret": "s"}}}),
        ),
        arc(Echo),
    )
    .unwrap();
    b.route(
        spec(json!({"method": "GET", "path": "/hidden", "include_in_schema": false})),
        arc(Echo),
    )
    .unwrap();
    TestClient::new(b.build().unwrap())
}

fn client(openapi: OpenApiConfig) -> TestClient {
    client_with(Some(openapi), |_| {})
}

#[tokio::test]
async fn serves_the_generated_document() {
    let c = client(OpenApiConfig {
        title: "Users".into(),
        ..Default::default()
    });
    let res = c.get("/openapi.json").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    let doc = res.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"], json!({"title": "Users", "version": "1.0.0"}));
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(
        paths,
        ["/users", "/users/{id}"],
        "docs routes and hidden routes are left out"
    );
    assert_eq!(
        doc["paths"]["/users/{id}"]["get"],
        json!({
            "tags": ["users"],
            "summary": "Get a user",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}},
                {"name": "verbose", "in": "query", "required": false, "schema": {"type": "boolean", "default": false}}
            ],
            "responses": {
                "200": {"description": "Successful Response",
                        "content": {"application/json": {"schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "422": {"$ref": "#/components/responses/ValidationProblem"}
            },
            "operationId": "getUser"
        })
    );
    assert_eq!(doc["paths"]["/users"]["post"]["security"], json!([{"BearerAuth": []}]));
    assert_eq!(
        doc["components"]["securitySchemes"],
        json!({"BearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}})
    );
}

#[tokio::test]
async fn revalidation_with_the_etag_gets_304() {
    let c = client(OpenApiConfig::default());
    let first = c.get("/openapi.json").send().await;
    let etag = first.header("etag").expect("an etag").to_owned();
    let again = c.get("/openapi.json").header("if-none-match", &etag).send().await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let stale = c.get("/openapi.json").header("if-none-match", "\"stale\"").send().await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, first.body);
}

#[tokio::test]
async fn pages_and_offline_assets() {
    let c = client(OpenApiConfig::default());
    let docs = c.get("/docs").send().await;
    assert_eq!(docs.status, 200);
    assert_eq!(docs.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(docs
        .text()
        .contains(r#"<script src="/docs/swagger-ui-bundle.js"></script>"#));
    assert!(docs.text().contains(r#"url: "/openapi.json","#));
    let redoc = c.get("/redoc").send().await;
    assert_eq!(redoc.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(redoc.text().contains(r#"<redoc spec-url="/openapi.json"></redoc>"#));
    assert!(redoc
        .text()
        .contains(r#"<script src="/redoc/redoc.standalone.js"></script>"#));

    for (path, content_type, marker) in [
        (
            "/docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        ("/docs/swagger-ui.css", "text/css; charset=utf-8", ".swagger-ui"),
        ("/redoc/redoc.standalone.js", "text/javascript; charset=utf-8", "Redoc"),
    ] {
        let res = c.get(path).send().await;
        assert_eq!(res.status, 200, "{path}");
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        assert_eq!(res.header("cache-control"), Some("public, max-age=86400"), "{path}");
        assert!(res.header("etag").is_some(), "{path}");
        assert!(res.text().contains(marker), "{path}");
    }
    let head = c.request("HEAD", "/docs/swagger-ui.css").send().await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn cdn_mode_serves_no_assets() {
    let c = client(OpenApiConfig {
        offline_assets: false,
        ..Default::default()
    });
    let docs = c.get("/docs").send().await.text();
    assert!(docs.contains("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js"));
    assert!(docs.contains("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui.css"));
    assert_eq!(c.get("/docs/swagger-ui-bundle.js").send().await.status, 404);
    assert_eq!(c.get("/redoc/redoc.standalone.js").send().await.status, 404);
}

#[tokio::test]
async fn disabled_or_absent_config_serves_nothing() {
    for c in [
        client(OpenApiConfig {
            enabled: false,
            ..Default::default()
        }),
        client_with(None, |_| {}),
    ] {
        for path in [
            "/openapi.json",
            "/asyncapi.json",
            "/docs",
            "/redoc",
            "/docs/swagger-ui.css",
        ] {
            let res = c.get(path).send().await;
            assert_eq!(res.status, 404, "{path}");
            assert_eq!(res.header("content-type"), Some("application/problem+json"), "{path}");
        }
    }
}

#[tokio::test]
async fn custom_paths_and_pages_switched_off() {
    let c = client(OpenApiConfig {
        openapi_json_path: "/api/schema.json".into(),
        swagger_ui_path: Some("/api/docs/".into()),
        redoc_path: None,
        asyncapi_json_path: None,
        ..Default::default()
    });
    assert_eq!(c.get("/api/schema.json").send().await.status, 200);
    assert_eq!(c.get("/openapi.json").send().await.status, 404);
    let page = c.get("/api/docs/").send().await.text();
    assert!(page.contains(r#"url: "/api/schema.json","#));
    assert_eq!(c.get("/api/docs/swagger-ui.css").send().await.status, 200);
    assert_eq!(c.get("/redoc").send().await.status, 404);
    assert_eq!(c.get("/asyncapi.json").send().await.status, 404);
}

#[tokio::test]
async fn asyncapi_document_is_served() {
    let c = client(OpenApiConfig::default());
    let res = c.get("/asyncapi.json").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.json()["asyncapi"], "3.0.0");
}

#[tokio::test]
async fn server_wide_auth_is_documented_per_operation() {
    let c = client_with(Some(OpenApiConfig::default()), |config| {
        config.api_key_auth = Some(ApiKeyConfig {
            keys: vec!["k".into()],
            query_param: Some("key".into()),
            ..Default::default()
        });
        config.jwt_auth = Some(JwtConfig {
            enabled: false,
            ..Default::default()
        });
    });
    let doc = c.get("/openapi.json").send().await.json();
    assert_eq!(
        doc["paths"]["/users/{id}"]["get"]["security"],
        json!([{"ApiKeyHeader": []}, {"ApiKeyQuery": []}])
    );
    // The route's own JWT config is one more way in besides the server-wide API key.
    assert_eq!(
        doc["paths"]["/users"]["post"]["security"],
        json!([{"BearerAuth": []}, {"ApiKeyHeader": []}, {"ApiKeyQuery": []}])
    );
    assert_eq!(
        doc["paths"]["/users/{id}"]["get"]["responses"]["401"],
        json!({"$ref": "#/components/responses/Unauthorized"})
    );
}

#[tokio::test]
async fn docs_stay_public_when_the_api_requires_credentials() {
    let c = client_with(Some(OpenApiConfig::default()), |config| {
        config.jwt_auth = Some(JwtConfig {
            secret: Some("s3cret".into()),
            ..Default::default()
        });
    });
    for path in [
        "/openapi.json",
        "/asyncapi.json",
        "/docs",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/redoc",
        "/redoc/redoc.standalone.js",
    ] {
        let res = c.get(path).send().await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        assert!(res.header("www-authenticate").is_none(), "{path}");
    }
    // The API itself is still refused without a token.
    let refused = c.get("/users/1").send().await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("www-authenticate"), Some("Bearer realm=\"api\""));
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        refused.json(),
        json!({"type": "https://spikard.dev/errors/unauthorized", "title": "Missing or invalid Authorization header",
               "status": 401, "detail": "Expected 'Authorization: Bearer <token>'"})
    );
    let doc = c.get("/openapi.json").send().await.json();
    assert_eq!(
        doc["paths"]["/users/{id}"]["get"]["security"],
        json!([{"BearerAuth": []}])
    );
}

/// A WebSocket handler that ignores messages (the documents only need the route).
struct Quiet;

impl spikard_http::websocket::WebSocketHandler for Quiet {
    fn on_message(
        &self,
        _conn: spikard_http::websocket::WsConnection,
        _message: spikard_http::websocket::WsMessage,
    ) -> spikard_http::BoxFuture<Result<(), spikard_http::SpikardError>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn websocket_and_sse_routes_make_the_asyncapi_document() {
    let mut b = PipelineBuilder::new(ServerConfig {
        openapi: Some(OpenApiConfig::default()),
        ..Default::default()
    });
    b.websocket(
        spec(json!({"method": "GET", "path": "/ws/chat/{room}", "summary": "Chat",
                    "message_schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
                    "event_schema": {"type": "object", "properties": {"from": {"type": "string"}}}})),
        std::sync::Arc::new(Quiet),
    )
    .unwrap();
    b.route(
        spec(json!({"method": "GET", "path": "/prices", "kind": "sse",
                    "event_schema": {"type": "object", "properties": {"price": {"type": "number"}}}})),
        arc(Echo),
    )
    .unwrap();
    let c = TestClient::new(b.build().unwrap());
    let asyncapi = c.get("/asyncapi.json").send().await.json();
    assert_eq!(
        asyncapi["channels"]["ws_chat_room"],
        json!({
            "address": "/ws/chat/{room}",
            "summary": "Chat",
            "description": "WebSocket",
            "parameters": {"room": {"description": "Path segment `room`."}},
            "messages": {
                "received": {"name": "received", "contentType": "application/json",
                             "payload": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}},
                "sent": {"name": "sent", "contentType": "application/json",
                         "payload": {"type": "object", "properties": {"from": {"type": "string"}}}}
            },
            "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0"}}
        })
    );
    assert_eq!(
        asyncapi["channels"]["prices"]["messages"]["event"]["payload"],
        json!({"type": "object", "properties": {"price": {"type": "number"}}})
    );
    let ops: Vec<&String> = asyncapi["operations"].as_object().unwrap().keys().collect();
    assert_eq!(ops, ["prices_send", "ws_chat_room_receive", "ws_chat_room_send"]);

    let openapi = c.get("/openapi.json").send().await.json();
    assert!(
        openapi["paths"].get("/ws/chat/{room}").is_none(),
        "WebSocket routes are AsyncAPI's"
    );
    assert_eq!(
        openapi["paths"]["/prices"]["get"]["responses"]["200"]["content"],
        json!({"text/event-stream": {"schema": {"type": "string"}}})
    );
}

#[tokio::test]
async fn assets_are_compressed_when_compression_is_on() {
    let c = client_with(Some(OpenApiConfig::default()), |config| {
        config.compression = Some(Default::default());
    });
    let res = c
        .get("/docs/swagger-ui-bundle.js")
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("content-type"), Some("text/javascript; charset=utf-8"));
    let etag = res.header("etag").expect("an etag").to_owned();
    assert!(etag.starts_with("W/"), "a compressed body has a weak validator: {etag}");
    // Revalidating with the weak validator still gets 304.
    let again = c
        .get("/docs/swagger-ui-bundle.js")
        .header("accept-encoding", "gzip")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(again.status, 304);
    let plain = c.get("/openapi.json").send().await;
    assert_eq!(plain.header("content-encoding"), None);
}
