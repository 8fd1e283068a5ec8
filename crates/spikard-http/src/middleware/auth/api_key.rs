//! API keys from a header (default `X-API-Key`) or, when configured, a query
//! parameter. Several keys may be valid at once (rotation); `deprecated_keys`
//! are still accepted and flagged with `<header>-Deprecated: true`.
//!
//! Keys are compared in constant time: the configured keys are stored as SHA-256
//! digests and the presented key's digest is compared with every one of them
//! (no early exit, no length leak).
//!
//! ```
//! use spikard_core::config::ApiKeyConfig;
//! use spikard_http::middleware::auth::ApiKeyAuth;
//! let config: ApiKeyConfig = serde_json::from_str(r#"{"keys": ["new"], "deprecated_keys": ["old"]}"#).unwrap();
//! let auth = ApiKeyAuth::compile(&config).unwrap();
//! assert_eq!(auth.check(b"new"), Ok(false));
//! assert_eq!(auth.check(b"old"), Ok(true));
//! assert!(auth.check(b"guess").is_err());
//! ```

use std::str::FromStr;

use http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};
use spikard_core::config::ApiKeyConfig;
use subtle::{Choice, ConstantTimeEq};

use super::failure::AuthFailure;

/// How the request authenticated with an API key (in `RequestData.extensions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyAuthenticated {
    /// The key is one of `deprecated_keys`.
    pub deprecated: bool,
}

/// A compiled [`ApiKeyConfig`].
pub struct ApiKeyAuth {
    /// SHA-256 of each accepted key, and whether it is deprecated.
    digests: Vec<([u8; 32], bool)>,
    pub(super) header: HeaderName,
    pub(super) header_display: String,
    pub(super) query: Option<String>,
    pub(super) deprecation_header: HeaderName,
    pub(super) challenge: String,
}

impl std::fmt::Debug for ApiKeyAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyAuth")
            .field("keys", &self.digests.len())
            .field("header", &self.header_display)
            .field("query", &self.query)
            .finish()
    }
}

impl ApiKeyAuth {
    /// Check the config and hash its keys; errors name the offending field.
    pub fn compile(config: &ApiKeyConfig) -> Result<Self, String> {
        config.check()?;
        let header = HeaderName::from_str(&config.header_name).map_err(|e| format!("api_key_auth.header_name: {e}"))?;
        let deprecation_header =
            HeaderName::from_str(&config.deprecation_header()).map_err(|e| format!("api_key_auth.header_name: {e}"))?;
        let mut digests: Vec<([u8; 32], bool)> = Vec::new();
        for key in &config.deprecated_keys {
            digests.push((Sha256::digest(key.as_bytes()).into(), true));
        }
        for key in &config.keys {
            if !config.deprecated_keys.contains(key) {
                digests.push((Sha256::digest(key.as_bytes()).into(), false));
            }
        }
        let mut challenge = format!("ApiKey realm=\"{}\", header=\"{}\"", config.realm, config.header_name);
        if let Some(q) = &config.query_param {
            challenge.push_str(&format!(", query=\"{}\"", q.replace(['"', '\\'], "")));
        }
        Ok(Self {
            digests,
            header,
            header_display: config.header_name.clone(),
            query: config.query_param.clone(),
            deprecation_header,
            challenge,
        })
    }

    /// The key the request presents: the header first, then the configured query parameter.
    /// Empty values count as absent; a query parameter that is not configured is never read.
    pub fn find<'a>(&self, headers: &'a HeaderMap, query: &'a [(String, String)]) -> Option<&'a [u8]> {
        if let Some(v) = headers.get(&self.header).map(|v| v.as_bytes().trim_ascii()) {
            if !v.is_empty() {
                return Some(v);
            }
        }
        let name = self.query.as_deref()?;
        query
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_bytes())
    }

    /// Whether `key` is accepted: `Ok(deprecated)`, or the refusal.
    pub fn check(&self, key: &[u8]) -> Result<bool, AuthFailure> {
        let presented: [u8; 32] = Sha256::digest(key).into();
        let mut found = Choice::from(0);
        let mut deprecated = Choice::from(0);
        for (digest, is_deprecated) in &self.digests {
            let eq = digest.ct_eq(&presented);
            found |= eq;
            deprecated |= eq & Choice::from(u8::from(*is_deprecated));
        }
        if bool::from(found) {
            Ok(bool::from(deprecated))
        } else {
            Err(AuthFailure::invalid_api_key())
        }
    }

    /// Authenticate a request: `Ok(deprecated)` or why it is refused.
    pub fn authenticate(&self, headers: &HeaderMap, query: &[(String, String)]) -> Result<bool, AuthFailure> {
        let key = self
            .find(headers, query)
            .ok_or_else(|| AuthFailure::missing_api_key(&self.header_display, self.query.as_deref()))?;
        self.check(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    fn auth(v: serde_json::Value) -> ApiKeyAuth {
        ApiKeyAuth::compile(&serde_json::from_value(v).unwrap()).unwrap()
    }

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn query_is_read_only_when_configured() {
        let q = vec![("api_key".to_owned(), "k1".to_owned())];
        let header_only = auth(json!({"keys": ["k1"], "query_param": null}));
        let e = header_only.authenticate(&HeaderMap::new(), &q).unwrap_err();
        assert_eq!(e.detail, "Expected 'X-API-Key' header with valid API key");
        let both = auth(json!({"keys": ["k1"]}));
        assert_eq!(both.authenticate(&HeaderMap::new(), &q), Ok(false));
        let e = both.authenticate(&headers("x-api-key", " "), &[]).unwrap_err();
        assert_eq!(
            e.detail,
            "Expected 'X-API-Key' header or 'api_key' query parameter with valid API key"
        );
    }

    #[test]
    fn rotation_and_refusal() {
        let a = auth(json!({"keys": ["new", "old"], "deprecated_keys": ["old"], "header_name": "X-Token"}));
        assert_eq!(a.authenticate(&headers("x-token", "new"), &[]), Ok(false));
        assert_eq!(a.authenticate(&headers("x-token", "old"), &[]), Ok(true));
        let e = a.authenticate(&headers("x-token", "ne"), &[]).unwrap_err();
        assert_eq!(
            (e.title, e.detail.as_str()),
            ("Invalid API key", "The provided API key is not valid")
        );
        assert_eq!(a.deprecation_header.as_str(), "x-token-deprecated");
        assert_eq!(
            a.challenge,
            "ApiKey realm=\"api\", header=\"X-Token\", query=\"api_key\""
        );
    }
}
