//! The whole request path through the in-memory client: limits, path decoding, routing,
//! CORS, request ids, authentication, parameter coercion and validation, body decoding,
//! the handler, compression and problem responses.
//!
//! The app is built once: every route the fixtures in `testing_data/` declare (their
//! parameter, header, cookie and body schemas and per-route middleware; the first of two
//! that conflict), plus the demo's item routes, each answered by a handler that echoes
//! what it received (an event stream for SSE routes). Each input is one request in the
//! format of `spikard_fuzz::parse_wire`. The response must come back within 10 s, never
//! be a 5xx, and a framework error (anything but the handler's 200) must be a problem.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Body;
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use spikard_http::sse::{SseEvent, SseStream};
use spikard_http::{
    BoxFuture, Handler, HandlerResponse, HandlerResult, Pipeline, PipelineBuilder, RequestData, ResponseBody,
    RouteKind, RouteSpec, ServerConfig, TestClient,
};

struct Echo {
    sse: bool,
}

impl Handler for Echo {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        let sse = self.sse;
        Box::pin(async move {
            if sse {
                let events = (0..3).map(|i| SseEvent::json(&json!({"n": i})).map_err(std::io::Error::other));
                let stream = SseStream::new(futures_util::stream::iter(events.collect::<Vec<_>>()));
                return Ok(HandlerResponse::new(http::StatusCode::OK, ResponseBody::Sse(stream)));
            }
            let files: Vec<Value> = r
                .files
                .iter()
                .map(|f| json!({"field": f.field_name, "filename": f.filename, "size": f.data.len()}))
                .collect();
            Ok(HandlerResponse::json(json!({
                "path": r.path_params,
                "query": r.query_params,
                "headers": r.header_params,
                "cookies": r.cookie_params,
                "body": r.body,
                "files": files,
                "raw_body": r.raw_body.len(),
            })))
        })
    }
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            fixture_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// The route specs of the fixtures (WebSocket routes and static directories left out).
fn fixture_routes() -> Vec<RouteSpec> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testing_data");
    let mut files = Vec::new();
    fixture_files(&dir, &mut files);
    files.sort();
    let mut specs = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(fixture) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some(handler) = fixture.get("handler").filter(|h| h.get("route").is_some()) else {
            continue;
        };
        let Ok(mut spec) = serde_json::from_value::<RouteSpec>(handler.clone()) else {
            continue;
        };
        // The documentation routes are the app's own (the config enables them).
        let docs = ["/openapi.json", "/asyncapi.json", "/docs", "/redoc"]
            .iter()
            .any(|p| spec.path.starts_with(p));
        if docs || spec.kind == RouteKind::WebSocket || !spec.middleware.static_files.is_empty() {
            continue;
        }
        if let Some(at) = spec.path.find('?') {
            spec.path.truncate(at);
        }
        spec.method = spec.method.to_ascii_uppercase();
        if spec.method.is_empty() {
            spec.method = "GET".into();
        }
        specs.push(spec);
    }
    specs
}

fn demo_routes() -> Vec<RouteSpec> {
    let routes = json!([
        {"method": "GET", "path": "/items", "parameters": {"query": {
            "limit": {"type": "integer", "minimum": 1, "maximum": 100, "optional": true},
            "tag": {"type": "string", "optional": true}}}},
        {"method": "GET", "path": "/items/{id:int}"},
        {"method": "DELETE", "path": "/items/{id:int}", "status_code": 204},
        {"method": "POST", "path": "/items", "status_code": 201, "body_schema": spikard_fuzz::schemas()[0]},
        {"method": "PUT", "path": "/orders/{order_id:uuid}", "body_schema": spikard_fuzz::schemas()[2],
         "parameters": {"headers": {"x-api-version": {"type": "integer", "minimum": 1}},
                        "cookies": {"session": {"type": "string", "optional": true}}}},
        {"method": "POST", "path": "/upload", "body_schema": spikard_fuzz::schemas()[4],
         "parameters": {"files": {"avatar": {"content_type": ["image/png", "text/plain"], "max_size": 4096}}}},
        {"method": "GET", "path": "/events", "kind": "sse"},
        {"method": "GET", "path": "/secure/{rest:path}",
         "middleware": {"jwt_auth": {"secret": "fuzz-secret-fuzz-secret-fuzz-secret"}}},
    ]);
    serde_json::from_value(routes).expect("the demo routes deserialize")
}

