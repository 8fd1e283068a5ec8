//! Python's implementation of the core's [`ForeignFn`] and [`Binding`]: the one place a
//! Python function is called. A sync function's result is converted at once; a coroutine
//! runs on the event loop ([`crate::bridge`]) and is converted there, as [`Expect`] says.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use spikard_core::SpikardError;
use spikard_http::di::{Failure, Resolved};
use spikard_http::foreign::{
    object, Arg, Binding, Call, Completion, Expect, FnGenerator, ForeignError, ForeignFn, FunctionInfo, Input, Outcome,
    Returned, Role,
};
use spikard_http::WsMessage;

use crate::convert::json_to_py;
use crate::request::{hook_request, request, upload_file, View};
use crate::response::{explicit_response, to_handler_response, to_py_response};
use crate::support::support;
use crate::{background, bridge, errors};

/// A Python exception object, left to generator dependencies as a [`Failure::Raised`].
struct Exception(Py<PyAny>);

/// One parameter: its keyword (`None`: positional) and converter.
struct Param {
    keyword: Option<Py<PyString>>,
    converter: Option<Py<PyAny>>,
}

/// A registered Python function.
pub struct PyFn(Arc<Inner>);

impl PyFn {
    fn shared(
        function: Py<PyAny>,
        name: &str,
        is_async: bool,
        inline: bool,
        role: Role,
        params: Vec<Param>,
    ) -> Arc<dyn ForeignFn> {
        let name = name.into();
        Arc::new(PyFn(Arc::new(Inner {
            function,
            name,
            is_async,
            inline,
            role,
            params,
        })))
    }

    /// A function called with `positional` arguments (an iterator's `next` and `close`, a
    /// WebSocket session's methods).
    pub fn plain(function: Py<PyAny>, name: &str, is_async: bool, positional: usize) -> Arc<dyn ForeignFn> {
        let params = (0..positional)
            .map(|_| Param {
                keyword: None,
                converter: None,
            })
            .collect();
        Self::shared(function, name, is_async, false, Role::Factory, params)
    }
}

struct Inner {
    function: Py<PyAny>,
    name: Arc<str>,
    is_async: bool,
    /// A sync function declared as never blocking: called on the server's thread.
    inline: bool,
    role: Role,
    params: Vec<Param>,
}

/// The Python binding: functions become [`PyFn`]s, values Python dependencies.
pub struct PyBinding;

impl Binding for PyBinding {
    type Object = Py<PyAny>;

    fn function(
        &self,
        function: &Py<PyAny>,
        info: &FunctionInfo<'_>,
        objects: &[Py<PyAny>],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        Python::attach(|py| {
            let mut params = Vec::with_capacity(info.plan.args().len());
            for (i, arg) in info.plan.args().iter().enumerate() {
                let converter = match arg.converter {
                    Some(c) => Some(object(objects, c, &format!("args[{i}].converter"))?.clone_ref(py)),
                    None => None,
                };
                let keyword = (!arg.positional).then(|| PyString::intern(py, &arg.name).unbind());
                params.push(Param { keyword, converter });
            }
            let f = function.clone_ref(py);
            Ok(PyFn::shared(
                f,
                info.name,
                info.is_async,
                info.inline,
                info.role,
                params,
            ))
        })
    }

    fn value(&self, value: &Py<PyAny>) -> Resolved {
        Python::attach(|py| resolved(value.bind(py).clone()))
    }
}

/// The JSON type a Python value stands for, when it is a JSON-like value.
fn json_type(value: &Bound<'_, PyAny>) -> Option<&'static str> {
    Some(if value.is_none() {
        "null"
    } else if value.is_instance_of::<PyBool>() {
        "boolean"
    } else if value.is_instance_of::<PyInt>() {
        "integer"
    } else if value.is_instance_of::<PyFloat>() {
        "number"
    } else if value.is_instance_of::<PyString>() {
        "string"
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        "array"
    } else if value.is_instance_of::<PyDict>() {
        "object"
    } else {
        return None;
    })
}

/// A Python object as a resolved dependency, labelled with the JSON type it stands for so
/// the core checks a route's expected types without converting it.
pub fn resolved(value: Bound<'_, PyAny>) -> Resolved {
    let type_name = json_type(&value);
    let r = Resolved::new(value.unbind());
    match type_name {
        Some(t) => r.with_type_name(t),
        None => r,
    }
}

/// A resolved dependency as a Python object (values registered from Rust are JSON).
fn dependency_to_py<'py>(py: Python<'py>, value: &Resolved) -> PyResult<Bound<'py, PyAny>> {
    match (value.downcast::<Py<PyAny>>(), value.as_json()) {
        (Some(v), _) => Ok(v.bind(py).clone()),
        (None, Some(json)) => json_to_py(py, json),
        (None, None) => Ok(py.None().into_bound(py)),
    }
}

