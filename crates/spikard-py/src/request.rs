//! The request view behind the package's `Request`, its `HookRequest` and `UploadFile`.
//! A part of the request is converted on first access and cached.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use serde_json::Value;
use spikard_core::body::multipart::UploadedFile;
use spikard_http::foreign::RequestView;
use spikard_http::hooks::HookRequest;
use spikard_http::RequestData;

use crate::convert::{json_to_py, map_to_py, py_to_json};
use crate::support::support;

/// A validated request (read-only, except `state` and the headers to add to the response).
#[pyclass(frozen, name = "RequestView", module = "spikard._spikard")]
pub struct View {
    /// The shared request and the headers `reply_header` asked for.
    pub view: RequestView,
    /// The parts converted so far, by name.
    parts: PyOnceLock<Py<PyDict>>,
}

impl View {
    /// The `state` dict as the application left it, if it was ever read (else `None`: unchanged).
    pub fn state_if_used(&self, py: Python<'_>) -> PyResult<Option<serde_json::Map<String, Value>>> {
        let state = match self.parts.get(py) {
            Some(parts) => parts.bind(py).get_item(intern!(py, "state"))?,
            None => None,
        };
        match state.map(|s| py_to_json(&s)).transpose()? {
            Some(Value::Object(map)) => Ok(Some(map)),
            _ => Ok(None),
        }
    }

    fn part<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let data = &self.view.data;
        match name {
            "raw_query" => return Ok(data.raw_query.clone().into_pyobject(py)?.into_any()),
            "body" => return Ok(PyBytes::new(py, &data.raw_body).into_any()),
            "files" => {
                let files = data.files.iter().map(|f| upload_file(py, f));
                return Ok(PyList::new(py, files.collect::<PyResult<Vec<_>>>()?)?.into_any());
            }
            _ => {}
        }
        match self.view.part(name) {
            Some(value) => json_to_py(py, &*value.map_err(PyValueError::new_err)?),
            None => Err(PyValueError::new_err(format!("a request has no part {name:?}"))),
        }
    }
}

#[pymethods]
impl View {
    /// A part of the request by name (see `spikard.requests.Request`), converted once.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        let parts = self.parts.get_or_init(py, || PyDict::new(py).unbind()).bind(py);
        if let Some(value) = parts.get_item(name)? {
            return Ok(value);
        }
        let value = self.part(py, name.to_str()?)?;
        parts.set_item(name, &value)?;
        Ok(value)
    }

    /// Add a header to the response this request gets, whatever answers it.
    fn reply_header(&self, name: &str, value: &str) -> PyResult<()> {
        self.view.reply_header(name, value).map_err(PyValueError::new_err)
    }
}

/// The package's `Request` over a new view of `data` (and the view, to read back).
pub fn request(py: Python<'_>, data: Arc<RequestData>) -> PyResult<(Bound<'_, PyAny>, Bound<'_, View>)> {
    let view = Bound::new(
        py,
        View {
            view: RequestView::new(data),
            parts: PyOnceLock::new(),
        },
    )?;
    let request = support(py)?.request.bind(py).call0()?;
    request.setattr(intern!(py, "_view"), &view)?;
    Ok((request, view))
}

/// The package's `HookRequest` for a response hook.
pub fn hook_request<'py>(py: Python<'py>, r: &HookRequest) -> PyResult<Bound<'py, PyAny>> {
    let args = (
        r.method.as_str(),
        &r.path,
        map_to_py(py, &r.state)?,
        r.received.elapsed().as_secs_f64(),
    );
    support(py)?.hook_request.bind(py).call1(args)
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
