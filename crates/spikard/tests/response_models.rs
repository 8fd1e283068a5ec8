//! Response models through the Rust API (`.response_model::<T>()`, `.response_model_schema`).

use std::io::Write;
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use spikard::{get, post, App, Ctx, Error, Json, OpenApiConfig, StatusCode};

#[derive(Serialize, JsonSchema)]
struct Address {
    city: String,
}

#[derive(Serialize, JsonSchema)]
struct Friend {
    id: i64,
}

#[derive(Serialize, JsonSchema)]
struct UserOut {
    id: i64,
    name: String,
    address: Option<Address>,
    friends: Vec<Friend>,
}

/// What the handler has: more than it may send.
#[derive(Serialize)]
struct UserIn {
    id: i64,
    name: String,
    password_hash: String,
    address: Option<Value>,
    friends: Vec<Value>,
}

fn user_in() -> UserIn {
    UserIn {
        id: 1,
        name: "Ada".into(),
        password_hash: "$2b$12$secret".into(),
        address: Some(json!({"city": "London", "street": "private"})),
        friends: vec![json!({"id": 2, "email": "bob@example.com"}), json!({"id": 3})],
    }
}

const INTERNAL_ERROR: &str = "https://spikard.dev/errors/internal-server-error";

#[tokio::test]
async fn undeclared_fields_are_dropped_at_every_level() {
    let mut app = App::new();
    app.route(
        get("/users/{id:int}")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { Json(user_in()) }),
    )
    .unwrap();
    let res = app.test_client().get("/users/1").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(
        res.json(),
        json!({"id": 1, "name": "Ada", "address": {"city": "London"}, "friends": [{"id": 2}, {"id": 3}]})
    );
}

#[tokio::test]
async fn a_schema_model_filters_lists_and_optional_values() {
    let mut app = App::new();
    let model = json!({
        "type": "array",
        "items": {"anyOf": [{"$ref": "#/$defs/Item"}, {"type": "null"}]},
        "$defs": {"Item": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}},
    });
    app.route(
        get("/items")
            .response_model_schema(model)
            .handler(|_ctx: Ctx| async move { Json(json!([{"sku": "a", "cost": 3}, null])) }),
    )
    .unwrap();
    assert_eq!(
        app.test_client().get("/items").send().await.json(),
        json!([{"sku": "a"}, null])
    );
}

/// Log lines written while `f` runs on this thread.
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_mismatch_is_the_generic_500_and_is_logged_without_the_value() {
    let mut app = App::new();
    app.route(
        get("/users/{id:int}")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move {
                Json(json!({"id": "internal-ref-8812", "friends": [{"id": "secret-friend"}]}))
            }),
    )
    .unwrap();
    let client = app.test_client();
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || Captured(sink.clone()))
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let res = client.get("/users/1").send().await;
    drop(guard);

    assert_eq!(res.status, 500);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json(),
        json!({"type": INTERNAL_ERROR, "title": "Internal Server Error", "status": 500, "detail": "Internal server error"})
    );
    let text = res.text();
    assert!(!text.contains("internal-ref") && !text.contains("secret"), "{text}");

    let logged = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("route GET /users/{id:int}"), "{logged}");
    assert!(logged.contains("int_parsing at id"), "{logged}");
    assert!(logged.contains("missing at name"), "{logged}");
    assert!(logged.contains("int_parsing at friends[0].id"), "{logged}");
    assert!(
        !logged.contains("internal-ref") && !logged.contains("secret-friend"),
        "{logged}"
    );
}

#[tokio::test]
async fn only_json_results_of_status_200_are_checked() {
    let mut app = App::new();
    app.route(
        post("/jobs")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { (StatusCode::ACCEPTED, Json(json!({"queued": true}))) }),
    )
    .unwrap();
    app.route(
        get("/missing")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { Err::<Json<Value>, _>(Error::not_found("no such user")) }),
    )
    .unwrap();
    app.route(
        get("/text")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { "not a user" }),
    )
    .unwrap();
    let client = app.test_client();
    let res = client.post("/jobs").send().await;
    assert_eq!((res.status, res.json()), (202, json!({"queued": true})));
    let res = client.get("/missing").send().await;
    assert_eq!((res.status, res.json()["detail"].clone()), (404, json!("no such user")));
    let res = client.get("/text").send().await;
    assert_eq!((res.status, res.text()), (200, "not a user".to_owned()));
}

#[tokio::test]
async fn the_model_documents_the_route_unless_a_response_schema_is_given() {
    let documented = json!({"title": "Documented", "type": "object", "properties": {"id": {"type": "integer"}}});
    let mut app = App::new();
    app.openapi(OpenApiConfig::default());
    app.route(
        get("/modelled")
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { Json(user_in()) }),
    )
    .unwrap();
    // The explicit schema wins in the documents, given before or after the model ...
    app.route(
        get("/before")
            .response_schema(documented.clone())
            .response_model::<UserOut>()
            .handler(|_ctx: Ctx| async move { Json(user_in()) }),
    )
    .unwrap();
    app.route(
        get("/after")
            .response_model::<UserOut>()
            .response_schema(documented.clone())
            .handler(|_ctx: Ctx| async move { Json(user_in()) }),
    )
    .unwrap();
    // ... and alone it only documents: nothing is filtered.
    app.route(
        get("/only-documented")
            .response_schema(documented)
            .handler(|_ctx: Ctx| async move { Json(json!({"id": 1, "extra": "kept"})) }),
    )
    .unwrap();
    let client = app.test_client();
    let doc = client.get("/openapi.json").send().await.json();
    let schema =
        |path: &str| doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone();
    assert_eq!(schema("/modelled"), json!({"$ref": "#/components/schemas/UserOut"}));
    assert_eq!(
        doc["components"]["schemas"]["UserOut"]["properties"]["friends"]["items"],
        json!({"$ref": "#/components/schemas/Friend"})
    );
    for path in ["/before", "/after"] {
        assert_eq!(
            schema(path),
            json!({"$ref": "#/components/schemas/Documented"}),
            "{path}"
        );
        // The model is still what is enforced.
        let body = client.get(path).send().await.json();
        assert!(body.get("password_hash").is_none(), "{path}: {body}");
        assert_eq!(body["friends"], json!([{"id": 2}, {"id": 3}]), "{path}");
    }
    assert_eq!(
        client.get("/only-documented").send().await.json(),
        json!({"id": 1, "extra": "kept"})
    );
}

#[test]
fn a_bad_model_schema_fails_the_registration_naming_the_route() {
    let mut app = App::new();
    let route = post("/users")
        .response_model_schema(json!({"type": "object", "properties": {"id": {"type": 12}}}))
        .handler(|_ctx: Ctx| async move { Json(json!({})) });
    assert_eq!(route.response_model().map(|s| s["type"].clone()), Some(json!("object")));
    let err = app.route(route).err().expect("a bad schema is refused");
    let text = err.to_string();
    assert!(
        text.contains("POST /users") && text.contains("response_model"),
        "{text}"
    );
}
