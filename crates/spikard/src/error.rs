//! The Rust API's error type: wraps the core error so `?` works in handlers.

use http::StatusCode;
use spikard_core::SpikardError;

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
