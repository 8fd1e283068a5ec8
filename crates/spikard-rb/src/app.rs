//! `Spikard::Native::App`, which the package's `Spikard::App` wraps: the core's
//! [`ForeignApp`] fed one declaration per registration (`docs/bindings.md`), the calls
//! Ruby threads take and settle, and serving.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use magnus::value::{Lazy, ReprValue};
use magnus::{
    gc::Marker, Class, DataTypeFunctions, Error, IntoValue, RArray, RString, Ruby, TryConvert, TypedData,
    Value as RValue,
};
use serde_json::Value;
use spikard_core::config::ServerConfig;
use spikard_core::SpikardError;
use spikard_http::foreign::{decl, FnGenerator, ForeignApp, ForeignWebSocket, Outcome, Returned, RouteDecl};
use spikard_http::{Pipeline, RouteSpec, WsMessage};

use crate::call::{ObjectRef, RbBinding, RbFn, RbValue};
use crate::convert::{self, binary, to_ruby};
use crate::errors::{rb_error, server_error};
use crate::gvl::blocking;
use crate::pool::{lock, Dispatcher, Owned, Queued, Waiting, RUN_TASK};
use crate::request::{file_hash, NativeRequest};
use crate::websocket::{Connections, RbSessions};
use spikard_http::foreign::described;

/// Passed for an argument the request lacks: the function's own default applies.
pub static ABSENT: Lazy<RValue> = Lazy::new(|ruby| {
    let absent = ruby
        .class_object()
        .new_instance(())
        .unwrap_or_else(|_| ruby.qnil().as_value());
    absent.freeze();
    absent
});

#[derive(TypedData)]
#[magnus(class = "Spikard::Native::App", free_immediately, size, mark)]
pub struct NativeApp {
    app: Mutex<ForeignApp>,
    dispatcher: Arc<Dispatcher>,
    pub connections: Arc<Connections>,
}

impl DataTypeFunctions for NativeApp {
    fn mark(&self, marker: &Marker) {
        self.dispatcher.mark(marker);
    }
}

fn read_json(ruby: &Ruby, what: &str, text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| rb_error(ruby, &decl::config_error(what, e)))
}

fn read_config(ruby: &Ruby, text: &str) -> Result<ServerConfig, Error> {
    let value = read_json(ruby, "ServerConfig", text)?;
    if value.is_null() {
        return Ok(ServerConfig::default());
    }
    serde_json::from_value(value).map_err(|e| rb_error(ruby, &decl::config_error("ServerConfig", e)))
}

/// `[[id, json_type], ...]` as object references.
fn objects(objects: RArray) -> Result<Vec<ObjectRef>, Error> {
    objects
        .into_iter()
        .map(|o| {
            let (id, json_type) = <(u32, Option<String>)>::try_convert(o)?;
            Ok(ObjectRef { id, json_type })
        })
        .collect()
}

/// What a call did to the request object it was given (`req.state`, `req.reply_header`,
/// `req.add_task`).
#[derive(Default)]
struct Effects {
    /// The state as JSON text, when the call may have changed it.
    state: Option<Bytes>,
    headers: Vec<(String, String)>,
    /// Handles of background tasks to run.
    tasks: Vec<u32>,
}

fn outcome(returned: Returned, fx: Option<&Effects>) -> Result<Outcome, spikard_http::foreign::ForeignError> {
    let fx_state = fx.and_then(|f| f.state.as_deref());
    described::outcome(returned, fx_state, fx.map(|f| f.headers.as_slice()).unwrap_or_default())
}

/// The effects Ruby passes with a result: `nil` or `[state_json, header_pairs, task_handles]`.
fn effects(value: Option<RArray>) -> Result<Option<Effects>, Error> {
    let Some(array) = value else { return Ok(None) };
    let (state, headers, tasks) =
        <(Option<RString>, Option<Vec<(String, String)>>, Option<Vec<u32>>)>::try_convert(array.as_value())?;
    Ok(Some(Effects {
        // SAFETY: the bytes are copied before any Ruby code runs.
        state: state.map(|s| Bytes::copy_from_slice(unsafe { s.as_slice() })),
        headers: headers.unwrap_or_default(),
        tasks: tasks.unwrap_or_default(),
    }))
}

fn bytes_of(s: RString) -> Bytes {
    // SAFETY: the bytes are copied before any Ruby code runs.
    Bytes::copy_from_slice(unsafe { s.as_slice() })
}

