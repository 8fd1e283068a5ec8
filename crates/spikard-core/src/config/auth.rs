//! Authentication configs: JWT bearer tokens and API keys.

use serde::{Deserialize, Serialize};

/// JWT bearer authentication. HMAC algorithms use `secret`; RSA/EC/PSS ones `public_key` (PEM).
/// `alg: none` and tokens whose algorithm differs from the configured ones are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JwtConfig {
    pub enabled: bool,
    /// HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, PS256, PS384, PS512.
    pub algorithm: String,
    pub secret: Option<String>,
    pub public_key: Option<String>,
    /// Accepted `aud` values (any one must match); empty: not checked.
    pub audience: Vec<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Seconds of clock skew allowed for `exp` and `nbf`.
    pub leeway: u64,
    /// Header carrying `Bearer <token>`.
    pub header_name: String,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            algorithm: "HS256".into(),
            secret: None,
            public_key: None,
            audience: Vec::new(),
            issuer: None,
            leeway: 0,
            header_name: "Authorization".into(),
        }
    }
}

/// API keys in a header or a query parameter; several keys allow rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiKeyConfig {
    pub enabled: bool,
    pub keys: Vec<String>,
    pub header_name: String,
    /// Query parameter also accepted (e.g. `api_key`).
    pub query_param: Option<String>,
}

impl Default for ApiKeyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            keys: Vec::new(),
            header_name: "X-API-Key".into(),
            query_param: None,
        }
    }
}
