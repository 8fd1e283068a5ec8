//! Authentication: JWT bearer tokens ([`JwtAuth`]) and API keys ([`ApiKeyAuth`]),
//! configured by `jwt_auth` / `api_key_auth` (server-wide or per route).
//!
//! Runs in the middleware chain, so before parameters and the body are read: a
//! refused request never reaches validation or the handler. A refusal is an RFC
//! 9457 problem (401, or 403 when a valid token lacks a route's `required_claims`)
//! with a `WWW-Authenticate` challenge (RFC 6750 for bearer tokens). Wrong
//! audience or issuer is 401 `invalid_token`: the token is not meant for this
//! server, which says nothing about the caller's permissions.
//!
//! On success the handler finds the claims in `RequestData.state["jwt_claims"]`
//! (binding-neutral JSON) and typed as [`JwtClaims`] in `extensions`, and
//! `state["auth_method"]` is `"jwt"` or `"api_key"`. With both schemes configured,
//! either credential suffices: a bearer token is verified when the request carries
//! one, else the API key. A CORS preflight is answered by the CORS layer, which runs
//! earlier in the chain; without one it is challenged like any request (it would
//! otherwise reach the handler of the route it asks about). Credential headers
//! are marked sensitive (their `Debug` output is redacted); no token or key is ever
//! logged or echoed in a problem.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::config::JwtConfig;
//! use spikard_http::middleware::auth::Authentication;
//! let jwt: JwtConfig = serde_json::from_value(json!({"secret": "s3cret", "issuer": "me"})).unwrap();
//! let auth = Authentication::compile(Some(&jwt), None).unwrap().expect("enabled");
//! assert_eq!(format!("{auth:?}"), r#"Authentication { jwt: Some("HS256"), api_key: false }"#);
//! ```
//!
//! Why hand-written: tower-http has no JWT validation or API-key rotation (its
//! `ValidateRequestHeaderLayer` checks a fixed bearer token, basic credentials or a closure
//! of your own) and no problem answers; see `docs/middleware.md`.

mod api_key;
mod failure;
mod jws;
mod jwt;

pub use api_key::{ApiKeyAuth, ApiKeyAuthenticated};
pub use failure::{AuthFailure, Challenge};
pub use jws::JwsVerifier;
pub use jwt::{JwtAuth, JwtClaims};

use axum::body::Body;
use http::{HeaderValue, Response};
use serde_json::Value;
use spikard_core::config::{ApiKeyConfig, JwtConfig};
use spikard_core::SpikardError;

use super::{Context, Middleware};
use crate::handler::RequestData;

/// Marks a request authenticated with a deprecated API key, for `on_response`.
#[derive(Debug, Clone, Copy)]
struct DeprecatedKeyUsed;

/// The authentication layer of one route (or of the server-wide chain).
pub struct Authentication {
    jwt: Option<JwtAuth>,
    api_key: Option<ApiKeyAuth>,
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authentication")
            .field("jwt", &self.jwt.as_ref().map(|j| j.algorithm_name()))
            .field("api_key", &self.api_key.is_some())
            .finish()
    }
}

impl Authentication {
    /// The layer for these settings; `None` when neither scheme is enabled.
    pub fn compile(jwt: Option<&JwtConfig>, api_key: Option<&ApiKeyConfig>) -> Result<Option<Self>, SpikardError> {
        let config_error = |e: String| SpikardError::InvalidRoute(e);
        let jwt = jwt
            .filter(|c| c.enabled)
            .map(JwtAuth::compile)
            .transpose()
            .map_err(config_error)?;
        let api_key = api_key
            .filter(|c| c.enabled)
            .map(ApiKeyAuth::compile)
            .transpose()
            .map_err(config_error)?;
        Ok((jwt.is_some() || api_key.is_some()).then_some(Self { jwt, api_key }))
    }

    fn refuse(&self, failure: AuthFailure, ctx: &Context) -> Box<Response<Body>> {
        tracing::debug!(
            route = ctx.route.as_deref().unwrap_or("-"),
            status = failure.status(),
            title = failure.title,
            detail = %failure.detail,
            "authentication refused"
        );
        let realm = self.jwt.as_ref().map_or("api", |j| j.realm.as_str());
        let challenge = self.api_key.as_ref().map(|k| k.challenge.as_str());
        Box::new(failure.into_response(realm, challenge))
    }

    fn accept_jwt(request: &mut RequestData, claims: serde_json::Map<String, Value>) {
        request
            .state
            .insert("jwt_claims".to_owned(), Value::Object(claims.clone()));
        request
            .state
            .insert("auth_method".to_owned(), Value::String("jwt".to_owned()));
        request.extensions.insert(JwtClaims(claims));
    }

    fn accept_api_key(request: &mut RequestData, ctx: &mut Context, deprecated: bool) {
        request
            .state
            .insert("auth_method".to_owned(), Value::String("api_key".to_owned()));
        request.extensions.insert(ApiKeyAuthenticated { deprecated });
        if deprecated {
            ctx.extensions.insert(DeprecatedKeyUsed);
        }
    }

    /// Redact the credential headers from any `Debug` output of the request.
    fn mark_sensitive(&self, request: &mut RequestData) {
        let names = [
            self.jwt.as_ref().map(|j| &j.header),
            self.api_key.as_ref().map(|k| &k.header),
        ];
        for name in names.into_iter().flatten() {
            if let http::header::Entry::Occupied(mut entry) = request.headers.entry(name) {
                for value in entry.iter_mut() {
                    value.set_sensitive(true);
                }
            }
        }
    }
}

impl Middleware for Authentication {
    fn name(&self) -> &'static str {
        "authentication"
    }

    fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        self.mark_sensitive(request);
        let use_jwt = match (&self.jwt, &self.api_key) {
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(jwt), Some(key)) => {
                if jwt.has_bearer(&request.headers) {
                    true
                } else if key.find(&request.headers, &request.raw_query).is_some() {
                    false
                } else if jwt.header_present(&request.headers) {
                    true
                } else {
                    let failure = AuthFailure::missing_credentials(
                        &jwt.header_display,
                        &key.header_display,
                        key.query.as_deref(),
                    );
                    return Err(self.refuse(failure, ctx));
                }
            }
            (None, None) => return Ok(()),
        };
        let outcome = match (use_jwt, &self.jwt, &self.api_key) {
            (true, Some(jwt), _) => jwt
                .authenticate(&request.headers)
                .map(|claims| Self::accept_jwt(request, claims)),
            (_, _, Some(key)) => key
                .authenticate(&request.headers, &request.raw_query)
                .map(|deprecated| Self::accept_api_key(request, ctx, deprecated)),
            _ => Ok(()),
        };
        outcome.map_err(|failure| self.refuse(failure, ctx))?;
        Ok(())
    }

    fn on_response(&self, ctx: &Context, response: &mut Response<Body>) {
        if let Some(key) = &self.api_key {
            if ctx.extensions.get::<DeprecatedKeyUsed>().is_some() {
                response
                    .headers_mut()
                    .insert(key.deprecation_header.clone(), HeaderValue::from_static("true"));
            }
        }
    }
}