impl NativeApp {
    /// An app with `config` (a `ServerConfig` as JSON text; missing keys take their defaults).
    pub fn new(ruby: &Ruby, config: String) -> Result<Self, Error> {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "spikard_http=info,warn".into()),
            )
            .try_init();
        Ok(Self {
            app: Mutex::new(ForeignApp::new(read_config(ruby, &config)?)),
            dispatcher: Dispatcher::new(),
            connections: Arc::default(),
        })
    }

    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    pub fn configure(ruby: &Ruby, rb_self: &Self, config: String) -> Result<(), Error> {
        let config = read_config(ruby, &config)?;
        lock(&rb_self.app).configure(config);
        Ok(())
    }

    /// The config as JSON text.
    pub fn config(ruby: &Ruby, rb_self: &Self) -> Result<String, Error> {
        serde_json::to_string(lock(&rb_self.app).config()).map_err(|e| rb_error(ruby, &decl::config_error("config", e)))
    }

    fn binding(&self) -> RbBinding {
        RbBinding(Arc::clone(&self.dispatcher))
    }

    /// Register a route declaration (JSON text); `objects` are `[id, json_type]` pairs.
    pub fn add_route(ruby: &Ruby, rb_self: &Self, decl: String, objs: RArray) -> Result<(), Error> {
        let decl = RouteDecl::from_json(read_json(ruby, "route", &decl)?).map_err(|e| rb_error(ruby, &e))?;
        let objs = objects(objs)?;
        lock(&rb_self.app)
            .add_route(&rb_self.binding(), decl, &objs)
            .map_err(|e| rb_error(ruby, &e))
    }

    /// Register an app-wide hook declaration.
    pub fn add_hook(ruby: &Ruby, rb_self: &Self, decl: String, objs: RArray) -> Result<(), Error> {
        let decl = decl::read("hook", read_json(ruby, "hook", &decl)?).map_err(|e| rb_error(ruby, &e))?;
        let objs = objects(objs)?;
        lock(&rb_self.app)
            .add_hook(&rb_self.binding(), decl, &objs)
            .map_err(|e| rb_error(ruby, &e))
    }

    /// Register an app-wide dependency declaration.
    pub fn provide(ruby: &Ruby, rb_self: &Self, name: String, decl: String, objs: RArray) -> Result<(), Error> {
        let what = format!("dependency {name}");
        let decl = decl::read(&what, read_json(ruby, &what, &decl)?).map_err(|e| rb_error(ruby, &e))?;
        let objs = objects(objs)?;
        lock(&rb_self.app)
            .provide(&rb_self.binding(), &name, decl, &objs)
            .map_err(|e| rb_error(ruby, &e))
    }

    /// Register a WebSocket route (`spec`: the core's RouteSpec as JSON text) with the
    /// indexes of its `open`, `message` and `close` functions.
    pub fn add_websocket(ruby: &Ruby, rb_self: &Self, spec: String, handlers: (u32, u32, u32)) -> Result<(), Error> {
        let spec: RouteSpec = decl::read("websocket route", read_json(ruby, "websocket route", &spec)?)
            .map_err(|e| rb_error(ruby, &e))?;
        let name = spec.handler_name.clone().unwrap_or_else(|| format!("WS {}", spec.path));
        let sessions = RbSessions {
            handlers: [handlers.0, handlers.1, handlers.2],
            name: name.into(),
            dispatcher: Arc::clone(&rb_self.dispatcher),
            connections: Arc::clone(&rb_self.connections),
        };
        lock(&rb_self.app)
            .add_websocket(spec, Arc::new(ForeignWebSocket::new(sessions)))
            .map_err(|e| rb_error(ruby, &e))
    }

    /// Hold a Ruby value for the core; its handle.
    pub fn hold(&self, value: RValue) -> u32 {
        self.dispatcher.hold(value)
    }

    /// The value behind a handle (`nil` once released).
    pub fn held(ruby: &Ruby, rb_self: &Self, handle: u32) -> RValue {
        rb_self
            .dispatcher
            .value(ruby, handle)
            .unwrap_or_else(|| ruby.qnil().as_value())
    }

    /// Wait (the GVL released) for calls and take this thread's share, at most `max`:
    /// `[[id, func, args], ...]`; `nil` once the app stopped its threads.
    pub fn take_calls(ruby: &Ruby, rb_self: &Self, max: usize) -> Result<RValue, Error> {
        let Some(calls) = rb_self.dispatcher.take(max) else {
            return Ok(ruby.qnil().as_value());
        };
        let out = ruby.ary_new_capa(calls.len());
        for Queued { id, func, args } in calls {
            let values = ruby.ary_new_capa(args.len());
            for arg in args {
                values.push(rb_self.arg(ruby, arg))?;
            }
            out.push((id, func, values))?;
        }
        Ok(out.as_value())
    }

    fn arg(&self, ruby: &Ruby, arg: Owned) -> RValue {
        match arg {
            Owned::Absent => ruby.get_inner(&ABSENT),
            Owned::Json(v) | Owned::Shown(v) => to_ruby(ruby, &v),
            Owned::Request(data) => NativeRequest::new(data).into_value_with(ruby),
            Owned::Handle(h) => self.dispatcher.value(ruby, h).unwrap_or_else(|| ruby.qnil().as_value()),
            Owned::File(file) => file_hash(ruby, &file).as_value(),
            Owned::Files(files) => {
                let out = ruby.ary_new_capa(files.len());
                for file in &files {
                    let _ = out.push(file_hash(ruby, file));
                }
                out.as_value()
            }
            Owned::Message(WsMessage::Text(t)) => ruby.str_new(&t).as_value(),
            Owned::Message(WsMessage::Json(v)) => to_ruby(ruby, &v),
            Owned::Message(WsMessage::Binary(b)) => binary(ruby, &b).as_value(),
        }
    }

    /// Stop handing out calls: the threads waiting return `nil`, calls made meanwhile fail.
    pub fn stop_threads(&self) {
        self.dispatcher.close();
    }

    /// Hand out calls again (threads are being started).
    pub fn open_threads(&self) {
        self.dispatcher.open();
    }

    /// Settle call `id` with a result given as JSON text (`JSON.generate`).
    pub fn settle_json(&self, id: u32, json: RString, fx: Option<RArray>) -> Result<(), Error> {
        let fx = effects(fx)?;
        if let Some(w) = self.dispatcher.take_waiting(id) {
            self.start_tasks(&w, fx.as_ref());
            let result = described::from_json(w.expect, bytes_of(json)).and_then(|r| outcome(r, fx.as_ref()));
            w.settle.settle(result);
        }
        Ok(())
    }

    /// Settle call `id` with a JSON value written natively ([`crate::json`]); `false` (and
    /// nothing settled) when the value holds other objects: the package then uses
    /// `JSON.generate`.
    pub fn settle_value(
        ruby: &Ruby,
        rb_self: &Self,
        id: u32,
        value: RValue,
        fx: Option<RArray>,
    ) -> Result<bool, Error> {
        let Some(json) = crate::json::to_json(ruby, value) else {
            return Ok(false);
        };
        let fx = effects(fx)?;
        if let Some(w) = rb_self.dispatcher.take_waiting(id) {
            rb_self.start_tasks(&w, fx.as_ref());
            let result = described::from_json(w.expect, Bytes::from(json)).and_then(|r| outcome(r, fx.as_ref()));
            w.settle.settle(result);
        }
        Ok(true)
    }

    /// Settle call `id` with a response Ruby built: status, header pairs, the body's kind,
    /// the body (JSON text, text or bytes), the enumerator's handle of a stream, the
    /// keep-alive of an event stream.
    #[allow(clippy::too_many_arguments)]
    pub fn settle_response(
        &self,
        id: u32,
        status: i64,
        headers: Vec<(String, String)>,
        kind: String,
        body: Option<RString>,
        stream: Option<u32>,
        keep_alive: Option<f64>,
        fx: Option<RArray>,
    ) -> Result<(), Error> {
        let fx = effects(fx)?;
        let body = body.map(bytes_of);
        if let Some(w) = self.dispatcher.take_waiting(id) {
            self.start_tasks(&w, fx.as_ref());
            // A stream's timers (SSE keep-alive) belong to the runtime the call came from.
            let _entered = w.runtime.as_ref().map(tokio::runtime::Handle::enter);
            let result = convert::body(&kind, body, stream, keep_alive, &self.dispatcher)
                .and_then(|b| described::response(status, &headers, b, w.shown))
                .and_then(|r| outcome(r, fx.as_ref()));
            w.settle.settle(result);
        } else if let Some(h) = stream {
            self.dispatcher.release(h);
        }
        Ok(())
    }

    /// Settle a streamed body's `next` call: the chunk, or `nil` at the end.
    pub fn settle_chunk(&self, id: u32, chunk: Option<RString>) {
        if let Some(w) = self.dispatcher.take_waiting(id) {
            w.settle.settle(Ok(Outcome::new(described::chunk(chunk.map(bytes_of)))));
        }
    }

    /// Settle an event stream's `next` call: the event as JSON text, or `nil` at the end.
    pub fn settle_event(&self, id: u32, json: Option<RString>) {
        if let Some(w) = self.dispatcher.take_waiting(id) {
            w.settle
                .settle(described::event(json.map(bytes_of).as_deref()).map(Outcome::new));
        }
    }

    /// Settle a dependency call with the handle of its value (and, for a generator
    /// dependency, the handle of what resumes it after the response).
    pub fn settle_dependency(&self, id: u32, handle: u32, json_type: Option<String>, generator: Option<u32>) {
        let Some(w) = self.dispatcher.take_waiting(id) else {
            self.dispatcher.release(handle);
            if let Some(g) = generator {
                self.dispatcher.release(g);
            }
            return;
        };
        let value = RbValue::new(handle, Some(&self.dispatcher)).resolved(json_type.as_deref());
        let returned = match generator {
            Some(g) => {
                let generator = RbValue::new(g, Some(&self.dispatcher));
                let cleanup = Arc::new(RbFn::resume(&self.dispatcher, generator, &w.name));
                Returned::Generator(value, Box::new(FnGenerator(cleanup)))
            }
            None => Returned::Value(value),
        };
        w.settle.settle(Ok(Outcome::new(returned)));
    }

    /// Settle call `id` with a raised exception, described as JSON text; `exception` is
    /// the exception's handle (kept for generator dependencies to see).
    pub fn settle_error(
        ruby: &Ruby,
        rb_self: &Self,
        id: u32,
        described: String,
        exception: Option<u32>,
    ) -> Result<(), Error> {
        let described = read_json(ruby, "exception", &described)?;
        match rb_self.dispatcher.take_waiting(id) {
            Some(w) => {
                let mut err = described::from_raised(&w.name, &described);
                if let Some(handle) = exception {
                    err.exception = Some(Arc::new(RbValue::new(handle, Some(&rb_self.dispatcher))));
                }
                w.settle.settle(Err(err));
            }
            None => {
                if let Some(h) = exception {
                    rb_self.dispatcher.release(h);
                }
            }
        }
        Ok(())
    }

    /// Start the background tasks a call added (`req.add_task`) on its request's runner.
    fn start_tasks(&self, w: &Waiting, fx: Option<&Effects>) {
        for &task in fx.map(|f| f.tasks.as_slice()).unwrap_or_default() {
            let value = RbValue::new(task, Some(&self.dispatcher));
            let run = Arc::new(RbFn::bound(&self.dispatcher, RUN_TASK, value, "background task"));
            described::spawn_task(w.background.as_ref(), w.runtime.as_ref(), run, &w.name);
        }
    }

    pub fn pipeline(&self, ruby: &Ruby) -> Result<Pipeline, Error> {
        lock(&self.app).pipeline().map_err(|e| rb_error(ruby, &e))
    }

    /// Serve with `workers` processes until SIGINT/SIGTERM, the GVL released (the Ruby
    /// threads keep running handlers).
    pub fn serve(ruby: &Ruby, rb_self: &Self, workers: usize) -> Result<(), Error> {
        let pipeline = rb_self.pipeline(ruby)?;
        let dispatcher = Arc::downgrade(&rb_self.dispatcher);
        let on_park: spikard_http::server::ParkHook = Arc::new(move || {
            if let Some(d) = dispatcher.upgrade() {
                d.wake();
            }
        });
        let serve = move || {
            Dispatcher::defer_wakes_on_this_thread();
            spikard_http::workers::serve_with(pipeline, workers, Some(on_park))
        };
        match blocking(serve) {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(server_error(ruby, &e)),
            None => Err(rb_error(ruby, &SpikardError::Internal("the server panicked".into()))),
        }
    }
}

/// The special functions' indexes, by name, for the package.
pub fn specials() -> Vec<(&'static str, u32)> {
    use crate::pool::{CLOSE, NEXT_CHUNK, NEXT_EVENT, RESUME};
    vec![
        ("RESUME", RESUME),
        ("NEXT_CHUNK", NEXT_CHUNK),
        ("NEXT_EVENT", NEXT_EVENT),
        ("CLOSE", CLOSE),
        ("RUN_TASK", RUN_TASK),
    ]
}

/// The default of every config struct by struct name, as JSON text (the drift test).
pub fn default_configs() -> String {
    Value::Object(spikard_core::config::defaults()).to_string()
}

/// A `Set-Cookie` value from the cookie's fields (JSON text: `name`, `value`, `max_age`,
/// `path`, `domain`, `secure`, `http_only`, `same_site`), formatted by the core.
pub fn cookie_header(ruby: &Ruby, fields: String) -> Result<String, Error> {
    let cookie: spikard_http::cookies::Cookie =
        serde_json::from_str(&fields).map_err(|e| rb_error(ruby, &decl::config_error("cookie", e)))?;
    Ok(cookie.to_header_value())
}
