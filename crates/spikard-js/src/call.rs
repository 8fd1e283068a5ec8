//! JavaScript's implementation of the core's [`ForeignFn`] and [`Binding`]: a function is
//! its index in the package's function table; calling it queues the call on the
//! [`Dispatcher`] with its arguments as plain values.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::di::{Failure, Resolved};
use spikard_http::foreign::{Arg, Binding, Call, Completion, ForeignFn, FunctionInfo, Handle, Input};
use spikard_http::WsMessage;

use spikard_http::foreign::described::{hook_request, response_view};

use crate::convert::request_object;
use crate::dispatch::{Dispatcher, RESUME};
pub use crate::dispatch::{CLOSE, NEXT_CHUNK, NEXT_EVENT, RUN_TASK};

/// A registered JavaScript function (or the resumption of one generator dependency:
/// `bound` is the generator's handle, passed first).
pub struct JsFn {
    func: u32,
    name: Arc<str>,
    dispatcher: Arc<Dispatcher>,
    /// Arguments passed before the call's own.
    prefix: Vec<Value>,
    /// Held as long as the function (a generator or an iterator stays in the value table
    /// until the function is dropped); never read.
    _held: Option<JsValue>,
}

impl JsFn {
    /// The cleanup of the generator dependency behind `generator` (a handle).
    pub fn resume(dispatcher: &Arc<Dispatcher>, generator: JsValue, name: &str) -> Self {
        Self::bound(dispatcher, RESUME, generator, &format!("{name} (cleanup)"))
    }

    /// The special function `func` of the dispatcher applied to `value` (an iterator's
    /// `next` or `close`, a background task's run).
    pub fn bound(dispatcher: &Arc<Dispatcher>, func: u32, value: JsValue, name: &str) -> Self {
        Self {
            func,
            name: name.into(),
            dispatcher: Arc::clone(dispatcher),
            prefix: vec![handle_arg(&value)],
            _held: Some(value),
        }
    }

    /// Function `func` called with `prefix` before its own arguments.
    pub fn with_prefix(dispatcher: &Arc<Dispatcher>, func: u32, prefix: Vec<Value>, name: &str) -> Self {
        Self {
            func,
            name: name.into(),
            dispatcher: Arc::clone(dispatcher),
            prefix,
            _held: None,
        }
    }
}

/// A JavaScript value the core holds (a dependency, a generator, an iterator): its handle
/// in the package's value table, released there when the last holder drops it.
pub type JsValue = Handle;

/// A held value as an argument: `{"h": handle}`.
fn handle_arg(value: &JsValue) -> Value {
    serde_json::json!({ "h": value.id })
}

/// An object the package registers with a declaration: a function's index, or a value's
/// handle with the JSON type it stands for.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub id: u32,
    pub json_type: Option<String>,
}

impl ForeignFn for JsFn {
    fn call(&self, call: Call<'_>) -> Completion {
        let (args, shown) = match call.input {
            Input::Args(args) => {
                let mut values = self.prefix.clone();
                values.extend(args.iter().map(arg_value));
                (values, None)
            }
            Input::Response { response, request } => match response_view(&response, "bodyKind") {
                Ok(view) => (vec![view, request.map_or(Value::Null, hook_request)], Some(response)),
                Err(e) => {
                    let err = SpikardError::Internal(format!("{}: {e}", self.name));
                    return Box::pin(std::future::ready(Err(err.into())));
                }
            },
        };
        self.dispatcher
            .submit(self.func, args, call.expect, Arc::clone(&self.name), shown)
    }
}

/// One argument as a plain value.
fn arg_value(arg: &Arg<'_>) -> Value {
    match arg {
        Arg::Json(v) => (*v).clone(),
        Arg::Request(data) => request_object(data),
        Arg::Dependency(r) => match (r.downcast::<JsValue>(), r.as_json()) {
            (Some(v), _) => handle_arg(&v),
            (None, Some(json)) => serde_json::json!({ "v": json }),
            (None, None) => serde_json::json!({ "v": null }),
        },
        Arg::Failure(failure) => failure_value(failure),
        Arg::Message(message) => message_value(message),
        _ => Value::Null,
    }
}

/// A WebSocket message: `{"text"}`, `{"json"}` (validated against the route's
/// `message_schema`) or `{"binary"}` (base64).
fn message_value(message: &WsMessage) -> Value {
    match message {
        WsMessage::Text(t) => serde_json::json!({ "text": t }),
        WsMessage::Json(v) => serde_json::json!({ "json": v }),
        WsMessage::Binary(b) => serde_json::json!({ "binary": BASE64.encode(b) }),
    }
}

/// Why a request failed, for a generator dependency's cleanup: `{"cancelled": true}`, or
/// the error's `status`, `detail` and `code` (an exception JavaScript threw is its own).
fn failure_value(failure: &Failure) -> Value {
    match failure {
        Failure::Cancelled => serde_json::json!({ "cancelled": true }),
        Failure::Raised(exception) => match exception.clone().downcast::<JsValue>() {
            Ok(v) => serde_json::json!({ "raised": handle_arg(&v) }),
            Err(_) => serde_json::json!({ "status": 500, "detail": "the handler failed" }),
        },
        Failure::Error(e) => serde_json::json!({ "status": e.status(), "detail": e.to_string(), "code": e.code() }),
    }
}

/// The JavaScript binding: functions are indexes into the package's function table,
/// values handles into its value table.
pub struct JsBinding(pub Arc<Dispatcher>);

impl Binding for JsBinding {
    type Object = ObjectRef;

    fn function(
        &self,
        function: &ObjectRef,
        info: &FunctionInfo<'_>,
        _objects: &[ObjectRef],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        Ok(Arc::new(JsFn {
            func: function.id,
            name: info.name.into(),
            dispatcher: Arc::clone(&self.0),
            prefix: Vec::new(),
            _held: None,
        }))
    }

    fn value(&self, value: &ObjectRef) -> Resolved {
        JsValue::new::<Dispatcher>(value.id, None).resolved(value.json_type.as_deref())
    }
}
