//! ASGI 3 applications (FastAPI, Starlette, any `async def app(scope, receive, send)`) on
//! the core's HTTP engine, mounted under a prefix (`Spikard.mount`) or at the root
//! (`spikard serve module:app`). The core parses, limits, routes, runs the server-wide
//! middleware and carries the messages (`spikard_http::foreign::exchange`); this module
//! builds the `scope` and exposes the exchange to `spikard.asgi`, which runs the app on the
//! package's event loop with `receive`/`send` over an [`AsgiChannel`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, Version};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use spikard_core::SpikardError;
use spikard_http::foreign::exchange::{self, Exchange, ExchangeError, Limits, Message, Wake};
use spikard_http::mount::{LocalAddr, MountPrefix};

pyo3::create_exception!(
    spikard._spikard,
    ClientDisconnected,
    PyOSError,
    "The client closed the connection: `send` has nowhere to send to."
);

/// An ASGI mount: the runner (`spikard.asgi.serve_http` bound to the app), the waker of
/// the loop's futures (`spikard.asgi._wake`), the lifespan state and the settings.
pub struct AsgiApp {
    pub runner: Py<PyAny>,
    pub wake: Py<PyAny>,
    pub state: Option<Py<PyDict>>,
    /// Prepended to `path` and `root_path` (a proxy strips it: uvicorn's `--root-path`).
    pub root_path: String,
    pub max_body_size: usize,
    pub start_timeout: Duration,
}

/// Resolves asyncio futures on their loop (`call_soon_threadsafe(wake, future, message)`).
struct PyWake(Py<PyAny>);

impl Wake for PyWake {
    type Waiter = Py<PyAny>;

    fn wake(&self, future: Py<PyAny>, message: Option<Message>) {
        Python::attach(|py| {
            let scheduled = message_to_py(py, message.as_ref()).and_then(|value| {
                let future = future.bind(py);
                let call_soon = future.call_method0("get_loop")?.getattr("call_soon_threadsafe")?;
                call_soon.call1((self.0.bind(py), future, value))
            });
            if let Err(e) = scheduled {
                tracing::debug!(error = %e, "an ASGI wait could not be resolved (its loop is closed)");
            }
        });
    }
}

fn message_to_py(py: Python<'_>, message: Option<&Message>) -> PyResult<Py<PyAny>> {
    let Some(message) = message else {
        return Ok(py.None());
    };
    let out = PyDict::new(py);
    match message {
        Message::Body(chunk, more) => {
            out.set_item("type", "http.request")?;
            out.set_item("body", PyBytes::new(py, chunk))?;
            out.set_item("more_body", *more)?;
        }
        Message::Disconnect => out.set_item("type", "http.disconnect")?,
    }
    Ok(out.into_any().unbind())
}

fn to_py_err(e: ExchangeError) -> PyErr {
    match e {
        ExchangeError::Disconnected => ClientDisconnected::new_err(e.to_string()),
        ExchangeError::Protocol(m) => PyRuntimeError::new_err(m),
    }
}

/// The mount as a tower service.
#[derive(Clone)]
pub struct AsgiService(pub Arc<AsgiApp>);

impl tower::Service<Request<Body>> for AsgiService {
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let app = Arc::clone(&self.0);
        Box::pin(async move {
            let limits = Limits {
                max_body_size: app.max_body_size,
                start_timeout: app.start_timeout,
            };
            let wake = PyWake(Python::attach(|py| app.wake.clone_ref(py)));
            Ok(exchange::serve(request, wake, limits, |parts, ex| start(&app, parts, ex)).await)
        })
    }
}

/// Build the scope and start the app on the event loop; the exchange finishes with it.
fn start(app: &AsgiApp, parts: &http::request::Parts, ex: Exchange<PyWake>) -> Result<(), SpikardError> {
    Python::attach(|py| -> PyResult<()> {
        let scope = scope(py, app, parts)?;
        let done = ex.clone();
        let channel = Bound::new(py, AsgiChannel { ex })?;
        let coroutine = app.runner.bind(py).call1((scope, channel))?;
        let finish: crate::bridge::Finish<()> = Box::new(move |py, outcome| {
            if let Err(e) = &outcome {
                let trace = e.traceback(py).and_then(|t| t.format().ok()).unwrap_or_default();
                tracing::error!(error = %e, traceback = %trace, "exception in ASGI application");
            }
            done.finish(outcome.is_err());
            Ok(())
        });
        let pending = crate::bridge::submit(py, coroutine, finish)?;
        // The app runs on until it returns, whatever happens to the request's future.
        tokio::spawn(async move {
            let _ = pending.await;
        });
        Ok(())
    })
    .map_err(|e| SpikardError::Internal(format!("the ASGI application could not be called: {e}")))
}

