//! Serving the generated documents and the docs pages: the OpenAPI document at
//! `openapi_json_path`, the AsyncAPI document at `asyncapi_json_path`, Swagger
//! UI at `swagger_ui_path` and Redoc at `redoc_path`, when
//! [`ServerConfig::openapi`] is set and enabled.
//!
//! Everything is generated once, when the pipeline is built, from the routes
//! registered until then, and served as ordinary routes (so compression and
//! the other server-wide middleware apply) with an `ETag`; a matching
//! `If-None-Match` gets `304`. The pages' scripts and styles are embedded in the
//! binary (`assets/docs/`, vendored from the npm packages `swagger-ui-dist` and
//! `redoc` by `tools/openapi-assets/vendor.sh`) and served next to the pages when
//! `offline_assets` is on; otherwise the pages load them from a CDN. The bundles
//! (3 MB) are embedded only with the crate's `docs-assets` feature (on for the
//! servers, off for the WebAssembly module): without it the pages always load them
//! from the CDN, as if `offline_assets` were off. The docs routes are public: the
//! server's JWT/API-key settings are switched off for them.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use spikard_http::{PipelineBuilder, ServerConfig, TestClient};
//! let config = ServerConfig { openapi: Some(Default::default()), ..Default::default() };
//! let client = TestClient::new(PipelineBuilder::new(config).build().unwrap());
//! let res = client.get("/openapi.json").send().await;
//! assert_eq!(res.status, 200);
//! assert_eq!(res.json()["openapi"], "3.1.0");
//! assert_eq!(client.get("/docs").send().await.header("content-type"), Some("text/html; charset=utf-8"));
//! # });
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use spikard_core::config::{OpenApiConfig, ServerConfig};
use spikard_core::openapi::{asyncapi_document, openapi_document, ChannelDoc, ChannelKind, RouteDoc};
use spikard_core::SpikardError;

use crate::handler::{BoxFuture, Handler, HandlerResult, RequestData};
use crate::middleware::pick;
use crate::pipeline::PipelineBuilder;
use crate::response::{HandlerResponse, ResponseBody};
use crate::route::{RouteKind, RouteSpec};

/// Version of the vendored `swagger-ui-dist` (also used for CDN URLs).
pub const SWAGGER_UI_VERSION: &str = "5.35.0";
/// Version of the vendored `redoc` (also used for CDN URLs).
pub const REDOC_VERSION: &str = "2.5.4";

#[cfg(feature = "docs-assets")]
static SWAGGER_UI_JS: &[u8] = include_bytes!("../assets/docs/swagger-ui-bundle.js");
#[cfg(feature = "docs-assets")]
static SWAGGER_UI_CSS: &[u8] = include_bytes!("../assets/docs/swagger-ui.css");
#[cfg(feature = "docs-assets")]
static REDOC_JS: &[u8] = include_bytes!("../assets/docs/redoc.standalone.js");

/// Whether the pages are served with their assets: `offline_assets`, when this build embeds them.
fn offline(config: &OpenApiConfig) -> bool {
    config.offline_assets && cfg!(feature = "docs-assets")
}

const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=utf-8";
#[cfg(feature = "docs-assets")]
const JS: &str = "text/javascript; charset=utf-8";
#[cfg(feature = "docs-assets")]
const CSS: &str = "text/css; charset=utf-8";
/// Documents and pages change with the app: always revalidate.
const REVALIDATE: &str = "no-cache";
/// Vendored assets change only with a new build.
#[cfg(feature = "docs-assets")]
const LONG_LIVED: &str = "public, max-age=86400";

/// A fixed body served with its content type, cache policy and strong `ETag`.
pub struct StaticAsset {
    body: Bytes,
    content_type: HeaderValue,
    cache_control: HeaderValue,
    etag: HeaderValue,
}

/// FNV-1a, 64 bits: a stable fingerprint of a fixed body for its `ETag`.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether `If-None-Match` names `etag` (weak comparison, `*` matches anything).
pub fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let want = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == want)
}

impl StaticAsset {
    pub fn new(body: impl Into<Bytes>, content_type: &'static str, cache_control: &'static str) -> Self {
        let body = body.into();
        let etag = format!("\"{:016x}-{:x}\"", fingerprint(&body), body.len());
        Self {
            content_type: HeaderValue::from_static(content_type),
            cache_control: HeaderValue::from_static(cache_control),
            etag: HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
            body,
        }
    }

