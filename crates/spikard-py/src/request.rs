//! The `Request` object handlers may ask for, the `HookRequest` response hooks get, and
//! uploaded files as the package's `UploadFile`.
//!
//! Python values are built on first access and cached, so a handler only pays
//! for what it reads.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde_json::Value;
use spikard_core::body::multipart::UploadedFile;
use spikard_http::foreign::RequestView;
use spikard_http::hooks::HookRequest;
use spikard_http::RequestData;

use crate::convert::{json_to_py, map_to_py};
use crate::support::support;

/// A validated request (read-only, except `state` and the headers to add to the response).
#[pyclass(frozen, module = "spikard._spikard")]
pub struct Request {
    /// The shared request and the headers `reply_header` asked for.
    pub view: RequestView,
    path_params: PyOnceLock<Py<PyDict>>,
    query_params: PyOnceLock<Py<PyDict>>,
    headers: PyOnceLock<Py<PyDict>>,
    cookies: PyOnceLock<Py<PyDict>>,
    state: PyOnceLock<Py<PyDict>>,
    json: PyOnceLock<Py<PyAny>>,
}

impl Request {
    /// The `state` dict as the application left it, if it was ever read (else `None`: unchanged).
    pub fn state_if_used(&self, py: Python<'_>) -> PyResult<Option<serde_json::Map<String, Value>>> {
        match self.state.get(py) {
            None => Ok(None),
            Some(dict) => match crate::convert::py_to_json(dict.bind(py).as_any())? {
                Value::Object(map) => Ok(Some(map)),
                _ => Ok(None),
            },
        }
    }

    pub fn new(data: Arc<RequestData>) -> Self {
        Self {
            view: RequestView::new(data),
            path_params: PyOnceLock::new(),
            query_params: PyOnceLock::new(),
            headers: PyOnceLock::new(),
            cookies: PyOnceLock::new(),
            state: PyOnceLock::new(),
            json: PyOnceLock::new(),
        }
    }
}

fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyDict>>,
    build: impl FnOnce() -> PyResult<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    Ok(cell
        .get_or_try_init(py, || build().map(Bound::unbind))?
        .bind(py)
        .clone())
}

#[pymethods]
impl Request {
    /// The HTTP method, upper case.
    #[getter]
    fn method(&self) -> &str {
        self.view.data.method.as_str()
    }

    /// The percent-decoded path.
    #[getter]
    fn path(&self) -> &str {
        &self.view.data.path
    }

    /// Path parameters, coerced to their declared types.
    #[getter]
    fn path_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.path_params, || map_to_py(py, &self.view.data.path_params))
    }

    /// Declared query parameters (coerced, defaults applied), plus undeclared ones as sent
    /// (a repeated undeclared key gives a list).
    #[getter]
    fn query_params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.query_params, || map_to_py(py, &self.view.query()))
    }

    /// Every query pair as sent, in order.
    #[getter]
    fn raw_query(&self) -> Vec<(String, String)> {
        self.view.data.raw_query.clone()
    }

    /// Request headers by lowercase name; repeated headers are joined with `, `.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.headers, || map_to_py(py, &self.view.headers()))
    }

    /// Cookies sent with the request.
    #[getter]
    fn cookies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.cookies, || map_to_py(py, &self.view.cookies()))
    }

    /// The body bytes as received.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.view.data.raw_body)
    }

    /// The decoded, validated body (JSON, or a form's fields); `None` when absent. Converted
    /// on the first call; later calls return the same object.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let data = &self.view.data;
        let value = self.json.get_or_try_init(py, || {
            if data.body.is_null() && !data.raw_body.is_empty() {
                let parsed: Value = serde_json::from_slice(&data.raw_body)
                    .map_err(|e| PyValueError::new_err(format!("body is not JSON: {e}")))?;
                return json_to_py(py, &parsed).map(Bound::unbind);
            }
            json_to_py(py, &data.body).map(Bound::unbind)
        })?;
        Ok(value.bind(py).clone())
    }

    /// The decoded form fields (urlencoded or multipart; files appear as their metadata).
    fn form<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        match &self.view.data.body {
            Value::Object(map) => map_to_py(py, map),
            _ => Ok(PyDict::new(py)),
        }
    }

    /// Uploaded multipart files, in body order.
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let files = self.view.data.files.iter().map(|f| upload_file(py, f));
        PyList::new(py, files.collect::<PyResult<Vec<_>>>()?)
    }

    /// The client's IP address (the peer, or the forwarded one behind a trusted proxy); `None` in memory.
    #[getter]
    fn client(&self) -> Option<String> {
        self.view.data.client_ip.map(|ip| ip.to_string())
    }

    /// Per-request state: values hooks and middleware handed over, then free for application code.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.state, || map_to_py(py, &self.view.data.state))
    }

    /// Add a header to the response this request gets, whatever answers it (a hook's
    /// early answer, the handler, an error); repeated names are all sent.
    fn reply_header(&self, name: &str, value: &str) -> PyResult<()> {
        self.view.reply_header(name, value).map_err(PyValueError::new_err)
    }

    fn __repr__(&self) -> String {
        format!("<Request {} {}>", self.view.data.method, self.view.data.path)
    }
}

/// What a response hook knows of the request behind the response.
#[pyclass(frozen, name = "HookRequest", module = "spikard._spikard")]
pub struct PyHookRequest {
    view: HookRequest,
}

impl From<HookRequest> for PyHookRequest {
    fn from(view: HookRequest) -> Self {
        Self { view }
    }
}

#[pymethods]
impl PyHookRequest {
    #[getter]
    fn method(&self) -> &str {
        self.view.method.as_str()
    }

    #[getter]
    fn path(&self) -> &str {
        &self.view.path
    }

    /// The request `state` as the request hooks and the handler's middleware left it.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.view.state)
    }

    /// Seconds since the request arrived.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.view.received.elapsed().as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!("<HookRequest {} {}>", self.view.method, self.view.path)
    }
}

/// An uploaded file as the package's `UploadFile`.
pub fn upload_file<'py>(py: Python<'py>, f: &UploadedFile) -> PyResult<Bound<'py, PyAny>> {
    let args = (&f.filename, PyBytes::new(py, &f.data), &f.content_type, &f.field_name);
    support(py)?.upload_file.bind(py).call1(args)
}

/// An `UploadFile` (or any object with its attributes) as a core file.
pub fn uploaded_file(file: &Bound<'_, PyAny>) -> PyResult<UploadedFile> {
    Ok(UploadedFile {
        field_name: file.getattr("field_name")?.extract()?,
        filename: file.getattr("filename")?.extract()?,
        content_type: file.getattr("content_type")?.extract()?,
        data: file.call_method0("read")?.extract()?,
    })
}
