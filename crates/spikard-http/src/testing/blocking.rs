//! The test client for bindings: synchronous, on its own runtime.
//!
//! A language calls a test client from plain code, so [`BlockingClient`] blocks the
//! calling thread: requests, streams read as they arrive and WebSockets, driven on a
//! private tokio runtime (the calling thread drives each call; one worker thread keeps
//! spawned work running in between).
//!
//! Every method takes `&self` and every type is `Send + Sync`, so a binding releases its
//! language lock around the call itself, and only there: convert the arguments with the
//! lock held, call without it, convert the result with it again. In PyO3:
//! `py.detach(|| client.request(...))`. Handlers of that language run on other threads
//! during the call, and need the lock the caller let go of.
//!
//! ```
//! use std::sync::Arc;
//! use spikard_http::testing::{BlockingClient, RequestBody};
//! use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, RouteSpec};
//! struct Hello;
//! impl Handler for Hello {
//!     fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
//!         Box::pin(async { Ok(HandlerResponse::text("hi")) })
//!     }
//! }
//! let mut b = PipelineBuilder::new(Default::default());
//! b.route(RouteSpec::new("GET", "/"), Arc::new(Hello)).unwrap();
//! let client = BlockingClient::new(b.build().unwrap()).unwrap();
//! let res = client.request("GET", "/", &[], RequestBody::Empty).unwrap();
//! assert_eq!((res.status, res.text()), (200, "hi".to_owned()));
//! let err = client.request("GET", "no target", &[], RequestBody::Empty).unwrap_err();
//! assert_eq!(err.to_string(), "invalid request target \"no target\"");
//! ```

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;
use spikard_core::body::multipart::UploadedFile;
use tokio::sync::watch;

use super::{SseMessage, TestClient, TestRequest, TestResponse, TestStreamResponse, TestWebSocket, WsFrame};
use crate::pipeline::Pipeline;

/// Name/value pairs: headers, form fields.
pub type Pairs = Vec<(String, String)>;

/// What a blocking call can fail with. Bindings raise it as their value error; the
/// messages are meant for the test author.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid method {0:?}")]
    InvalidMethod(String),
    #[error("invalid request target {0:?}")]
    InvalidTarget(String),
    /// The WebSocket handshake was answered with something else than `101`.
    #[error("WebSocket upgrade refused: {} {}", .0.status, .0.text())]
    Refused(Box<TestResponse>),
    /// A streamed body ended with an error.
    #[error("the stream failed: {0}")]
    StreamFailed(String),
    #[error("WebSocket send failed: {0}")]
    SendFailed(String),
}

/// A request's body: at most one of raw bytes, a urlencoded form, or multipart.
#[derive(Debug, Default)]
pub enum RequestBody {
    #[default]
    Empty,
    Bytes(Bytes),
    Form(Pairs),
    Multipart(Pairs, Vec<UploadedFile>),
}

/// A client's runtime, shared with the streams and WebSockets it opened. Dropped without
/// waiting for its tasks: a task still awaiting the language (an SSE stream, a WebSocket's
/// `on_close`) is dropped on a worker thread, which may need the lock the dropping
/// thread holds.
struct ClientRuntime(Option<tokio::runtime::Runtime>);

impl ClientRuntime {
    fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("spikard-test")
            .enable_all()
            .build()?;
        Ok(Self(Some(runtime)))
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.0.as_ref().expect("present until dropped").block_on(future)
    }

    /// `f` on the locked client-side object, driven to completion.
    fn locked<S, T>(&self, inner: &Mutex<S>, f: impl AsyncFnOnce(&mut S) -> T) -> T {
        let mut guard = lock(inner);
        self.block_on(f(&mut guard))
    }
}

impl Drop for ClientRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A lock whose holder panicked still guards a usable object (a body, a socket).
fn lock<S>(inner: &Mutex<S>) -> MutexGuard<'_, S> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Drives a pipeline in memory from synchronous code (see the module docs).
pub struct BlockingClient {
    client: TestClient,
    runtime: Arc<ClientRuntime>,
}

