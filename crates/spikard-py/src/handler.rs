//! A Python callable as a core [`Handler`].
//!
//! At registration the package describes how to call the function: one
//! [`Binding`] per parameter (which request value, under which keyword, through
//! which converter). Per request the keyword arguments are built straight from
//! the validated [`RequestData`], the function is called with the GIL held, and
//! a coroutine result is handed to the event loop through [`crate::bridge`].

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::{Map, Value};
use spikard_http::di::Dependencies;
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, RequestData};

use crate::background;
use crate::bridge;
use crate::convert::json_to_py;
use crate::errors;
use crate::request::{Request, UploadFile};
use crate::response::to_handler_response;

/// Where a keyword argument's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Path,
    Query,
    Header,
    Cookie,
    Body,
    Request,
    /// The first uploaded file of a field.
    File,
    /// Every uploaded file of a field, as a list.
    Files,
    /// A resolved dependency, by name.
    Dependency,
}

impl Source {
    fn parse(s: &str) -> PyResult<Self> {
        Ok(match s {
            "path" => Self::Path,
            "query" => Self::Query,
            "header" => Self::Header,
            "cookie" => Self::Cookie,
            "body" => Self::Body,
            "request" => Self::Request,
            "file" => Self::File,
            "files" => Self::Files,
            "dependency" => Self::Dependency,
            other => return Err(PyValueError::new_err(format!("unknown parameter source '{other}'"))),
        })
    }
}

/// One keyword argument of a handler.
pub struct Binding {
    kwarg: Py<PyAny>,
    source: Source,
    /// Name in the request (path/query/cookie name, lowercase header name, file field).
    key: String,
    /// Called with the plain value (e.g. builds a struct, an Enum member, a UUID).
    converter: Option<Py<PyAny>>,
    /// Pass `None` when the value is absent (otherwise the function's default applies).
    none_if_absent: bool,
}

impl Binding {
    /// From the package's `(kwarg, source, key, converter, none_if_absent)` tuple.
    pub fn from_tuple(t: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (kwarg, source, key, converter, none_if_absent): (String, String, String, Option<Py<PyAny>>, bool) =
            t.extract()?;
        let source = Source::parse(&source)?;
        Ok(Self {
            kwarg: pyo3::types::PyString::new(t.py(), &kwarg).into_any().unbind(),
            key: if source == Source::Header {
                key.to_ascii_lowercase()
            } else {
                key
            },
            source,
            converter,
            none_if_absent,
        })
    }
}

/// A registered Python handler.
pub struct PyHandler {
    function: Py<PyAny>,
    name: Arc<str>,
    bindings: Vec<Binding>,
    /// `async def`: the call returns a coroutine for the event loop.
    is_async: bool,
    /// Some parameter is a dependency (its exception then reaches generator dependencies).
    takes_dependencies: bool,
}

impl PyHandler {
    pub fn new(function: Py<PyAny>, name: String, bindings: Vec<Binding>, is_async: bool) -> Self {
        Self {
            takes_dependencies: bindings.iter().any(|b| b.source == Source::Dependency),
            function,
            name: name.into(),
            bindings,
            is_async,
        }
    }

    /// The names of the dependencies the handler takes.
    pub fn dependencies(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for b in self.bindings.iter().filter(|b| b.source == Source::Dependency) {
            if !names.contains(&b.key) {
                names.push(b.key.clone());
            }
        }
        names
    }