/// `receive`/`send` as `spikard.asgi` drives them (see `spikard_http::foreign::exchange`).
#[pyclass(frozen, module = "spikard._spikard")]
pub struct AsgiChannel {
    ex: Exchange<PyWake>,
}

#[pymethods]
impl AsgiChannel {
    /// The next message if one is ready (`None`: wait with `wait`).
    fn receive(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.ex.receive().map(|m| message_to_py(py, Some(&m))).transpose()
    }

    /// Resolve `future` with the next message (now, if one is ready).
    fn wait(&self, py: Python<'_>, future: Py<PyAny>) -> PyResult<()> {
        let ready = self.ex.wait(future.clone_ref(py)).map_err(to_py_err)?;
        if let Some(message) = ready {
            future
                .bind(py)
                .call_method1("set_result", (message_to_py(py, Some(&message))?,))?;
        }
        Ok(())
    }

    /// `http.response.start`; trailers are refused (the extension is not offered).
    #[pyo3(signature = (status, headers, trailers = false))]
    fn start(&self, status: u16, headers: Vec<(Vec<u8>, Vec<u8>)>, trailers: bool) -> PyResult<()> {
        if trailers {
            return Err(PyRuntimeError::new_err(
                "http.response.start asks for trailers, which this server does not offer",
            ));
        }
        let status =
            StatusCode::from_u16(status).map_err(|_| PyValueError::new_err(format!("invalid status {status}")))?;
        let mut map = HeaderMap::with_capacity(headers.len());
        for (name, value) in headers {
            let text = || String::from_utf8_lossy(&name).into_owned();
            let n = HeaderName::from_bytes(&name)
                .map_err(|_| PyValueError::new_err(format!("invalid header name {:?}", text())))?;
            let v = HeaderValue::from_bytes(&value)
                .map_err(|_| PyValueError::new_err(format!("invalid value for header {:?}", text())))?;
            map.append(n, v);
        }
        self.ex.start(status, map).map_err(to_py_err)
    }

    /// `http.response.body`: `False` while the client is not reading (wait with `writable`).
    fn body(&self, data: &[u8], more: bool) -> PyResult<bool> {
        self.ex.body(data, more).map_err(to_py_err)
    }

    /// Resolve `future` (with `None`) once the client has room for another chunk.
    fn writable(&self, future: Py<PyAny>) {
        self.ex.writable(future);
    }
}

fn address<'py>(py: Python<'py>, addr: Option<SocketAddr>) -> PyResult<Bound<'py, PyAny>> {
    match addr {
        Some(a) => Ok(PyTuple::new(
            py,
            [
                a.ip().to_string().into_pyobject(py)?.into_any(),
                a.port().into_pyobject(py)?.into_any(),
            ],
        )?
        .into_any()),
        None => Ok(py.None().into_bound(py)),
    }
}

/// The HTTP connection scope, as the ASGI spec words it.
fn scope<'py>(py: Python<'py>, app: &AsgiApp, parts: &http::request::Parts) -> PyResult<Bound<'py, PyDict>> {
    let prefix = parts.extensions.get::<MountPrefix>().map_or("", |p| p.0.as_str());
    let raw = parts.uri.path();
    let decoded = spikard_http::pipeline::decode_path(raw).unwrap_or_else(|_| raw.to_owned());
    let scope = PyDict::new(py);
    let asgi = PyDict::new(py);
    asgi.set_item("version", "3.0")?;
    asgi.set_item("spec_version", "2.4")?;
    scope.set_item("type", "http")?;
    scope.set_item("asgi", asgi)?;
    let version = match parts.version {
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2",
        _ => "1.1",
    };
    scope.set_item("http_version", version)?;
    scope.set_item("method", parts.method.as_str())?;
    scope.set_item("scheme", "http")?;
    scope.set_item("path", format!("{}{decoded}", app.root_path))?;
    let mut raw_path = app.root_path.as_bytes().to_vec();
    raw_path.extend_from_slice(raw.as_bytes());
    scope.set_item("raw_path", PyBytes::new(py, &raw_path))?;
    scope.set_item(
        "query_string",
        PyBytes::new(py, parts.uri.query().unwrap_or("").as_bytes()),
    )?;
    scope.set_item("root_path", format!("{}{prefix}", app.root_path))?;
    let headers = PyList::empty(py);
    for (name, value) in &parts.headers {
        headers.append((
            PyBytes::new(py, name.as_str().as_bytes()),
            PyBytes::new(py, value.as_bytes()),
        ))?;
    }
    scope.set_item("headers", headers)?;
    let client = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    scope.set_item("client", address(py, client)?)?;
    scope.set_item("server", address(py, parts.extensions.get::<LocalAddr>().map(|a| a.0))?)?;
    if let Some(state) = &app.state {
        scope.set_item("state", state.bind(py).copy()?)?;
    }
    scope.set_item("extensions", PyDict::new(py))?;
    Ok(scope)
}
