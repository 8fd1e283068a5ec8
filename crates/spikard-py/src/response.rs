//! A handler's return value as a core response (a `str` is `text/plain`, `bytes`
//! `application/octet-stream`, the package's response classes as they describe, anything
//! else JSON in one pass), and a core response as a `Response` for response hooks.

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use spikard_http::file::FileBody;
use spikard_http::foreign::{body_view, headers_view, BodyView, ResponseMeta};
use spikard_http::{Cookie, HandlerResponse, ResponseBody};

use crate::convert::{json_to_py, map_to_py, py_to_json, py_to_json_bytes};
use crate::support::{is, support};

/// A `Set-Cookie` header value from the core's `Cookie` fields (`name`, `value`, `max_age`,
/// `path`, `domain`, `secure`, `http_only`, `same_site`): `Response.set_cookie` uses it.
#[pyfunction]
pub fn cookie_header(cookie: &Bound<'_, PyDict>) -> PyResult<String> {
    let cookie: Cookie = serde_json::from_value(py_to_json(cookie.as_any())?)
        .map_err(|e| PyValueError::new_err(format!("invalid cookie: {e}")))?;
    Ok(cookie.to_header_value())
}

/// A `str` as `text/plain`, `bytes` as `application/octet-stream`, anything else as JSON
/// serialised in one pass.
fn plain_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(HandlerResponse::text(s.to_str()?));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        let mut r = HandlerResponse::new(
            StatusCode::OK,
            ResponseBody::Bytes(Bytes::copy_from_slice(b.as_bytes())),
        );
        let octets = HeaderValue::from_static("application/octet-stream");
        r.headers.insert(header::CONTENT_TYPE, octets);
        return Ok(r);
    }
    let bytes = py_to_json_bytes(value)?;
    Ok(HandlerResponse::new(
        StatusCode::OK,
        ResponseBody::JsonBytes(bytes.into()),
    ))
}

/// Convert a handler's return value (see the module docs).
pub fn to_handler_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    if value.is_exact_instance_of::<PyDict>() || value.is_exact_instance_of::<PyList>() {
        return plain_response(value);
    }
    let types = support(value.py())?;
    if is(value, &types.file_response) {
        file_response(value)
    } else if is(value, &types.response) {
        explicit_response(value)
    } else if is(value, &types.streaming_response) {
        crate::streams::streaming_response(value)
    } else if is(value, &types.event_source_response) {
        crate::streams::sse_response(value)
    } else {
        plain_response(value)
    }
}

/// A `Response` object as a core response.
pub fn explicit_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let content = r.getattr(intern!(r.py(), "content"))?;
    let response = if content.is_none() {
        HandlerResponse::new(StatusCode::OK, ResponseBody::Empty)
    } else {
        plain_response(&content)?
    };
    finish_response(response, r)
}

/// A `FileResponse`: the core answers the file (validators, conditions, ranges).
fn file_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let py = r.py();
    let path: String = r.getattr(intern!(py, "path"))?.extract()?;
    let mut file = FileBody::path(path);
    if let Some(name) = r.getattr(intern!(py, "filename"))?.extract::<Option<String>>()? {
        file = file.download(name);
    }
    if r.getattr(intern!(py, "content_disposition_type"))?
        .extract::<String>()?
        == "inline"
    {
        file = file.inline();
    }
    let response = HandlerResponse::new(StatusCode::OK, ResponseBody::File(Box::new(file)));
    finish_response(response, r)
}

/// Set the status, headers, media type and cookies of a response from a Python response
/// object's `status_code`, `headers` (a value or a list of values per name) and, when it
/// has them, `media_type` and `_cookies` (the core's [`ResponseMeta`]).
pub fn finish_response(response: HandlerResponse, r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let py = r.py();
    let mut meta = ResponseMeta {
        status: r.getattr(intern!(py, "status_code"))?.extract()?,
        ..ResponseMeta::default()
    };
    for (k, v) in r.getattr(intern!(py, "headers"))?.cast::<PyDict>()?.iter() {
        let name: String = k.extract()?;
        match v.cast::<PyList>() {
            Ok(list) => {
                for item in list.iter() {
                    meta.headers.push((name.clone(), item.str()?.to_string()));
                }
            }
            Err(_) => meta.headers.push((name, v.str()?.to_string())),
        }
    }
    if let Some(media_type) = r.getattr_opt(intern!(py, "media_type"))? {
        meta.media_type = media_type.extract()?;
    }
    if let Some(cookies) = r.getattr_opt(intern!(py, "_cookies"))? {
        meta.cookies = cookies.extract()?;
    }
    meta.apply(response).map_err(PyValueError::new_err)
}

/// A core response as a `Response` object for response hooks.
pub fn to_py_response<'py>(py: Python<'py>, response: &HandlerResponse) -> PyResult<Bound<'py, PyAny>> {
    let content = match body_view(&response.body).map_err(PyValueError::new_err)? {
        BodyView::Bytes(b) => PyBytes::new(py, b).into_any(),
        BodyView::Json(v) => json_to_py(py, &v)?,
        BodyView::None => py.None().into_bound(py),
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", response.status.as_u16())?;
    kwargs.set_item("headers", map_to_py(py, &headers_view(&response.headers))?)?;
    support(py)?.response.bind(py).call((content,), Some(&kwargs))
}
