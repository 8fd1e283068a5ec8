//! Services mounted under a path prefix: an axum `Router`, any tower service, or a binding's
//! bridge to another framework (the Python binding's ASGI apps). A request under a prefix
//! that no route of the app matches goes to the service of the longest such prefix, through
//! the server-wide middleware chain (CORS, compression, request ids, rate limits, logging);
//! routes win, so an app mounted at `/` can be replaced route by route.
//!
//! The service gets the request as received: the path unchanged, the prefix in the
//! [`MountPrefix`] extension (ASGI's `root_path`), the client in `ConnectInfo` and the
//! server's address in [`LocalAddr`] when a server serves it.

use std::net::SocketAddr;

use spikard_core::SpikardError;

use crate::layer::AppService;

/// The prefix the service answering a request is mounted at (`""` at the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPrefix(pub String);

/// The address the server accepted the request on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalAddr(pub SocketAddr);

/// The mounted services of an app, longest prefix first.
#[derive(Clone, Default)]
pub struct Mounts {
    services: Vec<(String, AppService)>,
}

impl Mounts {
    /// Mount `service` at `prefix` (`/legacy`, or `/` for everything no route matches).
    pub fn add(&mut self, prefix: &str, service: AppService) -> Result<(), SpikardError> {
        if !prefix.starts_with('/') {
            return Err(SpikardError::InvalidRoute(format!(
                "mount prefix '{prefix}' must start with '/'"
            )));
        }
        let prefix = prefix.trim_end_matches('/').to_owned();
        if self.services.iter().any(|(p, _)| *p == prefix) {
            return Err(SpikardError::InvalidRoute(format!(
                "a service is already mounted at '{}'",
                if prefix.is_empty() { "/" } else { &prefix }
            )));
        }
        self.services.push((prefix, service));
        self.services.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The service answering `path` and its prefix, if one is mounted above it.
    pub fn find(&self, path: &str) -> Option<(&str, &AppService)> {
        self.services
            .iter()
            .find(|(prefix, _)| {
                path.strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map(|(p, s)| (p.as_str(), s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    fn service() -> AppService {
        AppService::new(tower::service_fn(|_req: http::Request<axum::body::Body>| async {
            Ok::<_, Infallible>(http::Response::new(axum::body::Body::empty()))
        }))
    }

    #[test]
    fn longest_prefix_wins_on_segment_boundaries() {
        let mut mounts = Mounts::default();
        mounts.add("/", service()).unwrap();
        mounts.add("/legacy/", service()).unwrap();
        assert_eq!(mounts.find("/legacy").map(|m| m.0), Some("/legacy"));
        assert_eq!(mounts.find("/legacy/a").map(|m| m.0), Some("/legacy"));
        assert_eq!(mounts.find("/legacyx").map(|m| m.0), Some(""));
        assert!(mounts.add("legacy", service()).is_err());
        assert!(mounts.add("/legacy", service()).is_err());
        let mut only = Mounts::default();
        only.add("/api", service()).unwrap();
        assert!(only.find("/other").is_none());
    }
}
