//! WebSocket routes: per connection, the package's `open(ws, request)`, `message(ws,
//! data)` and `close(ws, code, reason)` functions, driven by the core's [`FnSession`]
//! (sizes, UTF-8 and the route's `message_schema` are checked by the core first). The
//! package's socket object sends and closes through [`Connections`].

use std::sync::Arc;

use serde_json::Value;
pub use spikard_http::foreign::Connections;
use spikard_http::foreign::{FnSession, ForeignConnection, ForeignError, ForeignFn, ForeignSession, ForeignSessions};
use spikard_http::{BoxFuture, WsConnection};

use magnus::{Error, RString, Ruby};
use spikard_http::WsMessage;

use crate::call::RbFn;
use crate::pool::{Dispatcher, Owned};

/// A WebSocket route's Ruby side: the indexes of its `open`, `message` and `close`
/// functions.
pub struct RbSessions {
    pub handlers: [u32; 3],
    pub name: Arc<str>,
    pub dispatcher: Arc<Dispatcher>,
    pub connections: Arc<Connections>,
}

impl ForeignSessions for RbSessions {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let conn = ForeignConnection::new(conn);
        let request = Arc::new(conn.request().clone());
        let id = self.connections.add(conn);
        let f = |func: u32, prefix: Vec<Owned>| -> Arc<dyn ForeignFn> {
            Arc::new(RbFn::with_prefix(&self.dispatcher, func, prefix, &self.name))
        };
        let ws = || Owned::Json(Value::from(id));
        let [open, message, close] = self.handlers;
        let start = f(open, vec![ws(), Owned::Request(request)]);
        FnSession::start(&start, f(message, vec![ws()]), f(close, vec![ws()]))
    }
}

impl crate::app::NativeApp {
    /// Send a text (`binary` false) or binary message on server-side connection `ws`;
    /// returns once the frame is queued, raising `IOError` when it cannot be.
    pub fn ws_send(ruby: &Ruby, rb_self: &Self, ws: u32, data: RString, binary: bool) -> Result<(), Error> {
        // SAFETY: copied before any Ruby code runs.
        let bytes = unsafe { data.as_slice() }.to_vec();
        let message = match binary {
            true => WsMessage::Binary(bytes.into()),
            false => WsMessage::Text(
                String::from_utf8(bytes)
                    .map_err(|_| Error::new(ruby.exception_arg_error(), "a text message must be UTF-8"))?,
            ),
        };
        let Some(conn) = rb_self.connections.get(ws) else {
            return Err(Error::new(ruby.exception_io_error(), "the connection is closed"));
        };
        let (tx, rx) = std::sync::mpsc::channel();
        conn.send(message, move |e| {
            let _ = tx.send(e);
        });
        queued(ruby, rx)
    }

    /// Close server-side connection `ws` with `code` and `reason`.
    pub fn ws_close(ruby: &Ruby, rb_self: &Self, ws: u32, code: u16, reason: String) -> Result<(), Error> {
        let Some(conn) = rb_self.connections.get(ws) else {
            return Ok(());
        };
        let (tx, rx) = std::sync::mpsc::channel();
        conn.close(code, reason, move |e| {
            let _ = tx.send(e);
        })
        .map_err(|e| Error::new(ruby.exception_arg_error(), e))?;
        queued(ruby, rx)
    }

    /// Forget server-side connection `ws` (its `close` function ran).
    pub fn ws_release(&self, ws: u32) {
        self.connections.remove(ws);
    }
}

/// Wait (the GVL released) until the frame is queued.
fn queued(ruby: &Ruby, rx: std::sync::mpsc::Receiver<Option<String>>) -> Result<(), Error> {
    match crate::gvl::blocking(move || rx.recv()) {
        Some(Ok(None)) => Ok(()),
        Some(Ok(Some(e))) => Err(Error::new(ruby.exception_io_error(), e)),
        _ => Err(Error::new(ruby.exception_io_error(), "the connection is gone")),
    }
}
