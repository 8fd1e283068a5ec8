//! WebSocket routes: a Python session per connection behind the core's `ForeignWebSocket`.
//! The core awaits the session's `start()`, `push(message)` per accepted message and
//! `closed(code, reason)`; sends return asyncio futures resolved once the frame is queued.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use spikard_http::foreign::{ForeignConnection, ForeignError, ForeignSession, ForeignSessions};
use spikard_http::websocket::{WsConnection, WsMessage};
use spikard_http::BoxFuture;

use crate::bridge;
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
/// `start()`, `push(message)` and `closed(code, reason)`.
pub struct PySessions {
    pub factory: Py<PyAny>,
    pub name: Arc<str>,
}

/// One connection's Python session object.
struct PySession {
    session: Py<PyAny>,
    name: Arc<str>,
}

/// Await the coroutine `make` returns on the event loop.
fn awaited<T: Send + 'static>(
    name: &Arc<str>,
    make: impl FnOnce(Python<'_>) -> PyResult<(Bound<'_, PyAny>, T)>,
) -> BoxFuture<Result<T, ForeignError>> {
    let name = name.clone();
    let pending = Python::attach(|py| {
        let failed = |py: Python<'_>, e: PyErr| ForeignError::new(errors::from_handler(py, e, &name));
        let (coroutine, value) = make(py).map_err(|e| failed(py, e))?;
        let finish_name = name.clone();
        let finish: bridge::Finish<T, ForeignError> = Box::new(move |py, outcome| {
            outcome
                .map(|_| value)
                .map_err(|e| ForeignError::new(errors::from_handler(py, e, &finish_name)))
        });
        bridge::submit(py, coroutine, finish).map_err(|e| failed(py, e))
    });
    Box::pin(async move { pending?.await })
}

impl ForeignSessions for PySessions {
    fn open(&self, conn: WsConnection) -> BoxFuture<Result<Arc<dyn ForeignSession>, ForeignError>> {
        let (conn, name) = (ForeignConnection::new(conn), self.name.clone());
        awaited(&self.name, |py| {
            let connection = Bound::new(py, WebSocketConnection(conn))?;
            let session = self.factory.bind(py).call1((connection,))?;
            let opened: Arc<dyn ForeignSession> = Arc::new(PySession {
                session: session.clone().unbind(),
                name,
            });
            Ok((session.call_method0("start")?, opened))
        })
    }
}

impl ForeignSession for PySession {
    fn push(&self, message: WsMessage) -> BoxFuture<Result<(), ForeignError>> {
        awaited(&self.name, |py| {
            let message = match &message {
                WsMessage::Text(t) => PyString::new(py, t).into_any(),
                WsMessage::Binary(b) => PyBytes::new(py, b).into_any(),
                WsMessage::Json(v) => PyString::new(py, &v.to_string()).into_any(),
            };
            Ok((self.session.bind(py).call_method1("push", (message,))?, ()))
        })
    }

    fn closed(&self, code: u16, reason: String) -> BoxFuture<Result<(), ForeignError>> {
        awaited(&self.name, |py| {
            Ok((self.session.bind(py).call_method1("closed", (code, reason))?, ()))
        })
    }
}