impl BlockingClient {
    /// A client with its own runtime; fails only when the runtime cannot start.
    pub fn new(pipeline: Pipeline) -> std::io::Result<Self> {
        Ok(Self {
            client: TestClient::new(pipeline),
            runtime: Arc::new(ClientRuntime::new()?),
        })
    }

    /// A request with its headers, once its method and target read.
    fn start(&self, method: &str, target: &str, headers: &[(String, String)]) -> Result<TestRequest, ClientError> {
        if http::Method::from_bytes(method.as_bytes()).is_err() {
            return Err(ClientError::InvalidMethod(method.to_owned()));
        }
        if target.parse::<http::Uri>().is_err() {
            return Err(ClientError::InvalidTarget(target.to_owned()));
        }
        let mut request = self.client.request(method, target);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        Ok(request)
    }

    /// Send one request and read the whole response. `target` is a path with an optional
    /// query string.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: RequestBody,
    ) -> Result<TestResponse, ClientError> {
        let request = self.start(method, target, headers)?;
        let request = match body {
            RequestBody::Empty => request,
            RequestBody::Bytes(bytes) => request.body(bytes),
            RequestBody::Form(pairs) => request.form(&pairs),
            RequestBody::Multipart(fields, files) => request.multipart(&fields, &files),
        };
        Ok(self.runtime.block_on(request.send()))
    }

    /// Send a bodiless request and read the response as it arrives (streams and
    /// server-sent events that may never end).
    pub fn stream(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<BlockingStream, ClientError> {
        let request = self.start(method, target, headers)?;
        let response = self.runtime.block_on(request.send_streaming());
        Ok(BlockingStream {
            status: response.status,
            headers: response.headers.clone(),
            body: Mutex::new(Some(response)),
            closing: watch::Sender::new(false),
            runtime: Arc::clone(&self.runtime),
        })
    }

    /// Open a WebSocket; anything but `101` is [`ClientError::Refused`].
    pub fn websocket(&self, target: &str, headers: &[(String, String)]) -> Result<BlockingWebSocket, ClientError> {
        let request = self.start("GET", target, headers)?;
        match self.runtime.block_on(request.connect()) {
            Ok(ws) => Ok(BlockingWebSocket {
                headers: ws.headers.clone(),
                inner: Mutex::new(ws),
                runtime: Arc::clone(&self.runtime),
            }),
            Err(refusal) => Err(ClientError::Refused(Box::new(refusal))),
        }
    }
}

/// A response read as it arrives, chunk by chunk or event by event. [`close`](Self::close)
/// drops it as a client that disconnects would, and ends a read in progress on another
/// thread; reads after it return `None`.
pub struct BlockingStream {
    pub status: u16,
    pub headers: HeaderMap,
    /// `None` once closed.
    body: Mutex<Option<TestStreamResponse>>,
    /// Set by `close()`: ends a read in progress (which holds `body`).
    closing: watch::Sender<bool>,
    runtime: Arc<ClientRuntime>,
}

impl BlockingStream {
    /// `f` on the open stream; `None` once closed, also when `close()` interrupts it.
    fn read<T>(&self, f: impl AsyncFnOnce(&mut TestStreamResponse) -> Option<T>) -> Option<T> {
        let mut closing = self.closing.subscribe();
        self.runtime.locked(&self.body, async move |body| {
            let stream = body.as_mut()?;
            tokio::select! {
                read = f(stream) => read,
                _ = closing.wait_for(|closed| *closed) => None,
            }
        })
    }

    /// The next chunk; `None` at the end.
    pub fn next_chunk(&self) -> Result<Option<Bytes>, ClientError> {
        self.read(async |s| s.next_chunk().await)
            .transpose()
            .map_err(ClientError::StreamFailed)
    }

    /// The next event block exactly as sent (with its blank line); `None` at the end.
    pub fn next_event_text(&self) -> Option<String> {
        self.read(async |s| s.next_event_text().await)
    }

    /// The next server-sent event or comment block; `None` at the end.
    pub fn next_event(&self) -> Option<SseMessage> {
        self.read(async |s| s.next_event().await)
    }

