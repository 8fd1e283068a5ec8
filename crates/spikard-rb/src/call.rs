//! Ruby's implementation of the core's [`ForeignFn`] and [`Binding`]: a function is its
//! index in the package's function table; calling it queues the call on the
//! [`Dispatcher`] with its arguments as owned values.

use std::sync::Arc;

use serde_json::{json, Value};
use spikard_core::SpikardError;
use spikard_http::di::{Failure, Resolved};
use spikard_http::foreign::{Arg, Binding, Call, Completion, ForeignFn, FunctionInfo, Handle, Input, Returned};

use crate::pool::{Dispatcher, Owned, RESUME};
use spikard_http::foreign::described::{hook_request, response_view};

/// A registered Ruby function, or a special function bound to a value (a generator's
/// resumption, an iterator's `next`): `prefix` comes before the call's own arguments.
pub struct RbFn {
    func: u32,
    name: Arc<str>,
    dispatcher: Arc<Dispatcher>,
    prefix: Vec<Owned>,
    /// Held as long as the function (the iterator or generator it works on); never read.
    _held: Option<RbValue>,
}

impl RbFn {
    pub fn new(dispatcher: &Arc<Dispatcher>, func: u32, name: &str) -> Self {
        Self::with_prefix(dispatcher, func, Vec::new(), name)
    }

    /// Function `func` called with `prefix` before its own arguments.
    pub fn with_prefix(dispatcher: &Arc<Dispatcher>, func: u32, prefix: Vec<Owned>, name: &str) -> Self {
        Self {
            func,
            name: name.into(),
            dispatcher: Arc::clone(dispatcher),
            prefix,
            _held: None,
        }
    }

    /// The special function `func` applied to `value` (an iterator's `next` or `close`, a
    /// background task's run).
    pub fn bound(dispatcher: &Arc<Dispatcher>, func: u32, value: RbValue, name: &str) -> Self {
        Self {
            prefix: vec![Owned::Json(Value::from(value.id))],
            _held: Some(value),
            ..Self::new(dispatcher, func, name)
        }
    }

    /// The cleanup of the generator dependency behind `generator`.
    pub fn resume(dispatcher: &Arc<Dispatcher>, generator: RbValue, name: &str) -> Self {
        Self::bound(dispatcher, RESUME, generator, &format!("{name} (cleanup)"))
    }
}

/// A Ruby value the core holds: its handle in the dispatcher's value table.
pub type RbValue = Handle;

impl ForeignFn for RbFn {
    fn call(&self, call: Call<'_>) -> Completion {
        let mut args: Vec<Owned> = self.prefix.clone();
        let shown = match call.input {
            Input::Args(given) => {
                args.extend(given.iter().map(owned));
                None
            }
            Input::Response { response, request } => match response_view(&response, "body_kind") {
                Ok(view) => {
                    args.push(Owned::Shown(view));
                    args.push(Owned::Shown(request.map_or(Value::Null, hook_request)));
                    Some(response)
                }
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

/// A call nobody awaits that must still run: a stream's `close`, whose completion the
/// core drops at once (the dispatcher skips a call whose completion was dropped). The
/// completion, and the function with the value it holds, are kept on the runtime until
/// Ruby has run it.
pub struct Detached(pub Arc<RbFn>);

impl ForeignFn for Detached {
    fn call(&self, call: Call<'_>) -> Completion {
        let completion = self.0.call(call);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let held = Arc::clone(&self.0);
                drop(runtime.spawn(async move {
                    let _ = completion.await;
                    drop(held);
                }));
                Box::pin(std::future::ready(Ok(Returned::Nothing.into())))
            }
            Err(_) => completion,
        }
    }
}

/// One argument, owned.
fn owned(arg: &Arg<'_>) -> Owned {
    match arg {
        Arg::Absent => Owned::Absent,
        Arg::Null => Owned::Json(Value::Null),
        Arg::Json(v) => Owned::Json((*v).clone()),
        Arg::Request(data) => Owned::Request(Arc::clone(data)),
        Arg::Dependency(r) => match (r.downcast::<RbValue>(), r.as_json()) {
            (Some(v), _) => Owned::Handle(v.id),
            (None, Some(json)) => Owned::Json(json.clone()),
            (None, None) => Owned::Json(Value::Null),
        },
        Arg::File(file) => Owned::File((*file).clone()),
        Arg::Files(files) => Owned::Files(files.iter().map(|f| (*f).clone()).collect()),
        Arg::Message(message) => Owned::Message((*message).clone()),
        Arg::Failure(failure) => failure_arg(failure),
    }
}

/// Why a request failed, for a generator dependency's cleanup: the exception Ruby raised
/// (by handle), or `{"cancelled": true}`, or the error's `status`, `detail` and `code`.
fn failure_arg(failure: &Failure) -> Owned {
    match failure {
        Failure::Cancelled => Owned::Json(json!({ "cancelled": true })),
        Failure::Raised(exception) => match exception.clone().downcast::<RbValue>() {
            Ok(v) => Owned::Handle(v.id),
            Err(_) => Owned::Json(json!({ "status": 500, "detail": "the handler failed" })),
        },
        Failure::Error(e) => Owned::Json(json!({ "status": e.status(), "detail": e.to_string(), "code": e.code() })),
    }
}

/// An object the package registers with a declaration: a function's index, or a value's
/// handle with the JSON type it stands for.
pub struct ObjectRef {
    pub id: u32,
    pub json_type: Option<String>,
}

/// The Ruby binding: functions are indexes into the package's function table, values
/// handles into its value table.
pub struct RbBinding(pub Arc<Dispatcher>);

impl Binding for RbBinding {
    type Object = ObjectRef;

    fn function(
        &self,
        function: &ObjectRef,
        info: &FunctionInfo<'_>,
        _objects: &[ObjectRef],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        Ok(Arc::new(RbFn::new(&self.0, function.id, info.name)))
    }

    fn value(&self, value: &ObjectRef) -> Resolved {
        RbValue::new::<Dispatcher>(value.id, None).resolved(value.json_type.as_deref())
    }
}
