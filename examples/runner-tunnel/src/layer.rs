//! The protocol's dialect for Spikard's own refusals under the tunnel's base path.
//!
//! Token auth, CORS, body limits, deadlines, routing (404/405) are Spikard's middleware;
//! they refuse with RFC 9457 problems. The tunnel's clients read the protocol's error
//! envelope instead (`{"ok": false, "error": {"message", "code"}}`, e.g. `UNAUTHORIZED` on
//! a 401), so this tower layer, put around the app with `App::layer`, rewrites a problem
//! answered under the base path into that envelope with the same status and headers
//! (CORS, request ID, `WWW-Authenticate` stay). It also adds the reference exposure's
//! security headers (`X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`) to every
//! answer under the base path. Answers outside the base path pass untouched.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use futures_util::future::BoxFuture;
use http::{header, HeaderValue, Request, Response};
use tower::{Layer, Service};

use crate::envelope::{ProtocolError, JSON_CONTENT_TYPE};
use crate::serializer::stringify;

/// Wraps the app (see the module docs).
#[derive(Debug, Clone)]
pub struct EnvelopeLayer {
    base_path: Arc<str>,
}

impl EnvelopeLayer {
    pub fn new(base_path: &str) -> Self {
        Self {
            base_path: Arc::from(base_path),
        }
    }
}

impl<S> Layer<S> for EnvelopeLayer {
    type Service = EnvelopeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EnvelopeService {
            inner,
            base_path: self.base_path.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct EnvelopeService<S> {
    inner: S,
    base_path: Arc<str>,
}

fn under(base: &str, path: &str) -> bool {
    path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

fn is_problem(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json"))
}

/// The envelope for a problem response, keeping its status and other headers.
fn rewrite(response: Response<Body>) -> Response<Body> {
    let (mut parts, _problem) = response.into_parts();
    let envelope = ProtocolError::for_status(parts.status.as_u16()).to_value();
    let bytes = stringify(&envelope).unwrap_or_default();
    for name in [header::CONTENT_ENCODING, header::CONTENT_LENGTH, header::ETAG] {
        parts.headers.remove(name);
    }
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from(bytes))
}

impl<S> Service<Request<Body>> for EnvelopeService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let tunnel = under(&self.base_path, request.uri().path());
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            if !tunnel {
                return Ok(response);
            }
            let mut response = if is_problem(&response) {
                rewrite(response)
            } else {
                response
            };
            let headers = response.headers_mut();
            headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
            headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_and_what_is_under_it() {
        assert!(under("/__runner", "/__runner"));
        assert!(under("/__runner", "/__runner/task/x"));
        assert!(!under("/__runner", "/__runnerx/task"));
        assert!(!under("/__runner", "/other"));
    }
}
