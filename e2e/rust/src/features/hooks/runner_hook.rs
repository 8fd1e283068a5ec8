//! The runner's hook object: one fixture hook of the vocabulary, implementing both
//! binding-neutral hook traits (it is registered in the phase the fixture names).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use serde_json::{json, Value};
use spikard::StatusCode;
use spikard_http::hooks::{reply_header, HookFlow, HookRequest};
use spikard_http::{BoxFuture, HandlerResponse, RequestData, RequestHook, ResponseHook, SpikardError};

use super::{HookDef, Kind, SECURITY_HEADERS};
use crate::features::di;
use crate::play::app_response;

/// A header value standing for a fixture placeholder.
pub(super) fn concrete(want: &str) -> Option<String> {
    match want {
        "<<absent>>" => None,
        "<<uuid>>" | "<<present>>" | ".*" => Some(uuid::Uuid::new_v4().to_string()),
        w => Some(w.replace(".*", "0")),
    }
}

/// What every hook of one fixture shares.
pub(super) struct Scenario {
    pub(super) expected: Value,
    pub(super) expected_status: u16,
    /// The application answers errors itself (lifecycle category, not a framework status).
    pub(super) app_error: bool,
    /// Headers the carrier hook sets.
    pub(super) carried: Vec<(HeaderName, HeaderValue)>,
    /// Expected values of security headers.
    pub(super) security: Vec<(HeaderName, HeaderValue)>,
    pub(super) time_header: HeaderName,
}

impl Scenario {
    fn early_answer(&self, own_status: u16, own_error: &str, own_message: &str) -> HandlerResponse {
        if self.app_error {
            if let Ok(r) = app_response(&self.expected, false).and_then(spikard::IntoResponse::into_response) {
                return r;
            }
        }
        let status = StatusCode::from_u16(own_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HandlerResponse::json(json!({"error": own_error, "message": own_message})).with_status(status)
    }
}

pub(super) struct RunnerHook {
    pub(super) def: HookDef,
    pub(super) scenario: Arc<Scenario>,
    pub(super) count: AtomicU64,
    pub(super) carrier: bool,
    /// This hook answers the fixture's expected application error (fallback).
    pub(super) answers: bool,
}

/// What a failing hook does: panic, or return an internal error.
fn fail(name: &str, panic: bool) -> SpikardError {
    if panic {
        panic!("hook {name} panicked as the fixture asks");
    }
    SpikardError::Internal(format!("hook {name} failed as the fixture asks"))
}

fn bearer(data: &RequestData) -> Option<String> {
    let value = data.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

fn valid_token(token: &str) -> bool {
    let t = token.to_ascii_lowercase();
    !t.contains("invalid") && !t.contains("expired")
}

impl RunnerHook {
    fn on_request(&self, mut data: RequestData) -> Result<HookFlow, SpikardError> {
        let s = &self.scenario;
        if let Value::Array(run) = data.state.entry("hooks_run").or_insert_with(|| json!([])) {
            run.push(Value::String(self.def.name.clone()));
        }
        di::check_resolved(&data, &self.def.deps).map_err(|e| e.0)?;
        match &self.def.kind {
            Kind::Fail { panic } => return Err(fail(&self.def.name, *panic)),
            Kind::RateLimit { max, window } => {
                let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
                if n > *max {
                    let mut r = s.early_answer(429, "Rate limit exceeded", "Too many requests, please try again later");
                    r.headers.insert(http::header::RETRY_AFTER, HeaderValue::from(*window));
                    return Ok(HookFlow::Respond(r));
                }
                data.state.insert("rate_limit_checked".into(), true.into());
            }
            Kind::Authenticate => match bearer(&data).filter(|t| valid_token(t)) {
                Some(token) => {
                    data.state.insert("authenticated".into(), true.into());
                    data.state.insert("token".into(), token.into());
                }
                None => {
                    return Ok(HookFlow::Respond(s.early_answer(
                        401,
                        "Unauthorized",
                        "Invalid or expired authentication token",
                    )))
                }
            },
            Kind::Authorize { admin } => {
                let token = bearer(&data).filter(|t| valid_token(t));
                let allowed = match &token {
                    Some(t) => !admin || t.to_ascii_lowercase().contains("admin"),
                    None => false,
                };
                if !allowed {
                    return Ok(HookFlow::Respond(s.early_answer(
                        403,
                        "Forbidden",
                        "Insufficient permissions for this endpoint",
                    )));
                }
                data.state.insert("authorized".into(), true.into());
            }
            Kind::RequestId => {
                let id = uuid::Uuid::new_v4().to_string();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    reply_header(&mut data, HeaderName::from_static("x-request-id"), v);
                }
                data.state.insert("request_id".into(), id.into());
            }
            Kind::StartTimer => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or_default();
                data.state.insert("start_time".into(), now.into());
            }
            Kind::Log => {
                data.state.insert("request_logged".into(), true.into());
            }
            _ => {}
        }
        if self.carrier {
            for (name, value) in &s.carried {
                reply_header(&mut data, name.clone(), value.clone());
            }
        }
        if self.answers {
            return Ok(HookFlow::Respond(s.early_answer(500, "Error", "hook answered")));
        }
        Ok(HookFlow::Continue(data))
    }

