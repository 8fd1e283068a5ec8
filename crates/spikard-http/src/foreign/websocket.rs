//! WebSocket routes served by foreign code: one session object per connection.
//!
//! A binding implements [`ForeignSessions`] (open a session for a new connection, e.g.
//! call the user's factory and start its handler on the event loop) and
//! [`ForeignSession`] (hand it a message, tell it the connection closed).
//! [`ForeignWebSocket`] keeps the open sessions by connection and is the route's
//! [`WebSocketHandler`]. Size, UTF-8 and `message_schema` checks happen in the core
//! before a message reaches the session. A session sends through a [`ForeignConnection`],
//! callable from the language's own threads. A binding whose session is an object with
//! `start`, `push` and `closed` methods hands them to [`FnSession::start`] and writes no
//! session of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use spikard_core::SpikardError;

use serde_json::Value;

use super::call::{Arg, Call, Expect, ForeignError, ForeignFn, Input};
use crate::handler::{BoxFuture, RequestData};
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

/// The open connections of an app by id: a binding hands foreign code the id, and its
/// socket object sends and closes through [`Connections::get`].
#[derive(Default)]
pub struct Connections {
    next: std::sync::atomic::AtomicU32,
    open: Mutex<HashMap<u32, ForeignConnection>>,
}

impl Connections {
    /// Keep `conn`; its id (from 1).
    pub fn add(&self, conn: ForeignConnection) -> u32 {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, conn);
        id
    }

    pub fn get(&self, id: u32) -> Option<ForeignConnection> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    /// Forget a connection (its session was told it closed).
    pub fn remove(&self, id: u32) {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
    }
}

/// A connection as foreign code holds it: each send or close is queued by a task on the
/// server's runtime, so it can be called from any thread (the language's event loop), and
/// `done` is told once the frame was queued (`None`) or why it was not.
#[derive(Clone)]
pub struct ForeignConnection {
    conn: WsConnection,
    runtime: tokio::runtime::Handle,
}

impl ForeignConnection {
    /// `conn` sending on the current runtime (call it from the server's side: `open`).
    pub fn new(conn: WsConnection) -> Self {
        let runtime = tokio::runtime::Handle::current();
        Self { conn, runtime }
    }

    /// The validated upgrade request.
    pub fn request(&self) -> &RequestData {
        self.conn.request()
    }

    pub fn send(&self, message: WsMessage, done: impl FnOnce(Option<String>) + Send + 'static) {
        let conn = self.conn.clone();
        self.runtime
            .spawn(async move { done(conn.send(message).await.err().map(|e| e.to_string())) });
    }

    /// Send a close frame; a code outside 1000-4999 is refused at once.
    pub fn close(
        &self,
        code: u16,
        reason: String,
        done: impl FnOnce(Option<String>) + Send + 'static,
    ) -> Result<(), String> {
        if !(1000..5000).contains(&code) {
            return Err(format!("invalid close code {code}"));
        }
        let conn = self.conn.clone();
        self.runtime
            .spawn(async move { done(conn.close(code, &reason).await.err().map(|e| e.to_string())) });
        Ok(())
    }
}

/// A session given as functions of the language, each called with [`Expect::Unit`]:
/// `push` with the message ([`Arg::Message`]), `closed` with the code and the reason (JSON).
pub struct FnSession {
    push: Arc<dyn ForeignFn>,
    closed: Arc<dyn ForeignFn>,
}

fn call_unit(function: &Arc<dyn ForeignFn>, args: Vec<Arg<'_>>) -> BoxFuture<Result<(), ForeignError>> {
    let expect = Expect::Unit;
    let pending = function.call(Call {
        input: Input::Args(args),
        expect,
    });
    Box::pin(async move { pending.await.map(drop) })
}

impl FnSession {
    /// Call `start` (without arguments) and, once it finished, answer the session.
    pub fn start(
        start: &Arc<dyn ForeignFn>,
        push: Arc<dyn ForeignFn>,
        closed: Arc<dyn ForeignFn>,
    ) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let started = call_unit(start, Vec::new());
        Box::pin(async move {
            started.await?;
            Ok(Arc::new(Self { push, closed }) as Arc<dyn ForeignSession>)
        })
    }
}

impl ForeignSession for FnSession {
    fn push(&self, message: WsMessage) -> BoxFuture<Result<(), ForeignError>> {
        call_unit(&self.push, vec![Arg::Message(&message)])
    }

    fn closed(&self, code: u16, reason: String) -> BoxFuture<Result<(), ForeignError>> {
        let (code, reason) = (Value::from(code), Value::String(reason));
        call_unit(&self.closed, vec![Arg::Json(&code), Arg::Json(&reason)])
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::websocket::Outgoing;
    use tokio::sync::{mpsc, oneshot};

    #[tokio::test]
    async fn a_foreign_connection_queues_from_any_thread_and_reports_when_queued() {
        let (tx, mut rx) = mpsc::channel(4);
        let request = RequestData::new(http::Method::GET, "/ws".into(), http::HeaderMap::new());
        let conn = ForeignConnection::new(WsConnection::new(tx, request));
        assert_eq!(conn.request().path, "/ws");
        let (queued, sent) = oneshot::channel();
        let sender = conn.clone();
        std::thread::spawn(move || sender.send(WsMessage::Text("hi".into()), move |e| drop(queued.send(e))));
        assert_eq!(sent.await.unwrap(), None);
        assert!(matches!(rx.recv().await, Some(Outgoing::Message(WsMessage::Text(t))) if t == "hi"));
        assert_eq!(
            conn.close(999, String::new(), |_| {}).unwrap_err(),
            "invalid close code 999"
        );
        let (queued, closed) = oneshot::channel();
        conn.close(1000, "bye".into(), move |e| drop(queued.send(e))).unwrap();
        assert_eq!(closed.await.unwrap(), None);
        assert!(matches!(rx.recv().await, Some(Outgoing::Close(1000, r)) if r == "bye"));
        drop(rx);
        let (queued, refused) = oneshot::channel();
        conn.send(WsMessage::Text("late".into()), move |e| drop(queued.send(e)));
        assert!(refused.await.unwrap().is_some(), "a closed connection is reported");
    }

    /// Records the arguments it is called with (as text) under its name.
    struct Method(&'static str, Arc<std::sync::Mutex<Vec<String>>>);

    impl ForeignFn for Method {
        fn call(&self, call: Call<'_>) -> crate::foreign::Completion {
            let Input::Args(args) = call.input else {
                panic!("called with a response")
            };
            let args: Vec<String> = args
                .iter()
                .map(|a| match a {
                    Arg::Message(WsMessage::Text(t)) => t.clone(),
                    Arg::Json(v) => v.to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            self.1
                .lock()
                .unwrap()
                .push(format!("{}({}) {:?}", self.0, args.join(", "), call.expect));
            Box::pin(std::future::ready(Ok(crate::foreign::Returned::Nothing.into())))
        }
    }

    #[tokio::test]
    async fn a_session_of_functions_is_started_then_pushed_messages_then_closed() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let method = |name| -> Arc<dyn ForeignFn> { Arc::new(Method(name, log.clone())) };
        let session = FnSession::start(&method("start"), method("push"), method("closed"))
            .await
            .unwrap();
        session.push(WsMessage::Text("hi".into())).await.unwrap();
        session.closed(1000, "bye".into()).await.unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            ["start() Unit", "push(hi) Unit", "closed(1000, \"bye\") Unit"]
        );
    }
}
