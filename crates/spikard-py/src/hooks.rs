//! Python callables as lifecycle hooks (`on_request`, `pre_validation`,
//! `pre_handler`, `on_response`, `on_error`), sync or `async`.
//!
//! A request hook gets the `Request` (and the dependencies it declares, as keyword
//! arguments, resolved before its phase); returning `None` goes on (with whatever
//! it put in `request.state` and the headers it asked for with
//! `request.reply_header`), returning a `Response` (or anything a handler may
//! return) answers early. A response hook gets the `Response` (mutable: status,
//! headers, content), and a `HookRequest` (method, path, state, elapsed time) when
//! it takes a second argument; it returns `None` to keep the response as changed,
//! or another value to answer with instead. A hook that raises answers like a
//! raising handler (`HTTPException` -> its problem, anything else -> a logged 500).

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikard_core::SpikardError;
use spikard_http::di::Dependencies;
use spikard_http::hooks::{reply_header, HookRequest};
use spikard_http::{BoxFuture, HandlerResponse, HookFlow, LifecycleHooks, RequestData, RequestHook, ResponseHook};

use crate::bridge;
use crate::convert::map_to_py;
use crate::errors;
use crate::request::Request;
use crate::response::{explicit_response, to_handler_response, to_py_response, Response};

/// The five phases, by their Python names.
pub const PHASES: [&str; 5] = ["on_request", "pre_validation", "pre_handler", "on_response", "on_error"];

/// One hook as the package describes it: `(phase, function, name, is_async,
/// dependencies, with_request)`, added to `hooks`.
pub fn add(hooks: &mut LifecycleHooks, spec: &Bound<'_, PyAny>) -> PyResult<()> {
    let (phase, function, name, is_async, dependencies, with_request): (
        String,
        Py<PyAny>,
        String,
        bool,
        Vec<String>,
        bool,
    ) = spec.extract()?;
    let request = || {
        Arc::new(PyRequestHook::new(
            function.clone_ref(spec.py()),
            name.clone(),
            is_async,
            dependencies.clone(),
        ))
    };
    let response = || {
        Arc::new(PyResponseHook::new(
            function.clone_ref(spec.py()),
            name.clone(),
            is_async,
            with_request,
        ))
    };
    match phase.as_str() {
        "on_request" => hooks.on_request.push(request()),
        "pre_validation" => hooks.pre_validation.push(request()),
        "pre_handler" => hooks.pre_handler.push(request()),
        "on_response" => hooks.on_response.push(response()),
        "on_error" => hooks.on_error.push(response()),
        other => {
            return Err(errors::config_error(
                "hook phase",
                format!("'{other}' is not one of {}", PHASES.join(", ")),
            ))
        }
    }
    Ok(())
}

/// A Python request-phase hook.
pub struct PyRequestHook {
    function: Py<PyAny>,
    name: Arc<str>,
    is_async: bool,
    /// Dependencies passed as keyword arguments (resolved before the hook's phase).
    dependencies: Vec<String>,
}

/// A Python response-phase hook.
pub struct PyResponseHook {
    function: Py<PyAny>,
    name: Arc<str>,
    is_async: bool,
    /// The hook takes the `HookRequest` as its second argument.
    with_request: bool,
}

impl PyRequestHook {
    pub fn new(function: Py<PyAny>, name: String, is_async: bool, dependencies: Vec<String>) -> Self {
        Self {
            function,
            name: name.into(),
            is_async,
            dependencies,
        }
    }
}

impl PyResponseHook {
    pub fn new(function: Py<PyAny>, name: String, is_async: bool, with_request: bool) -> Self {
        Self {
            function,
            name: name.into(),
            is_async,
            with_request,
        }
    }
}

/// What a response hook knows of the request behind the response.
#[pyclass(frozen, name = "HookRequest", module = "spikard._spikard")]
pub struct PyHookRequest {
    view: HookRequest,
}

#[pymethods]
impl PyHookRequest {
    #[getter]
    fn method(&self) -> &str {
        self.view.method.as_str()
    }

    #[getter]
    fn path(&self) -> &str {
        &self.view.path
    }

    /// The request `state` as the request hooks and the handler's middleware left it.
    #[getter]
    fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        map_to_py(py, &self.view.state)
    }

    /// Seconds since the request arrived.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.view.received.elapsed().as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!("<HookRequest {} {}>", self.view.method, self.view.path)
    }
}

