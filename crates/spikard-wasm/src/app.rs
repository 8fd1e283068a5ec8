//! The `NativeApp` class the package's `Spikard` class wraps: registration and settling as
//! in every JavaScript host (`spikard_js::app::JsApp`), `handle` for the host's `fetch`,
//! and the in-memory test client (`request`, `stream`).

use js_sys::{Array, Function, Promise, Uint8Array};
use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::response::error_response;
use spikard_http::testing::{header_list, TestClient, TestRequest};
use spikard_http::Pipeline;
use spikard_js::app::JsApp;
use spikard_js::call::ObjectRef;
use spikard_js::convert::{Effects, ResponseInit};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::host::{dispatcher, from_json, js_error, log_panics, read, to_json};
use crate::response::{pairs_array, read_pairs, request, NativeResponse, NativeStream};

/// The default of every config struct, by struct name (the package's drift test).
#[wasm_bindgen(js_name = defaultConfigs)]
pub fn default_configs() -> JsValue {
    from_json(&spikard_js::app::default_configs())
}

#[wasm_bindgen]
pub struct NativeApp {
    js: JsApp,
}

fn objects(value: JsValue) -> Result<Vec<ObjectRef>, JsValue> {
    Ok(read(value, "objects")?.unwrap_or_default())
}

#[wasm_bindgen]
impl NativeApp {
    /// An app with `config` (a `ServerConfig`; missing keys take their defaults) whose calls
    /// are handed to `dispatch(calls)`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, dispatch: Function) -> Result<NativeApp, JsValue> {
        log_panics();
        let config = to_json(config, "config")?;
        let js = JsApp::new(config, dispatcher(dispatch)).map_err(|e| js_error(&e))?;
        Ok(Self { js })
    }

    pub fn configure(&mut self, config: JsValue) -> Result<(), JsValue> {
        self.js.configure(to_json(config, "config")?).map_err(|e| js_error(&e))
    }

    pub fn config(&self) -> Result<JsValue, JsValue> {
        self.js.config().map(|c| from_json(&c)).map_err(|e| js_error(&e))
    }

    /// Register a route declaration; `objects` are function indexes it refers to.
    #[wasm_bindgen(js_name = addRoute)]
    pub fn add_route(&mut self, decl: JsValue, objects_: JsValue) -> Result<(), JsValue> {
        let decl = to_json(decl, "route")?;
        self.js.add_route(decl, &objects(objects_)?).map_err(|e| js_error(&e))
    }

    /// Register an app-wide hook declaration.
    #[wasm_bindgen(js_name = addHook)]
    pub fn add_hook(&mut self, decl: JsValue, objects_: JsValue) -> Result<(), JsValue> {
        let decl = to_json(decl, "hook")?;
        self.js.add_hook(decl, &objects(objects_)?).map_err(|e| js_error(&e))
    }

    /// Register an app-wide dependency declaration.
    pub fn provide(&mut self, name: String, decl: JsValue, objects_: JsValue) -> Result<(), JsValue> {
        let decl = to_json(decl, "dependency")?;
        self.js
            .provide(&name, decl, &objects(objects_)?)
            .map_err(|e| js_error(&e))
    }

    /// WebSocket routes need Spikard's server: refused with a `ConfigError`.
    #[wasm_bindgen(js_name = addWebsocket)]
    pub fn add_websocket(&mut self, spec: JsValue, _handlers: JsValue) -> Result<(), JsValue> {
        let path = to_json(spec, "websocket route")?
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Err(js_error(&SpikardError::Config(format!(
            "websocket {path}: WebSocket routes need Spikard's server; in a worker, use the runtime's own \
             WebSocket API (Cloudflare's WebSocketPair, Deno.upgradeWebSocket, Bun's server.upgrade)"
        ))))
    }

    /// Wake the requests whose calls were settled since the last flush.
    pub fn flush(&self) {
        self.js.dispatcher.flush();
    }

    #[wasm_bindgen(js_name = settleJson)]
    pub fn settle_json(&self, id: u32, json: String, effects: JsValue) -> Result<(), JsValue> {
        let effects: Option<Effects> = read(effects, "effects")?;
        self.js.settle_json(id, json, effects.as_ref());
        Ok(())
    }

    #[wasm_bindgen(js_name = settleChunk)]
    pub fn settle_chunk(&self, id: u32, chunk: Option<Vec<u8>>) {
        self.js.settle_chunk(id, chunk.map(bytes::Bytes::from));
    }

    #[wasm_bindgen(js_name = settleEvent)]
    pub fn settle_event(&self, id: u32, json: Option<String>) {
        self.js.settle_event(id, json.as_deref());
    }

    #[wasm_bindgen(js_name = settleDependency)]
    pub fn settle_dependency(&self, id: u32, handle: u32, json_type: Option<String>, generator: Option<u32>) {
        self.js.settle_dependency(id, handle, json_type.as_deref(), generator);
    }

    #[wasm_bindgen(js_name = settleResponse)]
    pub fn settle_response(&self, id: u32, init: JsValue, effects: JsValue) -> Result<(), JsValue> {
        let init: ResponseInit = read(init, "response")?.unwrap_or_default();
        let effects: Option<Effects> = read(effects, "effects")?;
        self.js.settle_response(id, init, effects.as_ref());
        Ok(())
    }

    #[wasm_bindgen(js_name = settleError)]
    pub fn settle_error(&self, id: u32, described: JsValue, exception: Option<u32>) -> Result<(), JsValue> {
        let described = to_json(described, "error")?;
        self.js.settle_error(id, &described, exception);
        Ok(())
    }

    /// A request from the host's `fetch`, through the pipeline; resolves with the response
    /// as sent (its body whole, or to be read chunk by chunk).
    pub fn handle(
        &self,
        method: String,
        uri: String,
        headers: Array,
        body: Option<Uint8Array>,
    ) -> Result<Promise, JsValue> {
        let pipeline = self.pipeline()?;
        let request = request(&method, &uri, &read_pairs(&headers)?, body.map(|b| b.to_vec()));
        Ok(future_to_promise(async move {
            let response = match request {
                Ok(request) => pipeline.handle(request).await,
                Err(err) => error_response(&err).into_http(method == "HEAD"),
            };
            Ok(NativeResponse::read(response).await.into())
        }))
    }

    /// Background tasks started and not yet finished.
    #[wasm_bindgen(js_name = backgroundPending)]
    pub fn background_pending(&self) -> Result<usize, JsValue> {
        Ok(self.pipeline()?.background().pending())
    }

    /// Resolves once no background task is pending, or after the configured drain timeout:
    /// for a worker's `ctx.waitUntil`, so the host keeps the isolate until they finish.
    pub fn idle(&self) -> Result<Promise, JsValue> {
        let tasks = self.pipeline()?.background().clone();
        Ok(future_to_promise(async move {
            tasks.idle(tasks.drain_timeout()).await;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// One request through the pipeline in memory (the test client); the body decoded
    /// when it has a `gzip`/`br` content encoding.
    pub fn request(
        &self,
        method: String,
        uri: String,
        headers: Array,
        body: Option<Uint8Array>,
    ) -> Result<Promise, JsValue> {
        let mut request = self.test_request(&method, &uri, &headers)?;
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        Ok(future_to_promise(async move {
            let response = request.send().await;
            let out = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&out, &"status".into(), &JsValue::from(response.status));
            let _ = js_sys::Reflect::set(&out, &"headers".into(), &pairs_array(&header_list(&response.headers)));
            let _ = js_sys::Reflect::set(&out, &"body".into(), &Uint8Array::from(&response.body[..]));
            Ok(out.into())
        }))
    }

    /// A request through the pipeline in memory whose body is read as it arrives (the
    /// test client's streams and server-sent events).
    pub fn stream(&self, method: String, uri: String, headers: Array) -> Result<Promise, JsValue> {
        let request = self.test_request(&method, &uri, &headers)?;
        Ok(future_to_promise(async move {
            Ok(NativeStream::new(request.send_streaming().await).into())
        }))
    }
}

impl NativeApp {
    fn pipeline(&self) -> Result<Pipeline, JsValue> {
        self.js.pipeline().map_err(|e| js_error(&e))
    }

    fn test_request(&self, method: &str, uri: &str, headers: &Array) -> Result<TestRequest, JsValue> {
        let client = TestClient::new(self.pipeline()?);
        let pairs = read_pairs(headers)?;
        Ok(pairs
            .iter()
            .fold(client.request(method, uri), |r, (k, v)| r.header(k, v)))
    }
}
