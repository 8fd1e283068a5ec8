//! Python dependencies for the core's dependency injection (`spikard_http::di`).
//!
//! The package describes each dependency as a tuple `(kind, target, depends_on,
//! request_kwarg, lifetime)` (see `spikard/di.py`):
//!
//! - `value`: `target` is the value itself (shared, created once);
//! - `function` / `coroutine`: `target(**deps)` returns the value (or a coroutine
//!   the event loop awaits);
//! - `generator` / `async_generator`: the value is what `target(**deps)` yields
//!   first; resuming the generator after the response has been sent is its cleanup
//!   (the code after `yield`), run by the core in reverse creation order. When the
//!   handler raised, its exception is thrown into the generator at the `yield`
//!   instead (as FastAPI does), so `try: yield session; session.commit() except:
//!   session.rollback()` never commits the work of a failed request.
//!
//! `depends_on` names the dependencies passed as keyword arguments, `request_kwarg`
//! (when set) receives the `Request`, `lifetime` is `per_use`, `per_request` or
//! `singleton`. A factory that raises answers as a raising handler does
//! (`HTTPException` keeps its status, anything else is a logged 500).
//!
//! Values cross the core as [`PyValue`]s labelled with the JSON type they stand for
//! (`dict` is `object`, `int` is `integer`, ...), so a route's expected types are
//! checked by the core without converting anything.

use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use spikard_core::SpikardError;
use spikard_http::di::{
    Cleanup, Dependencies, Dependency, DependencyFactory, DependencyRegistry, Lifetime, Provided, Resolved,
};
use spikard_http::{BoxFuture, RequestData};

use crate::bridge;
use crate::convert::json_to_py;
use crate::errors;
use crate::request::Request;

/// A Python object resolved as a dependency; a generator's value carries the slot
/// where the handler's exception is left for the generator's cleanup.
pub struct PyValue {
    pub object: Py<PyAny>,
    failure: Option<Failure>,
}

/// The exception the handler raised, for a generator dependency's cleanup.
type Failure = Arc<Mutex<Option<Py<PyAny>>>>;

/// Leave the handler's exception to the cleanups of the generator dependencies it received.
pub fn record_failure(py: Python<'_>, deps: &Dependencies, err: &PyErr) {
    for (_, value) in deps.iter() {
        if let Some(slot) = value.downcast::<PyValue>().and_then(|v| v.failure.clone()) {
            if let Ok(mut failure) = slot.lock() {
                *failure = Some(err.value(py).clone().into_any().unbind());
            }
        }
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

/// An async handler's pending result. Dropped before it finished (request timeout, client
/// gone: the coroutine is cancelled), it leaves a `CancelledError` to the generator
/// dependencies, whose cleanups run after the drop: their code after `yield` never
/// mistakes an interrupted handler for a finished one.
pub struct Unfinished<F> {
    inner: F,
    deps: Option<Dependencies>,
    done: bool,
}

impl<F> Unfinished<F> {
    pub fn new(inner: F, deps: Option<Dependencies>) -> Self {
        Self {
            inner,
            deps,
            done: false,
        }
    }
}

impl<F: std::future::Future + Unpin> std::future::Future for Unfinished<F> {
    type Output = F::Output;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        let polled = std::pin::Pin::new(&mut self.inner).poll(cx);
        if polled.is_ready() {
            self.done = true;
        }
        polled
    }
}

impl<F> Drop for Unfinished<F> {
    fn drop(&mut self) {
        if let (false, Some(deps)) = (self.done, &self.deps) {
            let _ = Python::try_attach(|py| {
                let err =
                    pyo3::exceptions::asyncio::CancelledError::new_err("the request ended before the handler finished");
                record_failure(py, deps, &err);
            });
        }
    }
}

/// A Python value as a resolved dependency.
pub fn resolved(value: Bound<'_, PyAny>) -> Resolved {
    with_failure(value, None)
}

fn with_failure(value: Bound<'_, PyAny>, failure: Option<Failure>) -> Resolved {
    let type_name = json_type(&value);
    let r = Resolved::new(PyValue {
        object: value.unbind(),
        failure,
    });
    match type_name {
        Some(t) => r.with_type_name(t),
        None => r,
    }
}

/// A resolved dependency as a Python value (values registered from Rust are JSON).
pub fn to_py<'py>(py: Python<'py>, value: &Resolved) -> PyResult<Bound<'py, PyAny>> {
    if let Some(v) = value.downcast::<PyValue>() {
        return Ok(v.object.bind(py).clone());
    }
    match value.as_json() {
        Some(json) => json_to_py(py, json),
        None => Ok(py.None().into_bound(py)),
    }
}

