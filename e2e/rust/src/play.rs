//! Playing one fixture: build the app the fixture describes, send its request, compare.

use serde_json::{json, Value};
use spikard::{App, Cookie, Ctx, Error, Response, Route, RouteBuilder, ServerConfig, StatusCode};
use spikard_http::RouteSpec;

use crate::compare::compare;
use crate::features::{self, Built};
use crate::fixture::{build_request, route_path, Fixture};

/// Result of one fixture.
#[derive(Debug)]
pub enum Outcome {
    Passed,
    Failed(Vec<String>),
}

/// Statuses the framework answers even in `status_codes`/`lifecycle_hooks`.
const FRAMEWORK_STATUSES: [u16; 5] = [400, 405, 413, 422, 431];
/// Headers owned by middleware, never returned by the application.
pub const MIDDLEWARE_HEADERS: [&str; 5] = [
    "vary",
    "content-encoding",
    "content-length",
    "x-request-id",
    "transfer-encoding",
];

/// Whether the application (the handler) produces the expected response.
pub fn application_answers(f: &Fixture) -> bool {
    let status = f.expected_status();
    status < 400
        || (matches!(f.category.as_str(), "status_codes" | "lifecycle_hooks") && !FRAMEWORK_STATUSES.contains(&status))
}

/// Whether a body is an RFC 9457 problem object (`type`, `title` and `status`).
pub fn is_problem(v: &Value) -> bool {
    v.get("type").is_some() && v.get("title").is_some() && v.get("status").is_some()
}

/// Whether the fixture configures middleware, CORS or hooks (they own the response headers).
pub fn configures_middleware(f: &Fixture) -> bool {
    let h = f.handler();
    h.get("middleware").is_some() || h.get("cors").is_some() || f.json.get("lifecycle_hooks").is_some()
}

/// The route a fixture's handler describes (or its request's path and method).
pub fn route_spec(f: &Fixture) -> Result<RouteSpec, String> {
    let handler = f.handler();
    let mut spec: RouteSpec = if handler.get("route").is_some() {
        serde_json::from_value(handler.clone()).map_err(|e| format!("handler does not describe a route: {e}"))?
    } else {
        RouteSpec::default()
    };
    // A route is a path: a query string written into `handler.route` describes the request, not the route.
    if let Some(at) = spec.path.find('?') {
        spec.path.truncate(at);
    }
    if spec.path.is_empty() {
        let raw = route_path(f.request());
        spec.path = percent_decode(&raw);
    }
    if spec.method.is_empty() {
        spec.method = f.request()["method"].as_str().unwrap_or("GET").to_owned();
    }
    spec.method = spec.method.to_ascii_uppercase();
    Ok(spec)
}

fn percent_decode(s: &str) -> String {
    spikard_http::pipeline::decode_path(s).unwrap_or_else(|_| s.to_owned())
}

/// What the fixture's handler returns, when it says (`handler.returns`: a result its
/// response model checks), instead of the expected response.
pub fn returns(f: &Fixture) -> Option<&Value> {
    f.handler().get("returns")
}

/// The builder of the fixture's route: its spec, and the response model it declares
/// (`handler.response_model`, checked by [`RouteBuilder::response_model_schema`]).
pub fn route_builder(f: &Fixture, spec: RouteSpec) -> RouteBuilder {
    let builder = RouteBuilder::from_spec(spec);
    match f.handler().get("response_model") {
        Some(model) => builder.response_model_schema(model.clone()),
        None => builder,
    }
}

/// The fixture's route answering every request with `answer()` (a feature's fixed answer).
pub fn answering<F, R>(f: &Fixture, spec: RouteSpec, answer: F) -> spikard::Route
where
    F: Fn() -> R + Send + Sync + 'static,
    R: spikard::IntoResponse + Send + 'static,
{
    route_builder(f, spec).handler(move |_ctx: spikard::Ctx| {
        let response = answer();
        async move { response }
    })
}

/// The detail of the HTTP error the application raises when the expected body is the
/// problem the framework builds for one (`type`, `title`, `status`, `detail`, nothing else).
fn raised_http_error(status: StatusCode, body: &Value) -> Option<String> {
    let obj = body.as_object()?;
    let shape = obj.len() == 4 && ["type", "title", "status"].iter().all(|k| obj.contains_key(*k));
    let ours = obj
        .get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("https://spikard.dev/errors/"));
    let detail = obj.get("detail").and_then(Value::as_str)?;
    (status.as_u16() >= 400 && shape && ours).then(|| detail.to_owned())
}

