//! Whatever a handler returns, as a core response; and a core response as a Python
//! `Response` for response hooks. The response classes are the package's
//! (`spikard.responses`, registered in [`crate::support`]); their attributes are read once.
//!
//! | handler returns | response |
//! |---|---|
//! | `Response(content, status_code, headers, cookies, media_type)` | as described; content as below |
//! | `str` | `text/plain; charset=utf-8` |
//! | `bytes` | `application/octet-stream` |
//! | `EventSourceResponse(iterator of SseEvent/dict/data, ...)` | server-sent events ([`crate::sse`]) |
//! | `StreamingResponse(iterator, status_code, headers, media_type)` | streamed chunk by chunk ([`crate::streaming`]) |
//! | anything else (`dict`, `list`, struct, dataclass, model, `None`) | JSON, serialised in one pass |

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use spikard_http::{Cookie, HandlerResponse, ResponseBody};

use crate::support::{is, support};

/// A `Set-Cookie` header value from the core's `Cookie` fields (`name`, `value`, `max_age`,
/// `path`, `domain`, `secure`, `http_only`, `same_site`): `Response.set_cookie` uses it.
#[pyfunction]
pub fn cookie_header(cookie: &Bound<'_, PyDict>) -> PyResult<String> {
    let cookie: Cookie = serde_json::from_value(crate::convert::py_to_json(cookie.as_any())?)
        .map_err(|e| PyValueError::new_err(format!("invalid cookie: {e}")))?;
    Ok(cookie.to_header_value())
}

fn bytes_response(bytes: &Bound<'_, PyBytes>) -> HandlerResponse {
    let body = ResponseBody::Bytes(Bytes::copy_from_slice(bytes.as_bytes()));
    let mut r = HandlerResponse::new(StatusCode::OK, body);
    let octets = HeaderValue::from_static("application/octet-stream");
    r.headers.insert(header::CONTENT_TYPE, octets);
    r
}

/// Any other value as JSON, serialised in one pass.
fn json_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let bytes = crate::convert::py_to_json_bytes(value)?;
    Ok(HandlerResponse::new(
        StatusCode::OK,
        ResponseBody::JsonBytes(bytes.into()),
    ))
}

/// Convert a handler's return value (see the module docs).
pub fn to_handler_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    if value.is_exact_instance_of::<PyDict>() || value.is_exact_instance_of::<PyList>() {
        return json_response(value);
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(HandlerResponse::text(s.to_str()?));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(bytes_response(b));
    }
    let types = support(value.py())?;
    if is(value, &types.response) {
        return explicit_response(value);
    }
    if is(value, &types.streaming_response) {
        return crate::streaming::streaming_response(value);
    }
    if is(value, &types.event_source_response) {
        return crate::sse::sse_response(value);
    }
    json_response(value)
}

/// A `Response` object as a core response.
pub fn explicit_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let py = r.py();
    let content = r.getattr(intern!(py, "content"))?;
    let mut response = if content.is_none() {
        HandlerResponse::new(StatusCode::OK, ResponseBody::Empty)
    } else if let Ok(s) = content.cast::<PyString>() {
        HandlerResponse::text(s.to_str()?)
    } else if let Ok(b) = content.cast::<PyBytes>() {
        bytes_response(b)
    } else {
        json_response(&content)?
    };
    let media_type: Option<String> = r.getattr(intern!(py, "media_type"))?.extract()?;
    response = finish_response(response, r, media_type.as_deref())?;
    for cookie in r.getattr(intern!(py, "_cookies"))?.try_iter()? {
        let value = HeaderValue::from_str(&cookie?.extract::<String>()?)
            .map_err(|e| PyValueError::new_err(format!("invalid cookie: {e}")))?;
        response.headers.append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Set the status, the media type (unless a `content-type` header is given) and the headers
/// of a response from a Python response object's `status_code` and `headers`.
pub fn finish_response(
    mut response: HandlerResponse,
    r: &Bound<'_, PyAny>,
    media_type: Option<&str>,
) -> PyResult<HandlerResponse> {
    let py = r.py();
    let status_code: u16 = r.getattr(intern!(py, "status_code"))?.extract()?;
    response.status = StatusCode::from_u16(status_code)
        .map_err(|_| PyValueError::new_err(format!("invalid status {status_code}")))?;
    let headers = r.getattr(intern!(py, "headers"))?;
    let headers = headers.cast::<PyDict>()?;
    let sets_type = headers.keys().iter().any(|k| {
        k.extract::<String>()
            .is_ok_and(|k| k.eq_ignore_ascii_case("content-type"))
    });
    if let (Some(media), false) = (media_type, sets_type) {
        let v = HeaderValue::from_str(media).map_err(|e| PyValueError::new_err(format!("invalid media_type: {e}")))?;
        response.headers.insert(header::CONTENT_TYPE, v);
    }
    if sets_type {
        response.headers.remove(header::CONTENT_TYPE);
    }
    for (k, v) in headers.iter() {
        let name: String = k.extract()?;
        let values: Vec<String> = match v.cast::<PyList>() {
            Ok(list) => list
                .iter()
                .map(|i| i.str().map(|s| s.to_string()))
                .collect::<PyResult<_>>()?,
            Err(_) => vec![v.str()?.to_string()],
        };
        for value in values {
            response = response.try_header(&name, &value).map_err(PyValueError::new_err)?;
        }
    }
    Ok(response)
}

/// A core response as a `Response` object for response hooks (the core never shows them a
/// streamed body).
pub fn to_py_response<'py>(py: Python<'py>, response: &HandlerResponse) -> PyResult<Bound<'py, PyAny>> {
    let content = match &response.body {
        ResponseBody::Bytes(b) => PyBytes::new(py, b).into_any(),
        ResponseBody::Json(v) => crate::convert::json_to_py(py, v)?,
        ResponseBody::JsonBytes(b) => {
            let v: serde_json::Value =
                serde_json::from_slice(b).map_err(|e| PyValueError::new_err(format!("response is not JSON: {e}")))?;
            crate::convert::json_to_py(py, &v)?
        }
        _ => py.None().into_bound(py),
    };
    let headers = PyDict::new(py);
    for name in response.headers.keys() {
        let values: Vec<String> = response
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if name == header::SET_COOKIE || values.len() > 1 {
            headers.set_item(name.as_str(), values)?;
        } else {
            headers.set_item(name.as_str(), &values[0])?;
        }
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("status_code", response.status.as_u16())?;
    kwargs.set_item("headers", headers)?;
    support(py)?.response.bind(py).call((content,), Some(&kwargs))
}
