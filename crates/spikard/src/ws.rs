//! WebSocket routes from Rust closures.
//!
//! ```
//! use serde_json::json;
//! use spikard::ws::{websocket, WsConnection, WsMessage};
//! use spikard::App;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.websocket(
//!     websocket("/chat")
//!         .message_schema(json!({"type": "object", "required": ["text"]}))
//!         .on_message(|conn: WsConnection, msg: WsMessage| async move {
//!             let _ = conn.send_json(json!({"echo": msg.json()})).await;
//!             Ok(())
//!         }),
//! ).unwrap();
//! let mut ws = app.test_client().websocket("/chat").connect().await.unwrap();
//! ws.send_json(&json!({"text": "hi"})).await.unwrap();
//! assert_eq!(ws.recv().await.unwrap().json(), Some(json!({"echo": {"text": "hi"}})));
//! # });
//! ```

use std::future::Future;
use std::sync::Arc;

use schemars::JsonSchema;
use serde_json::Value;
use spikard_http::websocket::WebSocketHandler;
use spikard_http::{BoxFuture, RouteSpec, SpikardError};

pub use spikard_http::websocket::{close_code, WsConnection, WsMessage};

use crate::error::Error;
use crate::route::schema_of;

type ConnectFn = Arc<dyn Fn(WsConnection) -> BoxFuture<Result<(), SpikardError>> + Send + Sync>;
type MessageFn = Arc<dyn Fn(WsConnection, WsMessage) -> BoxFuture<Result<(), SpikardError>> + Send + Sync>;
type CloseFn = Arc<dyn Fn(WsConnection, u16, String) -> BoxFuture<()> + Send + Sync>;

/// A WebSocket route being built: `websocket("/chat").on_message(...)`.
pub struct WsRouteBuilder {
    spec: RouteSpec,
    on_connect: Option<ConnectFn>,
    on_close: Option<CloseFn>,
}

/// A WebSocket route, ready for [`crate::App::websocket`].
pub struct WsRoute {
    pub(crate) spec: RouteSpec,
    pub(crate) handler: Arc<dyn WebSocketHandler>,
}

/// Start a WebSocket route at `path` (a `GET` route; path parameters allowed).
pub fn websocket(path: &str) -> WsRouteBuilder {
    WsRouteBuilder {
        spec: RouteSpec::new("GET", path),
        on_connect: None,
        on_close: None,
    }
}

impl WsRouteBuilder {
    /// Validate incoming messages against a JSON Schema (failures get an error frame;
    /// valid ones arrive as `WsMessage::Json`).
    #[must_use]
    pub fn message_schema(mut self, schema: Value) -> Self {
        self.spec.message_schema = Some(schema);
        self
    }

    /// Validate incoming messages against the schema of a Rust type.
    #[must_use]
    pub fn message<T: JsonSchema>(self) -> Self {
        self.message_schema(schema_of::<T>())
    }

    /// The schema of messages the server sends (for AsyncAPI documents).
    #[must_use]
    pub fn event_schema(mut self, schema: Value) -> Self {
        self.spec.event_schema = Some(schema);
        self
    }

    /// Largest incoming message in bytes (default: the body size limit); larger closes with 1009.
    #[must_use]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.spec.max_message_size = Some(bytes);
        self
    }

    /// Declare a query parameter of the upgrade request by JSON Schema.
    #[must_use]
    pub fn query_param(mut self, name: &str, schema: Value) -> Self {
        self.spec.parameters.query.insert(name.into(), schema);
        self
    }

    /// Run after the handshake; an error closes the connection (1008 for a client error).
    #[must_use]
    pub fn on_connect<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(WsConnection) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        self.on_connect = Some(Arc::new(move |c| {
            let fut = f(c);
            Box::pin(async move { fut.await.map_err(|e| e.0) })
        }));
        self
    }

    /// Run once when the connection ends, with the close code and reason.
    #[must_use]
    pub fn on_close<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(WsConnection, u16, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_close = Some(Arc::new(move |c, code, reason| Box::pin(f(c, code, reason))));
        self
    }

    /// Handle each data message; an error closes the connection with 1011.
    pub fn on_message<F, Fut>(self, f: F) -> WsRoute
    where
        F: Fn(WsConnection, WsMessage) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), Error>> + Send + 'static,
    {
        let on_message: MessageFn = Arc::new(move |c, m| {
            let fut = f(c, m);
            Box::pin(async move { fut.await.map_err(|e| e.0) })
        });
        WsRoute {
            spec: self.spec,
            handler: Arc::new(FnWsHandler {
                on_connect: self.on_connect,
                on_message,
                on_close: self.on_close,
            }),
        }
    }

    /// Use any [`WebSocketHandler`] object.
    pub fn handler_object(self, handler: Arc<dyn WebSocketHandler>) -> WsRoute {
        WsRoute {
            spec: self.spec,
            handler,
        }
    }
}

struct FnWsHandler {
    on_connect: Option<ConnectFn>,
    on_message: MessageFn,
    on_close: Option<CloseFn>,
}

impl WebSocketHandler for FnWsHandler {
    fn on_connect(&self, conn: WsConnection) -> BoxFuture<Result<(), SpikardError>> {
        match &self.on_connect {
            Some(f) => f(conn),
            None => Box::pin(async { Ok(()) }),
        }
    }

    fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
        (self.on_message)(conn, message)
    }

    fn on_close(&self, conn: WsConnection, code: u16, reason: String) -> BoxFuture<()> {
        match &self.on_close {
            Some(f) => f(conn, code, reason),
            None => Box::pin(async {}),
        }
    }
}
