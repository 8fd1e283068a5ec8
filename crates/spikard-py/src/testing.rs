//! The in-memory test client over the core's `BlockingClient`; each blocking call runs with
//! the GIL released, so Python handlers can run meanwhile. Every error is a `ValueError`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use spikard_http::testing::{self as core, ClientError, Pairs, RequestBody, WsFrame};
use spikard_http::Pipeline;

use crate::request::uploaded_file;

type Multipart<'py> = (Pairs, Vec<Bound<'py, PyAny>>);

/// Status, every header as `(lowercase name, value)` in order, and the body.
type Answer<'py> = (u16, Pairs, Bound<'py, PyBytes>);

fn value_error(e: ClientError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestClient(core::BlockingClient);

impl TestClient {
    pub fn new(pipeline: Pipeline) -> PyResult<Self> {
        let client = core::BlockingClient::new(pipeline).map_err(|e| crate::errors::server_error(&e))?;
        Ok(Self(client))
    }
}

#[pymethods]
impl TestClient {
    /// At most one of `body`, `form` and `multipart` (`(fields, UploadFiles)`) applies.
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
        let body = match (form, multipart, body) {
            (Some(pairs), _, _) => RequestBody::Form(pairs),
            (None, Some((fields, files)), _) => {
                RequestBody::Multipart(fields, files.iter().map(uploaded_file).collect::<PyResult<_>>()?)
            }
            (None, None, Some(bytes)) => RequestBody::Bytes(bytes.into()),
            (None, None, None) => RequestBody::Empty,
        };
        let res = py
            .detach(|| self.0.request(method, uri, &headers, body))
            .map_err(value_error)?;
        Ok((res.status, core::header_list(&res.headers), PyBytes::new(py, &res.body)))
    }

    #[pyo3(signature = (uri, headers = Vec::new()))]
    fn websocket(&self, py: Python<'_>, uri: &str, headers: Pairs) -> PyResult<TestWebSocket> {
        let ws = py.detach(|| self.0.websocket(uri, &headers)).map_err(value_error)?;
        Ok(TestWebSocket(ws))
    }

    /// A bodiless request whose response is read as it arrives (streams, SSE).
    #[pyo3(signature = (method, uri, headers = Vec::new()))]
    fn stream(&self, py: Python<'_>, method: &str, uri: &str, headers: Pairs) -> PyResult<(u16, Pairs, TestStream)> {
        let stream = py
            .detach(|| self.0.stream(method, uri, &headers))
            .map_err(value_error)?;
        Ok((stream.status, core::header_list(&stream.headers), TestStream(stream)))
    }
}

#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestStream(core::BlockingStream);

/// An event's `(event, id, data, retry, comments)`.
type Event = (Option<String>, Option<String>, Option<String>, Option<u64>, Vec<String>);

#[pymethods]
impl TestStream {
    fn next_chunk<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let chunk = py.detach(|| self.0.next_chunk()).map_err(value_error)?;
        Ok(chunk.map(|b| PyBytes::new(py, &b)))
    }

    /// The next event block exactly as sent (with its blank line).
    fn next_event_text(&self, py: Python<'_>) -> Option<String> {
        py.detach(|| self.0.next_event_text())
    }

    fn next_event(&self, py: Python<'_>) -> Option<Event> {
        let m = py.detach(|| self.0.next_event())?;
        Some((m.event, m.id, m.data, m.retry, m.comments))
    }

    /// Drop the body as a client that disconnects (GIL released: a read in progress on
    /// another thread may need it to finish).
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.0.close());
    }
}

#[pyclass(frozen, module = "spikard._spikard")]
pub struct TestWebSocket(core::BlockingWebSocket);

#[pymethods]
impl TestWebSocket {
    fn send_text(&self, py: Python<'_>, text: &str) -> PyResult<()> {
        py.detach(|| self.0.send_text(text)).map_err(value_error)
    }

    fn send_bytes(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<()> {
        py.detach(|| self.0.send_binary(data)).map_err(value_error)
    }

    fn send_json(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = crate::convert::py_to_json(value)?;
        py.detach(|| self.0.send_json(&value)).map_err(value_error)
    }

    #[pyo3(signature = (code = 1000, reason = String::new()))]
    fn close(&self, py: Python<'_>, code: u16, reason: String) -> PyResult<()> {
        py.detach(|| self.0.close(code, &reason)).map_err(value_error)
    }

    /// The next frame as `(kind, payload)`; `None` when the connection ended.
    fn receive<'py>(&self, py: Python<'py>) -> PyResult<Option<(&'static str, Bound<'py, PyAny>)>> {
        let Some(frame) = py.detach(|| self.0.recv()) else {
            return Ok(None);
        };
        Ok(Some(match frame {
            WsFrame::Text(t) => ("text", PyString::new(py, &t).into_any()),
            WsFrame::Binary(b) => ("bytes", PyBytes::new(py, &b).into_any()),
            WsFrame::Pong(b) => ("pong", PyBytes::new(py, &b).into_any()),
            WsFrame::Close(code, reason) => ("close", (code, reason).into_pyobject(py)?.into_any()),
        }))
    }
}
