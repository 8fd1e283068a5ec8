//! JWT bearer tokens: extraction from the configured header, structure, algorithm,
//! signature ([`JwsVerifier`](super::JwsVerifier), on RustCrypto) and claims.
//!
//! Checks run in this order, the first failure answering: bearer scheme, three
//! base64url parts with JSON objects for header and payload, `alg` (never `none`,
//! always exactly the configured algorithm, so an HMAC token is refused by an RSA
//! configuration and vice versa), signature, `exp`, `nbf`, `iss`, `aud`, then the
//! route's `required_claims` (403).
//!
//! ```
//! use spikard_core::config::JwtConfig;
//! use spikard_http::middleware::auth::JwtAuth;
//! let config: JwtConfig = serde_json::from_str(r#"{"secret": "s3cret"}"#).unwrap();
//! let auth = JwtAuth::compile(&config).unwrap();
//! let refused = auth.verify_token(b"not-a-token", 0).unwrap_err();
//! assert_eq!(refused.detail, "Malformed JWT token: expected 3 parts separated by dots, found 1");
//! ```

use std::str::FromStr;

use web_time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::{HeaderMap, HeaderName};
use serde_json::{Map, Value};
use spikard_core::config::{JwtConfig, JWT_ALGORITHMS};

use super::failure::{
    AuthFailure, DETAIL_ALG_NONE, DETAIL_BAD_AUDIENCE, DETAIL_BAD_ISSUER, DETAIL_BAD_SIGNATURE, DETAIL_EXPIRED,
    DETAIL_NOT_YET_VALID, DETAIL_NO_EXP,
};
use super::jws::JwsVerifier;

/// The validated claims of the request's token (also in `RequestData.state["jwt_claims"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct JwtClaims(pub Map<String, Value>);

impl JwtClaims {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// The `sub` claim, when it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.0.get("sub").and_then(Value::as_str)
    }
}

/// A compiled [`JwtConfig`]: the decoding key is parsed once, at registration.
pub struct JwtAuth {
    algorithm_name: String,
    verifier: JwsVerifier,
    audience: Vec<String>,
    issuer: Option<String>,
    leeway: f64,
    require_exp: bool,
    required_claims: Vec<String>,
    pub(super) header: HeaderName,
    pub(super) header_display: String,
    pub(super) realm: String,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("algorithm", &self.algorithm_name)
            .field("header", &self.header_display)
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    /// Check the config and parse its key; errors name the offending field.
    pub fn compile(config: &JwtConfig) -> Result<Self, String> {
        let verifier = JwsVerifier::new(config)?;
        let header = HeaderName::from_str(&config.header_name).map_err(|e| format!("jwt_auth.header_name: {e}"))?;
        Ok(Self {
            algorithm_name: config.algorithm.clone(),
            verifier,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            leeway: config.leeway as f64,
            require_exp: config.require_exp,
            required_claims: config.required_claims.clone(),
            header,
            header_display: config.header_name.clone(),
            realm: config.realm.clone(),
        })
    }

    /// The configured algorithm (e.g. `RS256`).
    pub fn algorithm_name(&self) -> &str {
        &self.algorithm_name
    }

    /// Whether the request carries this scheme's header at all.
    pub fn header_present(&self, headers: &HeaderMap) -> bool {
        headers.contains_key(&self.header)
    }

    /// Whether the header holds `Bearer <something>` (used to pick a scheme when API keys are also configured).
    pub fn has_bearer(&self, headers: &HeaderMap) -> bool {
        headers
            .get(&self.header)
            .is_some_and(|v| self.bearer_token(v.as_bytes()).is_ok())
    }

