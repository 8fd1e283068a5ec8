//! Spikard's HTTP layer: the binding-neutral handler contract, the request
//! pipeline (routing, validation, problem responses), the axum/tokio server and
//! the in-memory test client. The pipeline is a tower `Service` and takes any tower
//! `Layer` around it ([`service`]).
//!
//! Cargo features, all on by default and for every member that serves, all off for the
//! WebAssembly module (spikard-wasm): `server` (sockets, workers, WebSockets, static
//! directories, timers), `brotli` (brotli in [`middleware::compression`]) and
//! `docs-assets` (the Swagger UI and Redoc bundles of [`docs`], 3 MB).
//!
//! ```
//! use spikard_http::{PipelineBuilder, RouteSpec};
//! let builder = PipelineBuilder::new(Default::default());
//! assert_eq!(builder.config().port, 8000);
//! let spec = RouteSpec::new("get", "/users/{id:int}");
//! assert_eq!(spec.method, "GET");
//! ```

pub mod background;
pub mod body_stream;
pub mod client_ip;
#[cfg(feature = "server")]
mod connection;
pub mod cookies;
pub mod di;
pub mod docs;
pub mod file;
pub mod foreign;
pub mod handler;
pub mod hooks;
pub mod layer;
pub mod limits;
pub mod middleware;
pub mod mount;
pub mod pipeline;
pub mod response;
pub mod response_model;
pub mod route;
pub mod rt;
#[cfg(feature = "server")]
pub mod server;
pub mod service;
pub mod sse;
pub mod streaming;
pub mod testing;
pub mod websocket;
#[cfg(feature = "server")]
pub mod workers;

pub use background::BackgroundTasks;
pub use body_stream::{BodyStream, StreamedBody};
pub use cookies::Cookie;
pub use di::{Dependencies, Dependency, DependencyFactory, DependencyRegistry, Resolved, RouteDependencies};
pub use handler::{BoxFuture, Handler, HandlerResult, RawTarget, RequestData};
pub use hooks::{HookFlow, HookRequest, LifecycleHooks, RequestHook, ResponseHook};
pub use layer::{AppLayer, AppService, BoxError};
pub use middleware::{Context, Middleware};
pub use pipeline::{Pipeline, PipelineBuilder};
pub use response::{HandlerResponse, ResponseBody};
pub use response_model::ResponseModelCheck;
pub use route::{ParameterSpecs, RouteKind, RouteSpec};
pub use spikard_core::config::ServerConfig;
pub use spikard_core::SpikardError;
pub use sse::{SseEvent, SseStream};
pub use testing::{TestClient, TestRequest, TestResponse};
#[cfg(feature = "server")]
pub use testing::{TestWebSocket, WsFrame};
pub use websocket::{WebSocketHandler, WsConnection, WsMessage};
