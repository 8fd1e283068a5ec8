//! Fixtures with a `background` section: the handler answers as the fixture
//! expects and schedules a background task appending the request body's
//! `value_field` to a shared list; `GET state_path` returns `{state_key: [...]}`.
//! The after-check polls that route until it shows `expected_state` (bounded).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use spikard::{get, App, Ctx, TestClient};
use spikard_http::RouteSpec;

use super::{AfterCheck, Built};
use crate::fixture::Fixture;
use crate::play::{app_response, configures_middleware, route_builder};

/// How long the after-check waits for the background work to show.
const STATE_WAIT: Duration = Duration::from_secs(5);

/// A fixture's `background` section.
pub struct Section {
    pub state_path: String,
    pub state_key: String,
    pub value_field: String,
    pub expected_state: Value,
}

/// The fixture's `background` section (not for dependency-injection fixtures, whose
/// section describes their cleanup log).
pub fn section(f: &Fixture) -> Option<Result<Section, String>> {
    // Dependency-injection fixtures use the section for their cleanup log (see `di`).
    if super::di::has_dependencies(f) {
        return None;
    }
    let s = f.json.get("background")?;
    let field = |k: &str| {
        s.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("background.{k} is missing"))
    };
    Some((|| {
        Ok(Section {
            state_path: field("state_path")?,
            state_key: field("state_key")?,
            value_field: field("value_field")?,
            expected_state: s.get("expected_state").cloned().unwrap_or(Value::Array(Vec::new())),
        })
    })())
}

/// Build the route of a `background` fixture; other fixtures are passed on.
pub fn build(f: &Fixture, app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(section) = section(f) else {
        return Ok(Built::NotMine(spec));
    };
    let section = section?;
    let state: Arc<Mutex<Vec<Value>>> = Arc::default();
    let key = section.state_key.clone();
    let reader = Arc::clone(&state);
    app.route(get(&section.state_path).handler(move |_ctx: Ctx| {
        let snapshot = reader.lock().map(|s| s.clone()).unwrap_or_default();
        let mut body = Map::new();
        body.insert(key.clone(), Value::Array(snapshot));
        async move { Ok::<_, spikard::Error>(Value::Object(body)) }
    }))
    .map_err(|e| format!("state route: {e}"))?;
    let expected = f.expected().clone();
    let keep_headers = !configures_middleware(f);
    let field = section.value_field;
    let route = route_builder(f, spec).handler(move |ctx: Ctx| {
        let expected = expected.clone();
        let state = Arc::clone(&state);
        // Without a body schema or a JSON content type the core leaves the body undecoded.
        let value = ctx.body().get(&field).cloned().or_else(|| {
            serde_json::from_slice::<Value>(ctx.raw_body())
                .ok()
                .and_then(|b| b.get(&field).cloned())
        });
        async move {
            if let Some(value) = value {
                ctx.background()?.spawn(async move {
                    if let Ok(mut s) = state.lock() {
                        s.push(value);
                    }
                });
            }
            app_response(&expected, keep_headers)
        }
    });
    Ok(Built::Route(route))
}

/// Poll the state route until it shows the expected state, or report what it showed.
pub fn after_check(f: &Fixture) -> Option<AfterCheck> {
    let section = match section(f)? {
        Ok(s) => s,
        Err(e) => return Some(Box::new(move |_c: TestClient| Box::pin(async move { vec![e] }))),
    };
    let want = json!({ section.state_key.clone(): section.expected_state });
    Some(Box::new(move |client: TestClient| {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + STATE_WAIT;
            loop {
                let res = client.get(&section.state_path).send().await;
                let got = res.json();
                if res.status == 200 && got == want {
                    return Vec::new();
                }
                if tokio::time::Instant::now() >= deadline {
                    return vec![format!(
                        "background state at {}: {} (status {}), expected {want}",
                        section.state_path,
                        res.text(),
                        res.status
                    )];
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    }))
}
