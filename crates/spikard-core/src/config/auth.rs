//! Authentication configs: JWT bearer tokens and API keys.
//!
//! Both are plain serde structs (the bindings mirror them). The server checks them
//! when a route is registered ([`JwtConfig::check`], [`ApiKeyConfig::check`]), so a
//! typo in an algorithm name or an empty key list is reported at startup, not as a
//! refused request.
//!
//! ```
//! use spikard_core::config::{ApiKeyConfig, JwtConfig};
//! let jwt: JwtConfig = serde_json::from_str(r#"{"algorithm": "HS256", "secret": "s3cret"}"#).unwrap();
//! assert!(jwt.check().is_ok());
//! assert_eq!(jwt.security_scheme()["scheme"], "bearer");
//! let keys: ApiKeyConfig = serde_json::from_str(r#"{"keys": ["k1"], "deprecated_keys": ["k0"]}"#).unwrap();
//! assert_eq!(keys.header_name, "X-API-Key");
//! assert!(keys.check().is_ok());
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Every JWT algorithm the server verifies (`none` is never accepted).
pub const JWT_ALGORITHMS: [&str; 11] = [
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384", "PS512",
];

/// JWT bearer authentication. HMAC algorithms use `secret`; RSA/EC/PSS ones `public_key` (PEM).
/// `alg: none` and tokens whose `alg` differs from the configured `algorithm` are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JwtConfig {
    pub enabled: bool,
    /// HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, PS256, PS384, PS512.
    pub algorithm: String,
    /// Shared secret of the HS* algorithms.
    pub secret: Option<String>,
    /// PEM public key of the RS*/PS* (RSA) and ES* (EC) algorithms.
    pub public_key: Option<String>,
    /// Accepted `aud` values (any one must match); empty: a token carrying `aud` is refused.
    pub audience: Vec<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Seconds of clock skew allowed for `exp` and `nbf`.
    pub leeway: u64,
    /// Header carrying `Bearer <token>`.
    pub header_name: String,
    /// Refuse tokens without an `exp` claim (RFC 8725 recommends expiring tokens).
    pub require_exp: bool,
    /// Claims a valid token must also carry for this route (e.g. `role`); missing ones answer 403.
    pub required_claims: Vec<String>,
    /// `realm` of the `WWW-Authenticate` challenge.
    pub realm: String,
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
            require_exp: true,
            required_claims: Vec::new(),
            realm: "api".into(),
        }
    }
}

impl JwtConfig {
    /// Whether the algorithm is an HMAC one (verified with `secret`).
    pub fn is_hmac(&self) -> bool {
        self.algorithm.starts_with("HS")
    }

    /// The configuration problems a server must refuse to start with (keys are parsed by the server).
    pub fn check(&self) -> Result<(), String> {
        if !JWT_ALGORITHMS.contains(&self.algorithm.as_str()) {
            return Err(format!(
                "jwt_auth.algorithm '{}' is not supported (one of {})",
                self.algorithm,
                JWT_ALGORITHMS.join(", ")
            ));
        }
        if self.is_hmac() {
            if self.secret.as_deref().is_none_or(str::is_empty) {
                return Err(format!("jwt_auth.secret is required for {}", self.algorithm));
            }
        } else if self.public_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
            return Err(format!("jwt_auth.public_key (PEM) is required for {}", self.algorithm));
        }
        check_header_name("jwt_auth.header_name", &self.header_name)?;
        check_realm("jwt_auth.realm", &self.realm)
    }

    /// The OpenAPI 3.1 security scheme object describing this configuration.
    pub fn security_scheme(&self) -> Value {
        if self.header_name.eq_ignore_ascii_case("authorization") {
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        } else {
            json!({"type": "apiKey", "in": "header", "name": self.header_name,
                "description": "JWT as 'Bearer <token>'"})
        }
    }
}

/// API keys in a header or a query parameter; several keys allow rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiKeyConfig {
    pub enabled: bool,
    /// Accepted keys.
    pub keys: Vec<String>,
    /// Keys still accepted while clients move to a new one; a response to a request made with one
    /// carries `<header_name>-Deprecated: true` (e.g. `X-API-Key-Deprecated`).
    pub deprecated_keys: Vec<String>,
    /// Header carrying the key.
    pub header_name: String,
    /// Query parameter also accepted (default `api_key`, as API gateways and webhook callers use);
    /// `None` (`null`): keys are read from the header only.
    pub query_param: Option<String>,
    /// `realm` of the `WWW-Authenticate` challenge.
    pub realm: String,
}

