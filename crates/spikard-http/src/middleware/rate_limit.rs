//! Token-bucket rate limiting: each bucket holds up to `burst` tokens and
//! refills at `per_second`; a request takes one token or gets a 429 problem
//! with `Retry-After` (whole seconds until a token is back, at least 1).
//!
//! - `per_ip`: one bucket per client IP (`RequestData::client_ip`: the peer, or
//!   the forwarded address only behind a trusted proxy; requests without a known
//!   address, as in the in-memory test client, share one bucket).
//! - `global`: one bucket for every client (checked after the per-IP one).
//! - The server-wide setting is one limiter shared by every route without an
//!   override (and by 404/405 answers and static files); a route's own setting
//!   is a limiter for that route alone.
//! - Memory is bounded: buckets live in 16 shards of at most [`MAX_BUCKETS`]/16
//!   entries; a full shard first drops buckets that have refilled completely
//!   (forgetting them changes nothing), then the least recently used one.
//!
//! ```
//! use spikard_core::config::RateLimitConfig;
//! use spikard_http::middleware::rate_limit::RateLimit;
//! let bad = RateLimitConfig { per_second: 0.0, ..Default::default() };
//! assert!(RateLimit::new(&bad).is_err());
//! ```
//!
//! Why hand-written: neither tower nor tower-http limits per client IP with `trusted_proxies`
//! or answers a 429 problem with `Retry-After` (`tower::limit::RateLimit` delays requests
//! instead); see `docs/middleware.md`.

use crate::rt::Instant;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;

use axum::body::Body;
use http::Response;
use spikard_core::config::RateLimitConfig;
use spikard_core::SpikardError;

use super::{Context, Middleware};
use crate::handler::RequestData;
use crate::response::error_response;

/// Most per-IP buckets kept at once.
pub const MAX_BUCKETS: usize = 65_536;
const SHARDS: usize = 16;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Refill rate and capacity shared by every bucket of a limiter.
#[derive(Debug, Clone, Copy)]
struct Rate {
    per_second: f64,
    burst: f64,
}

impl Rate {
    /// Take a token at `now`; on refusal, the seconds until one is back.
    fn take(self, bucket: &mut Bucket, now: Instant) -> Result<(), u64> {
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }

    /// A bucket that would be full by `now` is the same as no bucket.
    fn is_idle(self, bucket: &Bucket, now: Instant) -> bool {
        bucket.tokens + now.saturating_duration_since(bucket.last).as_secs_f64() * self.per_second >= self.burst
    }

    fn fresh(self, now: Instant) -> Bucket {
        Bucket {
            tokens: self.burst,
            last: now,
        }
    }
}

/// One shard of per-IP buckets.
type Shard = Mutex<HashMap<IpAddr, Bucket>>;

/// The rate limit middleware.
#[derive(Debug)]
pub struct RateLimit {
    rate: Rate,
    per_ip: Option<Box<[Shard]>>,
    global: Option<Mutex<Bucket>>,
    hasher: RandomState,
    shard_capacity: usize,
}

impl RateLimit {
    /// `per_second` must be positive and `burst` at least 1.
    pub fn new(config: &RateLimitConfig) -> Result<Self, SpikardError> {
        Self::with_capacity(config, MAX_BUCKETS)
    }

