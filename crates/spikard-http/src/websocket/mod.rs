//! WebSockets: a binding-neutral [`WebSocketHandler`] (`on_connect`,
//! `on_message`, `on_close`) driven by the core over a [`WsConnection`] it can
//! send on and close. The core does the handshake, answers pings, enforces the
//! maximum message size (close 1009), refuses invalid UTF-8 (1007), validates
//! incoming JSON against the route's `message_schema` (an error frame, the
//! connection stays open) and closes with 1011 when the handler fails.
//!
//! A route is registered with `PipelineBuilder::websocket(spec, handler)`; its
//! `RouteSpec::kind` is `websocket` so documentation generators can tell it apart.
//!
//! ```
//! use spikard_http::websocket::{WebSocketHandler, WsConnection, WsMessage};
//! use spikard_http::{BoxFuture, SpikardError};
//! struct Echo;
//! impl WebSocketHandler for Echo {
//!     fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
//!         Box::pin(async move {
//!             let _ = conn.send(message).await;
//!             Ok(())
//!         })
//!     }
//! }
//! ```

#[cfg(feature = "server")]
mod handshake;
#[cfg(feature = "server")]
mod session;

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;
use spikard_core::validation::SchemaValidator;
use spikard_core::SpikardError;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::handler::{BoxFuture, Handler, HandlerResult, RequestData};
use crate::response::{HandlerResponse, ResponseBody};
use crate::streaming::Disconnected;

#[cfg(feature = "server")]
pub use handshake::{finish, Handshake, InMemoryUpgrade};

/// Close codes the core uses (RFC 6455 section 7.4.1).
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// No code was given by the peer.
    pub const NO_STATUS: u16 = 1005;
    /// The connection ended without a close frame.
    pub const ABNORMAL: u16 = 1006;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    pub const INTERNAL_ERROR: u16 = 1011;
}

/// A data message.
#[derive(Debug, Clone, PartialEq)]
pub enum WsMessage {
    Text(String),
    Binary(Bytes),
    /// A text message already parsed and validated against the route's `message_schema`
    /// (only received on such routes; sent as one line of JSON text).
    Json(Value),
}

impl WsMessage {
    /// The message as JSON: parsed from text, as is for `Json`, `None` for binary or invalid JSON.
    pub fn json(&self) -> Option<Value> {
        match self {
            Self::Json(v) => Some(v.clone()),
            Self::Text(t) => serde_json::from_str(t).ok(),
            Self::Binary(_) => None,
        }
    }
}

/// Application code for a WebSocket route, in any language.
pub trait WebSocketHandler: Send + Sync + 'static {
    /// After the handshake. A client error (4xx: refused, forbidden) closes the connection
    /// with 1008 (policy violation) and its detail as the reason; any other error with 1011.
    fn on_connect(&self, _conn: WsConnection) -> BoxFuture<Result<(), SpikardError>> {
        Box::pin(async { Ok(()) })
    }

    /// Each data message, in order. An error closes the connection with 1011.
    fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>>;

    /// Once, when the connection ends, with the close code (1005 none given, 1006 none received).
    fn on_close(&self, _conn: WsConnection, _code: u16, _reason: String) -> BoxFuture<()> {
        Box::pin(async {})
    }
}

/// What the session's writer sends.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
#[derive(Debug)]
pub(crate) enum Outgoing {
    Message(WsMessage),
    Close(u16, String),
}

/// One open connection: send messages, close it, read the upgrade request. Cheap to clone.
#[derive(Clone)]
pub struct WsConnection {
    inner: Arc<ConnInner>,
}

struct ConnInner {
    tx: mpsc::Sender<Outgoing>,
    request: RequestData,
}

impl std::fmt::Debug for WsConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsConnection")
            .field("path", &self.inner.request.path)
            .finish()
    }
}

impl WsConnection {
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn new(tx: mpsc::Sender<Outgoing>, request: RequestData) -> Self {
        Self {
            inner: Arc::new(ConnInner { tx, request }),
        }
    }

    /// The validated upgrade request (path parameters, query, headers).
    pub fn request(&self) -> &RequestData {
        &self.inner.request
    }