fn client() -> &'static (tokio::runtime::Runtime, TestClient, Pipeline) {
    static CLIENT: OnceLock<(tokio::runtime::Runtime, TestClient, Pipeline)> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let config: ServerConfig = serde_json::from_value(json!({
            "compression": {"gzip": true, "brotli": true, "min_size": 16},
            "cors": {"allowed_origins": ["https://example.com"], "allowed_methods": ["GET", "POST", "PUT"],
                     "allowed_headers": ["content-type", "x-api-version"], "allow_credentials": true},
            "openapi": {"title": "fuzz"},
        }))
        .expect("the server config deserializes");
        let pipeline = runtime.block_on(async {
            let mut builder = PipelineBuilder::new(config);
            let mut registered = 0;
            for spec in demo_routes().into_iter().chain(fixture_routes()) {
                let sse = spec.kind == RouteKind::Sse;
                if builder.route(spec, Arc::new(Echo { sse })).is_ok() {
                    registered += 1;
                }
            }
            assert!(registered > 100, "only {registered} routes registered");
            builder.build().expect("the app builds")
        });
        (runtime, TestClient::new(pipeline.clone()), pipeline)
    })
}

async fn send(
    client: &TestClient,
    pipeline: &Pipeline,
    wire: &spikard_fuzz::WireRequest<'_>,
    method: &Method,
    target: &str,
) -> (u16, http::HeaderMap, bytes::Bytes) {
    let textual = wire.headers.iter().all(|(k, v)| {
        std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok_and(|v| HeaderValue::from_str(v).is_ok())
    });
    if textual {
        let mut request = client.request(method.as_str(), target);
        for (k, v) in &wire.headers {
            request = request.header(
                std::str::from_utf8(k).unwrap_or_default(),
                std::str::from_utf8(v).unwrap_or_default(),
            );
        }
        let response = request.body(bytes::Bytes::copy_from_slice(wire.body)).send().await;
        return (response.status, response.headers, response.body);
    }
    // Header values of raw bytes (obs-text) the test client cannot spell: straight to the pipeline.
    let mut builder = Request::builder().method(method.clone()).uri(target);
    for (k, v) in &wire.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k), HeaderValue::from_bytes(v)) {
            builder = builder.header(n, v);
        }
    }
    let Ok(request) = builder.body(Body::from(wire.body.to_vec())) else {
        return (200, http::HeaderMap::new(), bytes::Bytes::new());
    };
    let (parts, body) = pipeline.handle(request).await.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    (parts.status.as_u16(), parts.headers, body)
}

fuzz_target!(|data: &[u8]| {
    let wire = spikard_fuzz::parse_wire(data);
    let Ok(method) = Method::from_bytes(wire.method) else {
        return;
    };
    let Ok(target) = std::str::from_utf8(wire.target) else {
        return;
    };
    if http::Uri::try_from(target).is_err() {
        // hyper refuses such a request line before the app sees it.
        return;
    }
    let (runtime, client, pipeline) = client();
    let result = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), send(client, pipeline, &wire, &method, target)).await
    });
    let Ok((status, headers, body)) = result else {
        panic!("no response within 10 s to {method} {target}");
    };
    assert!(
        status < 500,
        "{method} {target} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if status >= 400 && method != Method::HEAD {
        assert_eq!(
            content_type,
            Some("application/problem+json"),
            "{method} {target} answered {status} without a problem body: {}",
            String::from_utf8_lossy(&body)
        );
    }
});
