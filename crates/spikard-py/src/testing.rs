//! The in-memory test client: the same pipeline as the server, no socket.
//! Requests run on a private runtime with the GIL released, so sync and async
//! Python handlers can run while the caller waits.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use spikard_core::body::multipart::UploadedFile;
use spikard_http::testing::{TestStreamResponse as CoreStream, TestWebSocket as CoreWebSocket, WsFrame};
use spikard_http::{Pipeline, TestClient as CoreClient};

use crate::bridge::{block_on, test_runtime};
use crate::request::uploaded_file;

/// Name/value pairs (headers, form fields).
type Pairs = Vec<(String, String)>;

/// Every header as `(lowercase name, value)`, in order.
fn header_list(headers: &http::HeaderMap) -> Pairs {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
/// Multipart fields and files (`UploadFile`s).
type Multipart<'py> = (Pairs, Vec<Bound<'py, PyAny>>);

/// A response, fully read: status, every header as `(lowercase name, value)` in order,
/// and the body (the package's `TestResponse` wraps it).
type Answer<'py> = (u16, Pairs, Bound<'py, PyBytes>);

/// A test client's runtime. Dropped without waiting for its tasks: a task still awaiting
/// Python (an SSE stream, a WebSocket's `on_close`) is dropped on a worker thread, which
/// needs the GIL the dropping thread holds.
pub struct ClientRuntime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for ClientRuntime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for ClientRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Drives an app's pipeline in memory.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestClient {
    client: CoreClient,
    runtime: Arc<ClientRuntime>,
}

impl TestClient {
    pub fn new(pipeline: Pipeline) -> PyResult<Self> {
        Ok(Self {
            client: CoreClient::new(pipeline),
            runtime: Arc::new(ClientRuntime(Some(test_runtime()?))),
        })
    }

    /// A request with its headers; an invalid method or request target is a `ValueError`.
    fn start(&self, method: &str, uri: &str, headers: &Pairs) -> PyResult<spikard_http::testing::TestRequest> {
        if http::Method::from_bytes(method.as_bytes()).is_err() {
            return Err(PyValueError::new_err(format!("invalid method {method:?}")));
        }
        if uri.parse::<http::Uri>().is_err() {
            return Err(PyValueError::new_err(format!("invalid request target {uri:?}")));
        }
        let mut request = self.client.request(method, uri);
        for (k, v) in headers {
            request = request.header(k, v);
        }
        Ok(request)
    }
}

#[pymethods]
impl TestClient {
    /// Send one request. `uri` is a path with an optional query string. At most one of
    /// `body` (raw bytes), `form` (urlencoded pairs) and `multipart` (`(fields, files)`) applies.
    /// Returns `(status, headers, body)`.
    #[pyo3(signature = (method, uri, headers = Vec::new(), body = None, form = None, multipart = None))]
    #[allow(clippy::too_many_arguments)] // mirrors the Python keyword arguments
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        uri: &str,
        headers: Pairs,
        body: Option<Vec<u8>>,
        form: Option<Pairs>,
        multipart: Option<Multipart<'py>>,
    ) -> PyResult<Answer<'py>> {
        let mut request = self.start(method, uri, &headers)?;
        if let Some(pairs) = form {
            request = request.form(&pairs);
        } else if let Some((fields, files)) = multipart {
            let files = files
                .iter()
                .map(uploaded_file)
                .collect::<PyResult<Vec<UploadedFile>>>()?;
            request = request.multipart(&fields, &files);
        } else if let Some(bytes) = body {
            request = request.body(Bytes::from(bytes));
        }
        let response = block_on(py, &self.runtime, request.send());
        Ok((
            response.status,
            header_list(&response.headers),
            PyBytes::new(py, &response.body),
        ))
    }

    /// Open a WebSocket to `uri`; raises `ValueError` (with the status) when the upgrade is refused.
    #[pyo3(signature = (uri, headers = Vec::new()))]
    fn websocket(&self, py: Python<'_>, uri: &str, headers: Pairs) -> PyResult<TestWebSocket> {
        if uri.parse::<http::Uri>().is_err() {
            return Err(PyValueError::new_err(format!("invalid request target {uri:?}")));
        }
        let mut request = self.client.websocket(uri);
        for (k, v) in &headers {
            request = request.header(k, v);
        }
        match block_on(py, &self.runtime, request.connect()) {
            Ok(ws) => Ok(TestWebSocket {
                inner: Mutex::new(ws),
                runtime: Arc::clone(&self.runtime),
            }),
            Err(res) => Err(PyValueError::new_err(format!(
                "WebSocket upgrade refused: {} {}",
                res.status,
                res.text()
            ))),
        }
    }

    /// Send a bodiless request and read the response as it arrives (for streams and
    /// server-sent events that may never end).
    #[pyo3(signature = (method, uri, headers = Vec::new()))]
    fn stream(&self, py: Python<'_>, method: &str, uri: &str, headers: Pairs) -> PyResult<TestStreamResponse> {
        let request = self.start(method, uri, &headers)?;
        let response = block_on(py, &self.runtime, request.send_streaming());
        Ok(TestStreamResponse {
            status_code: response.status,
            header_list: header_list(&response.headers),
            inner: Mutex::new(Some(response)),
            closing: tokio::sync::watch::Sender::new(false),
            runtime: Arc::clone(&self.runtime),
        })
    }
}

