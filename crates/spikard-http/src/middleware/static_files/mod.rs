//! Static files: directory mounts (and in-memory files) served under a URL
//! prefix, before routing, for `GET` and `HEAD`.
//!
//! - A request under a mount prefix whose file exists is answered here (through
//!   the server-wide middleware chain); a missing file lets routing continue.
//! - `Content-Type` from the extension, `Cache-Control` from the mount,
//!   `ETag` and `Last-Modified` with 304 for `If-None-Match`/`If-Modified-Since`,
//!   single byte ranges (206, `If-Range` honoured; an unsatisfiable range is a
//!   416 problem with `Content-Range: bytes */LEN`), `Accept-Ranges: bytes`.
//! - A directory request serves the mount's index file when there is one.
//! - A path that tries to climb out is refused with a 403 `forbidden` problem
//!   (`Path traversal is not allowed`) before the file system is touched: `.`
//!   and `..` segments (also percent-encoded, since the path is decoded first),
//!   backslashes, NUL bytes, empty segments (`//etc/passwd`).
//! - A file whose real path (symlinks resolved) leaves the mount's directory is
//!   refused with the same 404 `not-found` problem as a missing file (so nothing
//!   about the file system leaks), unless `follow_symlinks` is on.
//!
//! ```
//! use spikard_core::config::{StaticFile, StaticFilesConfig};
//! use spikard_http::middleware::static_files::{content_type_for, StaticMounts};
//! let mount = StaticFilesConfig {
//!     route_prefix: "/public".into(),
//!     files: vec![StaticFile { path: "hello.txt".into(), content: "hi".into() }],
//!     ..Default::default()
//! };
//! assert!(StaticMounts::compile([&mount]).is_ok());
//! assert_eq!(content_type_for("app.js"), "text/javascript");
//! ```
//!
//! Why hand-written, not tower-http's `ServeDir`: mounts are declared as serde config (also
//! next to routes, by any binding), answered before routing through the server-wide
//! middleware chain, with problems for refusals; see `docs/middleware.md`.

mod respond;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response};
use spikard_core::config::StaticFilesConfig;
use spikard_core::SpikardError;

pub use crate::file::{parse_range, Unsatisfiable};
use crate::response::error_response;
pub use respond::content_type_for;

struct MemFile {
    bytes: Bytes,
    etag: HeaderValue,
}

#[cfg_attr(not(feature = "server"), allow(dead_code))]
struct Mount {
    /// Without a trailing slash (`""` mounts at the root).
    prefix: String,
    files: HashMap<String, MemFile>,
    /// Canonical directory.
    dir: Option<PathBuf>,
    index: Option<String>,
    cache_control: Option<HeaderValue>,
    follow_symlinks: bool,
    /// `Last-Modified` of the in-memory files (when the app was built).
    built: SystemTime,
}

/// Every mount of an app, compiled once.
#[derive(Default)]
pub struct StaticMounts {
    mounts: Vec<Mount>,
}

/// What a request under a mount found.
enum Found {
    Memory(Bytes, HeaderValue, SystemTime, &'static str),
    #[cfg(feature = "server")]
    Disk(PathBuf, u64, SystemTime, &'static str),
}

fn invalid(msg: String) -> SpikardError {
    SpikardError::InvalidRoute(format!("static_files: {msg}"))
}

impl StaticMounts {
    /// Compile mounts; a prefix without a leading `/` or a missing directory is an error naming it.
    pub fn compile<'a>(configs: impl IntoIterator<Item = &'a StaticFilesConfig>) -> Result<Self, SpikardError> {
        let mut mounts = Vec::new();
        for c in configs {
            if !c.route_prefix.starts_with('/') {
                return Err(invalid(format!(
                    "route_prefix '{}' must start with '/'",
                    c.route_prefix
                )));
            }
            let dir = match &c.directory {
                #[cfg(not(feature = "server"))]
                Some(d) => {
                    return Err(invalid(format!(
                        "directory '{d}': there is no file system here; list the files in `files` instead"
                    )))
                }
                #[cfg(feature = "server")]
                Some(d) => Some(
                    std::fs::canonicalize(d)
                        .ok()
                        .filter(|p| p.is_dir())
                        .ok_or_else(|| invalid(format!("directory '{d}' does not exist")))?,
                ),
                None => None,
            };
            let files = c
                .files
                .iter()
                .map(|f| {
                    let bytes = Bytes::from(f.content.clone());
                    let etag = crate::file::content_etag(&bytes);
                    (f.path.trim_start_matches('/').to_owned(), MemFile { bytes, etag })
                })
                .collect();
            let cache_control = match &c.cache_control {
                Some(v) => Some(
                    HeaderValue::from_str(v)
                        .map_err(|_| invalid(format!("cache_control '{v}' is not a header value")))?,
                ),
                None => None,
            };
            mounts.push(Mount {
                prefix: c.route_prefix.trim_end_matches('/').to_owned(),
                files,
                dir,
                index: c.index_file.clone().filter(|i| !i.is_empty()),
                cache_control,
                follow_symlinks: c.follow_symlinks,
                built: crate::rt::system_now(),
            });
        }
        Ok(Self { mounts })
    }

    pub fn is_empty(&self) -> bool {
        self.mounts.is_empty()
    }

    /// The response for a `GET`/`HEAD` under a mount whose file exists (or a refusal); `None`: route it.
    pub async fn serve(&self, method: &Method, headers: &HeaderMap, path: &str) -> Option<Response<Body>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        for mount in &self.mounts {
            let Some(rest) = path.strip_prefix(mount.prefix.as_str()) else {
                continue;
            };
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            let Some(segments) = safe_segments(rest) else {
                return Some(traversal(method));
            };
            match mount.find(&segments).await {
                Ok(Some(found)) => return Some(respond::respond(mount, found, method, headers).await),
                Ok(None) => {}
                Err(()) => return Some(not_found(method, path)),
            }
        }
        None
    }
}

