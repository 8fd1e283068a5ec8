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

/// The default of every config struct, by struct name, as JSON (field order kept): what
/// a binding's mirrored config types are checked against (names, order, defaults).
pub fn defaults() -> serde_json::Map<String, serde_json::Value> {
    fn json<T: serde::Serialize + Default>() -> serde_json::Value {
        serde_json::to_value(T::default()).unwrap_or_default()
    }
    [
        ("ServerConfig", json::<ServerConfig>()),
        ("CompressionConfig", json::<CompressionConfig>()),
        ("CorsConfig", json::<CorsConfig>()),
        ("RequestIdConfig", json::<RequestIdConfig>()),
        ("RequestTimeoutConfig", json::<RequestTimeoutConfig>()),
        ("RateLimitConfig", json::<RateLimitConfig>()),
        ("BodyLimitConfig", json::<BodyLimitConfig>()),
        ("StaticFile", json::<StaticFile>()),
        ("StaticFilesConfig", json::<StaticFilesConfig>()),
        ("JwtConfig", json::<JwtConfig>()),
        ("ApiKeyConfig", json::<ApiKeyConfig>()),
        ("OpenApiConfig", json::<OpenApiConfig>()),
        ("BackgroundConfig", json::<BackgroundConfig>()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}
