//! The `NativeApp` class the package's `Spikard` class wraps: registration and settling
//! as in every JavaScript host (`spikard_js::app::JsApp`), the server (`listen`/`close`),
//! WebSocket routes and the in-memory test client (`request`, `stream`).

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Function, PromiseRaw};
use napi::{Env, Status};
use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::foreign::{decl, ForeignWebSocket};
use spikard_http::testing::{header_list, TestClient, TestRequest, TestResponse};
use spikard_http::Pipeline;
use spikard_http::RouteSpec;
use spikard_js::app::{described_error, JsApp};
use spikard_js::dispatch::Dispatcher;
use spikard_js::websocket::{outgoing, Connections, JsSessions};
use tokio::sync::oneshot;

use crate::objects::{dispatcher, object_refs, Effects, JsCall, ObjectRef, ResponseInit};
use crate::testing::{NativeStream, NativeWebSocket};

/// The default of every config struct, by struct name (the package's drift test).
#[napi_derive::napi]
pub fn default_configs() -> Value {
    spikard_js::app::default_configs()
}

/// A core error as a JavaScript error whose message is `{"class", "code", "message"}`
/// (the package throws the matching class).
pub fn js_error(err: &SpikardError) -> napi::Error {
    napi::Error::new(Status::GenericFailure, described_error(err))
}

fn server_error(err: &std::io::Error) -> napi::Error {
    let (class, message, code) = spikard_core::error::ErrorClass::of_server_failure(err);
    let described = serde_json::json!({"class": class.name(), "code": code, "message": message});
    napi::Error::new(Status::GenericFailure, described.to_string())
}

/// A running server: closing it drains and ends its thread.
struct Server {
    shutdown: oneshot::Sender<()>,
    done: oneshot::Receiver<std::io::Result<()>>,
}

/// A response of the test client.
#[napi_derive::napi(object)]
pub struct TestResult {
    pub status: u32,
    /// `[name, value]` pairs in order.
    pub headers: Vec<(String, String)>,
    /// The body (decoded when it has a `gzip`/`br` content encoding).
    pub body: Buffer,
}

#[napi_derive::napi]
pub struct NativeApp {
    js: JsApp,
    connections: Arc<Connections>,
    server: Option<Server>,
}

