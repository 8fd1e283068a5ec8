//! Plain serde config structs shared by the server and every binding. The
//! language packages mirror these field for field (dataclasses, TS interfaces,
//! Ruby keyword structs) and their tests check they have not drifted.
//!
//! ```
//! use spikard_core::config::ServerConfig;
//! let config: ServerConfig = serde_json::from_str(r#"{"port": 9000, "compression": {"min_size": 0}}"#).unwrap();
//! assert_eq!(config.port, 9000);
//! assert_eq!(config.host, "127.0.0.1");
//! assert!(config.compression.unwrap().gzip);
//! ```

mod auth;
mod middleware;
mod openapi;
mod server;

pub use auth::{ApiKeyConfig, JwtConfig, JWT_ALGORITHMS};
pub use middleware::{
    BackgroundConfig, BodyLimitConfig, CompressionConfig, CorsConfig, RateLimitConfig, RequestIdConfig,
    RequestTimeoutConfig, StaticFile, StaticFilesConfig,
};
pub use openapi::OpenApiConfig;
pub use server::{RouteMiddleware, ServerConfig};
