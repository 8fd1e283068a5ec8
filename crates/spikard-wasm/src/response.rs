//! Requests from the host and responses back: a response's body is handed over whole when
//! its size is known, else read chunk by chunk (the package wraps it in a `ReadableStream`;
//! cancelling that drops the body, as a client that disconnects would).

use std::sync::Arc;

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use http_body::Body as _;
use http_body_util::BodyExt;
use js_sys::{Array, Promise, Uint8Array};
use spikard_core::SpikardError;
use spikard_http::testing::{header_list, TestStreamResponse};
use tokio::sync::Mutex;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// `[[name, value], ...]` from JavaScript.
pub fn read_pairs(headers: &Array) -> Result<Vec<(String, String)>, JsValue> {
    headers
        .iter()
        .map(|pair| {
            let pair: Array = pair.dyn_into()?;
            let name = pair.get(0).as_string().unwrap_or_default();
            let value = pair.get(1).as_string().unwrap_or_default();
            Ok((name, value))
        })
        .collect()
}

/// `[[name, value], ...]` for JavaScript.
pub fn pairs_array(pairs: &[(String, String)]) -> Array {
    pairs
        .iter()
        .map(|(k, v)| -> JsValue { Array::of2(&JsValue::from_str(k), &JsValue::from_str(v)).into() })
        .collect()
}

/// A header value as the host holds it: a WHATWG ByteString, each character one byte
/// (`None` when a character is beyond U+00FF, which a Headers object never holds).
fn byte_string(value: &str) -> Option<HeaderValue> {
    let bytes: Option<Vec<u8>> = value.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    HeaderValue::from_bytes(&bytes?).ok()
}

/// The request the host's `fetch` received, for the pipeline (`uri`: path and query); what
/// HTTP cannot carry is the client's error (answered with a 400 problem by the caller).
pub fn request(
    method: &str,
    uri: &str,
    headers: &[(String, String)],
    body: Option<Vec<u8>>,
) -> Result<http::Request<Body>, SpikardError> {
    let bad = |what: String| SpikardError::BadRequest(format!("the request is not valid HTTP: {what}"));
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad(format!("header name {name:?}")))?;
        let value = byte_string(value).ok_or_else(|| bad(format!("the value of header {name}")))?;
        builder = builder.header(name, value);
    }
    builder
        .body(body.map_or_else(Body::empty, Body::from))
        .map_err(|e| bad(e.to_string()))
}

/// A response for the host: status, headers, and the body whole or as a stream.
#[wasm_bindgen]
pub struct NativeResponse {
    status: u16,
    headers: Vec<(String, String)>,
    whole: Option<Bytes>,
    stream: Arc<Mutex<Option<Body>>>,
}

impl NativeResponse {
    /// A response whose body is read now when its size is known.
    pub async fn read(response: http::Response<Body>) -> Self {
        let (parts, body) = response.into_parts();
        let headers = header_list(&parts.headers);
        let status = parts.status.as_u16();
        if body.size_hint().exact().is_some() {
            let whole = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            return Self {
                status,
                headers,
                whole: Some(whole),
                stream: Arc::default(),
            };
        }
        Self {
            status,
            headers,
            whole: None,
            stream: Arc::new(Mutex::new(Some(body))),
        }
    }
}

#[wasm_bindgen]
impl NativeResponse {
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }

    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Array {
        pairs_array(&self.headers)
    }

    /// The whole body; `undefined` when it streams (read it with `next`).
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> Option<Uint8Array> {
        self.whole.as_deref().map(Uint8Array::from)
    }

    /// The next chunk of a streamed body; `null` at its end; rejects when it failed.
    pub fn next(&self) -> Promise {
        let stream = Arc::clone(&self.stream);
        future_to_promise(async move {
            let mut guard = stream.lock().await;
            let Some(body) = guard.as_mut() else {
                return Ok(JsValue::NULL);
            };
            loop {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                return Ok(Uint8Array::from(&data[..]).into());
                            }
                        }
                    }
                    Some(Err(e)) => {
                        guard.take();
                        return Err(js_sys::Error::new(&format!("the response stream failed: {e}")).into());
                    }
                    None => {
                        guard.take();
                        return Ok(JsValue::NULL);
                    }
                }
            }
        })
    }

    /// Drop a streamed body (the client went away).
    pub fn cancel(&self) {
        if let Ok(mut guard) = self.stream.try_lock() {
            guard.take();
        }
    }
}

/// A test client's streamed response, read as it arrives.
#[wasm_bindgen]
pub struct NativeStream {
    status: u16,
    headers: Vec<(String, String)>,
    body: Arc<Mutex<Option<TestStreamResponse>>>,
}

impl NativeStream {
    pub fn new(response: TestStreamResponse) -> Self {
        Self {
            status: response.status,
            headers: header_list(&response.headers),
            body: Arc::new(Mutex::new(Some(response))),
        }
    }
}

#[wasm_bindgen]
impl NativeStream {
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }

    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Array {
        pairs_array(&self.headers)
    }

    /// The next chunk; `null` at the end (or once closed); rejects when the stream failed.
    #[wasm_bindgen(js_name = nextChunk)]
    pub fn next_chunk(&self) -> Promise {
        let body = Arc::clone(&self.body);
        future_to_promise(async move {
            let mut body = body.lock().await;
            let Some(stream) = body.as_mut() else {
                return Ok(JsValue::NULL);
            };
            match stream.next_chunk().await {
                Some(Ok(bytes)) => Ok(Uint8Array::from(&bytes[..]).into()),
                Some(Err(e)) => Err(js_sys::Error::new(&e).into()),
                None => Ok(JsValue::NULL),
            }
        })
    }

    /// The next server-sent event block exactly as sent; `null` when the stream ended.
    #[wasm_bindgen(js_name = nextEvent)]
    pub fn next_event(&self) -> Promise {
        let body = Arc::clone(&self.body);
        future_to_promise(async move {
            let mut body = body.lock().await;
            let Some(stream) = body.as_mut() else {
                return Ok(JsValue::NULL);
            };
            Ok(stream
                .next_event_text()
                .await
                .map_or(JsValue::NULL, |t| JsValue::from_str(&t)))
        })
    }

    /// Drop the response as a client that disconnects would.
    pub fn close(&self) -> Promise {
        let body = Arc::clone(&self.body);
        future_to_promise(async move {
            body.lock().await.take();
            Ok(JsValue::UNDEFINED)
        })
    }
}