/// The segments after the prefix; `None` when one could climb out or is malformed.
/// A trailing empty segment (a directory request) is kept as `""`.
fn safe_segments(rest: &str) -> Option<Vec<&str>> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Some(vec![""]);
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    for (i, s) in parts.iter().enumerate() {
        let bad = *s == "." || *s == ".." || s.contains(['\\', '\0']) || (s.is_empty() && i != last);
        if bad {
            return None;
        }
    }
    Some(parts)
}

impl Mount {
    /// `Err(())`: the file exists but is refused (symlink escape).
    async fn find(&self, segments: &[&str]) -> Result<Option<Found>, ()> {
        let is_dir_request = segments.last().is_some_and(|s| s.is_empty());
        let key = segments
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/");
        let mut candidates = Vec::with_capacity(2);
        if is_dir_request {
            if let Some(index) = &self.index {
                candidates.push(if key.is_empty() {
                    index.clone()
                } else {
                    format!("{key}/{index}")
                });
            }
        } else {
            candidates.push(key.clone());
            if let Some(index) = &self.index {
                candidates.push(if key.is_empty() {
                    index.clone()
                } else {
                    format!("{key}/{index}")
                });
            }
        }
        for name in &candidates {
            if let Some(f) = self.files.get(name) {
                return Ok(Some(Found::Memory(
                    f.bytes.clone(),
                    f.etag.clone(),
                    self.built,
                    content_type_for(name),
                )));
            }
        }
        #[cfg(feature = "server")]
        if let Some(root) = &self.dir {
            return self.find_on_disk(root, &candidates).await;
        }
        Ok(None)
    }

    #[cfg(feature = "server")]
    async fn find_on_disk(&self, root: &std::path::Path, candidates: &[String]) -> Result<Option<Found>, ()> {
        for name in candidates.iter().filter(|n| !n.is_empty()) {
            let candidate = name.split('/').fold(root.to_path_buf(), |p, s| p.join(s));
            let Ok(meta) = tokio::fs::metadata(&candidate).await else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            if !self.follow_symlinks {
                let real = tokio::fs::canonicalize(&candidate).await.map_err(|_| ())?;
                if !real.starts_with(root) {
                    return Err(());
                }
            }
            let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            let content_type = content_type_for(name);
            return Ok(Some(Found::Disk(candidate, meta.len(), modified, content_type)));
        }
        Ok(None)
    }
}

fn traversal(method: &Method) -> Response<Body> {
    let err = SpikardError::Forbidden {
        title: "Forbidden".into(),
        detail: "Path traversal is not allowed".into(),
    };
    error_response(&err).into_http(method == Method::HEAD)
}

fn not_found(method: &Method, path: &str) -> Response<Body> {
    let err = SpikardError::NotFound {
        method: method.to_string(),
        path: path.to_owned(),
    };
    error_response(&err).into_http(method == Method::HEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_refuse_traversal() {
        assert_eq!(safe_segments("/a/b.txt"), Some(vec!["a", "b.txt"]));
        assert_eq!(safe_segments("/docs/"), Some(vec!["docs", ""]));
        assert_eq!(safe_segments(""), Some(vec![""]));
        for bad in ["/../x", "/a/../../x", "/./x", "/a\\..\\x", "//etc/passwd", "/a\0b"] {
            assert_eq!(safe_segments(bad), None, "{bad}");
        }
    }
}
