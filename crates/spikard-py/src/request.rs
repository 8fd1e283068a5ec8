//! The `Request` object handlers may ask for, and `UploadFile`.
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
        cached(py, &self.query_params, || {
            let dict = PyDict::new(py);
            for (k, v) in &self.view.data.raw_query {
                if self.view.data.query_params.contains_key(k) {
                    continue;
                }
                match dict.get_item(k)? {
                    Some(existing) => match existing.cast::<PyList>() {
                        Ok(list) => list.append(v)?,
                        Err(_) => dict.set_item(k, PyList::new(py, [existing, v.into_pyobject(py)?.into_any()])?)?,
                    },
                    None => dict.set_item(k, v)?,
                }
            }
            for (k, v) in &self.view.data.query_params {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            Ok(dict)
        })
    }

    /// Every query pair as sent, in order.
    #[getter]
    fn raw_query(&self) -> Vec<(String, String)> {
        self.view.data.raw_query.clone()
    }

    /// Request headers by lowercase name; repeated headers are joined with `, `.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.headers, || {
            let dict = PyDict::new(py);
            for name in self.view.data.headers.keys() {
                let joined: Vec<String> = self
                    .view
                    .data
                    .headers
                    .get_all(name)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                dict.set_item(name.as_str(), joined.join(", "))?;
            }
            Ok(dict)
        })
    }

    /// Cookies sent with the request.
    #[getter]
    fn cookies<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        cached(py, &self.cookies, || {
            let dict = PyDict::new(py);
            for (k, v) in self.view.data.cookies() {
                dict.set_item(k, v)?;
            }
            Ok(dict)
        })
    }

    /// The body bytes as received.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.view.data.raw_body)
    }

    /// The decoded, validated body (JSON, or a form's fields); `None` when absent.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if self.view.data.body.is_null() && !self.view.data.raw_body.is_empty() {
            let parsed: Value = serde_json::from_slice(&self.view.data.raw_body)
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("body is not JSON: {e}")))?;
            return json_to_py(py, &parsed);
        }
        json_to_py(py, &self.view.data.body)
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
    fn files(&self) -> Vec<UploadFile> {
        self.view.data.files.iter().cloned().map(UploadFile::from).collect()
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

/// One uploaded file from a multipart body.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct UploadFile {
    file: UploadedFile,
}

impl From<UploadedFile> for UploadFile {
    fn from(file: UploadedFile) -> Self {
        Self { file }
    }
}

#[pymethods]
impl UploadFile {
    #[new]
    #[pyo3(signature = (filename, content, content_type = "application/octet-stream".to_owned(), field_name = String::new()))]
    fn py_new(filename: String, content: Vec<u8>, content_type: String, field_name: String) -> Self {
        Self {
            file: UploadedFile {
                field_name,
                filename,
                content_type,
                data: content,
            },
        }
    }

    /// The form field the file was sent under.
    #[getter]
    fn field_name(&self) -> &str {
        &self.file.field_name
    }

    /// The client-supplied filename (possibly empty).
    #[getter]
    fn filename(&self) -> &str {
        &self.file.filename
    }

    #[getter]
    fn content_type(&self) -> &str {
        &self.file.content_type
    }

    /// Size in bytes.
    #[getter]
    fn size(&self) -> usize {
        self.file.data.len()
    }

    /// The file's bytes.
    fn read<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.file.data)
    }

    fn __repr__(&self) -> String {
        format!(
            "<UploadFile {:?} {} ({} bytes)>",
            self.file.filename,
            self.file.content_type,
            self.file.data.len()
        )
    }
}

impl UploadFile {
    pub fn inner(&self) -> &UploadedFile {
        &self.file
    }
}
