//! Built-in middleware, one module per concern (config struct in
//! `spikard_core::config`, the [`Middleware`] implementation and its tests here).
//!
//! Each route gets its chain decided at registration: the server-wide settings,
//! with the route's own `middleware` overrides replacing the setting of the same
//! kind. Responses that belong to no route (404, 405, static files) go through
//! the server-wide chain. `on_request` runs in chain order before parameters and
//! the body are read and may answer early; `on_response` runs in reverse order
//! on every response, problem responses included.

pub mod compression;
pub mod cors;
pub mod logging;
pub mod rate_limit;
pub mod request_id;
pub mod static_files;

use crate::rt::Instant;
use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use http::{Extensions, HeaderValue, Method, Response};
use spikard_core::config::{RouteMiddleware, ServerConfig};
use spikard_core::SpikardError;

use crate::handler::RequestData;

pub mod auth;

/// Per-request state shared by the middleware of one chain.
#[derive(Debug)]
pub struct Context {
    pub method: Method,
    /// The client's address (the peer, or the forwarded one when the peer is a trusted proxy).
    pub client_ip: Option<IpAddr>,
    pub started: Instant,
    /// The matched route pattern, when there is one (for logs and metrics).
    pub route: Option<std::sync::Arc<str>>,
    /// The request ID (set by the request ID middleware; echoed and logged).
    pub request_id: Option<HeaderValue>,
    /// The `Origin` a CORS check accepted (the response gets the CORS headers).
    pub cors_origin: Option<HeaderValue>,
    /// The content coding negotiated from `Accept-Encoding`.
    pub encoding: Option<compression::Encoding>,
    /// Values a middleware keeps between `on_request` and `on_response`.
    pub extensions: Extensions,
}

impl Context {
    pub fn new(method: Method, client_ip: Option<IpAddr>) -> Self {
        Self {
            method,
            client_ip,
            started: Instant::now(),
            route: None,
            request_id: None,
            cors_origin: None,
            encoding: None,
            extensions: Extensions::new(),
        }
    }
}

/// One middleware. Both methods are synchronous and cheap; anything slow belongs in a hook.
pub trait Middleware: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> &'static str;

    /// Before parameters and the body are read. `Err` answers the request at once
    /// (the response still passes through `on_response` of the middleware before this one).
    fn on_request(&self, _request: &mut RequestData, _ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        Ok(())
    }

    /// On every response, in reverse chain order.
    fn on_response(&self, _ctx: &Context, _response: &mut Response<Body>) {}
}

/// The route's override when it sets one, else the server-wide setting.
pub fn pick<'a, T>(server: &'a Option<T>, route: Option<&'a Option<T>>) -> Option<&'a T> {
    route.and_then(Option::as_ref).or(server.as_ref())
}

/// An ordered middleware chain, compiled once.
#[derive(Clone, Default)]
pub struct Chain {
    layers: Vec<Arc<dyn Middleware>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.layers.iter().map(|m| m.name())).finish()
    }
}

impl Chain {
    /// The chain for a route: server settings overridden by the route's (`None` route: server-wide chain).
    pub fn compile(config: &ServerConfig, route: Option<&RouteMiddleware>) -> Result<Self, SpikardError> {
        // Order: request ID, logging, CORS, rate limit, authentication, compression.
        let mut layers: Vec<Arc<dyn Middleware>> = Vec::new();
        if let Some(c) = pick(&config.request_id, route.map(|r| &r.request_id)).filter(|c| c.enabled) {
            layers.push(Arc::new(request_id::RequestIdMiddleware::new(c)?));
        }
        if config.request_logging {
            layers.push(Arc::new(logging::RequestLogging::new(config)));
        }
        if let Some(c) = pick(&config.cors, route.map(|r| &r.cors)) {
            layers.push(Arc::new(cors::Cors::new(c)?));
        }
        if let Some(c) = pick(&config.rate_limit, route.map(|r| &r.rate_limit)) {
            layers.push(Arc::new(rate_limit::RateLimit::new(c)?));
        }
        // Authentication: JWT and/or API keys.
        let jwt = pick(&config.jwt_auth, route.map(|r| &r.jwt_auth));
        let api_key = pick(&config.api_key_auth, route.map(|r| &r.api_key_auth));
        if let Some(authentication) = auth::Authentication::compile(jwt, api_key)? {
            layers.push(Arc::new(authentication));
        }
        if let Some(c) = pick(&config.compression, route.map(|r| &r.compression)).filter(|c| c.gzip || c.brotli) {
            layers.push(Arc::new(compression::Compression::new(c)));
        }
        Ok(Self { layers })
    }

    /// Put `layer` in place of the layer of the same name (the app shares one server-wide rate limiter).
    pub fn share(&mut self, layer: &Arc<dyn Middleware>) {
        for m in &mut self.layers {
            if m.name() == layer.name() {
                *m = Arc::clone(layer);
            }
        }
    }

    /// Whether the chain answers CORS preflights (otherwise an `OPTIONS` request is routed as such).
    pub fn handles_preflight(&self) -> bool {
        self.layers.iter().any(|m| m.name() == cors::NAME)
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.layers.iter().map(|m| m.name()).collect()
    }

    /// Run `on_request` in order. On an early answer, returns it with the number of layers that ran.
    pub fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), (Box<Response<Body>>, usize)> {
        for (i, m) in self.layers.iter().enumerate() {
            m.on_request(request, ctx).map_err(|r| (r, i))?;
        }
        Ok(())
    }

    /// Run `on_response` in reverse order over the first `ran` layers.
    pub fn on_response(&self, ran: usize, ctx: &Context, response: &mut Response<Body>) {
        for m in self.layers[..ran.min(self.layers.len())].iter().rev() {
            m.on_response(ctx, response);
        }
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }
}
