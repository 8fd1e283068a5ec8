//! The response a handler returns, its conversion to an HTTP response, and the
//! one builder of problem responses ([`error_response`]).

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde_json::Value;
use spikard_core::error::PROBLEM_CONTENT_TYPE;
use spikard_core::{ProblemDetails, SpikardError};
use std::pin::Pin;

use crate::cookies::Cookie;

/// A chunked body stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// Body of a handler's response.
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    Json(Value),
    /// JSON already serialised (a binding's one-pass conversion of its own values);
    /// sent as `application/json` unless a content type is set.
    JsonBytes(Bytes),
    Stream(ByteStream),
    /// Server-sent events (`text/event-stream`, never compressed).
    Sse(crate::sse::SseStream),
    /// A WebSocket session: only valid from a route registered as a WebSocket route.
    WebSocket(Box<crate::websocket::WebSocketUpgrade>),
    /// A file, answered with validators, conditional requests and ranges ([`crate::file`]).
    File(Box<crate::file::FileBody>),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Self::Json(v) => f.debug_tuple("Json").field(v).finish(),
            Self::JsonBytes(b) => f.debug_tuple("JsonBytes").field(b).finish(),
            Self::Stream(_) => f.write_str("Stream(..)"),
            Self::Sse(s) => f.debug_tuple("Sse").field(s).finish(),
            Self::WebSocket(w) => f.debug_tuple("WebSocket").field(w).finish(),
            Self::File(file) => f.debug_tuple("File").field(file).finish(),
        }
    }
}

/// Status, headers and body, as any binding produces them.
#[derive(Debug)]
pub struct HandlerResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: ResponseBody,
}

impl HandlerResponse {
    pub fn new(status: StatusCode, body: ResponseBody) -> Self {
        Self {
            status,
            headers: HeaderMap::new(),
            body,
        }
    }

    pub fn json(value: Value) -> Self {
        Self::new(StatusCode::OK, ResponseBody::Json(value))
    }

    pub fn text(text: impl Into<String>) -> Self {
        let mut r = Self::new(StatusCode::OK, ResponseBody::Bytes(Bytes::from(text.into())));
        r.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Add a header; invalid names or values are refused with an error message.
    pub fn try_header(mut self, name: &str, value: &str) -> Result<Self, String> {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| format!("invalid header name '{name}': {e}"))?;
        let v = HeaderValue::from_str(value).map_err(|e| format!("invalid value for header '{name}': {e}"))?;
        self.headers.append(n, v);
        Ok(self)
    }

    pub fn cookie(mut self, cookie: &Cookie) -> Self {
        if let Ok(v) = HeaderValue::from_str(&cookie.to_header_value()) {
            self.headers.append(header::SET_COOKIE, v);
        }
        self
    }