    /// Stop reading and drop the body: the server stops the stream (closing its source).
    pub fn close(&self) {
        self.closing.send_replace(true);
        let body = lock(&self.body).take();
        // Dropped on the runtime, as a server drops a body whose client left (a binding
        // may schedule the stream source's close there).
        let _entered = self.runtime.0.as_ref().map(tokio::runtime::Runtime::enter);
        drop(body);
    }
}

/// The client end of an in-memory WebSocket.
pub struct BlockingWebSocket {
    /// The `101` response's headers.
    pub headers: HeaderMap,
    inner: Mutex<TestWebSocket>,
    runtime: Arc<ClientRuntime>,
}

impl BlockingWebSocket {
    fn send(&self, f: impl AsyncFnOnce(&mut TestWebSocket) -> Result<(), String>) -> Result<(), ClientError> {
        self.runtime.locked(&self.inner, f).map_err(ClientError::SendFailed)
    }

    pub fn send_text(&self, text: &str) -> Result<(), ClientError> {
        self.send(async |ws| ws.send_text(text).await)
    }

    pub fn send_binary(&self, data: impl Into<Bytes>) -> Result<(), ClientError> {
        self.send(async |ws| ws.send_binary(data).await)
    }

    pub fn send_json(&self, value: &Value) -> Result<(), ClientError> {
        self.send(async |ws| ws.send_json(value).await)
    }

