//! The error model: RFC 9457 problem details and pydantic-style validation entries.
//!
//! ```
//! use spikard_core::error::{ProblemDetails, SpikardError};
//! let err = SpikardError::NotFound { method: "GET".into(), path: "/nope".into() };
//! let problem: ProblemDetails = err.to_problem();
//! assert_eq!(problem.status, 404);
//! assert_eq!(problem.type_uri, "https://spikard.dev/errors/not-found");
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Media type of every error body.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One failing field, in the pydantic v2 vocabulary (`missing`, `int_parsing`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationErrorEntry {
    #[serde(rename = "type")]
    pub error_type: String,
    pub loc: Vec<Value>,
    pub msg: String,
    /// The offending input. `None` leaves the key out, `Some(Value::Null)` writes `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Value>,
}

impl ValidationErrorEntry {
    pub fn new(error_type: &str, loc: Vec<Value>, msg: impl Into<String>) -> Self {
        Self {
            error_type: error_type.to_owned(),
            loc,
            msg: msg.into(),
            input: None,
            ctx: None,
        }
    }

    pub fn with_input(mut self, input: Value) -> Self {
        self.input = Some(input);
        self
    }

    pub fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(ctx);
        self
    }
}

/// An RFC 9457 problem object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ValidationErrorEntry>>,
    /// RFC 9457 extension members (e.g. the `errors` of a dependency failure).
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    pub extensions: serde_json::Map<String, Value>,
}

