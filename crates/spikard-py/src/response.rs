//! `Response` and the conversion of whatever a handler returns into a core response.
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
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use spikard_http::{Cookie, HandlerResponse, ResponseBody};

/// An explicit response: content, status, headers, cookies.
#[pyclass(subclass, module = "spikard._spikard")]
pub struct Response {
    /// Body: `str`, `bytes`, `None`, or any JSON-convertible value.
    #[pyo3(get, set)]
    pub content: Py<PyAny>,
    #[pyo3(get, set)]
    pub status_code: u16,
    /// Header name -> value (`str`, or a list of `str` for a repeated header).
    #[pyo3(get, set)]
    pub headers: Py<PyDict>,
    /// Content type for the body (overrides the default for its kind; a `content-type` header wins).
    #[pyo3(get, set)]
    pub media_type: Option<String>,
    cookies: Vec<Cookie>,
}

#[pymethods]
impl Response {
    #[new]
    #[pyo3(signature = (content = None, status_code = 200, headers = None, cookies = None, media_type = None))]
    fn py_new(
        py: Python<'_>,
        content: Option<Py<PyAny>>,
        status_code: u16,
        headers: Option<&Bound<'_, PyDict>>,
        cookies: Option<&Bound<'_, PyDict>>,
        media_type: Option<String>,
    ) -> PyResult<Self> {
        StatusCode::from_u16(status_code)
            .map_err(|_| PyValueError::new_err(format!("invalid status {status_code}")))?;
        let mut jar = Vec::new();
        if let Some(cookies) = cookies {
            for (k, v) in cookies.iter() {
                jar.push(Cookie::new(k.extract::<String>()?, v.str()?.to_string()));
            }
        }
        Ok(Self {
            content: content.unwrap_or_else(|| py.None()),
            status_code,
            headers: match headers {
                Some(h) => h.copy()?.unbind(),
                None => PyDict::new(py).unbind(),
            },
            media_type,
            cookies: jar,
        })
    }

    /// Add a `Set-Cookie` header.
    #[pyo3(signature = (key, value = String::new(), max_age = None, path = None, domain = None, secure = false, httponly = false, samesite = None))]
    #[allow(clippy::too_many_arguments)]
    fn set_cookie(
        &mut self,
        key: String,
        value: String,
        max_age: Option<i64>,
        path: Option<String>,
        domain: Option<String>,
        secure: bool,
        httponly: bool,
        samesite: Option<String>,
    ) {
        self.cookies.push(Cookie {
            name: key,
            value,
            max_age,
            path,
            domain,
            secure,
            http_only: httponly,
            same_site: samesite,
        });
    }

    /// The `Set-Cookie` header values this response will send.
    #[getter]
    fn cookies(&self) -> Vec<String> {
        self.cookies.iter().map(Cookie::to_header_value).collect()
    }

    fn __repr__(&self) -> String {
        format!("<Response {}>", self.status_code)
    }
}

fn text_response(text: &Bound<'_, PyString>) -> PyResult<HandlerResponse> {
    Ok(HandlerResponse::text(text.to_str()?))
}

fn bytes_response(bytes: &Bound<'_, PyBytes>) -> HandlerResponse {
    let mut r = HandlerResponse::new(
        StatusCode::OK,
        ResponseBody::Bytes(Bytes::copy_from_slice(bytes.as_bytes())),
    );
    r.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    r
}

/// Convert a handler's return value (see the module docs).
pub fn to_handler_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    if let Ok(s) = value.cast::<PyString>() {
        return text_response(s);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(bytes_response(b));
    }
    if let Ok(r) = value.cast::<Response>() {
        return explicit_response(value.py(), &r.borrow());
    }
    if let Ok(r) = value.cast::<crate::streaming::StreamingResponse>() {
        return crate::streaming::streaming_response(value.py(), &r.borrow());
    }
    if let Ok(r) = value.cast::<crate::sse::EventSourceResponse>() {
        return crate::sse::sse_response(value.py(), &r.borrow());
    }
    json_response(value)
}

/// Any other value as JSON, serialised in one pass.
fn json_response(value: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let bytes = crate::convert::py_to_json_bytes(value)?;
    Ok(HandlerResponse::new(
        StatusCode::OK,
        ResponseBody::JsonBytes(bytes.into()),
    ))
}

/// A `Response` object as a core response.
pub fn explicit_response(py: Python<'_>, r: &Response) -> PyResult<HandlerResponse> {
    let content = r.content.bind(py);
    let mut response = if content.is_none() {
        HandlerResponse::new(StatusCode::OK, ResponseBody::Empty)
    } else if let Ok(s) = content.cast::<PyString>() {
        text_response(s)?
    } else if let Ok(b) = content.cast::<PyBytes>() {
        bytes_response(b)
    } else {
        json_response(content)?
    };
    response = finish_response(response, r.status_code, r.headers.bind(py), r.media_type.as_deref())?;
    for cookie in &r.cookies {
        response = response.cookie(cookie);
    }
    Ok(response)
}

/// Set the status, the media type (unless a `content-type` header is given) and the headers
/// of a response built from a Python response object.
pub fn finish_response(
    mut response: HandlerResponse,
    status_code: u16,
    headers: &Bound<'_, PyDict>,
    media_type: Option<&str>,
) -> PyResult<HandlerResponse> {
    response.status = StatusCode::from_u16(status_code)
        .map_err(|_| PyValueError::new_err(format!("invalid status {status_code}")))?;
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

/// A core response as a `Response` object for response hooks; a streamed body (stream, SSE,
/// WebSocket session) cannot be
/// shown to Python, so such a response is given back unchanged as `Err`.
pub fn to_py_response(py: Python<'_>, response: HandlerResponse) -> PyResult<Result<Response, HandlerResponse>> {
    let content = match &response.body {
        ResponseBody::Empty => py.None(),
        ResponseBody::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        ResponseBody::Json(v) => crate::convert::json_to_py(py, v)?.unbind(),
        ResponseBody::JsonBytes(b) => {
            let v: serde_json::Value =
                serde_json::from_slice(b).map_err(|e| PyValueError::new_err(format!("response is not JSON: {e}")))?;
            crate::convert::json_to_py(py, &v)?.unbind()
        }
        ResponseBody::Stream(_) | ResponseBody::Sse(_) | ResponseBody::WebSocket(_) => return Ok(Err(response)),
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
    Ok(Ok(Response {
        content,
        status_code: response.status.as_u16(),
        headers: headers.unbind(),
        media_type: None,
        cookies: Vec::new(),
    }))
}