fn request_flow(
    py: Python<'_>,
    outcome: PyResult<Bound<'_, PyAny>>,
    request: &Py<Request>,
    data: &Arc<RequestData>,
    name: &str,
) -> Result<HookFlow, SpikardError> {
    let value = outcome.map_err(|e| errors::from_handler(py, e, name))?;
    let headers = request.get().take_reply_headers();
    if !value.is_none() {
        let mut response = to_handler_response(&value).map_err(|e| errors::from_handler(py, e, name))?;
        for (k, v) in headers {
            response.headers.append(k, v);
        }
        return Ok(HookFlow::Respond(response));
    }
    let state = request
        .get()
        .state_if_used(py)
        .map_err(|e| errors::from_handler(py, e, name))?;
    let mut data = RequestData::clone(data);
    if let Some(state) = state {
        data.state = state;
    }
    for (k, v) in headers {
        reply_header(&mut data, k, v);
    }
    Ok(HookFlow::Continue(data))
}

impl RequestHook for PyRequestHook {
    fn call(&self, data: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        let data = Arc::new(data);
        let name = self.name.clone();
        let is_async = self.is_async;
        let outcome = Python::attach(
            |py| -> Result<Result<HookFlow, bridge::Pending<HookFlow>>, SpikardError> {
                let request =
                    Py::new(py, Request::new(data.clone())).map_err(|e| errors::from_handler(py, e, &name))?;
                let result = if self.dependencies.is_empty() {
                    self.function.bind(py).call1((request.clone_ref(py),))
                } else {
                    let kwargs = PyDict::new(py);
                    crate::di::add_kwargs(py, &kwargs, data.extensions.get::<Dependencies>(), &self.dependencies)
                        .and_then(|()| self.function.bind(py).call((request.clone_ref(py),), Some(&kwargs)))
                };
                if !is_async {
                    return request_flow(py, result, &request, &data, &name).map(Ok);
                }
                let coroutine = result.map_err(|e| errors::from_handler(py, e, &name))?;
                let (data, hook_name) = (data.clone(), name.clone());
                let finish: bridge::Finish<HookFlow> =
                    Box::new(move |py, outcome| request_flow(py, outcome, &request, &data, &hook_name));
                bridge::submit(py, coroutine, finish)
                    .map(Err)
                    .map_err(|e| errors::from_handler(py, e, &name))
            },
        );
        match outcome {
            Ok(Ok(flow)) => Box::pin(std::future::ready(Ok(flow))),
            Ok(Err(pending)) => Box::pin(pending),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn dependencies(&self) -> &[String] {
        &self.dependencies
    }
}

fn response_result(
    py: Python<'_>,
    outcome: PyResult<Bound<'_, PyAny>>,
    response: &Py<Response>,
    name: &str,
) -> Result<HandlerResponse, SpikardError> {
    let value = outcome.map_err(|e| errors::from_handler(py, e, name))?;
    let converted = if value.is_none() {
        explicit_response(py, &response.bind(py).borrow())
    } else {
        to_handler_response(&value)
    };
    converted.map_err(|e| errors::from_handler(py, e, name))
}

impl ResponseHook for PyResponseHook {
    fn call(
        &self,
        response: HandlerResponse,
        request: &HookRequest,
    ) -> BoxFuture<Result<HandlerResponse, SpikardError>> {
        let name = self.name.clone();
        let is_async = self.is_async;
        let outcome = Python::attach(
            |py| -> Result<Result<HandlerResponse, bridge::Pending<HandlerResponse>>, SpikardError> {
                let shown = match to_py_response(py, response).map_err(|e| errors::from_handler(py, e, &name))? {
                    Ok(shown) => shown,
                    Err(streamed) => return Ok(Ok(streamed)),
                };
                let shown = Py::new(py, shown).map_err(|e| errors::from_handler(py, e, &name))?;
                let result = if self.with_request {
                    let view = Bound::new(py, PyHookRequest { view: request.clone() })
                        .map_err(|e| errors::from_handler(py, e, &name))?;
                    self.function.bind(py).call1((shown.clone_ref(py), view))
                } else {
                    self.function.bind(py).call1((shown.clone_ref(py),))
                };
                if !is_async {
                    return response_result(py, result, &shown, &name).map(Ok);
                }
                let coroutine = result.map_err(|e| errors::from_handler(py, e, &name))?;
                let hook_name = name.clone();
                let finish: bridge::Finish<HandlerResponse> =
                    Box::new(move |py, outcome| response_result(py, outcome, &shown, &hook_name));
                bridge::submit(py, coroutine, finish)
                    .map(Err)
                    .map_err(|e| errors::from_handler(py, e, &name))
            },
        );
        match outcome {
            Ok(Ok(response)) => Box::pin(std::future::ready(Ok(response))),
            Ok(Err(pending)) => Box::pin(pending),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}