    /// Authenticate a request: the claims of its valid token, or why it is refused.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Map<String, Value>, AuthFailure> {
        let value = headers
            .get(&self.header)
            .ok_or_else(|| AuthFailure::missing_bearer(&self.header_display))?;
        let token = self.bearer_token(value.as_bytes())?;
        self.verify_token(token, now())
    }

    fn bearer_token<'a>(&self, value: &'a [u8]) -> Result<&'a [u8], AuthFailure> {
        let value = value.trim_ascii();
        let split = value.iter().position(|b| *b == b' ' || *b == b'\t');
        let (scheme, rest) = match split {
            Some(i) => (&value[..i], &value[i..]),
            None => (value, &b""[..]),
        };
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return Err(AuthFailure::wrong_scheme(&self.header_display));
        }
        let token = rest.trim_ascii();
        if token.is_empty() {
            return Err(AuthFailure::missing_bearer(&self.header_display));
        }
        Ok(token)
    }

    /// Verify a compact JWS at time `now` (seconds since the epoch).
    pub fn verify_token(&self, token: &[u8], now: u64) -> Result<Map<String, Value>, AuthFailure> {
        let mut parts = token.split(|b| *b == b'.');
        let (Some(head), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            let found = token.iter().filter(|b| **b == b'.').count() + 1;
            return Err(AuthFailure::malformed(format_args!(
                "expected 3 parts separated by dots, found {found}"
            )));
        };
        let header = json_object(head, "header")?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| AuthFailure::malformed("header has no 'alg' parameter"))?;
        self.check_algorithm(alg)?;
        if header.contains_key("crit") {
            return Err(AuthFailure::invalid(
                "Token declares critical header parameters that are not supported",
            ));
        }
        let claims = json_object(body, "payload")?;
        let message = &token[..head.len() + 1 + body.len()];
        if !self.verifier.verify(message, sig) {
            return Err(AuthFailure::invalid(DETAIL_BAD_SIGNATURE));
        }
        self.check_claims(&claims, now as f64)?;
        Ok(claims)
    }

    fn check_algorithm(&self, alg: &str) -> Result<(), AuthFailure> {
        if alg.eq_ignore_ascii_case("none") {
            return Err(AuthFailure::invalid(DETAIL_ALG_NONE));
        }
        if alg == self.algorithm_name {
            return Ok(());
        }
        if JWT_ALGORITHMS.contains(&alg) || alg == "EdDSA" {
            Err(AuthFailure::invalid(format!(
                "Token algorithm '{alg}' does not match the expected algorithm '{}'",
                self.algorithm_name
            )))
        } else {
            Err(AuthFailure::invalid("Token algorithm is not supported"))
        }
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: f64) -> Result<(), AuthFailure> {
        match numeric_date(claims, "exp")? {
            Some(exp) if now >= exp + self.leeway => return Err(AuthFailure::invalid(DETAIL_EXPIRED)),
            None if self.require_exp => return Err(AuthFailure::invalid(DETAIL_NO_EXP)),
            _ => {}
        }
        if numeric_date(claims, "nbf")?.is_some_and(|nbf| now + self.leeway < nbf) {
            return Err(AuthFailure::invalid(DETAIL_NOT_YET_VALID));
        }
        if let Some(expected) = &self.issuer {
            if claims.get("iss").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(AuthFailure::invalid(DETAIL_BAD_ISSUER));
            }
        }
        if !self.audience_ok(claims.get("aud")) {
            return Err(AuthFailure::invalid(DETAIL_BAD_AUDIENCE));
        }
        let missing: Vec<&str> = self
            .required_claims
            .iter()
            .filter(|c| claims.get(c.as_str()).is_none_or(Value::is_null))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(AuthFailure::missing_claims(&missing));
        }
        Ok(())
    }

    /// RFC 7519 §4.1.3: one of the token's audiences must be configured; a token naming an
    /// audience is refused where none is configured (as PyJWT and jsonwebtoken do).
    fn audience_ok(&self, aud: Option<&Value>) -> bool {
        let accepted = |a: &Value| a.as_str().is_some_and(|a| self.audience.iter().any(|c| c == a));
        match aud {
            None | Some(Value::Null) => self.audience.is_empty(),
            Some(Value::Array(items)) if items.is_empty() => self.audience.is_empty(),
            Some(Value::Array(items)) => items.iter().any(accepted),
            Some(single) => accepted(single),
        }
    }
}

/// A base64url JSON object part of the token.
fn json_object(part: &[u8], what: &str) -> Result<Map<String, Value>, AuthFailure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AuthFailure::malformed(format_args!("{what} is not valid base64url")))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| AuthFailure::malformed(format_args!("{what} is not a valid JSON object")))
}

