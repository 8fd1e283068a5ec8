//! WebSocket routes served by foreign code: one session object per connection.
//!
//! A binding implements [`ForeignSessions`] (open a session for a new connection, e.g.
//! call the user's factory and start its handler on the event loop) and
//! [`ForeignSession`] (hand it a message, tell it the connection closed).
//! [`ForeignWebSocket`] keeps the open sessions by connection and is the route's
//! [`WebSocketHandler`]. Size, UTF-8 and `message_schema` checks happen in the core
//! before a message reaches the session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use spikard_core::SpikardError;

use super::call::ForeignError;
use crate::handler::BoxFuture;
use crate::websocket::{WebSocketHandler, WsConnection, WsMessage};

/// One connection's session in the binding's language.
pub trait ForeignSession: Send + Sync + 'static {
    /// Hand over one accepted message (the binding may queue it: back-pressure is its own).
    fn push(&self, message: WsMessage) -> BoxFuture<Result<(), ForeignError>>;

    /// The connection ended with `code` and `reason`.
    fn closed(&self, code: u16, reason: String) -> BoxFuture<Result<(), ForeignError>>;
}

/// Opens a session per connection.
pub trait ForeignSessions: Send + Sync + 'static {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>>;
}

/// A WebSocket route's handler over foreign sessions.
pub struct ForeignWebSocket {
    sessions: Box<dyn ForeignSessions>,
    /// Open sessions, by connection (the address of its shared upgrade request).
    open: Arc<Mutex<HashMap<usize, Arc<dyn ForeignSession>>>>,
}

impl ForeignWebSocket {
    pub fn new(sessions: impl ForeignSessions) -> Self {
        Self {
            sessions: Box::new(sessions),
            open: Arc::default(),
        }
    }

    fn key(conn: &WsConnection) -> usize {
        std::ptr::from_ref(conn.request()) as usize
    }
}

impl WebSocketHandler for ForeignWebSocket {
    fn on_connect(&self, conn: WsConnection) -> BoxFuture<Result<(), SpikardError>> {
        let key = Self::key(&conn);
        let opening = self.sessions.open(conn);
        let open = self.open.clone();
        Box::pin(async move {
            let session = opening.await.map_err(|e| e.error)?;
            if let Ok(mut open) = open.lock() {
                open.insert(key, session);
            }
            Ok(())
        })
    }

    fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
        let session = self.open.lock().ok().and_then(|s| s.get(&Self::key(&conn)).cloned());
        let Some(session) = session else {
            let e = SpikardError::Internal("message for an unknown WebSocket session".into());
            return Box::pin(std::future::ready(Err(e)));
        };
        let pushed = session.push(message);
        Box::pin(async move { pushed.await.map_err(|e| e.error) })
    }

    fn on_close(&self, conn: WsConnection, code: u16, reason: String) -> BoxFuture<()> {
        let session = self.open.lock().ok().and_then(|mut s| s.remove(&Self::key(&conn)));
        let Some(session) = session else {
            return Box::pin(async {});
        };
        let closed = session.closed(code, reason);
        Box::pin(async move {
            if let Err(e) = closed.await {
                tracing::error!(error = %e.error, "WebSocket session close failed");
            }
        })
    }
}
