//! SSE and WebSocket fixtures: a channel, message examples and their schema, no request.

use futures_util::future::BoxFuture;

use crate::fixture::Fixture;
use crate::play::Outcome;

/// Play a message fixture, or `None` when the fixture is not one.
pub fn play(_f: &Fixture) -> Option<BoxFuture<'static, Outcome>> {
    None
}