    /// The keyword arguments, and the `Request` when the handler takes one.
    fn kwargs<'py>(&self, py: Python<'py>, data: RequestData) -> PyResult<(Bound<'py, PyDict>, Option<Py<Request>>)> {
        let kwargs = PyDict::new(py);
        let data = Arc::new(data);
        let mut request = None;
        for b in &self.bindings {
            let value = match b.source {
                Source::Path => lookup(py, &data.path_params, &b.key)?,
                Source::Query => lookup(py, &data.query_params, &b.key)?,
                Source::Header => lookup(py, &data.header_params, &b.key)?,
                Source::Cookie => lookup(py, &data.cookie_params, &b.key)?,
                Source::Body if data.body.is_null() => None,
                Source::Body => Some(json_to_py(py, &data.body)?),
                Source::Request => {
                    let shown = Py::new(py, Request::new(data.clone()))?;
                    kwargs.set_item(b.kwarg.bind(py), shown.clone_ref(py))?;
                    request = Some(shown);
                    continue;
                }
                Source::Dependency => data
                    .extensions
                    .get::<Dependencies>()
                    .and_then(|d| d.get(&b.key))
                    .map(|v| crate::di::to_py(py, v))
                    .transpose()?,
                Source::File => data
                    .files
                    .iter()
                    .find(|f| f.field_name == b.key)
                    .map(|f| Bound::new(py, UploadFile::from(f.clone())).map(Bound::into_any))
                    .transpose()?,
                Source::Files => {
                    let files: Vec<UploadFile> = data
                        .files
                        .iter()
                        .filter(|f| f.field_name == b.key)
                        .cloned()
                        .map(UploadFile::from)
                        .collect();
                    if files.is_empty() {
                        None
                    } else {
                        Some(PyList::new(py, files)?.into_any())
                    }
                }
            };
            match (value, &b.converter) {
                (Some(v), Some(convert)) => kwargs.set_item(b.kwarg.bind(py), convert.bind(py).call1((v,))?)?,
                (Some(v), None) => kwargs.set_item(b.kwarg.bind(py), v)?,
                (None, _) if b.none_if_absent => kwargs.set_item(b.kwarg.bind(py), py.None())?,
                (None, _) => {}
            }
        }
        Ok((kwargs, request))
    }
}

fn lookup<'py>(py: Python<'py>, map: &Map<String, Value>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    map.get(key).map(|v| json_to_py(py, v)).transpose()
}

/// The handler's outcome as a response, with the headers asked for by `request.reply_header`.
/// An exception is also left to the generator dependencies the handler received (see [`crate::di`]).
fn finish(name: Arc<str>, request: Option<Py<Request>>, deps: Option<Dependencies>) -> bridge::Finish<HandlerResponse> {
    Box::new(move |py, outcome| match outcome {
        Ok(value) => {
            let mut response = to_handler_response(&value).map_err(|e| errors::from_handler(py, e, &name))?;
            for (k, v) in request.iter().flat_map(|r| r.get().take_reply_headers()) {
                response.headers.append(k, v);
            }
            Ok(response)
        }
        // Cancelled because the client went away: nobody reads the answer, nothing to log.
        Err(e) if errors::is_cancellation(py, &e) => Err(spikard_core::SpikardError::Internal(format!(
            "handler {name} was cancelled"
        ))),
        Err(e) => {
            if let Some(deps) = &deps {
                crate::di::record_failure(py, deps, &e);
            }
            Err(errors::from_handler(py, e, &name))
        }
    })
}

enum Called {
    Ready(HandlerResult),
    Pending(crate::di::Unfinished<bridge::Pending<HandlerResponse>>),
}

impl Handler for PyHandler {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let called = Python::attach(|py| {
            let runner = match background::request_runner(py) {
                Ok(r) => r,
                Err(e) => return Called::Ready(Err(errors::from_handler(py, e, &self.name))),
            };
            let deps = if self.takes_dependencies {
                request.extensions.get::<Dependencies>().cloned()
            } else {
                None
            };
            let (kwargs, shown) = match self.kwargs(py, request) {
                Ok(k) => k,
                Err(e) => return Called::Ready(Err(errors::from_handler(py, e, &self.name))),
            };
            let result = if self.is_async {
                self.function
                    .bind(py)
                    .call((), Some(&kwargs))
                    .and_then(|coroutine| background::wrap_coroutine(py, runner.as_ref(), coroutine))
            } else {
                background::with_runner(py, runner.as_ref(), || self.function.bind(py).call((), Some(&kwargs)))
            };
            let unfinished_deps = if self.is_async { deps.clone() } else { None };
            let finish = finish(self.name.clone(), shown, deps);
            let value = match result {
                Ok(v) => v,
                Err(e) => return Called::Ready(finish(py, Err(e))),
            };
            if self.is_async {
                match bridge::submit(py, value, finish) {
                    Ok(p) => Called::Pending(crate::di::Unfinished::new(p, unfinished_deps)),
                    Err(e) => Called::Ready(Err(errors::from_handler(py, e, &self.name))),
                }
            } else {
                Called::Ready(finish(py, Ok(value)))
            }
        });
        match called {
            Called::Ready(result) => Box::pin(std::future::ready(result)),
            Called::Pending(pending) => Box::pin(pending),
        }
    }
}
