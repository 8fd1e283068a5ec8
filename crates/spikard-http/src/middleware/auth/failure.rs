//! Why authentication refused a request: the one place that spells the problem
//! titles and details (listed in `testing_data/README.md`) and the
//! `WWW-Authenticate` challenge of each refusal.
//!
//! A detail never contains the token or the key that was sent: only what is
//! wrong with it (and at most the name of a known algorithm it declared).

use axum::body::Body;
use http::{header, HeaderValue, Response};
use spikard_core::SpikardError;

use crate::response::error_response;

pub const TITLE_MISSING_BEARER: &str = "Missing or invalid Authorization header";
pub const TITLE_MALFORMED_JWT: &str = "Malformed JWT token";
pub const TITLE_JWT_INVALID: &str = "JWT validation failed";
pub const TITLE_FORBIDDEN: &str = "Forbidden";
pub const TITLE_MISSING_API_KEY: &str = "Missing API key";
pub const TITLE_INVALID_API_KEY: &str = "Invalid API key";
pub const TITLE_MISSING_CREDENTIALS: &str = "Missing credentials";

pub const DETAIL_BAD_SIGNATURE: &str = "Token signature is invalid";
pub const DETAIL_EXPIRED: &str = "Token has expired";
pub const DETAIL_NO_EXP: &str = "Token has no expiration time ('exp' claim)";
pub const DETAIL_NOT_YET_VALID: &str = "JWT not valid yet, not before claim is in the future";
pub const DETAIL_BAD_AUDIENCE: &str = "Token audience is invalid";
pub const DETAIL_BAD_ISSUER: &str = "Token issuer is invalid";
pub const DETAIL_ALG_NONE: &str = "Unsigned tokens (alg 'none') are not accepted";
pub const DETAIL_INVALID_API_KEY: &str = "The provided API key is not valid";

/// Which challenge(s) a refusal carries in `WWW-Authenticate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer realm="…"` with no error code: the request carried no bearer credentials (RFC 6750 §3.1).
    BearerMissing,
    /// `Bearer realm="…", error="invalid_token", error_description="…"`.
    BearerInvalid,
    /// `Bearer realm="…", error="insufficient_scope", error_description="…"` (403).
    BearerInsufficient,
    /// `ApiKey realm="…", header="…"[, query="…"]`.
    ApiKey,
    /// Both schemes (neither credential was sent).
    Both,
}

/// One refusal: status 401 (or 403), title, detail and challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFailure {
    pub title: &'static str,
    pub detail: String,
    pub challenge: Challenge,
}

impl AuthFailure {
    fn new(title: &'static str, detail: impl Into<String>, challenge: Challenge) -> Self {
        Self {
            title,
            detail: detail.into(),
            challenge,
        }
    }

    /// No bearer credentials in `header`.
    pub fn missing_bearer(header: &str) -> Self {
        Self::new(
            TITLE_MISSING_BEARER,
            format!("Expected '{header}: Bearer <token>'"),
            Challenge::BearerMissing,
        )
    }

    /// `header` uses another scheme (e.g. `Basic`) or no scheme at all.
    pub fn wrong_scheme(header: &str) -> Self {
        Self::new(
            TITLE_MISSING_BEARER,
            format!("{header} header must use Bearer scheme: 'Bearer <token>'"),
            Challenge::BearerMissing,
        )
    }

    /// The token is not a JWS compact serialisation.
    pub fn malformed(what: impl std::fmt::Display) -> Self {
        Self::new(
            TITLE_MALFORMED_JWT,
            format!("Malformed JWT token: {what}"),
            Challenge::BearerInvalid,
        )
    }

