//! The Rust API end to end through the test client.

use futures_util::stream;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use spikard::{get, post, App, Cookie, Ctx, Error, Json, Response, StatusCode, UploadedFile};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Search {
    #[schemars(length(min = 2))]
    q: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Order {
    #[schemars(range(min = 1))]
    quantity: u32,
    email: String,
}

fn app() -> App {
    let mut app = App::new();
    app.route(get("/search").query::<Search>().handler(|ctx: Ctx| async move {
        let s: Search = ctx.query()?;
        Ok::<_, Error>(Json(s))
    }))
    .unwrap();
    app.route(
        post("/orders/{shop:uuid}")
            .body::<Order>()
            .handler(|ctx: Ctx| async move {
                let shop: String = ctx.path("shop")?;
                let order: Order = ctx.json()?;
                Ok::<_, Error>((
                    StatusCode::CREATED,
                    Json(json!({"shop": shop, "quantity": order.quantity})),
                ))
            }),
    )
    .unwrap();
    app.route(
        get("/whoami")
            .header_param("X-User", json!({"type": "string", "minLength": 1}))
            .cookie_param("session", json!({"type": "string", "optional": true}))
            .handler(|ctx: Ctx| async move {
                let user = ctx.header_params()["x-user"].clone();
                let session = ctx.cookie("session");
                Response::new(StatusCode::OK)
                    .cookie(Cookie {
                        http_only: true,
                        ..Cookie::new("seen", "1")
                    })
                    .json(&json!({"user": user, "session": session}))
            }),
    )
    .unwrap();
    app.route(post("/upload").handler(|ctx: Ctx| async move {
        let files: Vec<_> = ctx
            .files()
            .iter()
            .map(|f| json!([f.field_name, f.filename, f.data.len()]))
            .collect();
        Json(json!({"files": files, "note": ctx.body()["note"]}))
    }))
    .unwrap();
    app.route(get("/stream").handler(|_ctx: Ctx| async move {
        let chunks = vec![Ok::<_, std::io::Error>("a,"), Ok("b,"), Ok("c")];
        Response::new(StatusCode::OK)
            .header("content-type", "text/csv")
            .stream(stream::iter(chunks))
    }))
    .unwrap();
    app.route(
        get("/teapot")
            .handler(|_ctx: Ctx| async { Err::<Json<()>, _>(Error::http(StatusCode::IM_A_TEAPOT, "short and stout")) }),
    )
    .unwrap();
    app
}

#[tokio::test]
async fn query_struct_with_defaults_and_repeated_keys() {
    let c = app().test_client();
    let res = c.get("/search?q=rust&tags=a&tags=b").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({"q": "rust", "page": null, "tags": ["a", "b"]}));
    let res = c.get("/search?q=r&page=x").send().await;
    assert_eq!(res.status, 422);
    let types: Vec<String> = res.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types, vec!["string_too_short", "int_parsing"]);
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Sort {
    Asc,
    Desc,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Listing {
    sort: Sort,
    #[serde(default)]
    then: Option<Sort>,
}

#[tokio::test]
async fn query_struct_with_an_enum_field_refers_to_its_definition() {
    let mut app = App::new();
    app.route(get("/list").query::<Listing>().handler(|ctx: Ctx| async move {
        let l: Listing = ctx.query()?;
        Ok::<_, Error>(Json(l))
    }))
    .expect("a field whose schema refers to $defs registers");
    let c = app.test_client();
    let res = c.get("/list?sort=desc&then=asc").send().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), json!({"sort": "desc", "then": "asc"}));
    let res = c.get("/list?sort=sideways").send().await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json()["errors"][0]["loc"], json!(["query", "sort"]));
}

#[tokio::test]
async fn typed_body_and_uuid_segment() {
    let c = app().test_client();
    let id = "550e8400-e29b-41d4-a716-446655440000";
    let res = c
        .post(&format!("/orders/{id}"))
        .json(&json!({"quantity": 2, "email": "a@b.c"}))
        .send()
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json(), json!({"shop": id, "quantity": 2}));
    let res = c.post("/orders/nope").json(&json!({"quantity": 0})).send().await;
    assert_eq!(res.status, 422);
    let locs: Vec<_> = res.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["loc"].clone())
        .collect();
    assert_eq!(
        locs,
        vec![
            json!(["path", "shop"]),
            json!(["body", "quantity"]),
            json!(["body", "email"])
        ]
    );
}

#[tokio::test]
async fn headers_cookies_and_set_cookie() {
    let c = app().test_client();
    let res = c
        .get("/whoami")
        .header("x-user", "ann")
        .header("cookie", "session=s1")
        .send()
        .await;
    assert_eq!(res.json(), json!({"user": "ann", "session": "s1"}));
    assert_eq!(res.header("set-cookie"), Some("seen=1; HttpOnly"));
    let res = c.get("/whoami").send().await;
    assert_eq!(res.json()["errors"][0]["loc"], json!(["headers", "x-user"]));
}

#[tokio::test]
async fn multipart_files_reach_the_handler() {
    let c = app().test_client();
    let file = UploadedFile {
        field_name: "doc".into(),
        filename: "a.txt".into(),
        content_type: "text/plain".into(),
        data: b"hello".to_vec(),
    };
    let res = c
        .post("/upload")
        .multipart(&[("note".into(), "hi".into())], &[file])
        .send()
        .await;
    assert_eq!(res.json(), json!({"files": [["doc", "a.txt", 5]], "note": "hi"}));
}

#[tokio::test]
async fn streams_and_application_errors() {
    let c = app().test_client();
    let res = c.get("/stream").send().await;
    assert_eq!(res.text(), "a,b,c");
    assert_eq!(res.header("content-type"), Some("text/csv"));
    let res = c.get("/teapot").send().await;
    assert_eq!(res.status, 418);
    assert_eq!(res.json()["detail"], json!("short and stout"));
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
}

#[tokio::test]
async fn middleware_through_the_rust_api() {
    use spikard::{CompressionConfig, CorsConfig, RequestIdConfig, RouteMiddleware, ServerConfig};
    let config = ServerConfig {
        request_id: Some(RequestIdConfig::default()),
        compression: Some(CompressionConfig {
            min_size: 0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut app = spikard::App::with_config(config);
    let cors = CorsConfig {
        allowed_origins: vec!["https://app.example.com".into()],
        ..Default::default()
    };
    app.route(
        spikard::get("/hello")
            .middleware(RouteMiddleware {
                cors: Some(cors),
                ..Default::default()
            })
            .handler(|_ctx: spikard::Ctx| async move { spikard::Json(serde_json::json!({"hello": "world"})) }),
    )
    .unwrap();
    let client = app.test_client();
    let res = client
        .get("/hello")
        .header("origin", "https://app.example.com")
        .header("accept-encoding", "gzip")
        .header("x-request-id", "abc")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), serde_json::json!({"hello": "world"}));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(res.header("x-request-id"), Some("abc"));
}
