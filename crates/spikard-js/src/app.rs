//! What the packages' `NativeApp` class does in every JavaScript host: the core's
//! [`ForeignApp`] fed one plain object per registration (`docs/bindings.md`), and the
//! settling side of the [`Dispatcher`]. A binding's class wraps a [`JsApp`] and adds what
//! its host has (a server, or a `fetch` entry point).

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use spikard_core::config::ServerConfig;
use spikard_core::SpikardError;
use spikard_http::foreign::described;
use spikard_http::foreign::{decl, FnGenerator, ForeignApp, Outcome, Returned, RouteDecl};
use spikard_http::Pipeline;

use crate::call::{JsBinding, JsFn, JsValue, ObjectRef, RUN_TASK};
use crate::convert::{from_init, from_thrown, outcome, Effects, ResponseInit};
use crate::dispatch::{Dispatcher, Waiting};

/// The default of every config struct, by struct name (the packages' drift test).
pub fn default_configs() -> Value {
    Value::Object(spikard_core::config::defaults())
}

/// A core error as JSON text `{"class", "code", "message"}`: the message of the error a
/// binding throws (the package throws the matching class).
pub fn described_error(err: &SpikardError) -> String {
    serde_json::json!({
        "class": err.class().name(),
        "code": err.code(),
        "message": err.to_string(),
    })
    .to_string()
}

/// A `ServerConfig` from a plain object (`null`: the defaults).
pub fn read_config(config: Value) -> Result<ServerConfig, SpikardError> {
    if config.is_null() {
        return Ok(ServerConfig::default());
    }
    serde_json::from_value(config).map_err(|e| decl::config_error("ServerConfig", e))
}

/// An app whose calls go through `dispatcher`.
pub struct JsApp {
    pub app: ForeignApp,
    pub dispatcher: Arc<Dispatcher>,
}

impl JsApp {
    pub fn new(config: Value, dispatcher: Arc<Dispatcher>) -> Result<Self, SpikardError> {
        Ok(Self {
            app: ForeignApp::new(read_config(config)?),
            dispatcher,
        })
    }

    pub fn configure(&mut self, config: Value) -> Result<(), SpikardError> {
        self.app.configure(read_config(config)?);
        Ok(())
    }

    pub fn config(&self) -> Result<Value, SpikardError> {
        serde_json::to_value(self.app.config()).map_err(|e| decl::config_error("config", e))
    }

    fn binding(&self) -> JsBinding {
        JsBinding(Arc::clone(&self.dispatcher))
    }

    /// Register a route declaration; `objects` are function indexes it refers to.
    pub fn add_route(&mut self, decl: Value, objects: &[ObjectRef]) -> Result<(), SpikardError> {
        let decl = RouteDecl::from_json(decl)?;
        let binding = self.binding();
        self.app.add_route(&binding, decl, objects)
    }

    /// Register an app-wide hook declaration.
    pub fn add_hook(&mut self, decl: Value, objects: &[ObjectRef]) -> Result<(), SpikardError> {
        let decl = decl::read("hook", decl)?;
        let binding = self.binding();
        self.app.add_hook(&binding, decl, objects)
    }

    /// Register an app-wide dependency declaration (a later one of the same name replaces it).
    pub fn provide(&mut self, name: &str, decl: Value, objects: &[ObjectRef]) -> Result<(), SpikardError> {
        let decl = decl::read(&format!("dependency {name}"), decl)?;
        let binding = self.binding();
        self.app.provide(&binding, name, decl, objects)
    }

    /// The pipeline of everything registered so far (built once, shared).
    pub fn pipeline(&self) -> Result<Pipeline, SpikardError> {
        self.app.pipeline()
    }

    /// Settle call `id` with a result given as JSON text (`JSON.stringify`).
    pub fn settle_json(&self, id: u32, json: String, effects: Option<&Effects>) {
        if let Some(w) = self.dispatcher.take(id) {
            self.start_tasks(&w, effects);
            let result = described::from_json(w.expect, Bytes::from(json)).and_then(|r| outcome(r, effects));
            w.settle.settle(result);
        }
    }

    /// Settle a streamed body's `next` call: the chunk, or nothing at the end.
    pub fn settle_chunk(&self, id: u32, chunk: Option<Bytes>) {
        if let Some(w) = self.dispatcher.take(id) {
            w.settle.settle(Ok(Outcome::new(described::chunk(chunk))));
        }
    }

    /// Settle an event stream's `next` call: the event as JSON text, or nothing at the end.
    pub fn settle_event(&self, id: u32, json: Option<&str>) {
        if let Some(w) = self.dispatcher.take(id) {
            w.settle
                .settle(described::event(json.map(str::as_bytes)).map(Outcome::new));
        }
    }

    /// Settle a dependency call `id` with the handle of its value (and, for a generator
    /// dependency, the handle of the generator to resume after the response).
    pub fn settle_dependency(&self, id: u32, handle: u32, json_type: Option<&str>, generator: Option<u32>) {
        if let Some(w) = self.dispatcher.take(id) {
            let value = JsValue::new(handle, Some(&self.dispatcher)).resolved(json_type);
            let returned = match generator {
                Some(g) => {
                    let generator = JsValue::new(g, Some(&self.dispatcher));
                    let cleanup = Arc::new(JsFn::resume(&self.dispatcher, generator, &w.name));
                    Returned::Generator(value, Box::new(FnGenerator(cleanup)))
                }
                None => Returned::Value(value),
            };
            w.settle.settle(Ok(Outcome::new(returned)));
        }
    }

    /// Settle call `id` with a response JavaScript built.
    pub fn settle_response(&self, id: u32, init: ResponseInit, effects: Option<&Effects>) {
        if let Some(w) = self.dispatcher.take(id) {
            self.start_tasks(&w, effects);
            // A stream's timers (SSE keep-alive) belong to the runtime the call came from.
            let _entered = w.runtime.as_ref().map(tokio::runtime::Handle::enter);
            let result = from_init(init, w.shown, &self.dispatcher).and_then(|r| outcome(r, effects));
            w.settle.settle(result);
        }
    }

    /// Settle call `id` with a thrown error, described as plain data.
    pub fn settle_error(&self, id: u32, described: &Value, exception: Option<u32>) {
        if let Some(w) = self.dispatcher.take(id) {
            let mut err = from_thrown(&w.name, described);
            if let Some(handle) = exception {
                err.exception = Some(Arc::new(JsValue::new(handle, Some(&self.dispatcher))));
            }
            w.settle.settle(Err(err));
        }
    }

    /// Start the background tasks a call added (`req.addTask`) on its request's runner.
    fn start_tasks(&self, w: &Waiting, effects: Option<&Effects>) {
        let tasks = effects.and_then(|e| e.tasks.as_deref()).unwrap_or_default();
        for &task in tasks {
            let value = JsValue::new(task, Some(&self.dispatcher));
            let run = Arc::new(JsFn::bound(&self.dispatcher, RUN_TASK, value, "background task"));
            described::spawn_task(w.background.as_ref(), w.runtime.as_ref(), run, &w.name);
        }
    }
}