    /// The response to a request with these headers: `304` when `If-None-Match` matches.
    pub fn respond(&self, request_headers: &HeaderMap) -> HandlerResponse {
        let etag = self.etag.to_str().unwrap_or_default();
        let mut response = if etag_matches(request_headers, etag) {
            HandlerResponse::new(StatusCode::NOT_MODIFIED, ResponseBody::Empty)
        } else {
            let mut r = HandlerResponse::new(StatusCode::OK, ResponseBody::Bytes(self.body.clone()));
            r.headers.insert(header::CONTENT_TYPE, self.content_type.clone());
            r
        };
        response.headers.insert(header::ETAG, self.etag.clone());
        response
            .headers
            .insert(header::CACHE_CONTROL, self.cache_control.clone());
        response
    }
}

impl Handler for StaticAsset {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let response = self.respond(&request.headers);
        Box::pin(async move { Ok(response) })
    }
}

/// What the document generator needs from a registered route (with the auth in force for it).
pub fn route_doc(spec: &RouteSpec, server: &ServerConfig) -> RouteDoc {
    RouteDoc {
        method: spec.method.clone(),
        path: spec.path.clone(),
        path_params: spec.parameters.path.clone(),
        query: spec.parameters.query.clone(),
        headers: spec.parameters.headers.clone(),
        cookies: spec.parameters.cookies.clone(),
        files: spec.parameters.files.clone(),
        body_schema: spec.body_schema.clone(),
        body_optional: spec.body_optional,
        content_type: spec.content_type.clone(),
        handler_name: spec.handler_name.clone(),
        doc: spec.doc.clone(),
        jwt_auth: pick(&server.jwt_auth, Some(&spec.middleware.jwt_auth))
            .filter(|c| c.enabled)
            .cloned(),
        api_key_auth: pick(&server.api_key_auth, Some(&spec.middleware.api_key_auth))
            .filter(|c| c.enabled)
            .cloned(),
        channel: channel_kind(spec),
        success_status: spec.status_code,
        rate_limit: pick(&server.rate_limit, Some(&spec.middleware.rate_limit)).is_some(),
        request_timeout: pick(&server.request_timeout, Some(&spec.middleware.request_timeout)).is_some(),
    }
}

/// The transport of a WebSocket or SSE route (`None`: plain HTTP).
pub fn channel_kind(spec: &RouteSpec) -> Option<ChannelKind> {
    match spec.kind {
        RouteKind::Http => None,
        RouteKind::Sse => Some(ChannelKind::Sse),
        RouteKind::WebSocket => Some(ChannelKind::WebSocket),
    }
}

/// The WebSocket and SSE routes among `specs`, for the AsyncAPI document: incoming
/// WebSocket messages follow `message_schema`, SSE event data and outgoing messages `event_schema`.
pub fn channel_docs(specs: &[RouteSpec]) -> Vec<ChannelDoc> {
    specs
        .iter()
        .filter(|s| s.doc.include_in_schema)
        .filter_map(|s| {
            let mut channel = ChannelDoc::new(channel_kind(s)?, &s.path);
            channel.summary = s.doc.summary.clone();
            channel.description = s.doc.description.clone();
            channel.tags = s.doc.tags.clone();
            channel.receive_schema = s.message_schema.clone();
            channel.send_schema = s.event_schema.clone();
            Some(channel)
        })
        .collect()
}

/// `<path>/<file>` without a doubled slash.
fn join(base: &str, file: &str) -> String {
    format!("{}/{file}", base.trim_end_matches('/'))
}

/// Text escaped for HTML content and attribute values.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A JavaScript string literal that cannot end the surrounding `<script>`.
fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned())
        .to_string()
        .replace('<', "\\u003c")
}

fn swagger_page(config: &OpenApiConfig, page_path: &str) -> String {
    let (js, css) = if offline(config) {
        (
            join(page_path, "swagger-ui-bundle.js"),
            join(page_path, "swagger-ui.css"),
        )
    } else {
        let cdn = format!("https://cdn.jsdelivr.net/npm/swagger-ui-dist@{SWAGGER_UI_VERSION}");
        (format!("{cdn}/swagger-ui-bundle.js"), format!("{cdn}/swagger-ui.css"))
    };
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{js}"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {url},
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
"##,
        title = escape_html(&config.title),
        css = escape_html(&css),
        js = escape_html(&js),
        url = js_string(&config.openapi_json_path),
    )
}

fn redoc_page(config: &OpenApiConfig, page_path: &str) -> String {
    let js = if offline(config) {
        join(page_path, "redoc.standalone.js")
    } else {
        format!("https://cdn.jsdelivr.net/npm/redoc@{REDOC_VERSION}/bundles/redoc.standalone.js")
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<redoc spec-url="{url}"></redoc>
<script src="{js}"></script>
</body>
</html>
"#,
        title = escape_html(&config.title),
        url = escape_html(&config.openapi_json_path),
        js = escape_html(&js),
    )
}