#[napi_derive::napi]
impl NativeApp {
    /// An app with `config` (a `ServerConfig`; missing keys take their defaults) whose
    /// calls are handed to `dispatch(calls)`.
    #[napi(constructor)]
    pub fn new(config: Value, dispatch: Function<'_, Vec<JsCall>, ()>) -> napi::Result<Self> {
        // The core's logs (a handler's error, the server's start) on stderr; RUST_LOG filters.
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "spikard_http=info,warn".into()),
            )
            .try_init();
        let dispatcher = dispatcher(&dispatch)?;
        Ok(Self {
            js: JsApp::new(config, dispatcher).map_err(|e| js_error(&e))?,
            connections: Arc::default(),
            server: None,
        })
    }

    #[napi]
    pub fn configure(&mut self, config: Value) -> napi::Result<()> {
        self.js.configure(config).map_err(|e| js_error(&e))
    }

    #[napi]
    pub fn config(&self) -> napi::Result<Value> {
        self.js.config().map_err(|e| js_error(&e))
    }

    /// Register a route declaration; `objects` are function indexes it refers to.
    #[napi]
    pub fn add_route(&mut self, decl: Value, objects: Vec<ObjectRef>) -> napi::Result<()> {
        self.js.add_route(decl, &object_refs(objects)).map_err(|e| js_error(&e))
    }

    /// Register an app-wide hook declaration.
    #[napi]
    pub fn add_hook(&mut self, decl: Value, objects: Vec<ObjectRef>) -> napi::Result<()> {
        self.js.add_hook(decl, &object_refs(objects)).map_err(|e| js_error(&e))
    }

    /// Wake the requests whose calls were settled since the last flush (the package calls
    /// it once per turn of the event loop).
    #[napi]
    pub fn flush(&self) {
        self.js.dispatcher.flush();
    }

    /// Settle call `id` with a result given as JSON text (`JSON.stringify`).
    #[napi]
    pub fn settle_json(&self, id: u32, json: String, effects: Option<Effects>) {
        self.js.settle_json(id, json, effects.map(Into::into).as_ref());
    }

    /// Settle a streamed body's `next` call: the chunk, or nothing at the end.
    #[napi]
    pub fn settle_chunk(&self, id: u32, chunk: Option<Buffer>) {
        self.js
            .settle_chunk(id, chunk.map(|b| bytes::Bytes::copy_from_slice(&b)));
    }

    /// Settle an event stream's `next` call: the event as JSON text, or nothing at the end.
    #[napi]
    pub fn settle_event(&self, id: u32, json: Option<String>) {
        self.js.settle_event(id, json.as_deref());
    }

    /// Register a WebSocket route (`spec`: the core's RouteSpec) with the indexes of its
    /// `open`, `message` and `close` handlers.
    #[napi]
    pub fn add_websocket(&mut self, spec: Value, handlers: Vec<u32>) -> napi::Result<()> {
        let spec: RouteSpec = decl::read("websocket route", spec).map_err(|e| js_error(&e))?;
        let [open, message, close] = handlers[..] else {
            return Err(js_error(&SpikardError::Config(
                "a websocket route takes three handlers".into(),
            )));
        };
        let sessions = JsSessions {
            handlers: [open, message, close],
            name: spec
                .handler_name
                .clone()
                .unwrap_or_else(|| format!("WS {}", spec.path))
                .into(),
            dispatcher: Arc::clone(&self.js.dispatcher),
            connections: Arc::clone(&self.connections),
        };
        let handler = Arc::new(ForeignWebSocket::new(sessions));
        self.js.app.add_websocket(spec, handler).map_err(|e| js_error(&e))
    }

    /// Send a text (or binary) message on server-side connection `ws`; resolves once queued.
    #[napi]
    pub fn ws_send<'env>(
        &self,
        env: &'env Env,
        ws: u32,
        text: Option<String>,
        bytes: Option<Buffer>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let message = outgoing(text, bytes.as_deref());
        let (tx, rx) = oneshot::channel();
        match self.connections.get(ws) {
            Some(conn) => conn.send(message, move |e| {
                let _ = tx.send(e);
            }),
            None => {
                let _ = tx.send(Some("the connection is closed".into()));
            }
        }
        env.spawn_future(queued(rx))
    }

    /// Close server-side connection `ws` with `code` and `reason`; resolves once queued.
    #[napi]
    pub fn ws_close<'env>(
        &self,
        env: &'env Env,
        ws: u32,
        code: u32,
        reason: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let (tx, rx) = oneshot::channel();
        let code = u16::try_from(code).unwrap_or(0);
        match self.connections.get(ws) {
            Some(conn) => {
                let done = move |e| {
                    let _ = tx.send(e);
                };
                conn.close(code, reason, done).map_err(napi::Error::from_reason)?;
            }
            None => {
                let _ = tx.send(None);
            }
        }
        env.spawn_future(queued(rx))
    }

    /// Forget server-side connection `ws` (its `close` handler ran).
    #[napi]
    pub fn ws_release(&self, ws: u32) {
        self.connections.remove(ws);
    }

    /// Send a request through the pipeline in memory and read its body as it arrives (the
    /// test client's streams and server-sent events).
    #[napi]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        method: String,
        uri: String,
        headers: Vec<(String, String)>,
    ) -> napi::Result<PromiseRaw<'env, NativeStream>> {
        let client = TestClient::new(self.pipeline()?);
        let request = with_headers(client.request(&method, &uri), &headers);
        env.spawn_future(async move { Ok(NativeStream::new(request.send_streaming().await)) })
    }

    /// Open a WebSocket through the pipeline in memory (the test client).
    #[napi]
    pub fn connect_websocket<'env>(
        &self,
        env: &'env Env,
        uri: String,
        headers: Vec<(String, String)>,
    ) -> napi::Result<PromiseRaw<'env, NativeWebSocket>> {
        let client = TestClient::new(self.pipeline()?);
        let request = with_headers(client.websocket(&uri), &headers);
        env.spawn_future(async move {
            let connected = request.connect().await.map_err(|r| test_result(&r));
            Ok(NativeWebSocket::new(connected))
        })
    }

    /// Register an app-wide dependency declaration (a later one of the same name replaces it).
    #[napi]
    pub fn provide(&mut self, name: String, decl: Value, objects: Vec<ObjectRef>) -> napi::Result<()> {
        self.js
            .provide(&name, decl, &object_refs(objects))
            .map_err(|e| js_error(&e))
    }

    /// Settle a dependency call `id` with the handle of its value (and, for a generator
    /// dependency, the handle of the generator to resume after the response).
    #[napi]
    pub fn settle_dependency(&self, id: u32, handle: u32, json_type: Option<String>, generator: Option<u32>) {
        self.js.settle_dependency(id, handle, json_type.as_deref(), generator);
    }

    /// Settle call `id` with a response JavaScript built.
    #[napi]
    pub fn settle_response(&self, id: u32, init: ResponseInit, effects: Option<Effects>) {
        self.js
            .settle_response(id, init.into(), effects.map(Into::into).as_ref());
    }

    /// Settle call `id` with a thrown error, described as plain data.
    #[napi]
    pub fn settle_error(&self, id: u32, described: Value, exception: Option<u32>) {
        self.js.settle_error(id, &described, exception);
    }

    /// Serve on `host:port` (port 0: any free port) on a thread of its own; resolves with
    /// the bound port.
    #[napi]
    pub fn listen<'env>(
        &mut self,
        env: &'env Env,
        host: String,
        port: u32,
        workers: Option<u32>,
    ) -> napi::Result<PromiseRaw<'env, u32>> {
        if self.server.is_some() {
            return Err(js_error(&SpikardError::Config("the app is already listening".into())));
        }
        let pipeline = self.pipeline()?;
        let port = u16::try_from(port).map_err(|_| js_error(&SpikardError::Config(format!("invalid port {port}"))))?;
        let workers = workers.unwrap_or(1).max(1) as usize;
        if workers > 1 && !spikard_http::workers::is_worker() {
            return self.supervise(env, port, workers);
        }
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let (bound_tx, bound_rx) = oneshot::channel::<std::io::Result<u16>>();
        let (done_tx, done) = oneshot::channel();
        let dispatcher = Arc::clone(&self.js.dispatcher);
        std::thread::Builder::new()
            .name("spikard-server".into())
            .spawn(move || {
                let result = serve(pipeline, &dispatcher, &host, port, shutdown_rx, bound_tx);
                let _ = done_tx.send(result);
            })
            .map_err(|e| server_error(&e))?;
        self.server = Some(Server { shutdown, done });
        env.spawn_future(async move {
            match bound_rx.await {
                Ok(Ok(port)) => Ok(u32::from(port)),
                Ok(Err(e)) => Err(server_error(&e)),
                Err(_) => Err(napi::Error::from_reason("the server thread ended before it listened")),
            }
        })
    }

    /// Stop accepting, drain the requests in flight, and end the server thread.
    #[napi]
    pub fn close<'env>(&mut self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let server = self.server.take();
        env.spawn_future(async move {
            if let Some(Server { shutdown, done }) = server {
                let _ = shutdown.send(());
                if let Ok(Err(e)) = done.await {
                    return Err(server_error(&e));
                }
            }
            Ok(())
        })
    }

    /// One request through the pipeline in memory (the test client).
    #[napi]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        uri: String,
        headers: Vec<(String, String)>,
        body: Option<Buffer>,
    ) -> napi::Result<PromiseRaw<'env, TestResult>> {
        let client = TestClient::new(self.pipeline()?);
        let mut request = with_headers(client.request(&method, &uri), &headers);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        env.spawn_future(async move { Ok(test_result(&request.send().await)) })
    }
}