    /// A well-formed token that fails verification (signature, algorithm, claims).
    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(TITLE_JWT_INVALID, detail, Challenge::BearerInvalid)
    }

    /// A valid token lacking claims the route requires (403).
    pub fn missing_claims(names: &[&str]) -> Self {
        let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        let detail = match quoted.as_slice() {
            [one] => format!("Required claim {one} missing from JWT"),
            [init @ .., last] => format!("Required claims {} and {last} missing from JWT", init.join(", ")),
            [] => "Required claims missing from JWT".to_owned(),
        };
        Self::new(TITLE_FORBIDDEN, detail, Challenge::BearerInsufficient)
    }

    /// No API key where the configuration looks for one.
    pub fn missing_api_key(header: &str, query: Option<&str>) -> Self {
        let detail = match query {
            Some(q) => format!("Expected '{header}' header or '{q}' query parameter with valid API key"),
            None => format!("Expected '{header}' header with valid API key"),
        };
        Self::new(TITLE_MISSING_API_KEY, detail, Challenge::ApiKey)
    }

    pub fn invalid_api_key() -> Self {
        Self::new(TITLE_INVALID_API_KEY, DETAIL_INVALID_API_KEY, Challenge::ApiKey)
    }

    /// Both schemes configured, neither credential sent.
    pub fn missing_credentials(bearer_header: &str, key_header: &str, query: Option<&str>) -> Self {
        let detail = match query {
            Some(q) => format!(
                "Expected '{bearer_header}: Bearer <token>', '{key_header}' header or '{q}' query parameter with valid API key"
            ),
            None => format!("Expected '{bearer_header}: Bearer <token>' or '{key_header}' header with valid API key"),
        };
        Self::new(TITLE_MISSING_CREDENTIALS, detail, Challenge::Both)
    }

    pub fn status(&self) -> u16 {
        if self.challenge == Challenge::BearerInsufficient {
            403
        } else {
            401
        }
    }

    /// The error this refusal is (its problem body).
    pub fn to_error(&self) -> SpikardError {
        let (title, detail) = (self.title.to_owned(), self.detail.clone());
        if self.status() == 403 {
            SpikardError::Forbidden { title, detail }
        } else {
            SpikardError::Unauthorized { title, detail }
        }
    }

    /// The problem response, with `bearer` / `api_key` challenges rendered for this refusal.
    pub fn into_response(self, bearer_realm: &str, api_key_challenge: Option<&str>) -> Response<Body> {
        let mut response = error_response(&self.to_error());
        let headers = &mut response.headers;
        // This refusal's own challenges replace the plain `Bearer` of an `Unauthorized` error.
        headers.remove(header::WWW_AUTHENTICATE);
        let bearer = |error: Option<&str>| {
            let mut v = format!("Bearer realm=\"{bearer_realm}\"");
            if let Some(code) = error {
                v.push_str(&format!(
                    ", error=\"{code}\", error_description=\"{}\"",
                    description(&self.detail)
                ));
            }
            v
        };
        let mut challenges = Vec::with_capacity(2);
        match self.challenge {
            Challenge::BearerMissing => challenges.push(bearer(None)),
            Challenge::BearerInvalid => challenges.push(bearer(Some("invalid_token"))),
            Challenge::BearerInsufficient => challenges.push(bearer(Some("insufficient_scope"))),
            Challenge::ApiKey => challenges.extend(api_key_challenge.map(str::to_owned)),
            Challenge::Both => {
                challenges.push(bearer(None));
                challenges.extend(api_key_challenge.map(str::to_owned));
            }
        }
        for c in challenges {
            if let Ok(v) = HeaderValue::from_str(&c) {
                headers.append(header::WWW_AUTHENTICATE, v);
            }
        }
        response.into_http(false)
    }
}

/// An `error_description` value: RFC 6750 allows printable ASCII except `"` and `\`.
fn description(detail: &str) -> String {
    detail
        .chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            ' '..='~' => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_lists_read_naturally() {
        assert_eq!(
            AuthFailure::missing_claims(&["role"]).detail,
            "Required claim 'role' missing from JWT"
        );
        assert_eq!(
            AuthFailure::missing_claims(&["role", "permissions"]).detail,
            "Required claims 'role' and 'permissions' missing from JWT"
        );
        assert_eq!(
            AuthFailure::missing_claims(&["a", "b", "c"]).detail,
            "Required claims 'a', 'b' and 'c' missing from JWT"
        );
        assert_eq!(AuthFailure::missing_claims(&["a"]).status(), 403);
    }

    #[test]
    fn challenges_follow_rfc_6750() {
        let r = AuthFailure::invalid(DETAIL_EXPIRED).into_response("api", None);
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"Token has expired\""
        );
        let r = AuthFailure::missing_credentials("Authorization", "X-API-Key", None)
            .into_response("api", Some("ApiKey realm=\"api\", header=\"X-API-Key\""));
        let all: Vec<_> = r.headers().get_all(header::WWW_AUTHENTICATE).iter().collect();
        assert_eq!(
            all,
            ["Bearer realm=\"api\"", "ApiKey realm=\"api\", header=\"X-API-Key\""]
        );
        assert_eq!(description("a \"b\" \\ é"), "a 'b' ' ?");
    }
}