/// What a call showed the function, read back when it finishes.
#[derive(Default)]
struct Shown {
    request: Option<Py<View>>,
    response: Option<Py<PyAny>>,
    /// An async generator, whose first step is the pending coroutine.
    generator: Option<Py<PyAny>>,
}

impl Inner {
    fn arg<'py>(py: Python<'py>, arg: Arg<'_>, shown: &mut Shown) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(Some(match arg {
            Arg::Absent => return Ok(None),
            Arg::Null => return Ok(Some(py.None().into_bound(py))),
            Arg::Json(v) => json_to_py(py, v)?,
            Arg::Request(data) => {
                let (request, view) = request(py, data.clone())?;
                shown.request = Some(view.unbind());
                request
            }
            Arg::Dependency(r) => dependency_to_py(py, r)?,
            Arg::File(f) => upload_file(py, f)?,
            Arg::Message(WsMessage::Text(t)) => PyString::new(py, t).into_any(),
            Arg::Message(WsMessage::Binary(b)) => PyBytes::new(py, b).into_any(),
            Arg::Message(WsMessage::Json(v)) => PyString::new(py, &v.to_string()).into_any(),
            Arg::Failure(failure) => {
                let (exception, cancelled, error) = match failure {
                    Failure::Raised(e) => (e.downcast_ref::<Exception>().map(|e| e.0.clone_ref(py)), false, None),
                    Failure::Cancelled => (None, true, None),
                    Failure::Error(e) => (None, false, Some((e.status(), e.to_string(), e.code()))),
                };
                (exception, cancelled, error).into_pyobject(py)?.into_any()
            }
            Arg::Files(files) => {
                let files: Vec<_> = files.into_iter().map(|f| upload_file(py, f)).collect::<PyResult<_>>()?;
                PyList::new(py, files)?.into_any()
            }
        }))
    }

    /// Call the function with the call's input; the result (a coroutine when async).
    fn invoke<'py>(&self, py: Python<'py>, input: Input<'_>, shown: &mut Shown) -> PyResult<Bound<'py, PyAny>> {
        let f = self.function.bind(py);
        let (args, kwargs) = match input {
            Input::Args(values) => {
                let (mut args, kwargs) = (Vec::new(), PyDict::new(py));
                for (param, value) in self.params.iter().zip(values) {
                    let null = matches!(value, Arg::Null);
                    let value = match (Self::arg(py, value, shown)?, &param.converter) {
                        (Some(v), Some(convert)) if !null => Some(convert.bind(py).call1((v,))?),
                        (v, _) => v,
                    };
                    match (&param.keyword, value) {
                        (Some(k), Some(v)) => kwargs.set_item(k.bind(py), v)?,
                        (None, v) => args.push(v.unwrap_or_else(|| py.None().into_bound(py))),
                        (Some(_), None) => {}
                    }
                }
                (PyTuple::new(py, args)?, kwargs)
            }
            Input::Response { response, request } => {
                let shown_response = to_py_response(py, &response)?;
                shown.response = Some(shown_response.clone().unbind());
                let mut args = vec![shown_response];
                if let Some(r) = request {
                    args.push(hook_request(py, r)?);
                }
                (PyTuple::new(py, args)?, PyDict::new(py))
            }
        };
        if self.role != Role::Handler {
            return f.call(args, Some(&kwargs));
        }
        let runner = background::request_runner(py)?;
        if self.is_async {
            let coroutine = f.call(args, Some(&kwargs))?;
            background::wrap_coroutine(py, runner.as_ref(), coroutine)
        } else {
            background::with_runner(py, runner.as_ref(), || f.call(args, Some(&kwargs)))
        }
    }

    fn error(&self, py: Python<'_>, e: PyErr) -> ForeignError {
        if errors::is_cancellation(py, &e) {
            return ForeignError::cancelled(&self.name);
        }
        let exception = Exception(e.value(py).clone().into_any().unbind());
        ForeignError::raised(errors::from_handler(py, e, &self.name), Arc::new(exception))
    }

    /// Convert the function's outcome as the core expects (GIL held).
    fn finish(
        &self,
        py: Python<'_>,
        outcome: PyResult<Bound<'_, PyAny>>,
        expect: Expect,
        shown: &Shown,
    ) -> Result<Outcome, ForeignError> {
        let value = outcome.map_err(|e| self.error(py, e))?;
        let converted = (|| -> PyResult<Returned> {
            Ok(match expect {
                Expect::Unit => Returned::Nothing,
                Expect::Flow if value.is_none() => Returned::Nothing,
                Expect::Chunk | Expect::Event if value.is(support(py)?.end.bind(py)) => Returned::Nothing,
                Expect::Chunk => Returned::Value(Resolved::new(crate::streams::chunk(&value)?)),
                Expect::Event => Returned::Value(Resolved::new(crate::streams::event(&value)?)),
                Expect::ChangedResponse if value.is_none() => match &shown.response {
                    Some(r) => Returned::Response(explicit_response(r.bind(py))?),
                    None => Returned::Nothing,
                },
                Expect::Response | Expect::Flow | Expect::ChangedResponse => {
                    Returned::Response(to_handler_response(&value)?)
                }
                Expect::Dependency => match (self.role, &shown.generator) {
                    (Role::Generator, Some(generator)) => {
                        // Resumed with the request's failure raised at its `yield`.
                        let args = (generator, &*self.name, self.is_async);
                        let cleanup = support(py)?.cleanup.bind(py).call1(args)?.unbind();
                        let name = format!("{} (cleanup)", self.name);
                        let cleanup = PyFn::plain(cleanup, &name, self.is_async, 1);
                        Returned::Generator(resolved(value), Box::new(FnGenerator(cleanup)))
                    }
                    _ => Returned::Value(resolved(value)),
                },
            })
        })();
        let returned = converted.map_err(|e| self.error(py, e))?;
        let mut outcome = Outcome::new(returned);
        if let Some(request) = &shown.request {
            let request = request.get();
            outcome.reply_headers = request.view.take_reply_headers();
            outcome.state = request.state_if_used(py).map_err(|e| self.error(py, e))?;
        }
        Ok(outcome)
    }

    fn start(self: &Arc<Self>, py: Python<'_>, call: Call<'_>) -> Result<Completion, ForeignError> {
        let mut shown = Shown::default();
        let result = self.invoke(py, call.input, &mut shown);
        let expect = call.expect;
        let step = match result {
            Err(e) => return Err(self.error(py, e)),
            // A generator's first value: now (sync) or on the loop (async).
            Ok(g) if self.role == Role::Generator => {
                shown.generator = Some(g.clone().unbind());
                let support = support(py).map_err(|e| self.error(py, e))?;
                let first = if self.is_async { &support.afirst } else { &support.first };
                let first = first.bind(py).call1((g, &*self.name));
                if !self.is_async {
                    return self.finish(py, first, expect, &shown).map(ready);
                }
                first.map_err(|e| self.error(py, e))?
            }
            Ok(value) if !self.is_async => return self.finish(py, Ok(value), expect, &shown).map(ready),
            Ok(coroutine) => coroutine,
        };
        let this = Arc::clone(self);
        let finish: bridge::Finish<Outcome, ForeignError> =
            Box::new(move |py, outcome| this.finish(py, outcome, expect, &shown));
        let pending = bridge::submit(py, step, finish).map_err(|e| self.error(py, e))?;
        Ok(Box::pin(pending))
    }
}

fn ready(outcome: Outcome) -> Completion {
    Box::pin(std::future::ready(Ok(outcome)))
}

impl Inner {
    /// Take the GIL and start the call.
    fn attach(self: &Arc<Self>, call: Call<'_>) -> Completion {
        let started = Python::try_attach(|py| self.start(py, call)).unwrap_or_else(|| {
            let e = SpikardError::Internal("the Python interpreter is shutting down".into());
            Err(ForeignError::new(e))
        });
        started.unwrap_or_else(|e| Box::pin(std::future::ready(Err(e))))
    }
}

impl ForeignFn for PyFn {
    /// A sync function runs on the process's pool of threads ([`bridge::blocking_pool`]),
    /// unless declared inline; an async one is started here and runs on the event loop.
    fn call(&self, call: Call<'_>) -> Completion {
        if self.0.is_async || self.0.inline {
            return self.0.attach(call);
        }
        let inner = Arc::clone(&self.0);
        bridge::blocking_pool().call(call, move |call| inner.attach(call))
    }
}
