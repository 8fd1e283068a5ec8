//! OpenAPI fixtures (`testing_data/openapi/`): an app of several routes, a request
//! for one of the documents or docs pages, and the expected response.
//!
//! The app is described under `handler.middleware.openapi`:
//! - `config`: the `OpenApiConfig` (omitted: defaults; `null`: no OpenAPI at all),
//! - `server`: other `ServerConfig` settings (e.g. `jwt_auth`, `api_key_auth`),
//! - `routes`: route specs as in `handler` (`route`/`path`, `method`, `parameters`,
//!   `body_schema`, `content_type`, `middleware`, and the documentation keys `tags`,
//!   `summary`, `description`, `operation_id`, `deprecated`, `include_in_schema`,
//!   `response_schema`, `responses`).
//!
//! The expected response pins the parts that matter exactly: `body_partial` compares
//! each named top-level member of the document (`paths`, `components`, ...) by JSON
//! equality; `body` the whole document or problem.

use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use spikard::{App, Ctx, Response, RouteBuilder, ServerConfig, StatusCode};
use spikard_http::RouteSpec;

use crate::compare::compare;
use crate::fixture::{build_request, Fixture};
use crate::play::{application_answers, Outcome};

/// Play an OpenAPI fixture, or `None` when the fixture is not one.
pub fn play(f: &Fixture) -> Option<BoxFuture<'static, Outcome>> {
    let section = f.handler().get("middleware")?.get("openapi")?.clone();
    let f = f.clone();
    Some(Box::pin(async move {
        match play_app(&f, &section).await {
            Ok(problems) if problems.is_empty() => Outcome::Passed,
            Ok(problems) => Outcome::Failed(problems),
            Err(e) => Outcome::Failed(vec![e]),
        }
    }))
}

/// The server config and the route specs a fixture's `handler.middleware.openapi` section describes.
pub fn app_parts(section: &Value) -> Result<(ServerConfig, Vec<RouteSpec>), String> {
    let mut server: ServerConfig = match section.get("server") {
        Some(s) => serde_json::from_value(s.clone()).map_err(|e| format!("openapi.server: {e}"))?,
        None => ServerConfig::default(),
    };
    server.openapi = match section.get("config") {
        None => Some(Default::default()),
        Some(Value::Null) => None,
        Some(c) => Some(serde_json::from_value(c.clone()).map_err(|e| format!("openapi.config: {e}"))?),
    };
    let routes = section
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut specs = Vec::with_capacity(routes.len());
    for (i, route) in routes.into_iter().enumerate() {
        let mut spec: RouteSpec = serde_json::from_value(route).map_err(|e| format!("openapi.routes[{i}]: {e}"))?;
        spec.method = spec.method.to_ascii_uppercase();
        specs.push(spec);
    }
    Ok((server, specs))
}

/// The app a fixture's `handler.middleware.openapi` section describes.
pub fn build_app(section: &Value) -> Result<App, String> {
    let (server, specs) = app_parts(section)?;
    let mut app = App::with_config(server);
    for (i, spec) in specs.into_iter().enumerate() {
        let handler = RouteBuilder::from_spec(spec)
            .handler(|_ctx: Ctx| async { Response::new(StatusCode::OK).json(&json!({"handler_called": true})) });
        app.route(handler)
            .map_err(|e| format!("openapi.routes[{i}] registration failed: {e}"))?;
    }
    Ok(app)
}

async fn play_app(f: &Fixture, section: &Value) -> Result<Vec<String>, String> {
    let client = build_app(section)?
        .try_test_client()
        .map_err(|e| format!("app did not build: {e}"))?;
    let response = build_request(&client, f.request()).send().await;
    Ok(compare(f, &response, application_answers(f)))
}
