//! Fixtures whose handler takes time: `handler.middleware.request_timeout.sleep_ms`
//! makes the handler sleep that long before answering as the fixture expects,
//! so the request deadline (`request_timeout.seconds`) is exercised for real;
//! `handler.middleware.rate_limit.warmup_requests` sends the fixture's request
//! that many times before the one that is compared (to use up a bucket).

use std::time::Duration;

use serde_json::Value;
use spikard::{App, Ctx, TestClient};
use spikard_http::RouteSpec;

use super::Built;
use crate::fixture::{build_request, Fixture};
use crate::play::{app_response, application_answers, route_builder};

/// How long the fixture's handler sleeps, if it asks to.
pub fn sleep_of(f: &Fixture) -> Option<Duration> {
    f.handler()
        .pointer("/middleware/request_timeout/sleep_ms")
        .and_then(Value::as_u64)
        .map(Duration::from_millis)
}

/// Build the route of a fixture with a sleeping handler; other fixtures are passed on.
pub fn build(f: &Fixture, _app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(sleep) = sleep_of(f) else {
        return Ok(Built::NotMine(spec));
    };
    let expected = f.expected().clone();
    let app_answers = application_answers(f);
    Ok(Built::Route(route_builder(f, spec).handler(move |_ctx: Ctx| {
        let expected = expected.clone();
        async move {
            tokio::time::sleep(sleep).await;
            if app_answers {
                app_response(&expected, false)
            } else {
                Ok(spikard::Response::new(spikard::StatusCode::OK).json(&serde_json::json!({"handler_called": true})))
            }
        }
    })))
}

/// Send the fixture's request `middleware.rate_limit.warmup_requests` times before the
/// compared one (`sleep_ms_between` apart), each expected to answer `warmup_expect_status`
/// when given; returns the differences.
pub async fn warmup(f: &Fixture, client: &TestClient) -> Vec<String> {
    let hint = |key: &str| {
        f.handler()
            .pointer(&format!("/middleware/rate_limit/{key}"))
            .and_then(Value::as_u64)
    };
    let count = hint("warmup_requests").unwrap_or(0).min(1000);
    let expect = hint("warmup_expect_status");
    let pause = Duration::from_millis(hint("sleep_ms_between").unwrap_or(0));
    let mut problems = Vec::new();
    for i in 0..count {
        let res = build_request(client, f.request()).send().await;
        if let Some(want) = expect.filter(|w| *w != u64::from(res.status)) {
            problems.push(format!(
                "warmup request {}: status {} != expected {want}",
                i + 1,
                res.status
            ));
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    problems
}
