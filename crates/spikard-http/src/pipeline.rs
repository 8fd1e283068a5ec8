//! The request pipeline: limits, routing, parameter and body validation, the
//! handler call (panics caught), and problem responses. The server and the
//! in-memory test client both drive exactly this.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use futures_util::FutureExt;
use http::{header, HeaderName, Method, Request, Response};
use http_body_util::{BodyExt, Limited};
use spikard_core::body::urlencoded::parse_pairs;
use spikard_core::config::ServerConfig;
use spikard_core::params::RawParams;
use spikard_core::request_body::{is_structured, DecodedBody};
use spikard_core::router::Router;
use spikard_core::SpikardError;

use crate::handler::{Handler, RequestData};
use crate::response::problem_response;
use crate::route::{CompiledRoute, RouteSpec};

/// Routes plus server-wide limits. Cheap to clone (shared).
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    router: Router<CompiledRoute>,
    config: ServerConfig,
}

/// Collects routes, rejecting conflicts at registration.
pub struct PipelineBuilder {
    router: Router<CompiledRoute>,
    config: ServerConfig,
}

impl PipelineBuilder {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            router: Router::new(),
            config,
        }
    }

    /// Compile and register a route. Conflicts and invalid schemas are errors naming the route.
    pub fn route(&mut self, spec: RouteSpec, handler: Arc<dyn Handler>) -> Result<&mut Self, SpikardError> {
        let method = spec.method.to_ascii_uppercase();
        let path = spec.path.clone();
        let compiled = CompiledRoute::compile(spec, handler, &self.config)?;
        self.router.insert(&method, &path, compiled)?;
        Ok(self)
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Settings that only affect serving (host, port, shutdown) may change after routes are added.
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.config
    }

    pub fn build(self) -> Pipeline {
        Pipeline {
            inner: Arc::new(Inner {
                router: self.router,
                config: self.config,
            }),
        }
    }
}

fn error_response(err: &SpikardError) -> Response<Body> {
    let extra: Vec<(HeaderName, String)> = match err {
        SpikardError::MethodNotAllowed { allow, .. } => vec![(header::ALLOW, allow.join(", "))],
        _ => Vec::new(),
    };
    let mut problem = err.to_problem();
    if problem.status >= 500 && !matches!(err, SpikardError::Http { .. }) {
        tracing::error!(error = %err, "request failed");
        problem.detail = "Internal server error".into();
    }
    problem_response(&problem, &extra)
}

/// Percent-decode a path, refusing malformed escapes and invalid UTF-8.
pub fn decode_path(raw: &str) -> Result<String, SpikardError> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
        if *b == b'%' && !(hex(i + 1) && hex(i + 2)) {
            return Err(SpikardError::BadRequest(format!(
                "Invalid percent-encoding in path at byte {i}"
            )));
        }
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| SpikardError::BadRequest("Path is not valid UTF-8 after percent-decoding".into()))
}

impl Pipeline {
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// Serve one request.
    pub async fn handle(&self, request: Request<Body>) -> Response<Body> {
        match self.run(request).await {
            Ok(response) => response,
            Err(err) => error_response(&err),
        }
    }

    async fn run(&self, request: Request<Body>) -> Result<Response<Body>, SpikardError> {
        let config = &self.inner.config;
        let (parts, body) = request.into_parts();
        let target_len = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
        if target_len > config.max_uri_length {
            return Err(SpikardError::UriTooLong {
                length: target_len,
                limit: config.max_uri_length,
            });
        }
        let header_size: usize = parts.headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
        if header_size > config.max_header_size {
            return Err(SpikardError::HeadersTooLarge {
                size: header_size,
                limit: config.max_header_size,
            });
        }
        let path = decode_path(parts.uri.path())?;
        let (route, path_values) = self.inner.router.resolve(parts.method.as_str(), &path)?;

        let raw_query = match parts.uri.query() {
            Some(q) if !q.is_empty() => {
                parse_pairs(q.as_bytes()).map_err(|e| SpikardError::BadRequest(e.to_string()))?
            }
            _ => Vec::new(),
        };
        let header_pairs: Vec<(String, String)> = if route.params.needs_headers {
            parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let cookie_pairs = if route.params.needs_cookies {
            crate::cookies::parse_cookie_headers(&parts.headers)
        } else {
            Vec::new()
        };
        let raw = RawParams {
            path: &path_values,
            query: &raw_query,
            headers: &header_pairs,
            cookies: &cookie_pairs,
        };
        let params = route.params.extract(&raw);

        let raw_body = read_body(body, &parts.headers, route.max_body_size).await?;
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        // Routes that declare a body always decode it; others decode JSON/forms/multipart when sent.
        let decode = route.body.is_active() || (!raw_body.is_empty() && content_type.is_some_and(is_structured));
        let decoded = decode.then(|| route.body.decode(content_type, &raw_body));
        let (params, body) = match (params, decoded) {
            (Ok(p), None) => (p, DecodedBody::default()),
            (Ok(p), Some(Ok(b))) => (p, b),
            (Err(mut errors), Some(Err(SpikardError::Validation(more)))) => {
                errors.extend(more);
                return Err(SpikardError::Validation(errors));
            }
            (_, Some(Err(other))) => return Err(other),
            (Err(errors), _) => return Err(SpikardError::Validation(errors)),
        };

        let head_only = parts.method == Method::HEAD;
        let data = RequestData {
            method: parts.method,
            path,
            path_params: params.path,
            query_params: params.query,
            raw_query,
            header_params: params.headers,
            cookie_params: params.cookies,
            headers: parts.headers,
            body: body.value,
            raw_body,
            files: body.files,
        };
        let response = call_handler(route.handler.as_ref(), data).await?;
        Ok(response.into_http(head_only))
    }
}

async fn call_handler(
    handler: &dyn Handler,
    data: RequestData,
) -> Result<crate::response::HandlerResponse, SpikardError> {
    let future = std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(data)))
        .map_err(|p| SpikardError::Internal(format!("handler panicked: {}", panic_message(&p))))?;
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(p) => Err(SpikardError::Internal(format!(
            "handler panicked: {}",
            panic_message(&p)
        ))),
    }
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

async fn read_body(body: Body, headers: &http::HeaderMap, limit: usize) -> Result<Bytes, SpikardError> {
    let declared = match headers.get(header::CONTENT_LENGTH) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| SpikardError::BadRequest("Invalid Content-Length header".into()))?,
        ),
        None => None,
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(SpikardError::PayloadTooLarge { limit });
    }
    if declared.is_none_or(|n| n == 0) && http_body::Body::size_hint(&body).exact() == Some(0) {
        return Ok(Bytes::new());
    }
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            SpikardError::PayloadTooLarge { limit }
        } else {
            SpikardError::BadRequest(format!("Failed to read request body: {e}"))
        }
    })?;
    let bytes = collected.to_bytes();
    if let Some(n) = declared {
        if n != bytes.len() {
            return Err(SpikardError::BadRequest(format!(
                "Request body is {} bytes but Content-Length declares {n}",
                bytes.len()
            )));
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_decoding() {
        assert_eq!(decode_path("/a%20b").unwrap(), "/a b");
        assert!(decode_path("/a%zz").is_err());
        assert!(decode_path("/a%2").is_err());
        assert!(decode_path("/a%ff").is_err());
        assert_eq!(decode_path("/caf%C3%A9").unwrap(), "/café");
    }
}
