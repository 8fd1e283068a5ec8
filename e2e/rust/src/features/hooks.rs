//! Fixtures with lifecycle hooks (`handler.middleware.lifecycle_hooks.<phase>`:
//! `[{name, handler, config?, order?, dependencies?}]`). Hooks are application
//! code, so the runner implements them from a small vocabulary keyed by words in
//! the hook's `handler` name (documented in `testing_data/README.md`), and
//! registers them through the binding-neutral hook traits, as a binding would.
//!
//! Every request hook appends its `name` to `state.hooks_run`; the handler
//! refuses (500) unless the request hooks ran exactly in the declared order
//! (phases in order, `order` then registration order within a phase), and unless
//! every dependency it declares was resolved. A hook declaring `dependencies`
//! fails (500) unless they were resolved before its phase.
//!
//! Guards (`rate_limit`, `auth`/`token`, `admin`/`role`/`permission`/`authoriz`)
//! decide by their own rules and, when they refuse, answer early with the
//! fixture's expected error response (or their own default when the fixture
//! expects success). When the fixture expects an application error that no guard
//! produces, the last hook outside the vocabulary answers it early; without one,
//! the handler does (raising, when an `on_error` formatter is there to format it).
//! Expected headers that no vocabulary hook produces are set by one "carrier"
//! hook: the first hook declaring dependencies, else the last response hook of
//! the expected response's phase, else the first request hook.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use serde_json::{json, Value};
use spikard::{App, Ctx, Error, Response, Route, RouteBuilder, StatusCode};
use spikard_http::hooks::{reply_header, HookFlow, HookRequest};
use spikard_http::{BoxFuture, HandlerResponse, RequestData, RequestHook, ResponseHook, RouteSpec, SpikardError};

use super::{di, Built};
use crate::fixture::Fixture;
use crate::play::{app_response, application_answers};

const PHASES: [&str; 5] = ["on_request", "pre_validation", "pre_handler", "on_response", "on_error"];
/// Headers the security-headers hook sets (with these defaults unless the fixture expects other values).
const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-xss-protection", "1; mode=block"),
    ("strict-transport-security", "max-age=31536000; includeSubDomains"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("content-security-policy", "default-src 'self'"),
];
const TIME_HEADER: &str = "x-response-time";

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    RateLimit {
        max: u64,
        window: u64,
    },
    Authenticate,
    Authorize {
        admin: bool,
    },
    RequestId,
    StartTimer,
    Log,
    Security,
    ResponseTime,
    ErrorFormat,
    /// `raise`/`throw`/`fail…` (returns an error) or `panic` (panics).
    Fail {
        panic: bool,
    },
    Other,
}

#[derive(Debug, Clone)]
struct HookDef {
    phase: usize,
    name: String,
    kind: Kind,
    deps: Vec<String>,
}

fn kind_of(handler: &str, phase: usize, config: &Value) -> Kind {
    let h = handler.to_ascii_lowercase();
    let request_phase = phase < 3;
    let has = |w: &str| h.contains(w);
    if has("panic") || has("raise") || has("throw") || h.starts_with("fail") {
        Kind::Fail { panic: has("panic") }
    } else if has("rate_limit") || has("ratelimit") {
        let num = |k: &str| config.get(k).and_then(Value::as_u64);
        Kind::RateLimit {
            max: num("max_requests").unwrap_or(u64::MAX),
            window: num("window_seconds").unwrap_or(60),
        }
    } else if has("request_id") {
        Kind::RequestId
    } else if has("security") {
        Kind::Security
    } else if has("error") && (has("format") || has("transform")) {
        Kind::ErrorFormat
    } else if has("response_time") || (!request_phase && (has("timing") || has("timer"))) {
        Kind::ResponseTime
    } else if request_phase && (has("start_time") || has("timer")) {
        Kind::StartTimer
    } else if has("admin") || has("role") || has("permission") || has("authoriz") {
        Kind::Authorize {
            admin: has("admin") || has("role"),
        }
    } else if has("auth") || has("token") {
        Kind::Authenticate
    } else if has("log") || has("audit") {
        Kind::Log
    } else {
        Kind::Other
    }
}

