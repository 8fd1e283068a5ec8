//! Cross-origin resource sharing, decided at registration from [`CorsConfig`].
//!
//! - A request without `Origin` is not a CORS request and passes untouched
//!   (its response still gets `Vary: Origin` unless every origin is allowed).
//! - Origins match exactly, byte for byte as sent (`https://EXAMPLE.COM` is not
//!   `https://example.com`; `null` only matches a configured `null`).
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
//!   is answered here: 204 with the allow headers, or a 403 problem naming the
//!   refused origin, method or header.
//! - An actual request from a refused origin gets a 403 problem; an allowed
//!   one gets `Access-Control-Allow-Origin` (+ credentials, exposed headers).
//! - `allow_credentials` together with a `*` origin is refused when the chain is compiled.
//! - Browsers also send `Origin` on some same-origin requests (e.g. `POST`): list
//!   the app's own origin too when it serves pages that call it.
//!
//! Why hand-written, not tower-http's `CorsLayer`: refusals are 403 problems (tower-http
//! answers 200 without CORS headers and runs the handler for a refused origin), preflights
//! are 204 and routed to the route's own settings, and it costs less per request
//! (measured: `docs/middleware.md`).
//!
//! ```
//! use spikard_core::config::CorsConfig;
//! use spikard_http::middleware::cors::Cors;
//! let bad = CorsConfig { allowed_origins: vec!["*".into()], allow_credentials: true, ..Default::default() };
//! assert!(Cors::new(&bad).is_err());
//! ```

use axum::body::Body;
use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode};
use spikard_core::config::CorsConfig;
use spikard_core::SpikardError;

use super::{Context, Middleware};
use crate::handler::RequestData;
use crate::response::error_response;

/// The middleware's name (the pipeline asks whether a chain answers preflights).
pub const NAME: &str = "cors";

const PRIVATE_NETWORK_REQUEST: &str = "access-control-request-private-network";
const PRIVATE_NETWORK_ALLOW: &str = "access-control-allow-private-network";

/// The CORS middleware with every header value pre-built.
#[derive(Debug)]
pub struct Cors {
    any_origin: bool,
    origins: Vec<HeaderValue>,
    any_method: bool,
    methods: Vec<Method>,
    allow_methods: HeaderValue,
    any_header: bool,
    headers: Vec<HeaderName>,
    allow_headers: Option<HeaderValue>,
    expose_headers: Option<HeaderValue>,
    credentials: bool,
    max_age: Option<HeaderValue>,
    private_network: bool,
}

fn invalid(msg: String) -> SpikardError {
    SpikardError::InvalidRoute(format!("cors: {msg}"))
}

fn joined(items: &[String], what: &str) -> Result<Option<HeaderValue>, SpikardError> {
    if items.is_empty() {
        return Ok(None);
    }
    HeaderValue::from_str(&items.join(", "))
        .map(Some)
        .map_err(|_| invalid(format!("{what} contain a character not allowed in a header")))
}

