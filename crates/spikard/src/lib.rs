//! Spikard's Rust API: an [`App`], routes as async closures taking a validated
//! [`Ctx`], schemas from `schemars`, and anything serialisable as the response.
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//! use spikard::{get, post, App, Ctx, Json};
//!
//! #[derive(Deserialize, Serialize, JsonSchema)]
//! struct Item { name: String, price: f64 }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.route(get("/users/{id:int}").handler(|ctx: Ctx| async move {
//!     let id: i64 = ctx.path("id")?;
//!     Ok::<_, spikard::Error>(Json(serde_json::json!({"id": id})))
//! })).unwrap();
//! app.route(post("/items").body::<Item>().handler(|ctx: Ctx| async move {
//!     let item: Item = ctx.json()?;
//!     Ok::<_, spikard::Error>(Json(item))
//! })).unwrap();
//! let client = app.test_client();
//! assert_eq!(client.get("/users/7").send().await.json(), serde_json::json!({"id": 7}));
//! assert_eq!(client.get("/users/x").send().await.status, 422);
//! # });
//! ```

mod app;
mod background;
mod ctx;
pub mod di;
mod error;
pub mod hooks;
mod openapi;
mod response;
mod route;
mod sse;
pub mod ws;

pub use app::App;
pub use ctx::Ctx;
pub use error::Error;
pub use hooks::HookFlow;
pub use response::{FileResponse, IntoResponse, Json, Response};
pub use route::{delete, get, head, options, patch, post, put, schema_of, trace, Route, RouteBuilder};
pub use spikard_core::body::multipart::UploadedFile;
pub use spikard_core::config::OpenApiConfig;
/// Authentication settings and what a handler finds once a request is authenticated
/// (`ctx.data().extensions.get::<JwtClaims>()`, or `ctx.data().state["jwt_claims"]`).
pub use spikard_core::config::{ApiKeyConfig, JwtConfig};
pub use spikard_core::config::{
    BodyLimitConfig, CompressionConfig, CorsConfig, RateLimitConfig, RequestIdConfig, RequestTimeoutConfig,
    RouteMiddleware, StaticFile, StaticFilesConfig,
};
pub use spikard_core::openapi::ResponseDoc;
pub use spikard_http::middleware::auth::{ApiKeyAuthenticated, JwtClaims};
/// What [`App::layer`] takes: tower layers around the whole app, and the service they wrap.
pub use spikard_http::{AppLayer, AppService};
pub use spikard_http::{
    BackgroundTasks, BodyStream, Cookie, ServerConfig, SseEvent, TestClient, TestResponse, TestWebSocket, WsFrame,
};
pub use sse::Sse;

/// HTTP types re-exported for handlers.
pub use http::{HeaderMap, Method, StatusCode};

/// Install a `tracing` subscriber reading `RUST_LOG` (default `info`). Safe to call twice.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