    /// Queue a message; waits while the client is not reading, fails once the connection closed.
    pub async fn send(&self, message: WsMessage) -> Result<(), Disconnected> {
        self.inner
            .tx
            .send(Outgoing::Message(message))
            .await
            .map_err(|_| Disconnected)
    }

    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), Disconnected> {
        self.send(WsMessage::Text(text.into())).await
    }

    pub async fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), Disconnected> {
        self.send(WsMessage::Binary(data.into())).await
    }

    pub async fn send_json(&self, value: Value) -> Result<(), Disconnected> {
        self.send(WsMessage::Json(value)).await
    }

    /// Close with a code (see [`close_code`]) and a reason (cut to the 123 bytes a close frame holds).
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Disconnected> {
        self.inner
            .tx
            .send(Outgoing::Close(code, truncate_reason(reason)))
            .await
            .map_err(|_| Disconnected)
    }

    pub fn is_closed(&self) -> bool {
        self.inner.tx.is_closed()
    }
}

fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

/// Settings of a WebSocket route, decided at registration.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) struct WsSettings {
    pub validator: Option<SchemaValidator>,
    pub max_message_size: usize,
    /// Cancelled when the server shuts down: open sessions close with 1001.
    pub shutdown: CancellationToken,
}

/// A WebSocket session about to start: what the route's handler answers with
/// (`ResponseBody::WebSocket`); the core completes the upgrade and runs it.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub struct WebSocketUpgrade {
    pub(crate) handler: Arc<dyn WebSocketHandler>,
    pub(crate) settings: Arc<WsSettings>,
    pub(crate) request: RequestData,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("path", &self.request.path)
            .finish()
    }
}

/// The [`Handler`] of a WebSocket route: once the request passed routing, middleware,
/// hooks and parameter validation, it answers with the session to run.
pub struct WebSocketRoute {
    handler: Arc<dyn WebSocketHandler>,
    settings: Arc<WsSettings>,
}

impl WebSocketRoute {
    /// Compile the message schema now; an invalid one is a registration error.
    /// Sessions close with 1001 (going away) once `shutdown` is cancelled.
    pub fn new(
        handler: Arc<dyn WebSocketHandler>,
        message_schema: Option<&Value>,
        max_message_size: usize,
        shutdown: CancellationToken,
    ) -> Result<Self, String> {
        let validator = message_schema.map(SchemaValidator::compile).transpose()?;
        Ok(Self {
            handler,
            settings: Arc::new(WsSettings {
                validator,
                max_message_size: max_message_size.max(1),
                shutdown,
            }),
        })
    }
}

impl Handler for WebSocketRoute {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let upgrade = WebSocketUpgrade {
            handler: Arc::clone(&self.handler),
            settings: Arc::clone(&self.settings),
            request,
        };
        Box::pin(async move {
            Ok(HandlerResponse::new(
                StatusCode::SWITCHING_PROTOCOLS,
                ResponseBody::WebSocket(Box::new(upgrade)),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn close_reasons_fit_a_control_frame_without_splitting_characters() {
        assert_eq!(truncate_reason("short"), "short");
        let long = "é".repeat(100);
        let cut = truncate_reason(&long);
        assert!(cut.len() <= 123);
        assert_eq!(cut, "é".repeat(61));
    }

    #[test]
    fn messages_read_as_json() {
        assert_eq!(WsMessage::Text("{\"a\":1}".into()).json(), Some(json!({"a": 1})));
        assert_eq!(WsMessage::Json(json!([1])).json(), Some(json!([1])));
        assert_eq!(WsMessage::Text("nope".into()).json(), None);
        assert_eq!(WsMessage::Binary(Bytes::from_static(b"{}")).json(), None);
    }

    #[test]
    fn an_invalid_message_schema_is_refused_at_registration() {
        struct Nothing;
        impl WebSocketHandler for Nothing {
            fn on_message(&self, _c: WsConnection, _m: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
                Box::pin(async { Ok(()) })
            }
        }
        let bad = json!({"type": 5});
        assert!(WebSocketRoute::new(Arc::new(Nothing), Some(&bad), 10, CancellationToken::new()).is_err());
    }
}
