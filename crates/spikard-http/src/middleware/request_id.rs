//! Request IDs (on by default): every request gets one, echoed on every
//! response (problems included), and visible to handlers in the request
//! headers under the configured name (any binding can read it there) and as
//! the typed [`RequestId`] in `RequestData::extensions`, and to the logs.
//!
//! A client-sent ID (header `X-Request-ID` by default) is kept when
//! `propagate` is on and it is well formed: 1 to 128 characters from
//! `A-Z a-z 0-9 - _ . : + = / @`. Anything else is replaced by a new UUID v4,
//! so a client cannot inject text into logs or headers through it.
//!
//! Generated IDs are UUID v4 from a fast per-thread generator (seeded from the
//! OS once per thread): unique, but not meant to be secret or unguessable.
//!
//! Why hand-written, not tower-http's `SetRequestIdLayer`/`PropagateRequestIdLayer`: a
//! client-sent ID is checked (tower-http keeps any value, however long), `propagate: false`
//! exists, handlers get a typed [`RequestId`], and a generated ID costs no system call
//! (measured: `docs/middleware.md`).
//!
//! ```
//! use spikard_core::config::RequestIdConfig;
//! use spikard_http::middleware::request_id::{is_well_formed, RequestIdMiddleware};
//! assert!(RequestIdMiddleware::new(&RequestIdConfig::default()).is_ok());
//! assert!(is_well_formed(b"abc-123"));
//! assert!(!is_well_formed(b"evil\nheader"));
//! ```

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

use axum::body::Body;
use http::{HeaderName, HeaderValue, Response};
use spikard_core::config::RequestIdConfig;
use spikard_core::SpikardError;

use super::{Context, Middleware};
use crate::handler::RequestData;

/// Longest client-sent ID that is kept.
pub const MAX_LEN: usize = 128;

/// The request's ID, as handlers find it in `RequestData::extensions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    pub fn as_str(&self) -> &str {
        // Only well-formed (ASCII) or generated IDs are kept.
        self.0.to_str().unwrap_or_default()
    }
}

/// The request ID middleware (compiled from [`RequestIdConfig`]).
#[derive(Debug)]
pub struct RequestIdMiddleware {
    header: HeaderName,
    propagate: bool,
}

impl RequestIdMiddleware {
    /// An invalid header name is an error naming it.
    pub fn new(config: &RequestIdConfig) -> Result<Self, SpikardError> {
        let header = HeaderName::from_bytes(config.header_name.as_bytes()).map_err(|_| {
            SpikardError::InvalidRoute(format!(
                "request_id.header_name '{}' is not a valid header name",
                config.header_name
            ))
        })?;
        Ok(Self {
            header,
            propagate: config.propagate,
        })
    }
}

/// Whether a client-sent ID may be kept as it is.
pub fn is_well_formed(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:+=/@".contains(b))
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()));
}

/// splitmix64 over the thread's state: 64 well-mixed bits per call, no system call.
fn next_u64() -> u64 {
    RNG.with(|state| {
        let s = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        state.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// A fresh UUID v4 as a header value.
pub fn generate() -> HeaderValue {
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&next_u64().to_le_bytes());
    random[8..].copy_from_slice(&next_u64().to_le_bytes());
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    let text = uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .hyphenated()
        .encode_lower(&mut buf);
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

impl Middleware for RequestIdMiddleware {
    fn name(&self) -> &'static str {
        "request_id"
    }

    fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        let id = request
            .headers
            .get(&self.header)
            .filter(|v| self.propagate && is_well_formed(v.as_bytes()))
            .cloned()
            .unwrap_or_else(generate);
        request.headers.insert(self.header.clone(), id.clone());
        request.extensions.insert(RequestId(id.clone()));
        ctx.request_id = Some(id);
        Ok(())
    }

    fn on_response(&self, ctx: &Context, response: &mut Response<Body>) {
        // A response that already names an ID (set by the application) keeps it.
        if let Some(id) = &ctx.request_id {
            if !response.headers().contains_key(&self.header) {
                response.headers_mut().insert(self.header.clone(), id.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, Method};

    fn run(config: &RequestIdConfig, sent: Option<&str>) -> (RequestData, Context) {
        let mut headers = HeaderMap::new();
        if let Some(s) = sent {
            headers.insert("x-request-id", HeaderValue::from_str(s).unwrap());
        }
        let mut data = RequestData::new(Method::GET, "/".into(), headers);
        let mut ctx = Context::new(Method::GET, None);
        RequestIdMiddleware::new(config)
            .unwrap()
            .on_request(&mut data, &mut ctx)
            .unwrap();
        (data, ctx)
    }

    #[test]
    fn generates_a_uuid_when_absent_or_malformed() {
        for sent in [
            None,
            Some("has space"),
            Some("a\"b"),
            Some(&"x".repeat(MAX_LEN + 1)[..]),
        ] {
            let (data, ctx) = run(&RequestIdConfig::default(), sent);
            let id = ctx.request_id.unwrap();
            assert!(uuid::Uuid::parse_str(id.to_str().unwrap()).is_ok());
            assert_eq!(data.extensions.get::<RequestId>(), Some(&RequestId(id.clone())));
            assert_eq!(data.headers["x-request-id"], id);
        }
    }

    #[test]
    fn generated_ids_are_distinct_v4_uuids() {
        let ids: std::collections::HashSet<_> = (0..1000).map(|_| generate()).collect();
        assert_eq!(ids.len(), 1000);
        for id in ids.iter().take(10) {
            let uuid = uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
        }
    }

    #[test]
    fn propagates_a_well_formed_id_unless_disabled() {
        let (data, ctx) = run(&RequestIdConfig::default(), Some("req-42.a/b"));
        assert_eq!(ctx.request_id.unwrap(), "req-42.a/b");
        assert_eq!(data.extensions.get::<RequestId>().unwrap().as_str(), "req-42.a/b");
        let config = RequestIdConfig {
            propagate: false,
            ..Default::default()
        };
        let (_, ctx) = run(&config, Some("req-42"));
        assert_ne!(ctx.request_id.unwrap(), "req-42");
    }

    #[test]
    fn echoes_on_the_response_and_refuses_a_bad_header_name() {
        let (_, ctx) = run(&RequestIdConfig::default(), Some("abc"));
        let mut response = Response::new(Body::empty());
        RequestIdMiddleware::new(&RequestIdConfig::default())
            .unwrap()
            .on_response(&ctx, &mut response);
        assert_eq!(response.headers()["x-request-id"], "abc");
        let bad = RequestIdConfig {
            header_name: "bad header".into(),
            ..Default::default()
        };
        assert!(RequestIdMiddleware::new(&bad).is_err());
    }
}
