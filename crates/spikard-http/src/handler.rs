//! The binding-neutral handler contract.
//!
//! The core has already routed, parsed, coerced and validated the request when it
//! calls a [`Handler`] once with [`RequestData`]; the handler answers with a
//! [`HandlerResponse`]. Python, Node, Ruby and WASM bindings implement this trait
//! for their own callables; nothing here assumes Rust closures.

use std::future::Future;
use std::pin::Pin;

use std::net::IpAddr;

use bytes::Bytes;
use http::{Extensions, HeaderMap, Method};
use serde_json::{Map, Value};
use spikard_core::body::multipart::UploadedFile;
use spikard_core::SpikardError;

use crate::response::HandlerResponse;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What a handler returns: a response, or an error the core turns into a problem response
/// (`SpikardError::Http` for an application-chosen status, anything else for a 500).
pub type HandlerResult = Result<HandlerResponse, SpikardError>;

/// Everything the core knows about a request once it has been validated.
#[derive(Debug, Clone)]
pub struct RequestData {
    pub method: Method,
    /// Percent-decoded path.
    pub path: String,
    /// Path parameters, coerced to their schema types.
    pub path_params: Map<String, Value>,
    /// Declared query parameters, coerced (defaults applied).
    pub query_params: Map<String, Value>,
    /// Every query pair as sent (decoded), in order.
    pub raw_query: Vec<(String, String)>,
    /// Declared header parameters, coerced, by lowercase name.
    pub header_params: Map<String, Value>,
    /// Declared cookie parameters, coerced.
    pub cookie_params: Map<String, Value>,
    pub headers: HeaderMap,
    /// Decoded, validated body (`Null` when absent or when the route declares no body).
    pub body: Value,
    /// The body bytes as received.
    pub raw_body: Bytes,
    /// Uploaded multipart files.
    pub files: Vec<UploadedFile>,
    /// The client's address (the peer, or the forwarded one behind a trusted proxy).
    pub client_ip: Option<IpAddr>,
    /// Values hooks and middleware hand to the handler, by name (binding-neutral).
    pub state: Map<String, Value>,
    /// Typed values for Rust code (JWT claims, resolved dependencies, ...).
    pub extensions: Extensions,
}

impl RequestData {
    /// A request with only its method, path and headers known (the pipeline fills in the rest).
    pub fn new(method: Method, path: String, headers: HeaderMap) -> Self {
        Self {
            method,
            path,
            path_params: Map::new(),
            query_params: Map::new(),
            raw_query: Vec::new(),
            header_params: Map::new(),
            cookie_params: Map::new(),
            headers,
            body: Value::Null,
            raw_body: Bytes::new(),
            files: Vec::new(),
            client_ip: None,
            state: Map::new(),
            extensions: Extensions::new(),
        }
    }

    /// A header value by name (case-insensitive), if it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// All cookies sent with the request, parsed from the `Cookie` headers.
    pub fn cookies(&self) -> Vec<(String, String)> {
        crate::cookies::parse_cookie_headers(&self.headers)
    }
}

/// The request target and HTTP version as received (not decoded), in the
/// `RequestData::extensions` of a route declared `raw_request` (a mounted app of another
/// framework, which reads its path and query string itself).
#[derive(Debug, Clone)]
pub struct RawTarget {
    pub uri: http::Uri,
    pub version: http::Version,
}

impl RawTarget {
    /// The path as sent (percent-encoded).
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The query string as sent, without the `?` (`None` when the target has none).
    pub fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

/// A request handler supplied by application code in any language.
pub trait Handler: Send + Sync + 'static {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult>;
}