/// The application's response as the fixture expects it (an expected problem is the
/// application's HTTP error, raised; an expected 500 `internal-server-error` a failure).
pub fn app_response(expected: &Value, keep_headers: bool) -> Result<Response, Error> {
    let status = StatusCode::from_u16(expected["status_code"].as_u64().unwrap_or(200) as u16).unwrap_or(StatusCode::OK);
    let body = expected.get("body").cloned().unwrap_or(Value::Null);
    if status == StatusCode::INTERNAL_SERVER_ERROR
        && body
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("/internal-server-error"))
    {
        return Err(Error::internal("handler raised as the fixture asks"));
    }
    if let Some(detail) = raised_http_error(status, &body) {
        return Err(Error::http(status, detail));
    }
    let mut response = Response::new(status);
    let mut content_type: Option<String> = None;
    if keep_headers {
        if let Some(Value::Object(headers)) = expected.get("headers") {
            for (k, v) in headers {
                let lower = k.to_ascii_lowercase();
                let Some(v) = v.as_str() else { continue };
                if lower.starts_with("access-control-")
                    || MIDDLEWARE_HEADERS.contains(&lower.as_str())
                    || v.starts_with("<<")
                    || v == ".*"
                {
                    continue;
                }
                if lower == "content-type" {
                    content_type = Some(v.to_owned());
                }
                response = response.header(k, v);
            }
        }
    }
    if let Some(Value::Object(cookies)) = expected.get("cookies") {
        for (name, spec) in cookies {
            response = response.cookie(cookie_from(name, spec));
        }
    }
    Ok(match body {
        Value::Null => response,
        Value::String(s) => {
            let ct = content_type.unwrap_or_else(|| "text/plain; charset=utf-8".into());
            response.bytes(s.into_bytes(), &ct)
        }
        other => response.json(&other),
    })
}

/// A response cookie from the fixture's `{value, max_age, path, domain, secure, httponly, samesite}`.
pub fn cookie_from(name: &str, spec: &Value) -> Cookie {
    let get_str = |k: &str| spec.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut c = Cookie::new(
        name,
        spec.as_str()
            .map(str::to_owned)
            .or_else(|| get_str("value"))
            .unwrap_or_default(),
    );
    c.max_age = spec.get("max_age").and_then(Value::as_i64);
    c.path = get_str("path");
    c.domain = get_str("domain");
    c.secure = spec.get("secure").and_then(Value::as_bool).unwrap_or(false);
    c.http_only = spec
        .get("httponly")
        .or_else(|| spec.get("http_only"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    c.same_site = get_str("samesite").or_else(|| get_str("same_site"));
    c
}

/// Server settings a fixture gives on its handler. `max_header_size` is checked before routing, so
/// it is a server setting here (one route per fixture). `max_uri_length` is not read: a 414 is the
/// application's answer in `status_codes` (README, "Who answers"), so the limit would contradict it.
pub fn server_config(f: &Fixture) -> ServerConfig {
    let mut config = ServerConfig::default();
    if let Some(n) = f.handler().get("max_header_size").and_then(Value::as_u64) {
        config.max_header_size = usize::try_from(n).unwrap_or(usize::MAX);
    }
    config
}

/// The default handler: answers as the fixture expects (or reports that it was called).
pub fn default_route(f: &Fixture, spec: RouteSpec) -> Route {
    let app_answers = application_answers(f);
    let expected = f.expected().clone();
    let keep_headers = !configures_middleware(f);
    let returns = returns(f).cloned();
    route_builder(f, spec).handler(move |_ctx: Ctx| {
        let expected = expected.clone();
        let returns = returns.clone();
        async move {
            if let Some(value) = returns {
                Ok(Response::new(StatusCode::OK).json(&value))
            } else if app_answers {
                app_response(&expected, keep_headers)
            } else {
                Ok(Response::new(StatusCode::OK).json(&json!({"handler_called": true})))
            }
        }
    })
}

/// Play one fixture through the public API and the test client.
pub async fn play_fixture(f: &Fixture) -> Outcome {
    if let Some(play) = features::play_without_request(f) {
        return play.await;
    }
    let spec = match route_spec(f) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(vec![e]),
    };
    let app_answers = application_answers(f);
    let mut app = App::with_config(server_config(f));
    let route = match features::build_route(f, &mut app, spec) {
        Ok(Built::Route(route)) => route,
        Ok(Built::NotMine(spec)) => default_route(f, spec),
        Err(e) => return Outcome::Failed(vec![e]),
    };
    if let Err(e) = app.route(route) {
        return Outcome::Failed(vec![format!("route registration failed: {e}")]);
    }
    let client = match app.try_test_client() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(vec![format!("app did not build: {e}")]),
    };
    let mut problems = features::timing::warmup(f, &client).await;
    let response = build_request(&client, f.request()).send().await;
    problems.extend(compare(f, &response, app_answers));
    for check in features::after_checks(f) {
        problems.extend(check(client.clone()).await);
    }
    if problems.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(problems)
    }
}
