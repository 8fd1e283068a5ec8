//! The response a handler returns, and its conversion to an HTTP response.

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;
use http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use serde_json::Value;
use spikard_core::error::PROBLEM_CONTENT_TYPE;
use spikard_core::ProblemDetails;
use std::pin::Pin;

use crate::cookies::Cookie;

/// A chunked body stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// Body of a handler's response.
pub enum ResponseBody {
    Empty,
    Bytes(Bytes),
    Json(Value),
    Stream(ByteStream),
    /// Server-sent events (`text/event-stream`, never compressed).
    Sse(crate::sse::SseStream),
    /// A WebSocket session: only valid from a route registered as a WebSocket route.
    WebSocket(Box<crate::websocket::WebSocketUpgrade>),
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Bytes(b) => f.debug_tuple("Bytes").field(b).finish(),
            Self::Json(v) => f.debug_tuple("Json").field(v).finish(),
            Self::Stream(_) => f.write_str("Stream(..)"),
            Self::Sse(s) => f.debug_tuple("Sse").field(s).finish(),
            Self::WebSocket(w) => f.debug_tuple("WebSocket").field(w).finish(),
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

    /// An RFC 9457 problem response.
    pub fn problem(problem: &ProblemDetails) -> Self {
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = Self::new(status, ResponseBody::Bytes(Bytes::from(problem.to_json_bytes())));
        r.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
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
                        return problem_response(
                            &spikard_core::SpikardError::Internal(format!("response serialisation failed: {e}"))
                                .to_problem(),
                            &[],
                        )
                    }
                }
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
                return problem_response(
                    &spikard_core::SpikardError::Internal(
                        "a WebSocket session can only be answered on a WebSocket route".into(),
                    )
                    .to_problem(),
                    &[],
                )
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

/// An RFC 9457 response with extra headers (e.g. `Allow`).
pub fn problem_response(problem: &ProblemDetails, extra: &[(HeaderName, String)]) -> Response<Body> {
    let mut response = Response::new(Body::from(problem.to_json_bytes()));
    *response.status_mut() = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), v);
        }
    }
    response
}
