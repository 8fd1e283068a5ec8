//! Plain serde config structs shared by the server and every binding.
//!
//! ```
//! use spikard_core::config::ServerConfig;
//! let config: ServerConfig = serde_json::from_str(r#"{"port": 9000}"#).unwrap();
//! assert_eq!(config.port, 9000);
//! assert_eq!(config.host, "127.0.0.1");
//! ```

use serde::{Deserialize, Serialize};

/// Server-wide settings. Every field has a default, so partial configs deserialize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to bind.
    pub host: String,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_size: usize,
    /// Largest total size of request header names and values, in bytes (431 beyond).
    pub max_header_size: usize,
    /// Longest request target (path and query), in bytes (414 beyond).
    pub max_uri_length: usize,
    /// Deepest JSON nesting accepted in a body (400 beyond).
    pub max_nesting_depth: usize,
    /// Seconds to wait for in-flight requests on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Accept HTTP/2 over cleartext (prior knowledge) besides HTTP/1.1.
    pub http2: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            max_body_size: 10 * 1024 * 1024,
            max_header_size: 16 * 1024,
            max_uri_length: 8 * 1024,
            max_nesting_depth: crate::request_body::DEFAULT_MAX_NESTING_DEPTH,
            shutdown_timeout_secs: 30,
            http2: true,
        }
    }
}