impl Default for ApiKeyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            keys: Vec::new(),
            deprecated_keys: Vec::new(),
            header_name: "X-API-Key".into(),
            query_param: Some("api_key".into()),
            realm: "api".into(),
        }
    }
}

impl ApiKeyConfig {
    /// The configuration problems a server must refuse to start with.
    pub fn check(&self) -> Result<(), String> {
        if self.keys.is_empty() && self.deprecated_keys.is_empty() {
            return Err("api_key_auth.keys is empty: no request could authenticate".into());
        }
        if self.keys.iter().chain(&self.deprecated_keys).any(String::is_empty) {
            return Err("api_key_auth.keys contains an empty key".into());
        }
        check_header_name("api_key_auth.header_name", &self.header_name)?;
        check_header_name("api_key_auth.header_name", &self.deprecation_header())?;
        if let Some(q) = &self.query_param {
            if q.is_empty() {
                return Err("api_key_auth.query_param is empty".into());
            }
        }
        check_realm("api_key_auth.realm", &self.realm)
    }

    /// The response header flagging a deprecated key.
    pub fn deprecation_header(&self) -> String {
        format!("{}-Deprecated", self.header_name)
    }

    /// The OpenAPI 3.1 security scheme objects: the header one, then the query one when configured.
    pub fn security_schemes(&self) -> Vec<Value> {
        let mut out = vec![json!({"type": "apiKey", "in": "header", "name": self.header_name})];
        if let Some(q) = &self.query_param {
            out.push(json!({"type": "apiKey", "in": "query", "name": q}));
        }
        out
    }
}

fn check_header_name(field: &str, name: &str) -> Result<(), String> {
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("{field} '{name}' is not a valid header name"));
    }
    Ok(())
}

fn check_realm(field: &str, realm: &str) -> Result<(), String> {
    if realm
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b))
    {
        return Err(format!("{field} must be printable ASCII without quotes or backslashes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(v: Value) -> JwtConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn jwt_defaults_and_checks() {
        let c = jwt(json!({"secret": "s"}));
        assert_eq!((c.algorithm.as_str(), c.leeway, c.require_exp), ("HS256", 0, true));
        assert_eq!(c.check(), Ok(()));
        assert_eq!(
            jwt(json!({"algorithm": "none", "secret": "s"})).check().unwrap_err(),
            "jwt_auth.algorithm 'none' is not supported (one of HS256, HS384, HS512, RS256, RS384, RS512, \
             ES256, ES384, PS256, PS384, PS512)"
        );
        assert_eq!(
            jwt(json!({"algorithm": "HS512"})).check().unwrap_err(),
            "jwt_auth.secret is required for HS512"
        );
        assert_eq!(
            jwt(json!({"algorithm": "RS256", "secret": "s"})).check().unwrap_err(),
            "jwt_auth.public_key (PEM) is required for RS256"
        );
        assert!(jwt(json!({"secret": "s", "header_name": "Bad Header"}))
            .check()
            .is_err());
        assert!(jwt(json!({"secret": "s", "realm": "a\"b"})).check().is_err());
    }

    #[test]
    fn api_key_checks() {
        let c: ApiKeyConfig = serde_json::from_value(json!({"keys": ["a"]})).unwrap();
        assert_eq!(c.check(), Ok(()));
        assert_eq!(c.deprecation_header(), "X-API-Key-Deprecated");
        assert_eq!(c.query_param.as_deref(), Some("api_key"));
        let header_only: ApiKeyConfig = serde_json::from_value(json!({"keys": ["a"], "query_param": null})).unwrap();
        assert_eq!(header_only.query_param, None);
        let empty = ApiKeyConfig::default();
        assert_eq!(
            empty.check().unwrap_err(),
            "api_key_auth.keys is empty: no request could authenticate"
        );
        let blank: ApiKeyConfig = serde_json::from_value(json!({"keys": ["a", ""]})).unwrap();
        assert_eq!(blank.check().unwrap_err(), "api_key_auth.keys contains an empty key");
    }

    #[test]
    fn security_schemes_describe_the_config() {
        assert_eq!(
            jwt(json!({"secret": "s"})).security_scheme(),
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        );
        let c: ApiKeyConfig = serde_json::from_value(json!({"keys": ["a"], "query_param": "api_key"})).unwrap();
        assert_eq!(
            c.security_schemes(),
            vec![
                json!({"type": "apiKey", "in": "header", "name": "X-API-Key"}),
                json!({"type": "apiKey", "in": "query", "name": "api_key"})
            ]
        );
    }
}
