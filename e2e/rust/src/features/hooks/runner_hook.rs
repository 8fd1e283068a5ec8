//! The runner's hook object: one fixture hook of the vocabulary, implementing both
//! binding-neutral hook traits (it is registered in the phase the fixture names).
//! The vocabulary itself works on a [`HookSubject`], so the foreign-layer runner
//! (`crate::foreign_binding`) plays the same hooks through its request object.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use serde_json::{json, Map, Value};
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

/// What a request-phase hook sees of its request: the core's [`RequestData`] for the
/// Rust runner, the test binding's request object for the foreign-layer runner.
pub trait HookSubject {
    fn header(&self, name: &str) -> Option<&str>;
    fn state(&mut self) -> &mut Map<String, Value>;
    /// Add a header to the response the request gets.
    fn reply_header(&mut self, name: HeaderName, value: HeaderValue);
    /// Whether the dependency was resolved before the hook's phase.
    fn resolved(&self, dependency: &str) -> bool;
}

impl HookSubject for RequestData {
    fn header(&self, name: &str) -> Option<&str> {
        RequestData::header(self, name)
    }

    fn state(&mut self) -> &mut Map<String, Value> {
        &mut self.state
    }

    fn reply_header(&mut self, name: HeaderName, value: HeaderValue) {
        reply_header(self, name, value);
    }

    fn resolved(&self, dependency: &str) -> bool {
        di::check_resolved(self, &[dependency.to_owned()]).is_ok()
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

pub struct RunnerHook {
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

fn bearer(data: &dyn HookSubject) -> Option<String> {
    let value = data.header("authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
}

fn valid_token(token: &str) -> bool {
    let t = token.to_ascii_lowercase();
    !t.contains("invalid") && !t.contains("expired")
}

impl RunnerHook {
    /// The phase (index into the five phases, request phases first).
    pub fn phase(&self) -> usize {
        self.def.phase
    }

    /// The hook's name in the fixture.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// The dependencies the hook declares.
    pub fn needs(&self) -> &[String] {
        &self.def.deps
    }

    /// Whether a response-phase hook reads its request (timing, request id).
    pub fn reads_request(&self) -> bool {
        matches!(self.def.kind, Kind::ResponseTime | Kind::RequestId)
    }

    /// A request-phase call: `Ok(None)` goes on, `Ok(Some(response))` answers early.
    pub fn request_phase(&self, subject: &mut dyn HookSubject) -> Result<Option<HandlerResponse>, SpikardError> {
        let s = &self.scenario;
        if let Value::Array(run) = subject.state().entry("hooks_run").or_insert_with(|| json!([])) {
            run.push(Value::String(self.def.name.clone()));
        }
        if let Some(missing) = self.def.deps.iter().find(|d| !subject.resolved(d)) {
            return Err(SpikardError::Internal(format!(
                "dependency '{missing}' was not resolved"
            )));
        }
        match &self.def.kind {
            Kind::Fail { panic } => return Err(fail(&self.def.name, *panic)),
            Kind::RateLimit { max, window } => {
                let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
                if n > *max {
                    let mut r = s.early_answer(429, "Rate limit exceeded", "Too many requests, please try again later");
                    r.headers.insert(http::header::RETRY_AFTER, HeaderValue::from(*window));
                    return Ok(Some(r));
                }
                subject.state().insert("rate_limit_checked".into(), true.into());
            }
            Kind::Authenticate => match bearer(subject).filter(|t| valid_token(t)) {
                Some(token) => {
                    subject.state().insert("authenticated".into(), true.into());
                    subject.state().insert("token".into(), token.into());
                }
                None => {
                    return Ok(Some(s.early_answer(
                        401,
                        "Unauthorized",
                        "Invalid or expired authentication token",
                    )))
                }
            },
            Kind::Authorize { admin } => {
                let token = bearer(subject).filter(|t| valid_token(t));
                let allowed = match &token {
                    Some(t) => !admin || t.to_ascii_lowercase().contains("admin"),
                    None => false,
                };
                if !allowed {
                    return Ok(Some(s.early_answer(
                        403,
                        "Forbidden",
                        "Insufficient permissions for this endpoint",
                    )));
                }
                subject.state().insert("authorized".into(), true.into());
            }
            Kind::RequestId => {
                let id = uuid::Uuid::new_v4().to_string();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    subject.reply_header(HeaderName::from_static("x-request-id"), v);
                }
                subject.state().insert("request_id".into(), id.into());
            }
            Kind::StartTimer => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or_default();
                subject.state().insert("start_time".into(), now.into());
            }
            Kind::Log => {
                subject.state().insert("request_logged".into(), true.into());
            }
            _ => {}
        }
        if self.carrier {
            for (name, value) in &s.carried {
                subject.reply_header(name.clone(), value.clone());
            }
        }
        if self.answers {
            return Ok(Some(s.early_answer(500, "Error", "hook answered")));
        }
        Ok(None)
    }

    /// A response-phase call: the response, changed. `request` is what the hook knows of
    /// its request (needed when [`Self::reads_request`]).
    pub fn response_phase(
        &self,
        mut r: HandlerResponse,
        request: Option<&HookRequest>,
    ) -> Result<HandlerResponse, SpikardError> {
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
                let Some(q) = request else {
                    return Err(SpikardError::Internal(format!(
                        "hook {} needs its request",
                        self.def.name
                    )));
                };
                let ms = q.received.elapsed().as_secs_f64() * 1000.0;
                if let Ok(v) = HeaderValue::from_str(&format!("{ms:.3}ms")) {
                    r.headers.insert(s.time_header.clone(), v);
                }
            }
            Kind::RequestId => {
                let id = request
                    .and_then(|q| q.state.get("request_id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
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
    fn call(&self, mut request: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        let out = self
            .request_phase(&mut request)
            .map(|answer| answer.map_or(HookFlow::Continue(request), HookFlow::Respond));
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
        let out = self.response_phase(response, Some(request));
        Box::pin(async move { out })
    }
}