impl Cors {
    /// Compile the config; credentials with a `*` origin, or invalid names, are errors.
    pub fn new(config: &CorsConfig) -> Result<Self, SpikardError> {
        let any_origin = config.allowed_origins.iter().any(|o| o == "*");
        if any_origin && config.allow_credentials {
            return Err(invalid(
                "allow_credentials cannot be combined with the '*' origin (browsers refuse it; list the origins)"
                    .into(),
            ));
        }
        let origins = config
            .allowed_origins
            .iter()
            .filter(|o| *o != "*")
            .map(|o| HeaderValue::from_str(o).map_err(|_| invalid(format!("origin '{o}' is not a valid header value"))))
            .collect::<Result<Vec<_>, _>>()?;
        let any_method = config.allowed_methods.iter().any(|m| m == "*");
        let method_names: Vec<String> = if config.allowed_methods.is_empty() {
            vec!["GET".into(), "HEAD".into(), "POST".into()]
        } else {
            config.allowed_methods.iter().map(|m| m.to_ascii_uppercase()).collect()
        };
        let methods = method_names
            .iter()
            .filter(|m| *m != "*")
            .map(|m| Method::from_bytes(m.as_bytes()).map_err(|_| invalid(format!("method '{m}' is not valid"))))
            .collect::<Result<Vec<_>, _>>()?;
        let allow_methods = joined(&method_names, "allowed_methods")?.unwrap_or(HeaderValue::from_static("*"));
        let any_header = config.allowed_headers.iter().any(|h| h == "*");
        let headers = config
            .allowed_headers
            .iter()
            .filter(|h| *h != "*")
            .map(|h| HeaderName::from_bytes(h.as_bytes()).map_err(|_| invalid(format!("header '{h}' is not valid"))))
            .collect::<Result<Vec<_>, _>>()?;
        // Sent as configured (e.g. `Content-Type`); compared case-insensitively.
        let header_names: Vec<String> = config.allowed_headers.iter().filter(|h| *h != "*").cloned().collect();
        Ok(Self {
            any_origin,
            origins,
            any_method,
            methods,
            allow_methods,
            any_header,
            headers,
            allow_headers: joined(&header_names, "allowed_headers")?,
            expose_headers: joined(&config.expose_headers, "expose_headers")?,
            credentials: config.allow_credentials,
            max_age: config.max_age.map(HeaderValue::from),
            private_network: config.allow_private_network,
        })
    }

    fn origin_allowed(&self, origin: &HeaderValue) -> bool {
        self.any_origin || self.origins.iter().any(|o| o == origin)
    }

    /// The value of `Access-Control-Allow-Origin` for an accepted origin.
    fn allow_origin(&self, origin: &HeaderValue) -> HeaderValue {
        if self.any_origin && !self.credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        }
    }

    fn refuse(what: &str, value: &str) -> Box<Response<Body>> {
        let err = SpikardError::Forbidden {
            title: "CORS Request Refused".into(),
            detail: format!("{what} '{value}' is not allowed"),
        };
        Box::new(error_response(&err).into_http(false))
    }

    /// Check a preflight; the first refused item (origin, method, header) is named.
    fn preflight(&self, headers: &HeaderMap, origin: &HeaderValue) -> Response<Body> {
        let text = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
        if !self.origin_allowed(origin) {
            return *Self::refuse("Origin", &text(origin));
        }
        let requested = headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        let method_ok = Method::from_bytes(requested).is_ok_and(|m| self.any_method || self.methods.contains(&m));
        if !method_ok {
            return *Self::refuse("Method", &String::from_utf8_lossy(requested));
        }
        let requested_headers = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS);
        if !self.any_header {
            let list = requested_headers.and_then(|v| v.to_str().ok()).unwrap_or("");
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !self.headers.iter().any(|h| h.as_str().eq_ignore_ascii_case(name)) {
                    return *Self::refuse("Header", name);
                }
            }
        }
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin(origin));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, self.allow_methods.clone());
        let allow_headers = if self.any_header {
            requested_headers.cloned()
        } else {
            self.allow_headers.clone()
        };
        if let Some(v) = allow_headers {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v);
        }
        if self.credentials {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(v) = &self.max_age {
            h.insert(header::ACCESS_CONTROL_MAX_AGE, v.clone());
        }
        if !self.any_origin || self.credentials {
            add_vary(h, "Origin");
        }
        if self.private_network && headers.get(PRIVATE_NETWORK_REQUEST).is_some_and(|v| v == "true") {
            h.insert(PRIVATE_NETWORK_ALLOW, HeaderValue::from_static("true"));
        }
        response
    }
}