/// A NumericDate claim, if present (`null` counts as absent); anything but a number is refused.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, AuthFailure> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| AuthFailure::invalid(format!("Token claim '{name}' is not a valid NumericDate"))),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "unit-test-secret";

    fn auth(extra: Value) -> JwtAuth {
        let mut config = json!({"secret": SECRET});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        JwtAuth::compile(&serde_json::from_value(config).unwrap()).unwrap()
    }

    fn token(claims: Value) -> String {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn detail(a: &JwtAuth, claims: Value, now: u64) -> String {
        a.verify_token(token(claims).as_bytes(), now).unwrap_err().detail
    }

    #[test]
    fn time_claims_honour_leeway() {
        let a = auth(json!({"leeway": 10}));
        assert!(a.verify_token(token(json!({"exp": 100})).as_bytes(), 109).is_ok());
        assert_eq!(detail(&a, json!({"exp": 100}), 110), DETAIL_EXPIRED);
        assert_eq!(detail(&a, json!({"exp": 500, "nbf": 200}), 189), DETAIL_NOT_YET_VALID);
        assert!(a
            .verify_token(token(json!({"exp": 500, "nbf": 200})).as_bytes(), 190)
            .is_ok());
        assert_eq!(detail(&a, json!({"sub": "x"}), 0), DETAIL_NO_EXP);
        assert_eq!(
            detail(&a, json!({"exp": "tomorrow"}), 0),
            "Token claim 'exp' is not a valid NumericDate"
        );
        assert!(auth(json!({"require_exp": false}))
            .verify_token(token(json!({"sub": "x"})).as_bytes(), 0)
            .is_ok());
    }

    #[test]
    fn audience_and_issuer() {
        let a = auth(json!({"audience": ["a", "b"], "issuer": "me"}));
        let ok = json!({"exp": 10, "iss": "me", "aud": ["z", "b"]});
        assert!(a.verify_token(token(ok).as_bytes(), 0).is_ok());
        assert!(a
            .verify_token(token(json!({"exp": 10, "iss": "me", "aud": "a"})).as_bytes(), 0)
            .is_ok());
        assert_eq!(
            detail(&a, json!({"exp": 10, "iss": "me", "aud": "z"}), 0),
            DETAIL_BAD_AUDIENCE
        );
        assert_eq!(detail(&a, json!({"exp": 10, "iss": "me"}), 0), DETAIL_BAD_AUDIENCE);
        assert_eq!(
            detail(&a, json!({"exp": 10, "iss": 7, "aud": "a"}), 0),
            DETAIL_BAD_ISSUER
        );
        assert_eq!(detail(&a, json!({"exp": 10, "aud": "a"}), 0), DETAIL_BAD_ISSUER);
        let open = auth(json!({}));
        assert_eq!(detail(&open, json!({"exp": 10, "aud": "a"}), 0), DETAIL_BAD_AUDIENCE);
    }

    #[test]
    fn structure_failures_are_malformed() {
        let a = auth(json!({}));
        let bad = |t: &str| a.verify_token(t.as_bytes(), 0).unwrap_err();
        assert_eq!(
            bad("a.b").detail,
            "Malformed JWT token: expected 3 parts separated by dots, found 2"
        );
        assert_eq!(
            bad("a.b.c.d").detail,
            "Malformed JWT token: expected 3 parts separated by dots, found 4"
        );
        assert_eq!(
            bad("***.e30.x").detail,
            "Malformed JWT token: header is not valid base64url"
        );
        assert_eq!(
            bad("bm90anNvbg.e30.x").detail,
            "Malformed JWT token: header is not a valid JSON object"
        );
        assert_eq!(
            bad("e30.e30.x").detail,
            "Malformed JWT token: header has no 'alg' parameter"
        );
        assert_eq!(bad("e30.e30.x").title, "Malformed JWT token");
    }

    #[test]
    fn required_claims_answer_403() {
        let a = auth(json!({"required_claims": ["role", "permissions"]}));
        let e = a
            .verify_token(token(json!({"exp": 10, "role": "admin"})).as_bytes(), 0)
            .unwrap_err();
        assert_eq!(
            (e.status(), e.detail.as_str()),
            (403, "Required claim 'permissions' missing from JWT")
        );
        assert!(a
            .verify_token(token(json!({"exp": 10, "role": "a", "permissions": []})).as_bytes(), 0)
            .is_ok());
    }

    #[test]
    fn bad_keys_are_refused_at_registration() {
        let config: JwtConfig = serde_json::from_value(json!({"algorithm": "RS256", "public_key": "nope"})).unwrap();
        let err = JwtAuth::compile(&config).unwrap_err();
        assert!(
            err.starts_with("jwt_auth.public_key is not a PEM RSA public key"),
            "{err}"
        );
    }
}
