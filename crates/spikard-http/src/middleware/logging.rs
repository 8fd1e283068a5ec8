//! Request logging through `tracing` (on when `ServerConfig::request_logging`).
//!
//! Every response logs one `info` event on the `spikard::request` target with
//! `method`, `route` (the pattern, not the concrete path), `status`,
//! `duration_ms` and `request_id`. At `debug` level the request headers are
//! logged too, with the values of sensitive headers replaced by `[redacted]`:
//! `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, `X-API-Key`,
//! and the header configured for API-key authentication.
//!
//! Why hand-written, not tower-http's `TraceLayer`: it runs after routing, so it logs the
//! route pattern and the request ID and redacts the configured API-key header; Rust users
//! can still add `TraceLayer` with `App::layer` (`docs/middleware.md`).
//!
//! ```
//! use http::HeaderMap;
//! use spikard_http::middleware::logging::RequestLogging;
//! let logging = RequestLogging::new(&Default::default());
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", "Bearer secret".parse().unwrap());
//! assert_eq!(logging.redacted(&headers), r#"authorization: "[redacted]""#);
//! ```

use std::fmt::Write;

use axum::body::Body;
use http::{HeaderMap, HeaderName, Response};
use spikard_core::config::ServerConfig;

use super::{Context, Middleware};
use crate::handler::RequestData;

/// The `tracing` target of request events.
pub const TARGET: &str = "spikard::request";

const ALWAYS_SENSITIVE: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// The request logging middleware.
#[derive(Debug)]
pub struct RequestLogging {
    sensitive: Vec<HeaderName>,
}

impl RequestLogging {
    pub fn new(config: &ServerConfig) -> Self {
        let mut sensitive: Vec<HeaderName> = ALWAYS_SENSITIVE.iter().map(|h| HeaderName::from_static(h)).collect();
        if let Some(name) = config
            .api_key_auth
            .as_ref()
            .and_then(|c| HeaderName::from_bytes(c.header_name.as_bytes()).ok())
        {
            if !sensitive.contains(&name) {
                sensitive.push(name);
            }
        }
        Self { sensitive }
    }

    pub fn is_sensitive(&self, name: &HeaderName) -> bool {
        self.sensitive.contains(name)
    }

    /// The headers as `name: "value"` pairs, sensitive values redacted.
    pub fn redacted(&self, headers: &HeaderMap) -> String {
        let mut out = String::new();
        for (name, value) in headers {
            if !out.is_empty() {
                out.push_str(", ");
            }
            let shown = if self.is_sensitive(name) {
                "[redacted]".into()
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            let _ = write!(out, "{name}: {shown:?}");
        }
        out
    }
}

impl Middleware for RequestLogging {
    fn name(&self) -> &'static str {
        "logging"
    }

    fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        if tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
            tracing::debug!(
                target: TARGET,
                method = %ctx.method,
                path = %request.path,
                headers = %self.redacted(&request.headers),
                "request received"
            );
        }
        Ok(())
    }

    fn on_response(&self, ctx: &Context, response: &mut Response<Body>) {
        tracing::info!(
            target: TARGET,
            method = %ctx.method,
            route = ctx.route.as_deref().unwrap_or("-"),
            status = response.status().as_u16(),
            duration_ms = ctx.started.elapsed().as_secs_f64() * 1000.0,
            request_id = ctx.request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-"),
            "request completed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikard_core::config::ApiKeyConfig;

    // The end-to-end capture of real log lines is `tests/middleware_logging.rs`
    // (it installs a global subscriber, so it has a test binary of its own).
    #[test]
    fn sensitive_values_are_redacted() {
        let config = ServerConfig {
            api_key_auth: Some(ApiKeyConfig {
                header_name: "X-Service-Token".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let logging = RequestLogging::new(&config);
        let mut headers = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer top-secret-jwt"),
            ("proxy-authorization", "Basic top-secret"),
            ("cookie", "session=top-secret-cookie"),
            ("x-api-key", "top-secret-key"),
            ("x-service-token", "top-secret-token"),
            ("accept", "application/json"),
        ] {
            headers.insert(HeaderName::from_static(k), v.parse().unwrap());
        }
        assert_eq!(
            logging.redacted(&headers),
            r#"authorization: "[redacted]", proxy-authorization: "[redacted]", cookie: "[redacted]", x-api-key: "[redacted]", x-service-token: "[redacted]", accept: "application/json""#
        );
        assert!(
            !RequestLogging::new(&ServerConfig::default()).is_sensitive(&HeaderName::from_static("x-service-token"))
        );
    }
}
