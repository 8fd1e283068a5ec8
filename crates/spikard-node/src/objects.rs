//! Node-API's side of the shared JavaScript protocol (`spikard-js`): the objects crossing
//! into and out of Node (built and read natively by napi), and the wake-up, a weak
//! threadsafe function: pending calls do not keep the process alive, the package's server
//! handle does.

use std::sync::{Arc, Weak};

use napi::bindgen_prelude::{Buffer, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use serde_json::Value;
use spikard_js::dispatch::{Dispatcher, Wake};
use spikard_js::{call, convert, dispatch};

/// One call handed to JavaScript.
#[napi_derive::napi(object)]
pub struct JsCall {
    /// Settle it with this id.
    pub id: u32,
    /// The function's index in the package's function table.
    pub func: u32,
    /// The arguments in declared order (`null` for an absent one).
    pub args: Vec<Value>,
    /// The arguments as JSON text instead (`args` empty), parsed by V8's `JSON.parse`: much
    /// faster than building the objects through Node-API one property at a time.
    pub json: Option<String>,
}

impl From<dispatch::JsCall> for JsCall {
    fn from(c: dispatch::JsCall) -> Self {
        Self {
            id: c.id,
            func: c.func,
            args: c.args,
            json: c.json,
        }
    }
}

/// An object the package registers with a declaration: a function's index, or a value's
/// handle with the JSON type it stands for.
#[napi_derive::napi(object)]
pub struct ObjectRef {
    pub id: u32,
    pub json_type: Option<String>,
}

/// The objects as the shared protocol reads them.
pub fn object_refs(objects: Vec<ObjectRef>) -> Vec<call::ObjectRef> {
    objects
        .into_iter()
        .map(|o| call::ObjectRef {
            id: o.id,
            json_type: o.json_type,
        })
        .collect()
}

/// A response JavaScript built: status, header pairs and one body
/// ([`convert::ResponseInit`] says what each field holds).
#[napi_derive::napi(object)]
pub struct ResponseInit {
    pub status: u32,
    pub headers: Vec<Vec<String>>,
    pub kind: String,
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    pub stream: Option<u32>,
    pub keep_alive: Option<f64>,
}

impl From<ResponseInit> for convert::ResponseInit {
    fn from(init: ResponseInit) -> Self {
        Self {
            status: init.status,
            headers: init.headers,
            kind: init.kind,
            text: init.text,
            bytes: init.bytes.map(|b| bytes::Bytes::copy_from_slice(&b)),
            stream: init.stream,
            keep_alive: init.keep_alive,
        }
    }
}

/// What a call did to the request object it was given ([`convert::Effects`]).
#[napi_derive::napi(object)]
pub struct Effects {
    pub state: Option<String>,
    pub headers: Option<Vec<Vec<String>>>,
    pub tasks: Option<Vec<u32>>,
}

impl From<Effects> for convert::Effects {
    fn from(e: Effects) -> Self {
        Self {
            state: e.state,
            headers: e.headers,
            tasks: e.tasks,
        }
    }
}

/// Node's wake-up: a weak threadsafe function calling the package's `dispatch(calls)`
/// with what the dispatcher drained.
struct NodeWake(ThreadsafeFunction<(), (), Vec<JsCall>, Status, false, true>);

impl Wake for NodeWake {
    fn wake(&self) -> Result<(), String> {
        match self.0.call((), ThreadsafeFunctionCallMode::NonBlocking) {
            Status::Ok => Ok(()),
            status => Err(format!("the JavaScript event loop is gone ({status})")),
        }
    }
}

/// A dispatcher handing its calls to `dispatch(calls)` on Node's thread.
pub fn dispatcher(dispatch: &Function<'_, Vec<JsCall>, ()>) -> napi::Result<Arc<Dispatcher>> {
    let dispatcher = Dispatcher::new();
    let me: Weak<Dispatcher> = Arc::downgrade(&dispatcher);
    let wake = dispatch
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .build_callback(move |_ctx| {
            let calls = match me.upgrade() {
                Some(d) => d.drain().into_iter().map(JsCall::from).collect(),
                None => Vec::new(),
            };
            Ok(calls)
        })?;
    dispatcher.set_wake(NodeWake(wake));
    Ok(dispatcher)
}