/// A docs route: public (the server's auth switched off for it) and left out of the documents.
fn docs_spec(path: &str, server: &ServerConfig) -> RouteSpec {
    let mut spec = RouteSpec::new("GET", path);
    spec.doc.include_in_schema = false;
    spec.handler_name = Some("docs".into());
    spec.middleware.jwt_auth = server.jwt_auth.clone().map(|mut c| {
        c.enabled = false;
        c
    });
    spec.middleware.api_key_auth = server.api_key_auth.clone().map(|mut c| {
        c.enabled = false;
        c
    });
    spec
}

/// Generate the documents from the routes registered so far and register the docs routes.
/// Called when the pipeline is built; does nothing unless `openapi` is set and enabled.
pub fn mount(builder: &mut PipelineBuilder) -> Result<(), SpikardError> {
    let server = builder.config().clone();
    let Some(config) = server.openapi.clone().filter(|c| c.enabled) else {
        return Ok(());
    };
    let specs = builder.route_specs();
    let routes: Vec<RouteDoc> = specs.iter().map(|s| route_doc(s, &server)).collect();
    let channels = channel_docs(specs);
    let to_json = |v: serde_json::Value| Bytes::from(v.to_string());

    let mut assets: Vec<(String, StaticAsset)> = vec![(
        config.openapi_json_path.clone(),
        StaticAsset::new(to_json(openapi_document(&config, &routes)), JSON, REVALIDATE),
    )];
    if let Some(path) = &config.asyncapi_json_path {
        let doc = asyncapi_document(&config, &channels);
        assets.push((path.clone(), StaticAsset::new(to_json(doc), JSON, REVALIDATE)));
    }
    if let Some(path) = &config.swagger_ui_path {
        assets.push((
            path.clone(),
            StaticAsset::new(swagger_page(&config, path), HTML, REVALIDATE),
        ));
        #[cfg(feature = "docs-assets")]
        if config.offline_assets {
            assets.push((
                join(path, "swagger-ui-bundle.js"),
                StaticAsset::new(Bytes::from_static(SWAGGER_UI_JS), JS, LONG_LIVED),
            ));
            assets.push((
                join(path, "swagger-ui.css"),
                StaticAsset::new(Bytes::from_static(SWAGGER_UI_CSS), CSS, LONG_LIVED),
            ));
        }
    }
    if let Some(path) = &config.redoc_path {
        assets.push((
            path.clone(),
            StaticAsset::new(redoc_page(&config, path), HTML, REVALIDATE),
        ));
        #[cfg(feature = "docs-assets")]
        if config.offline_assets {
            assets.push((
                join(path, "redoc.standalone.js"),
                StaticAsset::new(Bytes::from_static(REDOC_JS), JS, LONG_LIVED),
            ));
        }
    }
    for (path, asset) in assets {
        builder.route(docs_spec(&path, &server), Arc::new(asset))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_match_weakly_and_in_lists() {
        let asset = StaticAsset::new(Bytes::from_static(b"hello"), JSON, REVALIDATE);
        let etag = asset.etag.to_str().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        assert!(!etag_matches(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{etag}")).unwrap(),
        );
        assert!(etag_matches(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(etag_matches(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert!(!etag_matches(&headers, &etag));
        assert_eq!(asset.respond(&headers).status, StatusCode::OK);
    }

    #[test]
    fn pages_escape_the_title_and_point_at_their_assets() {
        let config = OpenApiConfig {
            title: "</script><b>".into(),
            ..Default::default()
        };
        let page = swagger_page(&config, "/docs/");
        assert!(page.contains("<title>&lt;/script&gt;&lt;b&gt; - Swagger UI</title>"));
        #[cfg(feature = "docs-assets")]
        assert!(page.contains(r#"<script src="/docs/swagger-ui-bundle.js"></script>"#));
        #[cfg(not(feature = "docs-assets"))]
        assert!(page.contains("https://cdn.jsdelivr.net/npm/swagger-ui-dist@"));
        assert!(page.contains(r#"url: "/openapi.json","#));
        let cdn = OpenApiConfig {
            offline_assets: false,
            ..Default::default()
        };
        assert!(redoc_page(&cdn, "/redoc").contains(&format!(
            "https://cdn.jsdelivr.net/npm/redoc@{REDOC_VERSION}/bundles/redoc.standalone.js"
        )));
        assert_eq!(js_string("</script>"), r#""\u003c/script>""#);
    }

    #[test]
    #[cfg(feature = "docs-assets")]
    fn vendored_assets_are_the_real_bundles() {
        assert!(SWAGGER_UI_JS.len() > 500_000 && REDOC_JS.len() > 500_000);
        assert!(std::str::from_utf8(SWAGGER_UI_JS).unwrap().contains("SwaggerUIBundle"));
        assert!(std::str::from_utf8(SWAGGER_UI_CSS).unwrap().contains(".swagger-ui"));
        assert!(std::str::from_utf8(REDOC_JS).unwrap().contains("redoc"));
    }
}
