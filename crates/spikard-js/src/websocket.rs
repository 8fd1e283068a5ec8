//! WebSocket routes: per connection, JavaScript's `open(ws)`, `message(ws, data)` and
//! `close(ws, code, reason)` handlers, driven by the core's [`FnSession`] (sizes, UTF-8
//! and the route's `message_schema` are checked by the core first). The package's socket
//! object sends and closes through [`Connections`], from the JavaScript thread.

use std::sync::Arc;

use serde_json::{json, Value};
pub use spikard_http::foreign::Connections;
use spikard_http::foreign::{FnSession, ForeignConnection, ForeignError, ForeignFn, ForeignSession, ForeignSessions};
use spikard_http::{BoxFuture, WsConnection, WsMessage};

use crate::call::JsFn;
use crate::convert::request_object;
use crate::dispatch::Dispatcher;

/// A WebSocket route's JavaScript side: the indexes of its `open`, `message` and `close`
/// handlers.
pub struct JsSessions {
    pub handlers: [u32; 3],
    pub name: Arc<str>,
    pub dispatcher: Arc<Dispatcher>,
    pub connections: Arc<Connections>,
}

impl ForeignSessions for JsSessions {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let conn = ForeignConnection::new(conn);
        let request = request_object(&Arc::new(conn.request().clone()));
        let id = self.connections.add(conn);
        let f = |func: u32, prefix: Value| -> Arc<dyn ForeignFn> {
            Arc::new(JsFn::with_prefix(&self.dispatcher, func, vec![prefix], &self.name))
        };
        let [open, message, close] = self.handlers;
        let start = f(open, json!({ "ws": id, "request": request }));
        FnSession::start(&start, f(message, json!({ "ws": id })), f(close, json!({ "ws": id })))
    }
}

/// A message from JavaScript: text, or bytes.
pub fn outgoing(text: Option<String>, bytes: Option<&[u8]>) -> WsMessage {
    match (text, bytes) {
        (Some(t), _) => WsMessage::Text(t),
        (None, Some(b)) => WsMessage::Binary(bytes::Bytes::copy_from_slice(b)),
        (None, None) => WsMessage::Text(String::new()),
    }
}
