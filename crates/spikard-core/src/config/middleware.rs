//! Config structs of the built-in middleware (one struct per middleware module
//! in `spikard-http::middleware`).

use serde::{Deserialize, Serialize};

/// Response compression by `Accept-Encoding` (q-values honoured; brotli wins a tie).
/// Already-compressed types, `text/event-stream`, HEAD/204/206/304 answers and bodies
/// below `min_size` are sent as they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompressionConfig {
    pub gzip: bool,
    pub brotli: bool,
    /// Bodies smaller than this many bytes are sent as they are.
    pub min_size: usize,
    /// Compression level: 1 (fast) to 9 for gzip, to 11 for brotli.
    pub quality: u32,
}

impl Default for CompressionConfig {
    fn default() -> Self {
        Self {
            gzip: true,
            brotli: true,
            min_size: 1024,
            quality: 4,
        }
    }
}

/// Cross-origin resource sharing. Credentials with a `*` origin are refused when the app is built.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CorsConfig {
    /// Exact origins, or `*` for any.
    pub allowed_origins: Vec<String>,
    /// Methods allowed cross-origin (empty: the simple methods GET, HEAD, POST).
    pub allowed_methods: Vec<String>,
    /// Request headers allowed cross-origin, or `*`.
    pub allowed_headers: Vec<String>,
    /// Response headers exposed to scripts.
    pub expose_headers: Vec<String>,
    pub allow_credentials: bool,
    /// Seconds a preflight answer may be cached.
    pub max_age: Option<u64>,
    /// Answer `Access-Control-Request-Private-Network` preflights.
    pub allow_private_network: bool,
}

/// `X-Request-ID` (on by default): propagated from the client when well formed (1-128
/// characters of `A-Za-z0-9-_.:+=/@`), otherwise a new UUID v4; echoed on every response
/// and handed to handlers in the request headers (and typed in `RequestData::extensions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestIdConfig {
    pub enabled: bool,
    pub header_name: String,
    /// Keep a well-formed ID sent by the client.
    pub propagate: bool,
}

impl Default for RequestIdConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            header_name: "X-Request-ID".into(),
            propagate: true,
        }
    }
}

/// Per-request deadline; a handler still running after it gets a 408 problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequestTimeoutConfig {
    pub seconds: f64,
}

impl Default for RequestTimeoutConfig {
    fn default() -> Self {
        Self { seconds: 30.0 }
    }
}

/// Token-bucket rate limiting: `per_second` refill, `burst` capacity; 429 with `Retry-After`.
/// The server-wide setting is one limiter shared by all routes without their own setting;
/// a route's setting limits that route alone. Per-IP buckets are bounded in number; idle
/// ones are forgotten first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    pub per_second: f64,
    pub burst: u32,
    /// One bucket per client IP.
    pub per_ip: bool,
    /// One bucket shared by every client (checked as well when `per_ip` is on).
    pub global: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_second: 10.0,
            burst: 20,
            per_ip: true,
            global: false,
        }
    }
}

/// A per-route body size limit (413 beyond).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BodyLimitConfig {
    pub max_bytes: usize,
}

/// A directory (or a set of in-memory files) served under a path prefix, before routing,
/// for GET and HEAD. Traversal (`..`, `.`, backslashes, empty segments) gets a 403 problem;
/// a symlink leaving the directory the same 404 problem as a missing file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaticFilesConfig {
    /// URL prefix, e.g. `/static`.
    pub route_prefix: String,
    /// Directory on disk whose files are served.
    pub directory: Option<String>,
    /// Files given inline (name and content), served from memory.
    pub files: Vec<StaticFile>,
    /// File served for a directory request (e.g. `index.html`); `true` means `index.html`,
    /// `false` or `null` none.
    #[serde(deserialize_with = "index_file")]
    pub index_file: Option<String>,
    /// `Cache-Control` value sent with every file.
    pub cache_control: Option<String>,
    /// Serve symlinks whose target is outside the directory (off: refused).
    pub follow_symlinks: bool,
}

impl Default for StaticFilesConfig {
    fn default() -> Self {
        Self {
            route_prefix: "/static".into(),
            directory: None,
            files: Vec::new(),
            index_file: Some("index.html".into()),
            cache_control: None,
            follow_symlinks: false,
        }
    }
}

/// One in-memory static file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StaticFile {
    pub path: String,
    pub content: String,
}

/// Background tasks started from handlers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BackgroundConfig {
    /// Tasks running at once; more wait their turn.
    pub max_concurrent: usize,
    /// Seconds graceful shutdown waits for running and queued tasks.
    pub drain_timeout_secs: u64,
}

impl Default for BackgroundConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 64,
            drain_timeout_secs: 30,
        }
    }
}

/// `index_file` as a name, or `true` (`index.html`) / `false` (none).
fn index_file<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IndexFile {
        Flag(bool),
        Name(String),
    }
    Ok(match Option::<IndexFile>::deserialize(d)? {
        Some(IndexFile::Flag(true)) => Some("index.html".into()),
        Some(IndexFile::Flag(false)) | None => None,
        Some(IndexFile::Name(name)) => Some(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_file_accepts_a_name_or_a_flag() {
        let parse = |json: &str| serde_json::from_str::<StaticFilesConfig>(json).unwrap().index_file;
        assert_eq!(parse(r#"{"index_file": true}"#), Some("index.html".into()));
        assert_eq!(parse(r#"{"index_file": false}"#), None);
        assert_eq!(parse(r#"{"index_file": null}"#), None);
        assert_eq!(parse(r#"{"index_file": "home.htm"}"#), Some("home.htm".into()));
        assert_eq!(parse("{}"), Some("index.html".into()));
    }
}