/// Add a `Vary` entry unless the response already varies by it.
pub fn add_vary(headers: &mut HeaderMap, name: &'static str) {
    let present = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .any(|p| p.trim() == "*" || p.trim().eq_ignore_ascii_case(name))
        })
    });
    if !present {
        headers.append(header::VARY, HeaderValue::from_static(name));
    }
}

impl Middleware for Cors {
    fn name(&self) -> &'static str {
        NAME
    }

    fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        let Some(origin) = request.headers.get(header::ORIGIN) else {
            return Ok(());
        };
        if request.method == Method::OPTIONS && request.headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
            return Err(Box::new(self.preflight(&request.headers, origin)));
        }
        if !self.origin_allowed(origin) {
            return Err(Self::refuse("Origin", &String::from_utf8_lossy(origin.as_bytes())));
        }
        ctx.cors_origin = Some(origin.clone());
        Ok(())
    }

    fn on_response(&self, ctx: &Context, response: &mut Response<Body>) {
        let headers = response.headers_mut();
        if !self.any_origin || self.credentials {
            add_vary(headers, "Origin");
        }
        let Some(origin) = &ctx.cors_origin else { return };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, self.allow_origin(origin));
        if self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if let Some(v) = &self.expose_headers {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cors(origins: &[&str]) -> Cors {
        Cors::new(&CorsConfig {
            allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
            allowed_methods: vec!["GET".into(), "POST".into()],
            allowed_headers: vec!["Content-Type".into()],
            max_age: Some(600),
            ..Default::default()
        })
        .unwrap()
    }

    fn request(method: Method, pairs: &[(&str, &str)]) -> RequestData {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        RequestData::new(method, "/".into(), h)
    }

    #[test]
    fn preflight_allowed_and_refused() {
        let c = cors(&["https://example.com"]);
        let mut ctx = Context::new(Method::OPTIONS, None);
        let mut r = request(
            Method::OPTIONS,
            &[
                ("origin", "https://example.com"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
        );
        let ok = c.on_request(&mut r, &mut ctx).unwrap_err();
        assert_eq!(ok.status(), 204);
        assert_eq!(ok.headers()["access-control-allow-origin"], "https://example.com");
        assert_eq!(ok.headers()["access-control-allow-methods"], "GET, POST");
        assert_eq!(ok.headers()["access-control-allow-headers"], "Content-Type");
        assert_eq!(ok.headers()["access-control-max-age"], "600");
        for (header, value) in [
            ("access-control-request-method", "DELETE"),
            ("access-control-request-headers", "x-custom"),
            ("origin", "https://evil.example"),
        ] {
            r.headers
                .insert(HeaderName::from_static(header), HeaderValue::from_static(value));
            let refused = c.on_request(&mut r, &mut ctx).unwrap_err();
            assert_eq!(refused.status(), 403, "{header}");
        }
    }

    #[test]
    fn actual_requests_and_exact_origin_matching() {
        let c = cors(&["https://example.com"]);
        let mut ctx = Context::new(Method::GET, None);
        let mut r = request(Method::GET, &[("origin", "https://EXAMPLE.COM")]);
        assert_eq!(c.on_request(&mut r, &mut ctx).unwrap_err().status(), 403);
        let mut r = request(Method::GET, &[("origin", "https://example.com")]);
        c.on_request(&mut r, &mut ctx).unwrap();
        let mut response = Response::new(Body::empty());
        c.on_response(&ctx, &mut response);
        assert_eq!(response.headers()["access-control-allow-origin"], "https://example.com");
        assert_eq!(response.headers()["vary"], "Origin");
    }

    #[test]
    fn wildcard_answers_star_without_vary() {
        let c = cors(&["*"]);
        let mut ctx = Context::new(Method::GET, None);
        let mut r = request(Method::GET, &[("origin", "https://random.example")]);
        c.on_request(&mut r, &mut ctx).unwrap();
        let mut response = Response::new(Body::empty());
        c.on_response(&ctx, &mut response);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert!(response.headers().get("vary").is_none());
    }
}
