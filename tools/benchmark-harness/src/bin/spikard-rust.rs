//! Contestant `spikard-rust`: every workload's route written with Spikard's Rust API. Path,
//! query, form and body are declared (typed segments, schemars structs, JSON Schema) and
//! validated by Spikard (422 on bad input) before the handler runs; the handlers only read
//! the validated values and answer. `SPIKARD_BENCH_MIDDLEWARE` selects the middleware a run
//! puts on (see [`Middleware`]): one binary serves the `spikard-rust`, `spikard-rust-mw`,
//! `spikard-rust-towerhttp` and `spikard-rust-layer` contestants with the same routes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use spikard::hooks::{HandlerResponse, HookFlow, HookRequest, RequestData};
use spikard::{
    get, post, App, CompressionConfig, CorsConfig, Ctx, Json, RequestIdConfig, RequestTimeoutConfig, ServerConfig,
};

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

/// Which middleware a run of this binary puts on, from `SPIKARD_BENCH_MIDDLEWARE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Middleware {
    /// Unset (contestant `spikard-rust`): none, request IDs off too.
    None,
    /// `1` (contestant `spikard-rust-mw`): Spikard's own compression, CORS, request IDs and
    /// request deadline, plus an `on_request` and an `on_response` hook. `spikard:LIST` puts on
    /// only the listed ones (`compression,cors,request-id,timeout,hooks`), to measure one.
    Spikard(Set),
    /// `tower-http` (contestant `spikard-rust-towerhttp`): the same settings and hooks, with
    /// tower-http's `CompressionLayer`, `CorsLayer`, `SetRequestIdLayer` +
    /// `PropagateRequestIdLayer` and `TimeoutLayer` around the app instead. `tower-http:LIST`
    /// as above.
    TowerHttp(Set),
    /// `layer` (contestant `spikard-rust-layer`): no middleware, one no-op tower layer: what
    /// the layered path itself costs.
    NoOpLayer,
}

/// The middleware of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Set {
    compression: bool,
    cors: bool,
    request_id: bool,
    timeout: bool,
    hooks: bool,
}

impl Set {
    const ALL: Self = Self {
        compression: true,
        cors: true,
        request_id: true,
        timeout: true,
        hooks: true,
    };

    /// `compression,cors,request-id,timeout,hooks`, any of them.
    fn parse(list: &str) -> Self {
        let has = |name: &str| list.split(',').any(|item| item.trim() == name);
        Self {
            compression: has("compression"),
            cors: has("cors"),
            request_id: has("request-id"),
            timeout: has("timeout"),
            hooks: has("hooks"),
        }
    }
}

impl Middleware {
    fn from_env() -> Self {
        Self::parse(&std::env::var("SPIKARD_BENCH_MIDDLEWARE").unwrap_or_default())
    }

    fn parse(value: &str) -> Self {
        match value {
            "1" => Self::Spikard(Set::ALL),
            "tower-http" => Self::TowerHttp(Set::ALL),
            "layer" => Self::NoOpLayer,
            other => match other.split_once(':') {
                Some(("spikard", list)) => Self::Spikard(Set::parse(list)),
                Some(("tower-http", list)) => Self::TowerHttp(Set::parse(list)),
                _ => Self::None,
            },
        }
    }
}

/// The request deadline of the middleware runs (never reached by a workload).
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

/// The server config of a run. Bodies under `min_size` are sent as they are, as they would be
/// in production.
fn config(middleware: Middleware) -> ServerConfig {
    let mut config = ServerConfig {
        request_id: None,
        ..ServerConfig::default()
    };
    if let Middleware::Spikard(set) = middleware {
        if set.compression {
            config.compression = Some(CompressionConfig::default());
        }
        if set.cors {
            config.cors = Some(CorsConfig {
                allowed_origins: vec!["*".into()],
                ..CorsConfig::default()
            });
        }
        if set.request_id {
            config.request_id = Some(RequestIdConfig::default());
        }
        if set.timeout {
            config.request_timeout = Some(RequestTimeoutConfig {
                seconds: DEADLINE.as_secs_f64(),
            });
        }
    }
    config
}

fn add_hooks(app: &mut App) {
    app.on_request(|req: RequestData| async move { Ok(HookFlow::Continue(req)) })
        .on_response(|mut res: HandlerResponse, _req: &HookRequest| {
            res.headers
                .insert("x-served-by", http::HeaderValue::from_static("spikard"));
            async move { Ok(res) }
        });
}

