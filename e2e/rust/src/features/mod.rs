//! Fixture features that need more than the default "answer as the fixture
//! expects" handler: lifecycle hooks and dependency injection named by the
//! fixture, file responses, streamed bodies, background work, and the SSE/WebSocket message
//! fixtures. Each module recognises its fixtures and builds their routes; the
//! default handler plays the rest.

pub mod background;
pub mod di;
pub mod files;
pub mod hooks;
pub mod openapi;
pub mod realtime;
pub mod streaming;
pub mod timing;

use futures_util::future::BoxFuture;
use spikard::{App, Route, TestClient};
use spikard_http::RouteSpec;

use crate::fixture::Fixture;
use crate::play::Outcome;

/// What a feature module makes of a fixture's route.
pub enum Built {
    /// Not this module's fixture: the next module (or the default handler) plays it.
    NotMine(RouteSpec),
    /// The route to register (the module may already have registered extra routes or hooks on the app).
    Route(Route),
}

/// A check run with the client after the fixture's request (e.g. background state).
pub type AfterCheck = Box<dyn FnOnce(TestClient) -> BoxFuture<'static, Vec<String>> + Send>;

/// Let each module claim the fixture's route in turn.
pub fn build_route(f: &Fixture, app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let mut spec = spec;
    for build in [
        hooks::build,
        di::build,
        files::build,
        streaming::build,
        background::build,
        timing::build,
    ] {
        match build(f, app, spec)? {
            Built::NotMine(s) => spec = s,
            built @ Built::Route(_) => return Ok(built),
        }
    }
    Ok(Built::NotMine(spec))
}

/// Checks to run after the fixture's request, if any module asks for them.
pub fn after_checks(f: &Fixture) -> Vec<AfterCheck> {
    background::after_check(f)
        .into_iter()
        .chain(di::after_check(f))
        .collect()
}

/// Fixtures played whole by their module: messages rather than a request (SSE and WebSocket
/// channels), or an app of several routes (OpenAPI documents).
pub fn play_without_request(f: &Fixture) -> Option<BoxFuture<'static, Outcome>> {
    realtime::play(f).or_else(|| openapi::play(f))
}
