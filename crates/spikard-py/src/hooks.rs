//! Python callables as lifecycle hooks (`on_request`, `pre_validation`,
//! `pre_handler`, `on_response`, `on_error`), sync or `async`.
//!
//! A request hook gets the `Request`; returning `None` goes on (with whatever it
//! put in `request.state`), returning a `Response` (or anything a handler may
//! return) answers early. A response hook gets the `Response` (mutable: status,
//! headers, content) and returns `None` to keep it as changed, or another value
//! to answer with instead. A hook that raises answers like a raising handler
//! (`HTTPException` -> its problem, anything else -> a logged 500).

use std::sync::Arc;

use pyo3::prelude::*;
use spikard_core::SpikardError;
use spikard_http::hooks::HookRequest;
use spikard_http::{BoxFuture, HandlerResponse, HookFlow, RequestData, RequestHook, ResponseHook};

use crate::bridge;
use crate::errors;
use crate::request::Request;
use crate::response::{explicit_response, to_handler_response, to_py_response, Response};

/// The five phases, by their Python names.
pub const PHASES: [&str; 5] = ["on_request", "pre_validation", "pre_handler", "on_response", "on_error"];

/// A Python request-phase hook.
pub struct PyRequestHook {
    function: Py<PyAny>,
    name: Arc<str>,
    is_async: bool,
}

/// A Python response-phase hook.
pub struct PyResponseHook {
    function: Py<PyAny>,
    name: Arc<str>,
    is_async: bool,
}

impl PyRequestHook {
    pub fn new(function: Py<PyAny>, name: String, is_async: bool) -> Self {
        Self {
            function,
            name: name.into(),
            is_async,
        }
    }
}

impl PyResponseHook {
    pub fn new(function: Py<PyAny>, name: String, is_async: bool) -> Self {
        Self {
            function,
            name: name.into(),
            is_async,
        }
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
    if !value.is_none() {
        let response = to_handler_response(&value).map_err(|e| errors::from_handler(py, e, name))?;
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
                let result = self.function.bind(py).call1((request.clone_ref(py),));
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
        _request: &HookRequest,
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
                let result = self.function.bind(py).call1((shown.clone_ref(py),));
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