/// Keyword arguments `name=value` for the named dependencies that were resolved.
pub fn add_kwargs(
    py: Python<'_>,
    kwargs: &Bound<'_, PyDict>,
    deps: Option<&Dependencies>,
    names: &[String],
) -> PyResult<()> {
    for name in names {
        if let Some(value) = deps.and_then(|d| d.get(name)) {
            kwargs.set_item(name, to_py(py, value)?)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Function,
    Coroutine,
    Generator,
    AsyncGenerator,
}

/// A Python callable creating a dependency.
struct PyFactory {
    function: Py<PyAny>,
    name: Arc<str>,
    kind: Kind,
    depends_on: Vec<String>,
    request_kwarg: Option<String>,
}

type Created = Result<Provided, SpikardError>;

enum Called {
    Ready(Created),
    Pending(bridge::Pending<Provided>),
}

impl PyFactory {
    fn call(&self, py: Python<'_>, deps: &Dependencies, request: &RequestData) -> PyResult<Called> {
        let kwargs = PyDict::new(py);
        add_kwargs(py, &kwargs, Some(deps), &self.depends_on)?;
        if let Some(key) = &self.request_kwarg {
            kwargs.set_item(key, Bound::new(py, Request::new(Arc::new(request.clone())))?)?;
        }
        let result = self.function.bind(py).call((), Some(&kwargs))?;
        let name = self.name.clone();
        Ok(match self.kind {
            Kind::Function => Called::Ready(Ok(resolved(result).into())),
            Kind::Coroutine => {
                let finish: bridge::Finish<Provided> = Box::new(move |py, outcome| {
                    outcome
                        .map(|v| resolved(v).into())
                        .map_err(|e| errors::from_handler(py, e, &name))
                });
                Called::Pending(bridge::submit(py, result, finish)?)
            }
            Kind::Generator => {
                let first = result.call_method0("__next__");
                let failure = Failure::default();
                Called::Ready(first_yield(py, first, &name, &failure).map(|value| Provided {
                    value,
                    cleanup: Some(generator_cleanup(result.unbind(), name.clone(), failure)),
                }))
            }
            Kind::AsyncGenerator => {
                let generator = result.clone().unbind();
                let finish: bridge::Finish<Provided> = Box::new(move |py, outcome| {
                    let failure = Failure::default();
                    first_yield(py, outcome, &name, &failure).map(|value| Provided {
                        value,
                        cleanup: Some(async_generator_cleanup(generator.clone_ref(py), name.clone(), failure)),
                    })
                });
                Called::Pending(bridge::submit(py, result.call_method0("__anext__")?, finish)?)
            }
        })
    }
}

/// The first value a generator dependency yields.
fn first_yield(
    py: Python<'_>,
    outcome: PyResult<Bound<'_, PyAny>>,
    name: &str,
    failure: &Failure,
) -> Result<Resolved, SpikardError> {
    match outcome {
        Ok(value) => Ok(with_failure(value, Some(failure.clone()))),
        Err(e) if is_exhausted(py, &e) => Err(SpikardError::Internal(format!(
            "dependency {name} is a generator that did not yield a value"
        ))),
        Err(e) => Err(errors::from_handler(py, e, name)),
    }
}

fn is_exhausted(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<pyo3::exceptions::PyStopIteration>(py)
        || err.is_instance_of::<pyo3::exceptions::PyStopAsyncIteration>(py)
}

/// What resuming a generator for its cleanup gave: ending, or re-raising the exception
/// thrown in, is right; another value or another exception is logged (the response has
/// been sent already).
fn cleanup_outcome(py: Python<'_>, outcome: PyResult<Bound<'_, PyAny>>, name: &str, thrown: Option<&Py<PyAny>>) {
    match outcome {
        Err(e) if is_exhausted(py, &e) => {}
        Err(e) if thrown.is_some_and(|t| e.value(py).is(t.bind(py))) => {}
        Err(e) => errors::log_exception(py, &e, &format!("{name} (cleanup)")),
        Ok(_) => tracing::error!(dependency = name, "a generator dependency yielded more than once"),
    }
}

fn thrown(failure: &Failure) -> Option<Py<PyAny>> {
    failure.lock().ok().and_then(|mut f| f.take())
}

/// Resume a generator for its cleanup: `__next__`/`__anext__`, or `throw`/`athrow` with the
/// handler's exception.
fn resume<'py>(
    generator: &Bound<'py, PyAny>,
    exception: Option<&Py<PyAny>>,
    is_async: bool,
) -> PyResult<Bound<'py, PyAny>> {
    match (exception, is_async) {
        (Some(e), false) => generator.call_method1("throw", (e.bind(generator.py()),)),
        (Some(e), true) => generator.call_method1("athrow", (e.bind(generator.py()),)),
        (None, false) => generator.call_method0("__next__"),
        (None, true) => generator.call_method0("__anext__"),
    }
}

