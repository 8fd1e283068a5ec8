//! Errors of the code generator: an invalid document is reported with the file and the
//! JSON pointer of the offending value, and a message saying what is wrong.

use std::fmt;
use std::path::PathBuf;

/// Where in which document something is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// A JSON pointer (RFC 6901) into `file`; empty for the whole document.
    pub pointer: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file.display(), self.pointer)
    }
}

/// What can go wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The document (or one it refers to) is not a valid OpenAPI 3.0/3.1 document.
    #[error("invalid document at {location}: {message}")]
    Invalid { location: Location, message: String },
    /// Reading or writing files failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The options asked for something this generator does not do.
    #[error("{0}")]
    Usage(String),
    /// A server checked against a document does not match it.
    #[error("{0}")]
    Mismatch(String),
}

impl CodegenError {
    pub fn invalid(file: impl Into<PathBuf>, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            location: Location {
                file: file.into(),
                pointer: pointer.into(),
            },
            message: message.into(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    /// The process exit code the CLI uses: 2 for an invalid document or a usage error, 1 for
    /// I/O and for a server that does not match its document.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Invalid { .. } | Self::Usage(_) => 2,
            Self::Io { .. } | Self::Mismatch(_) => 1,
        }
    }
}

pub type Result<T> = std::result::Result<T, CodegenError>;

/// Escape one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Append a token to a pointer.
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", escape_token(token))
}
