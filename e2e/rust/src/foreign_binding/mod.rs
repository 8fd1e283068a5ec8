//! A test-only binding that plays the fixtures through the foreign-call layer
//! (`spikard_http::foreign`), so the layer is tested without any language.
//!
//! The binding ([`binding`]) implements `ForeignFn` and `Binding` over objects that
//! describe behaviours in data; [`register`] declares each fixture's route, hooks and
//! dependencies as JSON declarations (`RouteDecl`, `HookDecl`, `DependencyDecl`) with
//! an argument plan naming every parameter, the body and the files ([`args`]); the
//! fixture's request is sent with the in-memory test client and compared as the Rust
//! runner does. The handler's recorded arguments are then checked against the request,
//! and a handler cut off by the request deadline must have been cancelled. Streamed
//! bodies and SSE events come from the binding's iterators through `foreign::items`
//! (an open event stream's iterator must be closed when the client goes away), WebSocket
//! channels from its sessions through `ForeignWebSocket` ([`streams`]).
//!
//! Every fixture is played twice: [`Mode::Sync`] (functions answer at once, except the
//! fixture's async factories and handlers that wait) and [`Mode::Async`] (every function
//! completes later, from a tokio task).

pub mod args;
pub mod binding;
pub mod register;
pub mod streams;

use std::sync::Arc;
use std::time::Duration;

use crate::compare::compare;
use crate::features::{self, openapi, realtime, timing};
use crate::fixture::{build_request, Fixture};
use crate::play::{application_answers, Outcome};
use binding::Event;
use register::{register, register_specs, register_sse, register_websocket, HANDLER};
use streams::SESSION;

/// Categories not played through the foreign layer, with the reason (`(category, reason)`;
/// their fixtures are counted as skipped and each category is named once in the output).
/// Every category is played today.
pub const NOT_PLAYED: &[(&str, &str)] = &[];

/// How the binding's functions complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// At once, except what the fixture makes async (async factories, handlers that wait).
    Sync,
    /// Later, from a tokio task (the pending path; dropping the completion cancels).
    Async,
}

/// Why the fixture is not played through the foreign layer, if it is not: `(category, reason)`.
pub fn not_played(f: &Fixture) -> Option<(&'static str, &'static str)> {
    NOT_PLAYED.iter().find(|(c, _)| *c == f.category).copied()
}

/// How long an event that follows the response (a cancellation, a closed iterator or
/// session) may take to show in the journal.
const WAIT: Duration = Duration::from_secs(2);

fn outcome(problems: Vec<String>) -> Outcome {
    if problems.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(problems)
    }
}

/// Whether the handler must have produced the response: the application answers with a
/// success, and no hook, static file or CORS preflight answers for it.
fn handler_answers(f: &Fixture) -> bool {
    let h = f.handler();
    let middleware = h.get("middleware");
    let preflight = f.request()["method"].as_str() == Some("OPTIONS")
        && (h.get("cors").is_some() || middleware.and_then(|m| m.get("cors")).is_some());
    application_answers(f)
        && f.expected_status() < 400
        && !preflight
        && features::hooks::hook_plan(f).is_none()
        && middleware.and_then(|m| m.get("static_files")).is_none()
}

/// Play one fixture through the foreign layer in `mode`.
pub async fn play_fixture(f: &Fixture, mode: Mode) -> Outcome {
    if let Some(section) = f.handler().get("middleware").and_then(|m| m.get("openapi")) {
        let client = openapi::app_parts(section).and_then(|(config, specs)| register_specs(config, specs, mode));
        return match client {
            Ok(client) => {
                let response = build_request(&client, f.request()).send().await;
                outcome(compare(f, &response, application_answers(f)))
            }
            Err(e) => Outcome::Failed(vec![e]),
        };
    }
    if realtime::is_sse(f) {
        let channel = Arc::new(realtime::sse_channel(f));
        let (client, journal) = match register_sse(channel.clone(), mode) {
            Ok(registered) => registered,
            Err(e) => return Outcome::Failed(vec![e]),
        };
        let mut problems = realtime::check_sse(f, &channel, &client).await;
        // A stream kept open ends when the client lets go: its iterator must be closed.
        let items = format!("{HANDLER} (items)");
        if channel.keep_alive_ms.is_some() && journal.wait_for(&items, WAIT, |e| *e == Event::Closed).await.is_none() {
            problems.push("the open event stream's iterator was not closed when the client went away".into());
        }
        return outcome(problems);
    }
    if realtime::is_websocket(f) {
        let channel = realtime::ws_channel(f);
        let (client, journal) = match register_websocket(&channel, mode) {
            Ok(registered) => registered,
            Err(e) => return Outcome::Failed(vec![e]),
        };
        let mut problems = realtime::check_websocket(f, &channel, &client).await;
        let closed = |e: &Event| matches!(e, Event::SessionClosed(_));
        if problems.is_empty() && journal.wait_for(SESSION, WAIT, closed).await.is_none() {
            problems.push("the session was not told that its connection closed".into());
        }
        return outcome(problems);
    }
    let registered = match register(f, mode) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(vec![e]),
    };
    let client = registered.client;
    let journal = registered.binding.journal;
    let mut problems = timing::warmup(f, &client).await;
    let response = build_request(&client, f.request()).send().await;
    problems.extend(compare(f, &response, application_answers(f)));
    match journal.calls(HANDLER).last() {
        None if handler_answers(f) => problems.push("the handler was not called".into()),
        None => {}
        Some(args) => problems.extend(registered.wanted.check(args)),
    }
    let cancelled = |e: &Event| *e == Event::Cancelled;
    if timing::sleep_of(f).is_some()
        && !application_answers(f)
        && journal.wait_for(HANDLER, WAIT, cancelled).await.is_none()
    {
        problems.push("the handler cut off by the deadline was not cancelled".into());
    }
    for check in features::after_checks(f) {
        problems.extend(check(client.clone()).await);
    }
    outcome(problems)
}