    /// Build the HTTP response. JSON is serialised in one pass.
    pub fn into_http(self, head_only: bool) -> Response<Body> {
        let mut headers = self.headers;
        let body = match self.body {
            ResponseBody::Empty => Body::empty(),
            ResponseBody::Bytes(b) => Body::from(b),
            ResponseBody::Json(v) => {
                if !headers.contains_key(header::CONTENT_TYPE) {
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                match serde_json::to_vec(&v) {
                    Ok(bytes) => Body::from(bytes),
                    Err(e) => {
                        return error_response(&SpikardError::Internal(format!("response serialisation failed: {e}")))
                            .into_http(false)
                    }
                }
            }
            ResponseBody::JsonBytes(b) => {
                if !headers.contains_key(header::CONTENT_TYPE) {
                    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                Body::from(b)
            }
            ResponseBody::Stream(s) => crate::streaming::body(s),
            ResponseBody::Sse(s) => {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                // Proxies such as nginx would otherwise hold events back.
                headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
                crate::streaming::body(Box::pin(s))
            }
            ResponseBody::WebSocket(_) => {
                return error_response(&SpikardError::Internal(
                    "a WebSocket session can only be answered on a WebSocket route".into(),
                ))
                .into_http(false)
            }
            ResponseBody::File(_) => {
                return error_response(&SpikardError::Internal(
                    "a file response reached the wire without being answered".into(),
                ))
                .into_http(false)
            }
        };
        let body = if head_only || self.status == StatusCode::NO_CONTENT || self.status == StatusCode::NOT_MODIFIED {
            Body::empty()
        } else {
            body
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = headers;
        response
    }
}

/// The problem object the client sees for an error. The detail of a 5xx error
/// that is not public (see [`SpikardError::is_public`]) is logged and replaced
/// by `Internal server error`.
pub fn public_problem(err: &SpikardError) -> ProblemDetails {
    let mut problem = err.to_problem();
    if !err.is_public() {
        tracing::error!(error = %err, "request failed");
        problem.detail = "Internal server error".into();
    }
    problem
}

/// The RFC 9457 problem response for any error: the error's status, its
/// [`public_problem`] as an `application/problem+json` body, and the headers the
/// error sets: `Allow` (405), `Retry-After` (429), `WWW-Authenticate: Bearer` (401)
/// and those of an application's `HttpProblem`, in order. Every problem response
/// of the server, its middleware and its WebSocket handshake is built here.
///
/// ```
/// use spikard_http::response::error_response;
/// use spikard_http::SpikardError;
/// let response = error_response(&SpikardError::TooManyRequests { retry_after: 3 });
/// assert_eq!(response.status, 429);
/// assert_eq!(response.headers["content-type"], "application/problem+json");
/// assert_eq!(response.headers["retry-after"], "3");
/// ```
pub fn error_response(err: &SpikardError) -> HandlerResponse {
    let problem = public_problem(err);
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HandlerResponse::new(status, ResponseBody::Bytes(Bytes::from(problem.to_json_bytes())));
    let headers = &mut response.headers;
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    match err {
        SpikardError::MethodNotAllowed { allow, .. } => {
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                headers.insert(header::ALLOW, v);
            }
        }
        SpikardError::TooManyRequests { retry_after } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        SpikardError::Unauthorized { .. } => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    for (name, value) in err.headers() {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) if name == header::CONTENT_TYPE => {
                headers.insert(name, value);
            }
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => tracing::warn!(header = %name, "dropped an invalid header of an error response"),
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikard_core::error::HttpProblem;

    fn body(response: &HandlerResponse) -> Value {
        match &response.body {
            ResponseBody::Bytes(b) => serde_json::from_slice(b).unwrap(),
            other => panic!("not a problem body: {other:?}"),
        }
    }

    #[test]
    fn server_errors_set_their_headers() {
        let r = error_response(&SpikardError::MethodNotAllowed {
            method: "PUT".into(),
            path: "/x".into(),
            allow: vec!["GET".into(), "HEAD".into()],
        });
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.headers[header::ALLOW], "GET, HEAD");
        let r = error_response(&SpikardError::Unauthorized {
            title: "Unauthorized".into(),
            detail: "no".into(),
        });
        assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(r.headers[header::CONTENT_TYPE], PROBLEM_CONTENT_TYPE);
    }

    #[test]
    fn application_headers_are_appended_and_may_replace_the_content_type() {
        let err = SpikardError::from(
            HttpProblem::new(416, "Range not satisfiable for a 3-byte file")
                .header("Content-Range", "bytes */3")
                .header("Link", "</a>")
                .header("Link", "</b>")
                .header("Content-Type", "application/vnd.custom+json")
                .header("Bad Name", "x"),
        );
        let r = error_response(&err);
        assert_eq!(r.headers[header::CONTENT_RANGE], "bytes */3");
        assert_eq!(r.headers.get_all(header::LINK).iter().count(), 2);
        assert_eq!(r.headers.get_all(header::CONTENT_TYPE).iter().count(), 1);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/vnd.custom+json");
        assert_eq!(body(&r)["type"], "https://spikard.dev/errors/range-not-satisfiable");
        assert_eq!(body(&r)["title"], "Range Not Satisfiable");
    }

    #[test]
    fn a_private_server_error_detail_is_not_sent() {
        let r = error_response(&SpikardError::Internal("db password is hunter2".into()));
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body(&r)["detail"], "Internal server error");
        let public = SpikardError::Http {
            status: 503,
            detail: "Down for maintenance".into(),
        };
        assert_eq!(public_problem(&public).detail, "Down for maintenance");
    }
}
