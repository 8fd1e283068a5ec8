//! WebSocket routes: a Python session per connection behind the core's `ForeignWebSocket`.
//! The core awaits the session's `start()`, `push(message)` per accepted message and
//! `closed(code, reason)`; sends return asyncio futures resolved once the frame is queued.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use spikard_http::foreign::{FnSession, ForeignConnection, ForeignError, ForeignFn, ForeignSession, ForeignSessions};
use spikard_http::websocket::{WsConnection, WsMessage};
use spikard_http::BoxFuture;

use crate::bridge;
use crate::call::PyFn;
use crate::errors;
use crate::support::support;

/// The sending half of a connection, given to the Python session.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct WebSocketConnection(ForeignConnection);

/// An asyncio future, and the callback completing it from any thread once a frame was queued.
type Queued<'py> = (Bound<'py, PyAny>, Box<dyn FnOnce(Option<String>) + Send>);

fn queued(py: Python<'_>) -> PyResult<Queued<'_>> {
    let event_loop = bridge::event_loop(py)?;
    let future = event_loop.call_method0("create_future")?;
    let resolve = support(py)?.resolve.clone_ref(py);
    let (fut, lp) = (future.clone().unbind(), event_loop.unbind());
    let done = move |error: Option<String>| {
        Python::attach(|py| {
            let _ = lp
                .bind(py)
                .call_method1("call_soon_threadsafe", (resolve.bind(py), fut.bind(py), error));
        });
    };
    Ok((future, Box::new(done)))
}

#[pymethods]
impl WebSocketConnection {
    /// Send a text frame (`str`) or a binary one (`bytes`).
    fn send<'py>(&self, py: Python<'py>, message: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let message = match message.cast::<PyString>() {
            Ok(text) => WsMessage::Text(text.to_str()?.to_owned()),
            Err(_) => WsMessage::Binary(message.extract::<Vec<u8>>()?.into()),
        };
        let (future, done) = queued(py)?;
        self.0.send(message, done);
        Ok(future)
    }

    #[pyo3(signature = (code = 1000, reason = String::new()))]
    fn close<'py>(&self, py: Python<'py>, code: u16, reason: String) -> PyResult<Bound<'py, PyAny>> {
        let (future, done) = queued(py)?;
        self.0.close(code, reason, done).map_err(PyValueError::new_err)?;
        Ok(future)
    }

    /// The upgrade request (path, parameters, headers, cookies), as the package's `Request`.
    #[getter]
    fn request<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(crate::request::request(py, Arc::new(self.0.request().clone()))?.0)
    }
}

/// A WebSocket route's Python side: `factory(connection)` returns a session with async
/// `start()`, `push(message)` and `closed(code, reason)`, driven by the core's [`FnSession`].
pub struct PySessions {
    pub factory: Py<PyAny>,
    pub name: Arc<str>,
}

impl PySessions {
    /// The user's session for a new connection: its `start`, `push` and `closed` methods.
    fn session(&self, py: Python<'_>, conn: ForeignConnection) -> PyResult<[Arc<dyn ForeignFn>; 3]> {
        let session = self
            .factory
            .bind(py)
            .call1((Bound::new(py, WebSocketConnection(conn))?,))?;
        let method =
            |name: &str, n| -> PyResult<_> { Ok(PyFn::plain(session.getattr(name)?.unbind(), &self.name, true, n)) };
        Ok([method("start", 0)?, method("push", 1)?, method("closed", 2)?])
    }
}

impl ForeignSessions for PySessions {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let conn = ForeignConnection::new(conn);
        let methods = Python::attach(|py| {
            let methods = self.session(py, conn);
            methods.map_err(|e| ForeignError::new(errors::from_handler(py, e, &self.name)))
        });
        match methods {
            Ok([start, push, closed]) => FnSession::start(&start, push, closed),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}
