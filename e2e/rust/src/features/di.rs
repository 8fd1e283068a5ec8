//! Fixtures of the `di` feature (filled in with the feature itself).

use spikard::App;
use spikard_http::RouteSpec;

use super::Built;
use crate::fixture::Fixture;

/// Build the route of a `di` fixture; other fixtures are passed on.
pub fn build(_f: &Fixture, _app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    Ok(Built::NotMine(spec))
}
