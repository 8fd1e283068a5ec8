//! Spikard's pure core: route patterns and routing, parameter specs and coercion,
//! JSON Schema validation with pydantic-style errors, body decoding, and the
//! RFC 9457 error model. No tokio, no axum, no FFI: it builds for wasm32.
//!
//! ```
//! use spikard_core::router::Router;
//! let mut router = Router::new();
//! router.insert("GET", "/items/{id:int}", "item").unwrap();
//! assert!(router.resolve("GET", "/items/1").is_ok());
//! assert_eq!(router.resolve("POST", "/items/1").unwrap_err().status(), 405);
//! ```

pub mod body;
pub mod config;
pub mod error;
pub mod formats;
pub mod openapi;
pub mod params;
pub mod request_body;
pub mod response_model;
pub mod route;
pub mod route_pattern;
pub mod router;
pub mod validation;

pub use error::{ErrorClass, HttpProblem, ProblemDetails, SpikardError, ValidationErrorEntry};