/// The fixture's hooks, phase by phase, each phase sorted by `order` (stable).
fn hook_defs(f: &Fixture) -> Option<Vec<HookDef>> {
    let config = f
        .handler()
        .get("middleware")
        .and_then(|m| m.get("lifecycle_hooks"))
        .or_else(|| f.json.get("lifecycle_hooks"))?;
    let mut defs = Vec::new();
    for (phase, key) in PHASES.iter().enumerate() {
        let mut entries: Vec<&Value> = config
            .get(*key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        entries.sort_by(|a, b| {
            let o = |v: &Value| v.get("order").and_then(Value::as_f64).unwrap_or(f64::MAX);
            o(a).total_cmp(&o(b))
        });
        for e in entries {
            let name = e.get("name").and_then(Value::as_str).unwrap_or("hook").to_owned();
            let handler = e.get("handler").and_then(Value::as_str).unwrap_or(&name).to_owned();
            let cfg = e.get("config").cloned().unwrap_or(Value::Null);
            let deps = e
                .get("dependencies")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default();
            defs.push(HookDef {
                phase,
                kind: kind_of(&handler, phase, &cfg),
                name,
                deps,
            });
        }
    }
    Some(defs)
}

/// A header value standing for a fixture placeholder.
fn concrete(want: &str) -> Option<String> {
    match want {
        "<<absent>>" => None,
        "<<uuid>>" | "<<present>>" | ".*" => Some(uuid::Uuid::new_v4().to_string()),
        w => Some(w.replace(".*", "0")),
    }
}

/// What every hook of one fixture shares.
struct Scenario {
    expected: Value,
    expected_status: u16,
    /// The application answers errors itself (lifecycle category, not a framework status).
    app_error: bool,
    /// Headers the carrier hook sets.
    carried: Vec<(HeaderName, HeaderValue)>,
    /// Expected values of security headers.
    security: Vec<(HeaderName, HeaderValue)>,
    time_header: HeaderName,
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

struct RunnerHook {
    def: HookDef,
    scenario: Arc<Scenario>,
    count: AtomicU64,
    carrier: bool,
    /// This hook answers the fixture's expected application error (fallback).
    answers: bool,
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

/// Expected headers no vocabulary hook (or configured middleware) produces.
fn unclaimed_headers(f: &Fixture, defs: &[HookDef]) -> Vec<(HeaderName, HeaderValue)> {
    let has = |k: &Kind| defs.iter().any(|d| &d.kind == k);
    let rate_limited = defs.iter().any(|d| matches!(d.kind, Kind::RateLimit { .. }));
    let middleware = f.handler().get("middleware");
    let mut out = Vec::new();
    for (name, want) in f
        .expected()
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let lower = name.to_ascii_lowercase();
        let claimed = lower == "content-type"
            || lower.starts_with("access-control-")
            || ["vary", "content-encoding", "content-length", "transfer-encoding"].contains(&lower.as_str())
            || (lower == "x-request-id"
                && (has(&Kind::RequestId) || middleware.and_then(|m| m.get("request_id")).is_some()))
            || (lower.contains("response-time") && has(&Kind::ResponseTime))
            || (SECURITY_HEADERS.iter().any(|(h, _)| *h == lower) && has(&Kind::Security))
            || (lower == "retry-after" && rate_limited);
        if claimed {
            continue;
        }
        let Some(value) = want.as_str().and_then(concrete) else {
            continue;
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(lower.as_bytes()), HeaderValue::from_str(&value)) {
            out.push((n, v));
        }
    }
    out
}

fn scenario(f: &Fixture, defs: &[HookDef]) -> Scenario {
    let expected = f.expected().clone();
    let expected_status = f.expected_status();
    let mut security = Vec::new();
    let mut time_header = HeaderName::from_static(TIME_HEADER);
    for (name, want) in expected.get("headers").and_then(Value::as_object).into_iter().flatten() {
        let lower = name.to_ascii_lowercase();
        let Some(want) = want.as_str() else { continue };
        if lower.contains("response-time") {
            if let Ok(n) = HeaderName::from_bytes(lower.as_bytes()) {
                time_header = n;
            }
        }
        if SECURITY_HEADERS.iter().any(|(h, _)| *h == lower) && !want.starts_with("<<") && !want.contains(".*") {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(lower.as_bytes()), HeaderValue::from_str(want)) {
                security.push((n, v));
            }
        }
    }
    Scenario {
        app_error: application_answers(f) && expected_status >= 400,
        carried: unclaimed_headers(f, defs),
        expected,
        expected_status,
        security,
        time_header,
    }
}

/// Build the route of a fixture with lifecycle hooks (its dependencies included).
pub fn build(f: &Fixture, app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(defs) = hook_defs(f) else {
        return Ok(Built::NotMine(spec));
    };
    let scenario = Arc::new(scenario(f, &defs));
    let formats_errors = defs.iter().any(|d| d.phase == 4 && d.kind == Kind::ErrorFormat);
    let expected_run: Vec<Value> = defs
        .iter()
        .filter(|d| d.phase < 3)
        .map(|d| Value::String(d.name.clone()))
        .collect();
    // The expected application error no guard produces: the last unknown request hook answers it.
    let guard = |k: &Kind| matches!(k, Kind::RateLimit { .. } | Kind::Authenticate | Kind::Authorize { .. });
    let answering = (scenario.app_error && !defs.iter().any(|d| d.phase < 3 && guard(&d.kind)))
        .then(|| defs.iter().rposition(|d| d.phase < 3 && d.kind == Kind::Other))
        .flatten();
    let response_phase = if scenario.expected_status >= 400 { 4 } else { 3 };
    let carrier = defs
        .iter()
        .position(|d| !d.deps.is_empty())
        .or_else(|| defs.iter().rposition(|d| d.phase == response_phase))
        .or_else(|| defs.iter().position(|d| d.phase < 3));

    let needs = di::handler_needs(f);
    let app_answers = application_answers(f);
    let s = scenario.clone();
    let mut route: Route = RouteBuilder::from_spec(spec).handler(move |ctx: Ctx| {
        let data = ctx.data();
        let checked = di::check_resolved(data, &needs).and_then(|()| {
            let run = data.state.get("hooks_run").cloned().unwrap_or(json!([]));
            if run == Value::Array(expected_run.clone()) {
                Ok(())
            } else {
                Err(Error::internal(format!(
                    "request hooks ran as {run}, expected {expected_run:?}"
                )))
            }
        });
        let s = s.clone();
        async move {
            checked?;
            if s.app_error && formats_errors {
                return Err(match s.expected_status {
                    500 => Error::internal("handler raised as the fixture asks"),
                    status => Error::http(
                        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                        "handler raised as the fixture asks",
                    ),
                });
            }
            if app_answers {
                app_response(&s.expected, false)
            } else {
                Ok(Response::new(StatusCode::OK).json(&json!({"handler_called": true})))
            }
        }
    });
    for (i, def) in defs.into_iter().enumerate() {
        let phase = def.phase;
        let hook = Arc::new(RunnerHook {
            def,
            scenario: scenario.clone(),
            count: AtomicU64::new(0),
            carrier: carrier == Some(i),
            answers: answering == Some(i),
        });
        let hooks = route.hooks_mut();
        match phase {
            0 => hooks.on_request.push(hook),
            1 => hooks.pre_validation.push(hook),
            2 => hooks.pre_handler.push(hook),
            3 => hooks.on_response.push(hook),
            _ => hooks.on_error.push(hook),
        }
    }
    if di::has_dependencies(f) {
        route = di::configure(f, app, route)?;
    }
    Ok(Built::Route(route))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary() {
        let none = Value::Null;
        assert_eq!(kind_of("validate_auth_token", 2, &none), Kind::Authenticate);
        assert_eq!(kind_of("check_admin_role", 2, &none), Kind::Authorize { admin: true });
        assert_eq!(
            kind_of("check_user_permissions", 2, &none),
            Kind::Authorize { admin: false }
        );
        assert_eq!(kind_of("record_start_time", 0, &none), Kind::StartTimer);
        assert_eq!(kind_of("add_response_time", 3, &none), Kind::ResponseTime);
        assert_eq!(kind_of("format_error_response", 4, &none), Kind::ErrorFormat);
        assert_eq!(kind_of("log_error", 4, &none), Kind::Log);
        assert_eq!(kind_of("append_first", 0, &none), Kind::Other);
        assert_eq!(kind_of("panic_in_hook", 0, &none), Kind::Fail { panic: true });
        assert_eq!(
            kind_of("check_rate_limit", 1, &json!({"max_requests": 0})),
            Kind::RateLimit { max: 0, window: 60 }
        );
    }
}
