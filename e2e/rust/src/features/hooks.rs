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

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use http::{HeaderName, HeaderValue};
use serde_json::{json, Value};
use spikard::{App, Ctx, Error, Response, Route, StatusCode};
use spikard_http::RouteSpec;

mod runner_hook;

use runner_hook::{concrete, Scenario};
pub use runner_hook::{HookSubject, RunnerHook};

use super::{di, Built};
use crate::fixture::Fixture;
use crate::play::{app_response, application_answers, route_builder};

/// The five hook phases, in the order they run.
pub const PHASES: [&str; 5] = ["on_request", "pre_validation", "pre_handler", "on_response", "on_error"];
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

/// A fixture's hooks as the runner implements them, and what its handler checks.
pub struct HookPlan {
    /// Every hook, phases in order ([`RunnerHook::phase`]).
    pub hooks: Vec<Arc<RunnerHook>>,
    /// The request hooks' names in the order they must have run (`state.hooks_run`).
    pub expected_run: Vec<Value>,
    /// The handler raises the expected application error (an `on_error` formatter formats it).
    pub handler_raises: bool,
    /// The expected status.
    pub expected_status: u16,
}

impl HookPlan {
    /// The handler's check of `state.hooks_run`.
    pub fn check_run(&self, run: Option<&Value>) -> Result<(), Error> {
        let run = run.cloned().unwrap_or(json!([]));
        if run == Value::Array(self.expected_run.clone()) {
            Ok(())
        } else {
            Err(Error::internal(format!(
                "request hooks ran as {run}, expected {:?}",
                self.expected_run
            )))
        }
    }

    /// The error the handler raises when [`Self::handler_raises`].
    pub fn raised(&self) -> Error {
        match self.expected_status {
            500 => Error::internal("handler raised as the fixture asks"),
            status => Error::http(
                StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                "handler raised as the fixture asks",
            ),
        }
    }
}

/// The fixture's hooks, or `None` when it has none.
pub fn hook_plan(f: &Fixture) -> Option<HookPlan> {
    let defs = hook_defs(f)?;
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
    let hooks = defs
        .into_iter()
        .enumerate()
        .map(|(i, def)| {
            Arc::new(RunnerHook {
                def,
                scenario: scenario.clone(),
                count: AtomicU64::new(0),
                carrier: carrier == Some(i),
                answers: answering == Some(i),
            })
        })
        .collect();
    Some(HookPlan {
        hooks,
        expected_run,
        handler_raises: scenario.app_error && formats_errors,
        expected_status: scenario.expected_status,
    })
}

/// Build the route of a fixture with lifecycle hooks (its dependencies included).
pub fn build(f: &Fixture, app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(plan) = hook_plan(f) else {
        return Ok(Built::NotMine(spec));
    };
    let plan = Arc::new(plan);
    let needs = di::handler_needs(f);
    let app_answers = application_answers(f);
    let expected = f.expected().clone();
    let p = plan.clone();
    let mut route: Route = route_builder(f, spec).handler(move |ctx: Ctx| {
        let data = ctx.data();
        let checked = di::check_resolved(data, &needs).and_then(|()| p.check_run(data.state.get("hooks_run")));
        let raised = p.handler_raises.then(|| p.raised());
        let expected = expected.clone();
        async move {
            checked?;
            if let Some(e) = raised {
                return Err(e);
            }
            if app_answers {
                app_response(&expected, false)
            } else {
                Ok(Response::new(StatusCode::OK).json(&json!({"handler_called": true})))
            }
        }
    });
    for hook in &plan.hooks {
        let hooks = route.hooks_mut();
        match hook.phase() {
            0 => hooks.on_request.push(hook.clone()),
            1 => hooks.pre_validation.push(hook.clone()),
            2 => hooks.pre_handler.push(hook.clone()),
            3 => hooks.on_response.push(hook.clone()),
            _ => hooks.on_error.push(hook.clone()),
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
