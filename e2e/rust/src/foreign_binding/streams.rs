//! The test binding's iterators and WebSocket sessions, for the core's generic adapters:
//! a streamed body or SSE response pulls [`TestItems`] (a list of JSON items, converted
//! one at a time) through `foreign::items::stream`; a WebSocket route serves
//! [`TestSessions`] through `ForeignWebSocket` (each session echoes what it is handed).
//! Closing an iterator early and the end of a session are journaled.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Value};
use spikard_http::foreign::{ForeignError, ForeignItems, ForeignSession, ForeignSessions};
use spikard_http::{BoxFuture, SpikardError, SseEvent, WsConnection, WsMessage};

use super::binding::{Event, Journal};

/// An iterator of the language: JSON items, converted as they are pulled.
pub struct TestItems<T> {
    items: Mutex<VecDeque<Value>>,
    convert: fn(Value) -> Result<T, String>,
    /// After the items, stay pending (a stream kept open: SSE with keep-alive).
    endless: bool,
    is_async: bool,
    name: String,
    journal: Journal,
}

impl<T> TestItems<T> {
    pub fn new(
        items: Vec<Value>,
        convert: fn(Value) -> Result<T, String>,
        endless: bool,
        is_async: bool,
        name: String,
        journal: Journal,
    ) -> Self {
        Self {
            items: Mutex::new(items.into()),
            convert,
            endless,
            is_async,
            name,
            journal,
        }
    }
}

impl<T: Send + 'static> ForeignItems<T> for TestItems<T> {
    fn next(&self) -> BoxFuture<Result<Option<T>, ForeignError>> {
        let item = self.items.lock().ok().and_then(|mut items| items.pop_front());
        let out = match item {
            None if self.endless => return Box::pin(std::future::pending()),
            None => Ok(None),
            Some(v) => (self.convert)(v)
                .map(Some)
                .map_err(|e| ForeignError::new(SpikardError::Internal(e))),
        };
        if self.is_async {
            Box::pin(async move {
                tokio::task::yield_now().await;
                out
            })
        } else {
            Box::pin(std::future::ready(out))
        }
    }

    fn close(&self) {
        self.journal.record(&self.name, Event::Closed);
    }
}

/// A chunk as the language's value: text as a string, other bytes as `{"bytes": <base64>}`.
pub fn chunk_json(chunk: &Bytes) -> Value {
    match std::str::from_utf8(chunk) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => json!({"bytes": base64::engine::general_purpose::STANDARD.encode(chunk)}),
    }
}

/// A chunk from the language's value.
pub fn chunk_from_json(value: Value) -> Result<Bytes, String> {
    match value {
        Value::String(s) => Ok(Bytes::from(s)),
        Value::Object(o) => match o.get("bytes").and_then(Value::as_str) {
            Some(b64) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map(Bytes::from)
                .map_err(|e| format!("a chunk's bytes are not base64: {e}")),
            None => Err("a streamed chunk must be a string or {\"bytes\": ...}".into()),
        },
        other => Err(format!("a streamed chunk must be a string or bytes, not {other}")),
    }
}

/// An SSE event as the language's value: the object `event_from_json` reads.
pub fn event_json(event: &SseEvent) -> Value {
    let mut out = serde_json::Map::new();
    for (key, value) in [
        ("event", &event.event),
        ("id", &event.id),
        ("data", &event.data),
        ("comment", &event.comment),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), Value::String(v.clone()));
        }
    }
    if let Some(retry) = event.retry {
        out.insert("retry".into(), json!(retry));
    }
    Value::Object(out)
}

/// Opens an echoing session per connection.
pub struct TestSessions {
    pub journal: Journal,
    pub is_async: bool,
}

/// The name sessions are journaled under.
pub const SESSION: &str = "session";

impl ForeignSessions for TestSessions {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let session: Arc<dyn ForeignSession> = Arc::new(TestSession {
            conn,
            journal: self.journal.clone(),
            is_async: self.is_async,
        });
        let is_async = self.is_async;
        Box::pin(async move {
            if is_async {
                tokio::task::yield_now().await;
            }
            Ok(session)
        })
    }
}

struct TestSession {
    conn: WsConnection,
    journal: Journal,
    is_async: bool,
}

impl ForeignSession for TestSession {
    fn push(&self, message: WsMessage) -> BoxFuture<Result<(), ForeignError>> {
        let conn = self.conn.clone();
        let is_async = self.is_async;
        Box::pin(async move {
            if is_async {
                tokio::task::yield_now().await;
            }
            // A peer that went away is not the session's failure.
            let _ = conn.send(message).await;
            Ok(())
        })
    }

    fn closed(&self, code: u16, _reason: String) -> BoxFuture<Result<(), ForeignError>> {
        self.journal.record(SESSION, Event::SessionClosed(code));
        Box::pin(std::future::ready(Ok(())))
    }
}
