//! JavaScript's implementation of the core's [`ForeignFn`] and [`Binding`]: a function is
//! its index in the package's function table; calling it queues the call on the
//! [`Dispatcher`] with its arguments as plain values.

use std::sync::Arc;

use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::di::Resolved;
use spikard_http::foreign::{Arg, Binding, Call, Completion, ForeignFn, FunctionInfo, Input};

use crate::convert::{hook_request, request_object, response_object};
use crate::dispatch::Dispatcher;

/// A registered JavaScript function.
pub struct JsFn {
    func: u32,
    name: Arc<str>,
    dispatcher: Arc<Dispatcher>,
}

impl ForeignFn for JsFn {
    fn call(&self, call: Call<'_>) -> Completion {
        let (args, shown) = match call.input {
            Input::Args(args) => (args.iter().map(arg_value).collect(), None),
            Input::Response { response, request } => match response_object(&response) {
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
        Arg::Dependency(r) => r.as_json().cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The JavaScript binding: functions are indexes into the package's function table.
pub struct NodeBinding(pub Arc<Dispatcher>);

impl Binding for NodeBinding {
    type Object = u32;

    fn function(
        &self,
        function: &u32,
        info: &FunctionInfo<'_>,
        _objects: &[u32],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        Ok(Arc::new(JsFn {
            func: *function,
            name: info.name.into(),
            dispatcher: Arc::clone(&self.0),
        }))
    }

    fn value(&self, value: &u32) -> Resolved {
        Resolved::json(Value::from(*value))
    }
}