impl ProblemDetails {
    pub fn new(code: &str, title: &str, status: u16, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("https://spikard.dev/errors/{code}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            errors: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// Serialise to the JSON bytes sent to the client.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// What [`SpikardError::HttpProblem`] carries: an application error's status and detail,
/// the headers its response sets and the extension members its problem object adds.
///
/// ```
/// use spikard_core::error::{HttpProblem, SpikardError};
/// let err = SpikardError::from(HttpProblem::new(401, "Token expired").header("WWW-Authenticate", "Bearer"));
/// let problem = err.to_problem();
/// assert_eq!((problem.status, problem.title.as_str()), (401, "Unauthorized"));
/// assert_eq!(err.headers(), [("WWW-Authenticate".to_owned(), "Bearer".to_owned())]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpProblem {
    pub status: u16,
    pub detail: String,
    /// Response headers as `(name, value)`, in order; a repeated name sends several values.
    pub headers: Vec<(String, String)>,
    /// RFC 9457 extension members; the standard members (`type`, `title`, `status`,
    /// `detail`) are never replaced by them.
    pub extensions: serde_json::Map<String, Value>,
}

impl HttpProblem {
    /// Members of the problem object that extensions cannot replace.
    pub const RESERVED: [&'static str; 4] = ["type", "title", "status", "detail"];

    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            ..Self::default()
        }
    }

    /// Add a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Add an extension member to the problem object.
    pub fn extension(mut self, name: impl Into<String>, value: Value) -> Self {
        self.extensions.insert(name.into(), value);
        self
    }
}

impl HttpProblem {
    /// An application's HTTP error described as JSON, as every binding's HTTP exception
    /// reads: `status_code` (400-599), `detail`, optional `headers` (name to value, or to a
    /// list of values for a repeated header; values that are not strings as JSON text) and
    /// `extra` (extension members). Without headers or extra members it is
    /// [`SpikardError::Http`].
    ///
    /// ```
    /// use spikard_core::{HttpProblem, SpikardError};
    /// let e = HttpProblem::from_json(&serde_json::json!({"status_code": 429, "detail": "Slow down", "headers": {"Retry-After": 30}})).unwrap();
    /// assert_eq!(e.headers(), [("Retry-After".to_owned(), "30".to_owned())]);
    /// assert!(HttpProblem::from_json(&serde_json::json!({"status_code": 200})).is_err());
    /// ```
    pub fn from_json(value: &Value) -> Result<SpikardError, String> {
        let status = value
            .get("status_code")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .filter(|s| (400..600).contains(s))
            .ok_or("status_code must be an error status (400-599)")?;
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let detail = value.get("detail").map(text).unwrap_or_default();
        let present = |k: &str| value.get(k).filter(|v| !v.is_null());
        let (headers, extra) = (present("headers"), present("extra"));
        if headers.is_none() && extra.is_none() {
            return Ok(SpikardError::Http { status, detail });
        }
        let mut problem = Self::new(status, detail);
        if let Some(headers) = headers {
            let headers = headers.as_object().ok_or("headers must be a mapping")?;
            for (name, v) in headers {
                match v {
                    Value::Array(values) => problem.headers.extend(values.iter().map(|v| (name.clone(), text(v)))),
                    other => problem.headers.push((name.clone(), text(other))),
                }
            }
        }
        if let Some(extra) = extra {
            problem.extensions = extra.as_object().ok_or("extra must be a mapping")?.clone();
        }
        Ok(problem.into())
    }
}

impl From<HttpProblem> for SpikardError {
    fn from(problem: HttpProblem) -> Self {
        Self::HttpProblem(Box::new(problem))
    }
}

/// Every error the framework itself answers with. Each variant has a stable code
/// (the last segment of the problem `type`) and an HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpikardError {
    #[error("{} validation error{} in request", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Validation(Vec<ValidationErrorEntry>),
    #[error("No route matches {method} {path}")]
    NotFound { method: String, path: String },
    #[error("Method {method} is not allowed for {path}")]
    MethodNotAllowed {
        method: String,
        path: String,
        allow: Vec<String>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    MalformedJson(String),
    #[error("Request body exceeds maximum nesting depth of {0}")]
    NestingTooDeep(usize),
    #[error("{0}")]
    MalformedBody(String),
    #[error("Unsupported media type")]
    UnsupportedMediaType(String),
    #[error("Unsupported charset '{0}' for JSON. Only UTF-8 is supported.")]
    UnsupportedCharset(String),
    #[error("Request body size exceeds maximum allowed size of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("Request URI length {length} exceeds maximum of {limit} bytes")]
    UriTooLong { length: usize, limit: usize },
    #[error("Request headers size {size} exceeds maximum of {limit} bytes")]
    HeadersTooLarge { size: usize, limit: usize },
    #[error("{0}")]
    Internal(String),
    /// An application-raised HTTP error (status and detail chosen by the handler).
    #[error("{detail}")]
    Http { status: u16, detail: String },
    /// An application-raised HTTP error that also sets response headers and/or RFC 9457
    /// extension members (`WWW-Authenticate` on a 401, `Retry-After` on a 429, ...).
    #[error("{}", .0.detail)]
    HttpProblem(Box<HttpProblem>),
    /// The handler (or a hook) did not finish within the request deadline.
    #[error("Request did not complete within {seconds} seconds")]
    RequestTimeout { seconds: f64 },
    /// A request head the HTTP parser refused before routing: 400 (malformed), 414 (URI too
    /// long) or 431 (too many or too large header fields); the same problem types as the
    /// pipeline's `bad-request`, `uri-too-long` and `headers-too-large`.
    #[error("{detail}")]
    MalformedHead { status: u16, detail: String },
    /// A rate limit was exceeded; the client may retry after this many seconds.
    #[error("Rate limit exceeded; retry after {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// Authentication failed or is missing (the title names what failed).
    #[error("{detail}")]
    Unauthorized { title: String, detail: String },
    /// Authenticated or not, the request is not allowed.
    #[error("{detail}")]
    Forbidden { title: String, detail: String },
    /// A dependency could not be resolved (missing, cyclic, failed factory); `errors` explain which.
    #[error("{detail}")]
    Dependency { detail: String, errors: Vec<Value> },
    #[error("{0}")]
    RouteConflict(String),
    #[error("{0}")]
    InvalidRoute(String),
    /// A declaration a binding registered (route, hook, dependency, config) that cannot be
    /// read: the message names the route or item and the field.
    #[error("{0}")]
    Config(String),
}

impl SpikardError {
    /// Stable string code, used as the last segment of the problem `type`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation-error",
            Self::NotFound { .. } => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::BadRequest(_) => "bad-request",
            Self::MalformedJson(_) => "malformed-json",
            Self::NestingTooDeep(_) => "nesting-too-deep",
            Self::MalformedBody(_) => "malformed-body",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::UnsupportedCharset(_) => "unsupported-charset",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UriTooLong { .. } => "uri-too-long",
            Self::HeadersTooLarge { .. } => "headers-too-large",
            Self::Internal(_) => "internal-server-error",
            Self::Http { .. } | Self::HttpProblem(_) => "http-error",
            Self::RequestTimeout { .. } => "request-timeout",
            Self::MalformedHead { status: 414, .. } => "uri-too-long",
            Self::MalformedHead { status: 431, .. } => "headers-too-large",
            Self::MalformedHead { .. } => "bad-request",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::Dependency { .. } => "dependency-error",
            Self::RouteConflict(_) => "route-conflict",
            Self::InvalidRoute(_) => "invalid-route",
            Self::Config(_) => "invalid-config",
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) => 422,
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::BadRequest(_) | Self::MalformedJson(_) | Self::NestingTooDeep(_) | Self::MalformedBody(_) => 400,
            Self::UnsupportedMediaType(_) | Self::UnsupportedCharset(_) => 415,
            Self::PayloadTooLarge { .. } => 413,
            Self::UriTooLong { .. } => 414,
            Self::HeadersTooLarge { .. } => 431,
            Self::Http { status, .. } => *status,
            Self::HttpProblem(p) => p.status,
            Self::RequestTimeout { .. } => 408,
            Self::MalformedHead { status: 414, .. } => 414,
            Self::MalformedHead { status: 431, .. } => 431,
            Self::MalformedHead { .. } => 400,
            Self::TooManyRequests { .. } => 429,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::Internal(_)
            | Self::Dependency { .. }
            | Self::RouteConflict(_)
            | Self::InvalidRoute(_)
            | Self::Config(_) => 500,
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::Validation(_) => "Request Validation Failed",
            Self::NotFound { .. } => "Not Found",
            Self::MethodNotAllowed { .. } => "Method Not Allowed",
            Self::BadRequest(_) => "Bad Request",
            Self::MalformedJson(_) => "Malformed JSON",
            Self::NestingTooDeep(_) => "Nesting Too Deep",
            Self::MalformedBody(_) => "Malformed Body",
            Self::UnsupportedMediaType(_) => "Unsupported Media Type",
            Self::UnsupportedCharset(_) => "Unsupported Charset",
            Self::PayloadTooLarge { .. } => "Payload Too Large",
            Self::UriTooLong { .. } => "URI Too Long",
            Self::HeadersTooLarge { .. } => "Request Header Fields Too Large",
            Self::Internal(_) => "Internal Server Error",
            Self::Http { status, .. } => status_title(*status),
            Self::HttpProblem(p) => status_title(p.status),
            Self::RequestTimeout { .. } => "Request Timeout",
            Self::MalformedHead { status: 414, .. } => "URI Too Long",
            Self::MalformedHead { status: 431, .. } => "Request Header Fields Too Large",
            Self::MalformedHead { .. } => "Bad Request",
            Self::TooManyRequests { .. } => "Too Many Requests",
            Self::Unauthorized { .. } => "Unauthorized",
            Self::Forbidden { .. } => "Forbidden",
            Self::Dependency { .. } => "Dependency Resolution Failed",
            Self::RouteConflict(_) => "Route Conflict",
            Self::InvalidRoute(_) => "Invalid Route",
            Self::Config(_) => "Invalid Configuration",
        }
    }

    /// Whether the detail is safe to show the client even for a 5xx (otherwise it is logged and replaced).
    pub fn is_public(&self) -> bool {
        self.status() < 500 || matches!(self, Self::Http { .. } | Self::HttpProblem(_) | Self::Dependency { .. })
    }

    /// Headers the error's response sets beyond the problem's own (only an
    /// application's [`HttpProblem`] has any; the server adds `Allow`, `Retry-After` and
    /// `WWW-Authenticate` for its own errors).
    pub fn headers(&self) -> &[(String, String)] {
        match self {
            Self::HttpProblem(p) => &p.headers,
            _ => &[],
        }
    }

    pub fn to_problem(&self) -> ProblemDetails {
        let mut problem = ProblemDetails::new(self.code(), self.title(), self.status(), self.to_string());
        if let Self::Http { .. } | Self::HttpProblem(_) = self {
            problem.type_uri = format!("https://spikard.dev/errors/{}", slug(status_title(self.status())));
        }
        match self {
            Self::Validation(entries) => problem.errors = Some(entries.clone()),
            Self::Unauthorized { title, .. } | Self::Forbidden { title, .. } => problem.title.clone_from(title),
            Self::Dependency { errors, .. } => {
                problem.extensions.insert("errors".into(), Value::Array(errors.clone()));
            }
            Self::HttpProblem(p) => {
                for (name, value) in &p.extensions {
                    if !HttpProblem::RESERVED.contains(&name.as_str()) {
                        problem.extensions.insert(name.clone(), value.clone());
                    }
                }
            }
            _ => {}
        }
        problem
    }
}