fn generator_cleanup(generator: Py<PyAny>, name: Arc<str>, failure: Failure) -> Cleanup {
    Box::pin(async move {
        let exception = thrown(&failure);
        Python::attach(|py| {
            let outcome = resume(generator.bind(py), exception.as_ref(), false);
            cleanup_outcome(py, outcome, &name, exception.as_ref());
        });
    })
}

fn async_generator_cleanup(generator: Py<PyAny>, name: Arc<str>, failure: Failure) -> Cleanup {
    Box::pin(async move {
        let exception = thrown(&failure);
        let pending = Python::attach(|py| {
            let hook_name = name.clone();
            let step = resume(generator.bind(py), exception.as_ref(), true)?;
            let finish: bridge::Finish<()> = Box::new(move |py, outcome| {
                cleanup_outcome(py, outcome, &hook_name, exception.as_ref());
                Ok(())
            });
            bridge::submit(py, step, finish)
        });
        match pending {
            Ok(p) => {
                let _ = p.await;
            }
            Err(e) => Python::attach(|py| errors::log_exception(py, &e, &format!("{name} (cleanup)"))),
        }
    })
}

impl DependencyFactory for PyFactory {
    fn create(&self, deps: &Dependencies, request: &RequestData) -> BoxFuture<Created> {
        let called = Python::attach(|py| {
            self.call(py, deps, request)
                .unwrap_or_else(|e| Called::Ready(Err(errors::from_handler(py, e, &self.name))))
        });
        match called {
            Called::Ready(result) => Box::pin(std::future::ready(result)),
            Called::Pending(pending) => Box::pin(pending),
        }
    }
}

/// One dependency from the package's description tuple (see the module docs).
pub fn dependency_from(name: &str, spec: &Bound<'_, PyAny>) -> PyResult<Dependency> {
    let (kind, target, depends_on, request_kwarg, lifetime): (
        String,
        Bound<'_, PyAny>,
        Vec<String>,
        Option<String>,
        String,
    ) = spec.extract()?;
    let kind = match kind.as_str() {
        "value" => return Ok(Dependency::value(resolved(target))),
        "function" => Kind::Function,
        "coroutine" => Kind::Coroutine,
        "generator" => Kind::Generator,
        "async_generator" => Kind::AsyncGenerator,
        other => {
            return Err(PyValueError::new_err(format!(
                "dependency '{name}': unknown kind '{other}'"
            )))
        }
    };
    let lifetime = match lifetime.as_str() {
        "per_use" => Lifetime::PerUse,
        "per_request" => Lifetime::PerRequest,
        "singleton" => Lifetime::Singleton,
        other => {
            return Err(PyValueError::new_err(format!(
                "dependency '{name}': unknown lifetime '{other}'"
            )))
        }
    };
    let factory = PyFactory {
        function: target.unbind(),
        name: name.into(),
        kind,
        depends_on: depends_on.clone(),
        request_kwarg,
    };
    Ok(Dependency::factory(Arc::new(factory))
        .depends_on(depends_on)
        .with_lifetime(lifetime))
}

/// A registry from `{name: description}`.
pub fn registry_from(specs: Option<&Bound<'_, PyDict>>) -> PyResult<DependencyRegistry> {
    let mut registry = DependencyRegistry::default();
    for (name, spec) in specs.into_iter().flat_map(|d| d.iter()) {
        let name: String = name.extract()?;
        let dependency = dependency_from(&name, &spec)?;
        registry.insert(name, dependency);
    }
    Ok(registry)
}