    fn on_response(&self, mut r: HandlerResponse, q: &HookRequest) -> Result<HandlerResponse, SpikardError> {
        let s = &self.scenario;
        match &self.def.kind {
            Kind::Fail { panic } => return Err(fail(&self.def.name, *panic)),
            Kind::Security => {
                for (name, value) in SECURITY_HEADERS {
                    r.headers
                        .insert(HeaderName::from_static(name), HeaderValue::from_static(value));
                }
                for (name, value) in &s.security {
                    r.headers.insert(name.clone(), value.clone());
                }
            }
            Kind::ResponseTime => {
                let ms = q.received.elapsed().as_secs_f64() * 1000.0;
                if let Ok(v) = HeaderValue::from_str(&format!("{ms:.3}ms")) {
                    r.headers.insert(s.time_header.clone(), v);
                }
            }
            Kind::RequestId => {
                let id = q.state.get("request_id").and_then(Value::as_str).map(str::to_owned);
                let id = id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                if let Ok(v) = HeaderValue::from_str(&id) {
                    r.headers.insert(HeaderName::from_static("x-request-id"), v);
                }
            }
            Kind::ErrorFormat if r.status.as_u16() >= 400 => {
                let mut formatted = if s.app_error && r.status.as_u16() == s.expected_status {
                    s.early_answer(r.status.as_u16(), "", "")
                } else {
                    let reason = r.status.canonical_reason().unwrap_or("Error");
                    HandlerResponse::json(json!({"error": reason, "message": "An unexpected error occurred"}))
                        .with_status(r.status)
                };
                for (name, value) in r.headers.iter() {
                    if name != http::header::CONTENT_TYPE && !formatted.headers.contains_key(name) {
                        formatted.headers.append(name.clone(), value.clone());
                    }
                }
                r = formatted;
            }
            _ => {}
        }
        if self.carrier {
            for (name, value) in &s.carried {
                r.headers.insert(name.clone(), value.clone());
            }
        }
        Ok(r)
    }
}

impl RequestHook for RunnerHook {
    fn call(&self, request: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        let out = self.on_request(request);
        Box::pin(async move { out })
    }

    fn dependencies(&self) -> &[String] {
        &self.def.deps
    }
}

impl ResponseHook for RunnerHook {
    fn call(
        &self,
        response: HandlerResponse,
        request: &HookRequest,
    ) -> BoxFuture<Result<HandlerResponse, SpikardError>> {
        let out = self.on_response(response, request);
        Box::pin(async move { out })
    }
}