/// The exception class a binding raises an error as: the same four in every language, the
/// others deriving from `SpikardError` (each binding names them idiomatically). Client
/// errors only reach a language as problem responses, so their class is the root one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Spikard,
    /// A registration or setting that does not read (and a broken dependency graph).
    Config,
    /// A route the router refuses (conflict, bad pattern).
    Route,
    /// The server could not start or serve (binding the port, the runtime).
    Server,
}

impl ErrorClass {
    pub const ALL: [Self; 4] = [Self::Spikard, Self::Config, Self::Route, Self::Server];

    pub fn name(self) -> &'static str {
        match self {
            Self::Spikard => "SpikardError",
            Self::Config => "ConfigError",
            Self::Route => "RouteError",
            Self::Server => "ServerError",
        }
    }

    /// The class, message and code of a server failure: an invalid setting is a config error.
    pub fn of_server_failure(err: &std::io::Error) -> (Self, String, &'static str) {
        if err.kind() == std::io::ErrorKind::InvalidInput {
            return (Self::Config, format!("server: {err}"), "invalid-config");
        }
        (Self::Server, err.to_string(), "server-error")
    }
}

impl SpikardError {
    /// The exception class a binding raises this error as.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::RouteConflict(_) | Self::InvalidRoute(_) => ErrorClass::Route,
            Self::Dependency { .. } | Self::Config(_) => ErrorClass::Config,
            _ => ErrorClass::Spikard,
        }
    }
}