impl NativeApp {
    /// Start `workers` processes running this script again (each one listens on `port`
    /// with `SO_REUSEPORT`) and supervise them on a thread; `close()` stops them.
    fn supervise<'env>(&mut self, env: &'env Env, port: u16, workers: usize) -> napi::Result<PromiseRaw<'env, u32>> {
        if port == 0 {
            let message = "port 0 picks a different port per worker; choose a port to run several workers";
            return Err(js_error(&SpikardError::Config(message.into())));
        }
        let (shutdown, stop) = oneshot::channel::<()>();
        let (done_tx, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("spikard-supervisor".into())
            .spawn(move || {
                let stopped = async move {
                    let _ = stop.await;
                };
                let _ = done_tx.send(spikard_http::workers::supervise_until(workers, stopped));
            })
            .map_err(|e| server_error(&e))?;
        self.server = Some(Server { shutdown, done });
        env.spawn_future(async move { Ok(u32::from(port)) })
    }

    fn pipeline(&self) -> napi::Result<Pipeline> {
        self.js.pipeline().map_err(|e| js_error(&e))
    }
}

/// A test client's response as JavaScript reads it.
fn test_result(response: &TestResponse) -> TestResult {
    TestResult {
        status: u32::from(response.status),
        headers: header_list(&response.headers),
        body: response.body.to_vec().into(),
    }
}

/// A test request with the headers JavaScript passed, `[name, value]` pairs in order.
fn with_headers(request: TestRequest, headers: &[(String, String)]) -> TestRequest {
    headers
        .iter()
        .fold(request, |request, (name, value)| request.header(name, value))
}

/// Resolves once a frame was queued; rejects with why it was not.
async fn queued(rx: oneshot::Receiver<Option<String>>) -> napi::Result<()> {
    match rx.await {
        Ok(None) => Ok(()),
        Ok(Some(e)) => Err(napi::Error::from_reason(e)),
        Err(_) => Err(napi::Error::from_reason("the connection is gone")),
    }
}

/// The server thread: bind, report the port, serve until `shutdown`, drain.
fn serve(
    pipeline: Pipeline,
    dispatcher: &Arc<Dispatcher>,
    host: &str,
    port: u16,
    shutdown: oneshot::Receiver<()>,
    bound: oneshot::Sender<std::io::Result<u16>>,
) -> std::io::Result<()> {
    // Calls to JavaScript made in a turn of this thread wake it once, when the thread parks.
    Dispatcher::defer_wakes_on_this_thread();
    let parked = Arc::downgrade(dispatcher);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(move || {
            if let Some(d) = parked.upgrade() {
                d.wake_js();
            }
        })
        .build()?;
    runtime.block_on(async move {
        // A worker the supervisor started shares the port with the others.
        let listener = match spikard_http::server::bind(host, port, spikard_http::workers::is_worker()) {
            Ok(l) => l,
            Err(e) => {
                let kind = e.kind();
                let _ = bound.send(Err(e));
                return Err(std::io::Error::new(kind, "bind failed"));
            }
        };
        let _ = bound.send(listener.local_addr().map(|a| a.port()));
        spikard_http::server::serve_listener(listener, pipeline, async move {
            let _ = shutdown.await;
        })
        .await
    })
}
