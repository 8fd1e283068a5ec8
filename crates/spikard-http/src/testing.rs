//! In-memory test client: no socket, the same pipeline as the server. Async here;
//! [`BlockingClient`] is the synchronous one the language bindings wrap.
//!
//! ```
//! # tokio_test_block(async {
//! use std::sync::Arc;
//! use spikard_http::{PipelineBuilder, RouteSpec, TestClient, HandlerResponse, Handler, RequestData, BoxFuture, HandlerResult};
//! struct Hello;
//! impl Handler for Hello {
//!     fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
//!         Box::pin(async { Ok(HandlerResponse::text("hi")) })
//!     }
//! }
//! let mut b = PipelineBuilder::new(Default::default());
//! b.route(RouteSpec::new("GET", "/"), Arc::new(Hello)).unwrap();
//! let client = TestClient::new(b.build().unwrap());
//! let res = client.get("/").send().await;
//! assert_eq!(res.status, 200);
//! assert_eq!(res.text(), "hi");
//! # });
//! # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use http_body_util::BodyExt;
use serde_json::Value;
use spikard_core::body::multipart::{encode_multipart, UploadedFile};

use crate::pipeline::Pipeline;
#[cfg(feature = "server")]
use crate::websocket::InMemoryUpgrade;

#[cfg(feature = "server")]
mod blocking;
mod stream;
#[cfg(feature = "server")]
mod websocket;

#[cfg(feature = "server")]
pub use blocking::{BlockingClient, BlockingStream, BlockingWebSocket, ClientError, Pairs, RequestBody};
pub use stream::{SseMessage, TestStreamResponse};
#[cfg(feature = "server")]
pub use websocket::{TestWebSocket, WsFrame};

/// Bytes the in-memory WebSocket pipe buffers in each direction.
#[cfg(feature = "server")]
const WS_PIPE_CAPACITY: usize = 64 * 1024;

/// Drives a [`Pipeline`] in memory.
#[derive(Clone)]
pub struct TestClient {
    pipeline: Pipeline,
}

/// A request being built.
pub struct TestRequest {
    pipeline: Pipeline,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

/// A response, fully read. Like an HTTP client, `body` is decoded when the
/// response has a `Content-Encoding` of `gzip` or `br`; `raw_body` is what was sent.
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub raw_body: Bytes,
}

impl TestResponse {
    /// A fully read response, its body decoded when it has a `gzip`/`br` `Content-Encoding`.
    fn read(parts: http::response::Parts, raw_body: Bytes) -> Self {
        let body = decode_content(&parts.headers, &raw_body).unwrap_or_else(|| raw_body.clone());
        Self {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            raw_body,
        }
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`Null` if empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as a `text/event-stream` (keep-alive comments are blocks without data).
    pub fn sse_events(&self) -> Vec<SseMessage> {
        SseMessage::parse_all(&self.text())
    }
}

impl TestClient {
    pub fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// Start a request; `uri` is a path with an optional query string.
    pub fn request(&self, method: &str, uri: &str) -> TestRequest {
        TestRequest {
            pipeline: self.pipeline.clone(),
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
            uri: uri.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn get(&self, uri: &str) -> TestRequest {
        self.request("GET", uri)
    }

    pub fn post(&self, uri: &str) -> TestRequest {
        self.request("POST", uri)
    }

    /// A WebSocket upgrade request (the handshake headers are added on `connect`).
    pub fn websocket(&self, uri: &str) -> TestRequest {
        self.request("GET", uri)
    }
}

impl TestRequest {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    /// A JSON body (sets `Content-Type: application/json` unless already set).
    pub fn json(mut self, value: &Value) -> Self {
        if !self.has_header("content-type") {
            self.headers.push(("content-type".into(), "application/json".into()));
        }
        self.body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        self
    }

    /// A raw body, sent as is.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A urlencoded form from pairs.
    pub fn form(mut self, pairs: &[(String, String)]) -> Self {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        if !self.has_header("content-type") {
            self.headers
                .push(("content-type".into(), "application/x-www-form-urlencoded".into()));
        }
        self.body = Bytes::from(encoded.join("&"));
        self
    }

    /// A multipart body of fields and files.
    pub fn multipart(mut self, fields: &[(String, String)], files: &[UploadedFile]) -> Self {
        let (content_type, body) = encode_multipart(fields, files);
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
        self.headers.push(("content-type".into(), content_type));
        self.body = Bytes::from(body);
        self
    }

    pub async fn send(self) -> TestResponse {
        let response = self.pipeline.handle(self.build_request()).await;
        let (parts, body) = response.into_parts();
        let raw_body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        TestResponse::read(parts, raw_body)
    }

    /// Send, and read the body as it comes (for streams and SSE that do not end).
    pub async fn send_streaming(self) -> TestStreamResponse {
        let response = self.pipeline.handle(self.build_request()).await;
        let (parts, body) = response.into_parts();
        TestStreamResponse::new(parts.status.as_u16(), parts.headers, body)
    }

    /// Open a WebSocket: the handshake goes through the pipeline; anything but `101`
    /// comes back as the error (the refusal response).
    #[cfg(feature = "server")]
    pub async fn connect(mut self) -> Result<TestWebSocket, TestResponse> {
        for (k, v) in [
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ] {
            if !self.has_header(k) {
                self.headers.push((k.into(), v.into()));
            }
        }
        let (client_side, server_side) = tokio::io::duplex(WS_PIPE_CAPACITY);
        let mut request = self.build_request();
        request.extensions_mut().insert(InMemoryUpgrade::new(server_side));
        let response = self.pipeline.handle(request).await;
        let (parts, body) = response.into_parts();
        if parts.status != http::StatusCode::SWITCHING_PROTOCOLS {
            let raw_body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            return Err(TestResponse::read(parts, raw_body));
        }
        Ok(TestWebSocket::new(client_side, parts.headers).await)
    }

    fn build_request(&self) -> Request<Body> {
        let mut builder = Request::builder().method(self.method.clone()).uri(self.uri.as_str());
        for (k, v) in &self.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                builder = builder.header(n, v);
            }
        }
        match builder.body(Body::from(self.body.clone())) {
            Ok(r) => r,
            Err(e) => panic!("invalid test request {}: {e}", self.uri),
        }
    }
}

/// Every header as `(lowercase name, value)`, in order.
pub fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Percent-encode a query or form component.
pub fn encode_component(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The decoded body of a `gzip`/`br` response (`None`: not encoded, or not decodable;
/// `br` is decoded only with the `brotli` feature).
fn decode_content(headers: &HeaderMap, raw: &[u8]) -> Option<Bytes> {
    use std::io::Read;
    let coding = headers.get(http::header::CONTENT_ENCODING)?.to_str().ok()?.trim();
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(raw).read_to_end(&mut out).ok()?,
        #[cfg(feature = "brotli")]
        "br" => brotli::Decompressor::new(raw, 4096).read_to_end(&mut out).ok()?,
        _ => return None,
    };
    Some(Bytes::from(out))
}