/// A title as the last segment of a problem `type` URI: lowercase ASCII letters, digits
/// and single dashes (`I'm a teapot` is `im-a-teapot`).
pub fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars().filter(|c| !matches!(c, '\'' | '’')) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// Reason phrase for the statuses applications raise most.
pub fn status_title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        418 => "I'm a teapot",
        422 => "Unprocessable Entity",
        423 => "Locked",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ if status < 500 => "Client Error",
        _ => "Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problem_types_are_slugs() {
        assert_eq!(slug("I'm a teapot"), "im-a-teapot");
        assert_eq!(slug("  Not  Found! "), "not-found");
        for status in 400..600 {
            let problem = SpikardError::from(HttpProblem::new(status, "x").header("X", "y")).to_problem();
            let last = problem.type_uri.rsplit('/').next().unwrap();
            assert!(
                !last.is_empty()
                    && last
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{status}: {last}"
            );
        }
        let teapot = SpikardError::Http {
            status: 418,
            detail: "Short and stout".into(),
        };
        assert_eq!(teapot.to_problem().type_uri, "https://spikard.dev/errors/im-a-teapot");
    }

    #[test]
    fn errors_map_to_the_bindings_exception_classes() {
        assert_eq!(SpikardError::RouteConflict("GET /a".into()).class(), ErrorClass::Route);
        assert_eq!(SpikardError::InvalidRoute("/{".into()).class(), ErrorClass::Route);
        assert_eq!(SpikardError::Config("x".into()).class(), ErrorClass::Config);
        let dependency = SpikardError::Dependency {
            detail: "cycle".into(),
            errors: Vec::new(),
        };
        assert_eq!(dependency.class(), ErrorClass::Config);
        assert_eq!(SpikardError::Internal("x".into()).class(), ErrorClass::Spikard);
        let names: Vec<_> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["SpikardError", "ConfigError", "RouteError", "ServerError"]);
        let refused = std::io::Error::new(std::io::ErrorKind::InvalidInput, "workers must be at least 1");
        assert_eq!(
            ErrorClass::of_server_failure(&refused),
            (
                ErrorClass::Config,
                "server: workers must be at least 1".into(),
                "invalid-config"
            )
        );
        let taken = std::io::Error::new(std::io::ErrorKind::AddrInUse, "address in use");
        assert_eq!(ErrorClass::of_server_failure(&taken).0, ErrorClass::Server);
    }

    #[test]
    fn validation_problem_has_exact_envelope() {
        let entry = ValidationErrorEntry::new("missing", vec![json!("query"), json!("q")], "Field required")
            .with_input(Value::Null);
        let problem = SpikardError::Validation(vec![entry]).to_problem();
        assert_eq!(
            serde_json::to_value(&problem).unwrap(),
            json!({
                "type": "https://spikard.dev/errors/validation-error",
                "title": "Request Validation Failed",
                "status": 422,
                "detail": "1 validation error in request",
                "errors": [{"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": null}]
            })
        );
    }

    #[test]
    fn plural_detail_and_statuses() {
        let e = ValidationErrorEntry::new("missing", vec![], "Field required");
        let err = SpikardError::Validation(vec![e.clone(), e.clone(), e]);
        assert_eq!(err.to_string(), "3 validation errors in request");
        assert_eq!(SpikardError::UnsupportedCharset("utf-16".into()).status(), 415);
        assert_eq!(
            SpikardError::UnsupportedCharset("utf-16".into()).to_string(),
            "Unsupported charset 'utf-16' for JSON. Only UTF-8 is supported."
        );
        assert_eq!(SpikardError::HeadersTooLarge { size: 9, limit: 8 }.status(), 431);
        let http = SpikardError::Http {
            status: 404,
            detail: "Item not found".into(),
        }
        .to_problem();
        assert_eq!(http.type_uri, "https://spikard.dev/errors/not-found");
        assert_eq!(http.title, "Not Found");
    }

    #[test]
    fn http_problems_keep_headers_and_add_extension_members() {
        let err = SpikardError::from(
            HttpProblem::new(429, "Slow down")
                .header("Retry-After", "30")
                .extension("limit", json!(10))
                .extension("status", json!(200))
                .extension("instance", json!("/quota/7")),
        );
        assert_eq!(err.status(), 429);
        assert_eq!(err.code(), "http-error");
        assert!(err.is_public());
        assert_eq!(err.headers(), [("Retry-After".to_owned(), "30".to_owned())]);
        assert_eq!(
            serde_json::to_value(err.to_problem()).unwrap(),
            json!({
                "type": "https://spikard.dev/errors/too-many-requests",
                "title": "Too Many Requests",
                "status": 429,
                "detail": "Slow down",
                "limit": 10,
                "instance": "/quota/7"
            })
        );
        assert!(SpikardError::Internal("x".into()).headers().is_empty());
    }
}
