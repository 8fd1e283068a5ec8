//! Contestant `spikard-rust`: every workload's route written with Spikard's Rust API. Path,
//! query, form and body are declared (typed segments, schemars structs, JSON Schema) and
//! validated by Spikard (422 on bad input) before the handler runs; the handlers only read
//! the validated values and answer.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use spikard::hooks::{HandlerResponse, HookFlow, HookRequest, RequestData};
use spikard::{get, post, App, CompressionConfig, CorsConfig, Ctx, Json, RequestIdConfig, ServerConfig};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Line {
    #[schemars(length(min = 1))]
    sku: String,
    #[schemars(range(min = 1))]
    quantity: i64,
    #[schemars(extend("exclusiveMinimum" = 0))]
    price: f64,
    tags: Vec<String>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Order {
    id: i64,
    #[schemars(length(min = 1))]
    customer: String,
    items: Vec<Line>,
}

#[derive(Deserialize, JsonSchema)]
struct Item {
    #[schemars(length(min = 1))]
    name: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    price: f64,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct ItemEcho {
    id: i64,
    limit: i64,
    name: String,
    price: f64,
    tags: Vec<String>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct QueryFew {
    q: String,
    page: i64,
    active: bool,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct QueryMany {
    q: String,
    sort: String,
    order: String,
    category: String,
    brand: String,
    color: String,
    page: i64,
    per_page: i64,
    min_price: i64,
    max_price: i64,
    in_stock: bool,
    featured: bool,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Form {
    #[schemars(length(min = 1))]
    name: String,
    #[schemars(extend("exclusiveMinimum" = 0))]
    price: f64,
    quantity: i64,
}

type Result<T> = std::result::Result<T, spikard::Error>;

fn body_routes(app: &mut App) -> Result<()> {
    app.route(post("/echo/validated").body::<Order>().handler(|ctx: Ctx| async move {
        let order: Order = ctx.json()?;
        Ok::<_, spikard::Error>(Json(order))
    }))?;
    app.route(post("/echo/raw").handler(|ctx: Ctx| async move { Json(ctx.body().clone()) }))?;
    app.route(
        post("/items/{id:int}")
            .query_schema(json!({
                "type": "object",
                "properties": {"limit": {"type": "integer"}},
                "required": ["limit"]
            }))
            .body::<Item>()
            .handler(|ctx: Ctx| async move {
                let id: i64 = ctx.path("id")?;
                let limit: i64 = ctx
                    .query_param("limit")?
                    .ok_or_else(|| spikard::Error::bad_request("limit is required"))?;
                let Item { name, price, tags } = ctx.json()?;
                Ok::<_, spikard::Error>(Json(ItemEcho {
                    id,
                    limit,
                    name,
                    price,
                    tags,
                }))
            }),
    )?;
    app.route(
        post("/form")
            .content_type("application/x-www-form-urlencoded")
            .body::<Form>()
            .handler(|ctx: Ctx| async move {
                let form: Form = ctx.json()?;
                Ok::<_, spikard::Error>(Json(form))
            }),
    )?;
    app.route(
        post("/upload")
            .body_schema(json!({
                "type": "object",
                "required": ["description", "file"],
                "properties": {"description": {"type": "string"}, "file": {"type": "string", "format": "binary"}}
            }))
            .handler(|ctx: Ctx| async move {
                let file = ctx
                    .files()
                    .iter()
                    .find(|f| f.field_name == "file")
                    .ok_or_else(|| spikard::Error::bad_request("file is required"))?;
                Ok::<_, spikard::Error>(Json(json!({
                    "filename": file.filename,
                    "size": file.data.len(),
                    "description": ctx.body()["description"],
                })))
            }),
    )?;
    Ok(())
}

fn param_routes(app: &mut App) -> Result<()> {
    app.route(get("/path/one/{name}").handler(|ctx: Ctx| async move {
        let name: String = ctx.path("name")?;
        Ok::<_, spikard::Error>(Json(json!({ "name": name })))
    }))?;
    app.route(
        get("/path/several/{org}/{repo}/{branch}").handler(|ctx: Ctx| async move {
            let (org, repo, branch): (String, String, String) =
                (ctx.path("org")?, ctx.path("repo")?, ctx.path("branch")?);
            Ok::<_, spikard::Error>(Json(json!({"org": org, "repo": repo, "branch": branch})))
        }),
    )?;
    app.route(get("/path/int/{id:int}").handler(|ctx: Ctx| async move {
        let id: i64 = ctx.path("id")?;
        Ok::<_, spikard::Error>(Json(json!({ "id": id })))
    }))?;
    app.route(get("/path/uuid/{id:uuid}").handler(|ctx: Ctx| async move {
        let id: String = ctx.path("id")?;
        Ok::<_, spikard::Error>(Json(json!({ "id": id })))
    }))?;
    app.route(get("/path/date/{day:date}").handler(|ctx: Ctx| async move {
        let day: String = ctx.path("day")?;
        Ok::<_, spikard::Error>(Json(json!({ "date": day })))
    }))?;
    app.route(get("/query/few").query::<QueryFew>().handler(|ctx: Ctx| async move {
        let q: QueryFew = ctx.query()?;
        Ok::<_, spikard::Error>(Json(q))
    }))?;
    app.route(get("/query/many").query::<QueryMany>().handler(|ctx: Ctx| async move {
        let q: QueryMany = ctx.query()?;
        Ok::<_, spikard::Error>(Json(q))
    }))?;
    Ok(())
}

/// With `SPIKARD_BENCH_MIDDLEWARE=1` (contestant `spikard-rust-mw`): compression, CORS and request
/// IDs on, plus an `on_request` and an `on_response` hook, the set issue #4 measures. Bodies under
/// `min_size` are sent as they are, as they would be in production.
fn config() -> ServerConfig {
    let mut config = ServerConfig::default();
    if std::env::var("SPIKARD_BENCH_MIDDLEWARE").is_ok_and(|v| v == "1") {
        config.compression = Some(CompressionConfig::default());
        config.cors = Some(CorsConfig {
            allowed_origins: vec!["*".into()],
            ..CorsConfig::default()
        });
        config.request_id = Some(RequestIdConfig::default());
    } else {
        config.request_id = None;
    }
    config
}

fn add_hooks(app: &mut App) {
    if std::env::var("SPIKARD_BENCH_MIDDLEWARE").is_ok_and(|v| v == "1") {
        app.on_request(|req: RequestData| async move { Ok(HookFlow::Continue(req)) })
            .on_response(|mut res: HandlerResponse, _req: &HookRequest| {
                res.headers
                    .insert("x-served-by", http::HeaderValue::from_static("spikard"));
                async move { Ok(res) }
            });
    }
}

fn app() -> Result<App> {
    let mut app = App::with_config(config());
    add_hooks(&mut app);
    app.route(get("/plaintext").handler(|_ctx: Ctx| async move { "Hello, World!" }))?;
    app.route(get("/json").handler(|_ctx: Ctx| async move { Json(json!({"message": "hello", "id": 1, "ok": true})) }))?;
    body_routes(&mut app)?;
    param_routes(&mut app)?;
    Ok(app)
}

#[tokio::main]
async fn main() {
    let port = match benchmark_harness::port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("spikard-rust: {e}");
            std::process::exit(2);
        }
    };
    let app = match app() {
        Ok(app) => app,
        Err(e) => {
            eprintln!("spikard-rust: invalid routes: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = app.run("127.0.0.1", port).await {
        eprintln!("spikard-rust: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use benchmark_harness::check::Checker;
    use benchmark_harness::workload;

    #[test]
    fn order_schema_has_the_constraints() {
        let schema = spikard::schema_of::<Order>();
        assert_eq!(schema["properties"]["customer"]["minLength"], 1, "{schema}");
    }

    /// Every workload's request (and its negative checks) through the in-memory client.
    #[tokio::test]
    async fn every_workload_is_answered_correctly() {
        let client = app().unwrap().test_client();
        for w in workload::all() {
            let send = |path: &str, ct: Option<&String>, body: Option<&bytes::Bytes>| {
                let mut req = client.request(w.method.as_str(), path);
                if let Some(ct) = ct {
                    req = req.header("content-type", ct);
                }
                if let Some(b) = body {
                    req = req.body(b.clone());
                }
                req
            };
            let r = send(&w.path, w.content_type.as_ref(), w.body.as_ref()).send().await;
            let status = http::StatusCode::from_u16(r.status).unwrap();
            Checker::new(&w)
                .check(status, &r.body)
                .unwrap_or_else(|e| panic!("{}: {e}", w.name));
            for n in &w.negative {
                let r = send(&n.path, n.content_type.as_ref(), n.body.as_ref()).send().await;
                assert_eq!(r.status, 422, "{} / {}", w.name, n.description);
            }
        }
    }
}