/// tower-http's middleware with the settings of `CompressionConfig::default()`,
/// `CorsConfig { allowed_origins: ["*"] }`, `RequestIdConfig::default()` and [`DEADLINE`], in
/// Spikard's order (request ID outermost, then CORS, compression, the deadline). All four go
/// on as one layer (a `ServiceBuilder`: one boxed service around the app, not one per
/// middleware); a partial set as one layer each (each measured against `spikard-rust-layer`).
fn add_tower_http(app: &mut App, set: Set) {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    use tower_http::cors::{Any, CorsLayer};
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::timeout::TimeoutLayer;

    let defaults = CompressionConfig::default();
    let compression = CompressionLayer::new()
        .quality(CompressionLevel::Precise(defaults.quality as i32))
        .compress_when(
            SizeAbove::new(defaults.min_size as u64)
                .and(NotForContentType::GRPC)
                .and(NotForContentType::IMAGES)
                .and(NotForContentType::SSE),
        );
    let cors =
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([http::Method::GET, http::Method::HEAD, http::Method::POST]);
    let timeout = TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, DEADLINE);
    let request_id = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id());
    if set == Set::ALL {
        app.layer(
            tower::ServiceBuilder::new()
                .layer(request_id)
                .layer(cors)
                .layer(compression)
                .layer(timeout),
        );
        return;
    }
    if set.timeout {
        app.layer(timeout);
    }
    if set.compression {
        app.layer(compression);
    }
    if set.cors {
        app.layer(cors);
    }
    if set.request_id {
        app.layer(request_id);
    }
}

fn app() -> Result<App> {
    app_with(Middleware::from_env())
}

fn app_with(middleware: Middleware) -> Result<App> {
    let mut app = App::with_config(config(middleware));
    match middleware {
        Middleware::None => {}
        Middleware::Spikard(set) if set.hooks => add_hooks(&mut app),
        Middleware::Spikard(_) => {}
        Middleware::TowerHttp(set) => {
            if set.hooks {
                add_hooks(&mut app);
            }
            add_tower_http(&mut app, set);
        }
        Middleware::NoOpLayer => {
            app.layer(tower::layer::util::Identity::new());
        }
    }
    app.route(get("/plaintext").handler(|_ctx: Ctx| async move { "Hello, World!" }))?;
    app.route(get("/json").handler(|_ctx: Ctx| async move { Json(json!({"message": "hello", "id": 1, "ok": true})) }))?;
    // A blocking call (a database driver, an HTTP client) on tokio's blocking pool.
    app.route(get("/sleep").handler(|_ctx: Ctx| async move {
        let _ = tokio::task::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(5))).await;
        Json(json!({"slept": true}))
    }))?;
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

    #[test]
    fn middleware_sets_from_the_environment_value() {
        assert_eq!(Middleware::parse(""), Middleware::None);
        assert_eq!(Middleware::parse("1"), Middleware::Spikard(Set::ALL));
        assert_eq!(Middleware::parse("tower-http"), Middleware::TowerHttp(Set::ALL));
        assert_eq!(Middleware::parse("layer"), Middleware::NoOpLayer);
        let Middleware::TowerHttp(set) = Middleware::parse("tower-http:cors,request-id") else {
            panic!("not parsed")
        };
        assert!(set.cors && set.request_id && !set.compression && !set.timeout && !set.hooks);
    }

    /// Every workload's request (and its negative checks) through the in-memory client,
    /// in each middleware set.
    #[tokio::test]
    async fn every_workload_is_answered_correctly() {
        for middleware in [
            Middleware::None,
            Middleware::Spikard(Set::ALL),
            Middleware::TowerHttp(Set::ALL),
            Middleware::NoOpLayer,
        ] {
            play_all(middleware).await;
        }
    }

    async fn play_all(middleware: Middleware) {
        let client = app_with(middleware).unwrap().test_client();
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
                .unwrap_or_else(|e| panic!("{middleware:?} {}: {e}", w.name));
            let id = r.header("x-request-id");
            match middleware {
                Middleware::Spikard(_) | Middleware::TowerHttp(_) => {
                    assert_eq!(r.header("x-served-by"), Some("spikard"), "{middleware:?}");
                    assert!(id.is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{middleware:?}");
                }
                Middleware::None | Middleware::NoOpLayer => assert_eq!(id, None, "{middleware:?}"),
            }
            for n in &w.negative {
                let r = send(&n.path, n.content_type.as_ref(), n.body.as_ref()).send().await;
                assert_eq!(r.status, 422, "{middleware:?} {} / {}", w.name, n.description);
            }
        }
    }
}