    /// Like [`RateLimit::new`] with another bound on the number of per-IP buckets.
    pub fn with_capacity(config: &RateLimitConfig, max_buckets: usize) -> Result<Self, SpikardError> {
        if !(config.per_second.is_finite() && config.per_second > 0.0) || config.burst == 0 {
            return Err(SpikardError::InvalidRoute(format!(
                "rate_limit: per_second must be positive and burst at least 1 (got {} and {})",
                config.per_second, config.burst
            )));
        }
        if !config.per_ip && !config.global {
            return Err(SpikardError::InvalidRoute(
                "rate_limit: enable per_ip, global or both".into(),
            ));
        }
        let rate = Rate {
            per_second: config.per_second,
            burst: f64::from(config.burst),
        };
        let now = Instant::now();
        Ok(Self {
            rate,
            per_ip: config
                .per_ip
                .then(|| (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect()),
            global: config.global.then(|| Mutex::new(rate.fresh(now))),
            hasher: RandomState::new(),
            shard_capacity: (max_buckets / SHARDS).max(1),
        })
    }

    /// Take a token for `ip` at `now`; on refusal, the `Retry-After` seconds.
    pub fn check(&self, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        if let Some(shards) = &self.per_ip {
            let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            let shard = &shards[(self.hasher.hash_one(ip) as usize) % SHARDS];
            let mut map = shard.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !map.contains_key(&ip) && map.len() >= self.shard_capacity {
                self.evict(&mut map, now);
            }
            let bucket = map.entry(ip).or_insert_with(|| self.rate.fresh(now));
            self.rate.take(bucket, now)?;
        }
        if let Some(global) = &self.global {
            let mut bucket = global.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            self.rate.take(&mut bucket, now)?;
        }
        Ok(())
    }

    fn evict(&self, map: &mut HashMap<IpAddr, Bucket>, now: Instant) {
        let rate = self.rate;
        map.retain(|_, b| !rate.is_idle(b, now));
        if map.len() >= self.shard_capacity {
            if let Some(oldest) = map.iter().min_by_key(|(_, b)| b.last).map(|(ip, _)| *ip) {
                map.remove(&oldest);
            }
        }
    }

    /// Per-IP buckets currently held.
    pub fn tracked(&self) -> usize {
        self.per_ip.as_ref().map_or(0, |shards| {
            shards
                .iter()
                .map(|s| s.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len())
                .sum()
        })
    }
}

impl Middleware for RateLimit {
    fn name(&self) -> &'static str {
        "rate_limit"
    }

    fn on_request(&self, request: &mut RequestData, _ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        self.check(request.client_ip, Instant::now()).map_err(|retry_after| {
            let head_only = request.method == http::Method::HEAD;
            Box::new(error_response(&SpikardError::TooManyRequests { retry_after }).into_http(head_only))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn config(per_second: f64, burst: u32, per_ip: bool, global: bool) -> RateLimitConfig {
        RateLimitConfig {
            per_second,
            burst,
            per_ip,
            global,
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn burst_then_refusal_then_refill() {
        let limit = RateLimit::new(&config(2.0, 3, true, false)).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limit.check(ip("192.0.2.1"), t0), Ok(()));
        }
        assert_eq!(limit.check(ip("192.0.2.1"), t0), Err(1));
        assert_eq!(
            limit.check(ip("192.0.2.2"), t0),
            Ok(()),
            "another client has its own bucket"
        );
        assert_eq!(limit.check(ip("192.0.2.1"), t0 + Duration::from_millis(500)), Ok(()));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limit = RateLimit::new(&config(0.25, 1, false, true)).unwrap();
        let t0 = Instant::now();
        assert_eq!(limit.check(None, t0), Ok(()));
        assert_eq!(limit.check(ip("192.0.2.9"), t0), Err(4));
    }

    #[test]
    fn memory_is_bounded() {
        let limit = RateLimit::with_capacity(&config(1.0, 1, true, false), 32).unwrap();
        let t0 = Instant::now();
        for i in 0..1000u32 {
            let _ = limit.check(Some(IpAddr::V4(i.into())), t0);
        }
        assert!(limit.tracked() <= 32, "{}", limit.tracked());
    }

    #[test]
    fn invalid_settings_are_refused() {
        assert!(RateLimit::new(&config(-1.0, 1, true, false)).is_err());
        assert!(RateLimit::new(&config(1.0, 0, true, false)).is_err());
        assert!(RateLimit::new(&config(1.0, 1, false, false)).is_err());
    }
}
