//! Server-wide settings and the per-route middleware overrides.

use serde::{Deserialize, Serialize};

use super::{
    ApiKeyConfig, BackgroundConfig, BodyLimitConfig, CompressionConfig, CorsConfig, JwtConfig, OpenApiConfig,
    RateLimitConfig, RequestIdConfig, RequestTimeoutConfig, StaticFilesConfig,
};

/// Server-wide settings. Every field has a default, so partial configs deserialize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to bind.
    pub host: String,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Worker processes sharing the port (bindings with a global lock use them; the Rust server uses threads).
    pub workers: usize,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_size: usize,
    /// Largest total size of request header names and values, in bytes (431 beyond).
    pub max_header_size: usize,
    /// Longest request target (path and query), in bytes (414 beyond).
    pub max_uri_length: usize,
    /// Deepest JSON nesting accepted in a body (400 beyond).
    pub max_nesting_depth: usize,
    /// Seconds shutdown waits for requests already received to be answered (then the
    /// remaining connections are closed).
    pub shutdown_timeout_secs: u64,
    /// Seconds a client may take to send a request's headers, from its first byte (slow
    /// clients are disconnected). Hyper's `header_read_timeout`; at least 1.
    pub header_read_timeout_secs: u64,
    /// Seconds a new connection may stay silent before its first byte (then it is closed
    /// without an answer); at least 1. nginx's `client_header_timeout` plays this role.
    pub first_byte_timeout_secs: u64,
    /// Seconds a keep-alive connection may stay idle between requests (then it is closed);
    /// at least 1. The same default as uvicorn's `timeout_keep_alive` and Node's `keepAliveTimeout`.
    pub keep_alive_timeout_secs: u64,
    /// Seconds a request body may go without a byte while the server waits for it (then the
    /// request is answered with a 408 problem and the connection closed); at least 1.
    /// nginx's `client_body_timeout`.
    pub body_read_timeout_secs: u64,
    /// Open connections served at once (`None`: no limit). Past it the server stops accepting
    /// (new connections wait in the listen backlog) and closes idle keep-alive connections to
    /// make room; connections in use keep being served.
    pub max_connections: Option<usize>,
    /// Open connections from one client IP address (`None`: no limit). A connection past it is
    /// answered with a 429 problem and closed.
    pub max_connections_per_ip: Option<usize>,
    /// Threads a binding runs its language's sync functions on (Python `def` handlers,
    /// hooks, dependency factories, iterators), so one that blocks (sleep, I/O, a lock)
    /// holds up neither the server nor the others; past it calls wait their turn. `0` calls
    /// them on the server's thread (only for apps whose sync functions never block). The
    /// default is anyio's (FastAPI's thread pool). Node runs JavaScript on its one thread,
    /// Ruby on the threads its package starts (`threads:`), so neither reads it.
    pub blocking_threads: usize,
    /// Accept HTTP/2 over cleartext (prior knowledge) besides HTTP/1.1.
    pub http2: bool,
    /// Log each request (method, route, status, duration) through `tracing`.
    pub request_logging: bool,
    /// Proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For`/`Forwarded` headers are believed.
    pub trusted_proxies: Vec<String>,
    /// Response compression (gzip, brotli).
    pub compression: Option<CompressionConfig>,
    /// Cross-origin resource sharing.
    pub cors: Option<CorsConfig>,
    /// `X-Request-ID` generation and propagation (on by default; `None` or `enabled: false` turns it off).
    pub request_id: Option<RequestIdConfig>,
    /// Per-request deadline (408 beyond).
    pub request_timeout: Option<RequestTimeoutConfig>,
    /// Token-bucket rate limiting (429 beyond).
    pub rate_limit: Option<RateLimitConfig>,
    /// JWT bearer authentication.
    pub jwt_auth: Option<JwtConfig>,
    /// API key authentication.
    pub api_key_auth: Option<ApiKeyConfig>,
    /// Directory mounts served as static files.
    pub static_files: Vec<StaticFilesConfig>,
    /// OpenAPI document and docs pages.
    pub openapi: Option<OpenApiConfig>,
    /// Background tasks started by handlers.
    pub background: BackgroundConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            workers: 1,
            max_body_size: 10 * 1024 * 1024,
            max_header_size: 16 * 1024,
            max_uri_length: 8 * 1024,
            max_nesting_depth: crate::request_body::DEFAULT_MAX_NESTING_DEPTH,
            shutdown_timeout_secs: 30,
            header_read_timeout_secs: 30,
            first_byte_timeout_secs: 10,
            keep_alive_timeout_secs: 5,
            body_read_timeout_secs: 30,
            max_connections: Some(10_000),
            max_connections_per_ip: None,
            blocking_threads: 40,
            http2: true,
            request_logging: true,
            trusted_proxies: Vec::new(),
            compression: None,
            cors: None,
            request_id: Some(RequestIdConfig::default()),
            request_timeout: None,
            rate_limit: None,
            jwt_auth: None,
            api_key_auth: None,
            static_files: Vec::new(),
            openapi: None,
            background: BackgroundConfig::default(),
        }
    }
}

/// Middleware settings a single route overrides; `None` keeps the server-wide setting.
/// The same names as in [`ServerConfig`] (fixtures spell them this way under `handler.middleware`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteMiddleware {
    pub compression: Option<CompressionConfig>,
    pub cors: Option<CorsConfig>,
    pub request_id: Option<RequestIdConfig>,
    pub request_timeout: Option<RequestTimeoutConfig>,
    pub rate_limit: Option<RateLimitConfig>,
    pub jwt_auth: Option<JwtConfig>,
    pub api_key_auth: Option<ApiKeyConfig>,
    pub body_limit: Option<BodyLimitConfig>,
    /// Mounts declared next to a route (served like the server-wide ones).
    pub static_files: Vec<StaticFilesConfig>,
}
