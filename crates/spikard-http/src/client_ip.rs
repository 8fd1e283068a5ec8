//! The client's IP address: the peer's, or, when the peer is a trusted proxy,
//! the nearest untrusted address in `X-Forwarded-For` (or `Forwarded: for=`).
//! Forwarding headers from untrusted peers are ignored, so they cannot be spoofed.

use std::net::{IpAddr, SocketAddr};

/// The peer's address in a request's extensions: axum's type (set by the server, and by
/// axum's `into_make_service_with_connect_info`), or, without the `server` feature, the
/// same shape for a host that knows its client's address (an edge worker).
#[cfg(feature = "server")]
pub use axum::extract::ConnectInfo;

/// The peer's address in a request's extensions (see the `server` feature's axum type).
#[cfg(not(feature = "server"))]
#[derive(Debug, Clone, Copy)]
pub struct ConnectInfo<T>(pub T);
use http::request::Parts;

/// A set of trusted proxy addresses and CIDR ranges, parsed once.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parse `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`. An invalid entry is an error naming it.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (entry.as_str(), None),
            };
            let ip: IpAddr = addr
                .trim()
                .parse()
                .map_err(|_| format!("trusted proxy '{entry}' is not an IP address or CIDR range"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("trusted proxy '{entry}' has an invalid prefix length"))?,
                None => max,
            };
            ranges.push((ip, bits));
        }
        Ok(Self { ranges })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.ranges.iter().any(|(net, bits)| in_range(ip, *net, *bits))
    }

    /// The client address for a request that arrived from `peer`.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if self.ranges.is_empty() || !self.contains(peer) {
            return Some(peer);
        }
        let mut chain: Vec<IpAddr> = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(v) = value.to_str() else { return Some(peer) };
            for part in v.split(',') {
                match part.trim().parse() {
                    Ok(ip) => chain.push(ip),
                    Err(_) => return Some(peer),
                }
            }
        }
        if chain.is_empty() {
            chain = forwarded_for(headers);
        }
        // Walk from the nearest hop back; the first address we do not trust is the client.
        let mut client = peer;
        for ip in chain.into_iter().rev() {
            client = ip;
            if !self.contains(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// The peer address the server recorded for this request.
pub fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

fn forwarded_for(headers: &http::HeaderMap) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for value in headers.get_all(http::header::FORWARDED) {
        let Ok(v) = value.to_str() else { continue };
        for element in v.split(',') {
            for pair in element.split(';') {
                let Some((k, val)) = pair.trim().split_once('=') else {
                    continue;
                };
                if !k.eq_ignore_ascii_case("for") {
                    continue;
                }
                let val = val.trim().trim_matches('"');
                let host = if let Some(rest) = val.strip_prefix('[') {
                    rest.split(']').next().unwrap_or("")
                } else {
                    val.split(':').next().unwrap_or("")
                };
                if let Ok(ip) = host.parse() {
                    out.push(ip);
                }
            }
        }
    }
    out
}

fn in_range(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn untrusted_peer_cannot_spoof_forwarded_for() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(trusted.client_ip(Some(peer), &h), Some(peer));
        assert_eq!(TrustedProxies::default().client_ip(Some(peer), &h), Some(peer));
    }

    #[test]
    fn trusted_proxy_chain_yields_nearest_untrusted_hop() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let peer: IpAddr = "10.1.2.3".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.7, 192.0.2.1, 10.9.9.9")]);
        assert_eq!(trusted.client_ip(Some(peer), &h), Some("192.0.2.1".parse().unwrap()));
        let h = headers(&[("forwarded", "for=\"[2001:db8::1]:4711\";proto=https")]);
        assert_eq!(trusted.client_ip(Some(peer), &h), Some("2001:db8::1".parse().unwrap()));
        let h = headers(&[("x-forwarded-for", "not-an-ip")]);
        assert_eq!(trusted.client_ip(Some(peer), &h), Some(peer));
    }

    #[test]
    fn invalid_entries_are_refused() {
        assert!(TrustedProxies::parse(&["nope".into()]).is_err());
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
    }
}