/// A response read as it arrives: chunk by chunk or event by event; `close()` (or
/// leaving a `with` block) drops it as a client that disconnects would.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestStreamResponse {
    #[pyo3(get)]
    status_code: u16,
    /// Every header as `(lowercase name, value)`, in order.
    #[pyo3(get)]
    header_list: Vec<(String, String)>,
    /// `None` once closed.
    inner: Mutex<Option<CoreStream>>,
    /// Set by `close()`: ends a read in progress on another thread (it holds `inner`).
    closing: tokio::sync::watch::Sender<bool>,
    runtime: Arc<ClientRuntime>,
}

/// Run `f` on the locked client-side object on the client's runtime, without the GIL.
fn block_on_locked<S: Send, T: Send>(
    py: Python<'_>,
    runtime: &ClientRuntime,
    inner: &Mutex<S>,
    what: &str,
    f: impl AsyncFnOnce(&mut S) -> T + Send,
) -> PyResult<T> {
    let mut guard = inner
        .lock()
        .map_err(|_| PyValueError::new_err(format!("{what} lock poisoned")))?;
    let target = &mut *guard;
    Ok(py.detach(|| runtime.block_on(f(target))))
}

impl TestStreamResponse {
    /// `f` on the open stream; `None` once closed (also when `close()` interrupts it).
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl AsyncFnOnce(&mut CoreStream) -> Option<T> + Send,
    ) -> PyResult<Option<T>> {
        let mut closing = self.closing.subscribe();
        block_on_locked(py, &self.runtime, &self.inner, "stream", async move |s| {
            let s = s.as_mut()?;
            tokio::select! {
                read = f(s) => read,
                _ = closing.wait_for(|closed| *closed) => None,
            }
        })
    }
}

#[pymethods]
impl TestStreamResponse {
    /// Headers by lowercase name (the last value of a repeated header).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.header_list {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// The next chunk; `None` at the end. Raises `ValueError` when the stream failed.
    fn next_chunk<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        match self.with(py, async |s| s.next_chunk().await)? {
            None => Ok(None),
            Some(Ok(b)) => Ok(Some(PyBytes::new(py, &b))),
            Some(Err(e)) => Err(PyValueError::new_err(format!("the stream failed: {e}"))),
        }
    }

    /// The next event block exactly as sent (with its blank line); `None` at the end.
    fn next_event_text(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.with(py, async |s| s.next_event_text().await)
    }

    /// The next event as a dict (`event`, `id`, `data`, `retry`, `comments`); `None` at the end.
    fn next_event<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(m) = self.with(py, async |s| s.next_event().await)? else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("event", m.event)?;
        d.set_item("id", m.id)?;
        d.set_item("data", m.data)?;
        d.set_item("retry", m.retry)?;
        d.set_item("comments", m.comments)?;
        Ok(Some(d))
    }

    /// Stop reading and drop the response body, as a client that disconnects: the server
    /// stops the stream (closing its iterator). Reads after `close()` return `None`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.closing.send_replace(true);
        // Locked without the GIL: a read in progress on another thread may need it to finish.
        let body = py.detach(|| {
            self.inner
                .lock()
                .map(|mut guard| guard.take())
                .map_err(|_| PyValueError::new_err("stream lock poisoned"))
        })?;
        drop(body);
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<Bound<'_, PyAny>>,
        _exc: Option<Bound<'_, PyAny>>,
        _traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!("<TestStreamResponse {}>", self.status_code)
    }
}

/// The client end of an in-memory WebSocket.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestWebSocket {
    inner: Mutex<CoreWebSocket>,
    runtime: Arc<ClientRuntime>,
}

impl TestWebSocket {
    fn with<T: Send>(&self, py: Python<'_>, f: impl AsyncFnOnce(&mut CoreWebSocket) -> T + Send) -> PyResult<T> {
        block_on_locked(py, &self.runtime, &self.inner, "WebSocket", f)
    }
}

fn sent(result: Result<(), String>) -> PyResult<()> {
    result.map_err(|e| PyValueError::new_err(format!("WebSocket send failed: {e}")))
}

#[pymethods]
impl TestWebSocket {
    fn send_text(&self, py: Python<'_>, text: String) -> PyResult<()> {
        sent(self.with(py, async |ws| ws.send_text(&text).await)?)
    }

    fn send_bytes(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<()> {
        sent(self.with(py, async |ws| ws.send_binary(data).await)?)
    }

    fn send_json(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = crate::convert::py_to_json(value)?;
        sent(self.with(py, async |ws| ws.send_json(&value).await)?)
    }

    /// Send a close frame.
    #[pyo3(signature = (code = 1000, reason = String::new()))]
    fn close(&self, py: Python<'_>, code: u16, reason: String) -> PyResult<()> {
        sent(self.with(py, async |ws| ws.close(code, &reason).await)?)
    }

    /// The next frame: `("text", str)`, `("bytes", bytes)`, `("close", (code, reason))`,
    /// `("pong", bytes)`, or `None` when the connection ended.
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Option<(String, Bound<'py, PyAny>)>> {
        let Some(frame) = self.with(py, async |ws| ws.recv().await)? else {
            return Ok(None);
        };
        Ok(Some(match frame {
            WsFrame::Text(t) => ("text".into(), PyString::new(py, &t).into_any()),
            WsFrame::Binary(b) => ("bytes".into(), PyBytes::new(py, &b).into_any()),
            WsFrame::Pong(b) => ("pong".into(), PyBytes::new(py, &b).into_any()),
            WsFrame::Close(code, reason) => ("close".into(), (code, reason).into_pyobject(py)?.into_any()),
        }))
    }
}
