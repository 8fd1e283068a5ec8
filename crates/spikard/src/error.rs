//! The Rust API's error type: wraps the core error so `?` works in handlers.

use http::StatusCode;
use spikard_core::{HttpProblem, SpikardError};

/// An error a handler returns. `Error::http(404, "...")` answers with that status as a
/// problem response; anything else becomes a 500 (logged, not sent).
#[derive(Debug)]
pub struct Error(pub SpikardError);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

impl Error {
    /// An application error with a status and a detail sent to the client.
    pub fn http(status: StatusCode, detail: impl Into<String>) -> Self {
        Self(SpikardError::Http {
            status: status.as_u16(),
            detail: detail.into(),
        })
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::NOT_FOUND, detail)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::http(StatusCode::BAD_REQUEST, detail)
    }

    /// Add a response header to an application error (`WWW-Authenticate` on a 401,
    /// `Retry-After` on a 429, ...); other errors are returned unchanged.
    ///
    /// ```
    /// use http::StatusCode;
    /// let err = spikard::Error::http(StatusCode::UNAUTHORIZED, "Token expired").with_header("WWW-Authenticate", "Bearer");
    /// assert_eq!(err.0.headers(), [("WWW-Authenticate".to_owned(), "Bearer".to_owned())]);
    /// ```
    pub fn with_header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.problem(|p| p.header(name, value))
    }

    /// Add an RFC 9457 extension member to an application error's problem object; other
    /// errors are returned unchanged.
    pub fn with_extension(self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.problem(|p| p.extension(name, value))
    }

    fn problem(self, change: impl FnOnce(HttpProblem) -> HttpProblem) -> Self {
        match self.0 {
            SpikardError::Http { status, detail } => Self(change(HttpProblem::new(status, detail)).into()),
            SpikardError::HttpProblem(p) => Self(change(*p).into()),
            other => Self(other),
        }
    }

    /// A server-side failure; the detail is logged, the client sees a generic 500.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self(SpikardError::Internal(detail.into()))
    }
}

impl From<SpikardError> for Error {
    fn from(e: SpikardError) -> Self {
        Self(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::internal(format!("JSON conversion failed: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self::internal(format!("I/O error: {e}"))
    }
}