    /// Start the closing handshake with a code.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), ClientError> {
        self.send(async |ws| ws.close(code, reason).await)
    }

    /// The next frame from the server; `None` once the connection is gone.
    pub fn recv(&self) -> Option<WsFrame> {
        self.runtime.locked(&self.inner, async |ws| ws.recv().await)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use serde_json::json;

    use crate::testing::header_list;

    use super::*;
    use crate::response::ByteStream;
    use crate::websocket::{WebSocketHandler, WsConnection, WsMessage};
    use crate::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, ResponseBody};
    use crate::{RouteSpec, SpikardError};

    /// Streams its chunks, then waits forever; reports when the stream is dropped.
    struct Endless {
        chunks: Vec<&'static str>,
        dropped: Mutex<Option<mpsc::Sender<()>>>,
    }

    /// Sends `()` when dropped.
    struct Report(mpsc::Sender<()>);

    impl Drop for Report {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }

    impl Handler for Endless {
        fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
            let chunks = self.chunks.clone();
            let report = lock(&self.dropped).take().map(Report);
            Box::pin(async move {
                let head = futures_util::stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c.as_bytes()))));
                let tail = futures_util::stream::unfold(report, |report| async move {
                    let _keep = report;
                    std::future::pending::<()>().await;
                    None
                });
                let body: ByteStream = Box::pin(futures_util::StreamExt::chain(head, tail));
                Ok(HandlerResponse::new(http::StatusCode::OK, ResponseBody::Stream(body)))
            })
        }
    }

    /// Answers with the content type and body it received.
    struct Mirror;

    impl Handler for Mirror {
        fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
            Box::pin(async move {
                let content_type = r.headers.get("content-type").and_then(|v| v.to_str().ok());
                let text = format!(
                    "{}|{}",
                    content_type.unwrap_or("-"),
                    String::from_utf8_lossy(&r.raw_body)
                );
                Ok(HandlerResponse::text(text))
            })
        }
    }

    struct Echo;

    impl WebSocketHandler for Echo {
        fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
            Box::pin(async move {
                let _ = conn.send(message).await;
                Ok(())
            })
        }
    }

    fn client(chunks: Vec<&'static str>) -> (BlockingClient, mpsc::Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        let mut b = PipelineBuilder::new(Default::default());
        let endless = Endless {
            chunks,
            dropped: Mutex::new(Some(tx)),
        };
        b.route(RouteSpec::new("GET", "/stream"), Arc::new(endless)).unwrap();
        b.route(RouteSpec::new("POST", "/mirror"), Arc::new(Mirror)).unwrap();
        b.websocket(RouteSpec::new("GET", "/ws"), Arc::new(Echo)).unwrap();
        (BlockingClient::new(b.build().unwrap()).unwrap(), rx)
    }

    #[test]
    fn invalid_methods_and_targets_are_refused_with_their_value() {
        let (client, _) = client(vec![]);
        let err = client.request("G ET", "/stream", &[], RequestBody::Empty).unwrap_err();
        assert!(matches!(err, ClientError::InvalidMethod(_)));
        assert_eq!(err.to_string(), "invalid method \"G ET\"");
        let err = client.stream("GET", "/a b", &[]).err().unwrap();
        assert_eq!(err.to_string(), "invalid request target \"/a b\"");
        let err = client.websocket("", &[]).err().unwrap();
        assert_eq!(err.to_string(), "invalid request target \"\"");
    }

    #[test]
    fn requests_carry_headers_and_bodies() {
        let (client, _) = client(vec![]);
        let send =
            |headers: &[(String, String)], body| client.request("POST", "/mirror", headers, body).unwrap().text();
        let plain = [("content-type".to_owned(), "text/plain".to_owned())];
        assert_eq!(
            send(&plain, RequestBody::Bytes(Bytes::from_static(b"raw"))),
            "text/plain|raw"
        );
        let form = RequestBody::Form(vec![("a b".into(), "c&d".into())]);
        assert_eq!(send(&[], form), "application/x-www-form-urlencoded|a%20b=c%26d");
        let multipart = send(&plain, RequestBody::Multipart(vec![("f".into(), "v".into())], vec![]));
        assert!(multipart.starts_with("multipart/form-data; boundary="), "{multipart}");
        let res = client.request("DELETE", "/mirror", &[], RequestBody::Empty).unwrap();
        assert_eq!(res.status, 405);
        assert!(header_list(&res.headers).iter().any(|(k, _)| k == "content-type"));
    }

    #[test]
    fn a_stream_closed_from_another_thread_ends_the_read_in_progress() {
        let (client, dropped) = client(vec!["data: one\n\n", "data: two\n\n"]);
        let stream = client.stream("GET", "/stream", &[]).unwrap();
        assert_eq!(stream.status, 200);
        assert_eq!(stream.next_event_text().as_deref(), Some("data: one\n\n"));
        assert_eq!(stream.next_event().and_then(|m| m.data).as_deref(), Some("two"));
        std::thread::scope(|s| {
            let reader = s.spawn(|| stream.next_chunk());
            std::thread::sleep(Duration::from_millis(50));
            assert!(!reader.is_finished(), "the read waits for a chunk that never comes");
            stream.close();
            assert_eq!(reader.join().unwrap().unwrap(), None);
        });
        dropped
            .recv_timeout(Duration::from_secs(5))
            .expect("the server dropped the stream");
        assert_eq!(stream.next_chunk().unwrap(), None);
        assert_eq!(stream.next_event(), None);
    }

    #[test]
    fn a_refused_websocket_upgrade_is_the_response() {
        let (client, _) = client(vec![]);
        let Err(ClientError::Refused(res)) = client.websocket("/missing", &[]) else {
            panic!("the upgrade of an unknown path is refused");
        };
        assert_eq!(res.status, 404);
        let err = client.websocket("/missing", &[]).err().unwrap();
        assert!(err.to_string().starts_with("WebSocket upgrade refused: 404 "), "{err}");
    }

    #[test]
    fn websocket_messages_go_both_ways() {
        let (client, _) = client(vec![]);
        let ws = client.websocket("/ws", &[]).unwrap();
        ws.send_text("hi").unwrap();
        assert_eq!(ws.recv(), Some(WsFrame::Text("hi".into())));
        ws.send_binary(&b"\x00"[..]).unwrap();
        assert_eq!(ws.recv(), Some(WsFrame::Binary(Bytes::from_static(b"\x00"))));
        ws.send_json(&json!({"a": 1})).unwrap();
        assert_eq!(ws.recv().and_then(|f| f.json()), Some(json!({"a": 1})));
        ws.close(1000, "done").unwrap();
        assert_eq!(ws.recv(), Some(WsFrame::Close(1000, "done".into())));
        assert_eq!(ws.recv(), None);
    }
}
