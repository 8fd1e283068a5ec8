//! Error mapping between Python and the core.
//!
//! Python sees one hierarchy rooted at `SpikardError`:
//!
//! | exception | raised for |
//! |---|---|
//! | `SpikardError` | base of everything Spikard raises; `HTTPException` derives from it |
//! | `ConfigError` | a config or route spec that does not deserialise |
//! | `RouteError` | a route the core refuses (`code`: `route-conflict` or `invalid-route`) |
//! | `ServerError` | the server cannot bind or stops with an I/O error |
//!
//! Each instance carries the core's stable `code` attribute. In the other
//! direction, a handler's exception becomes a core error: an exception with an
//! integer `status_code` attribute deriving from `SpikardError` (`HTTPException`)
//! becomes an application-chosen problem response, with the exception's `headers`
//! (sent with the response) and `extra` (RFC 9457 extension members) when it has them;
//! anything else is logged with its traceback and answered with a 500 problem that
//! does not reveal it.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikard_core::{HttpProblem, SpikardError};

use crate::convert::py_to_json;

create_exception!(
    _spikard,
    SpikardPyError,
    PyException,
    "Base of every error Spikard raises."
);
create_exception!(
    _spikard,
    ConfigError,
    SpikardPyError,
    "A config or route description that cannot be read."
);
create_exception!(_spikard, RouteError, SpikardPyError, "A route the core refuses.");
create_exception!(
    _spikard,
    ServerError,
    SpikardPyError,
    "The server could not start or stopped with an I/O error."
);

/// Add the exception classes to the module (`SpikardError` is the Python name of the base).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    for (name, class) in [
        ("SpikardError", py.get_type::<SpikardPyError>()),
        ("ConfigError", py.get_type::<ConfigError>()),
        ("RouteError", py.get_type::<RouteError>()),
        ("ServerError", py.get_type::<ServerError>()),
    ] {
        // Shown as `spikard.exceptions.X`, where the package re-exports them.
        class.setattr("__module__", "spikard.exceptions")?;
        class.setattr("__qualname__", name)?;
        class.setattr("__name__", name)?;
        m.add(name, class)?;
    }
    Ok(())
}

fn with_code(py: Python<'_>, err: PyErr, code: &str) -> PyErr {
    let _ = err.value(py).setattr("code", code);
    err
}

/// A core error as a Python exception.
pub fn to_py(err: &SpikardError) -> PyErr {
    let message = err.to_string();
    let py_err = match err {
        SpikardError::RouteConflict(_) | SpikardError::InvalidRoute(_) => RouteError::new_err(message),
        // A broken dependency graph found when the app is built: a configuration mistake.
        SpikardError::Dependency { .. } | SpikardError::Config(_) => ConfigError::new_err(message),
        _ => SpikardPyError::new_err(message),
    };
    Python::attach(|py| with_code(py, py_err, err.code()))
}

/// A config/spec decoding failure as `ConfigError`.
pub fn config_error(what: &str, err: impl std::fmt::Display) -> PyErr {
    let py_err = ConfigError::new_err(format!("{what}: {err}"));
    Python::attach(|py| with_code(py, py_err, "invalid-config"))
}

/// An I/O failure of the server as `ServerError` (an invalid setting as `ConfigError`).
pub fn server_error(err: &std::io::Error) -> PyErr {
    if err.kind() == std::io::ErrorKind::InvalidInput {
        return config_error("server", err);
    }
    let py_err = ServerError::new_err(err.to_string());
    Python::attach(|py| with_code(py, py_err, "server-error"))
}

/// A handler's exception as a core error (see the module docs).
pub fn from_handler(py: Python<'_>, err: PyErr, handler_name: &str) -> SpikardError {
    let value = err.value(py);
    if value.is_instance_of::<SpikardPyError>() && value.hasattr("status_code").unwrap_or(false) {
        match http_error(value) {
            Ok(problem) => return problem,
            Err(e) => {
                e.set_cause(py, Some(err));
                log_exception(py, &e, handler_name);
                return SpikardError::Internal(format!("handler {handler_name} raised {e}"));
            }
        }
    }
    log_exception(py, &err, handler_name);
    SpikardError::Internal(format!("handler {handler_name} raised {err}"))
}

/// An exception's `status_code`, `detail`, `headers` and `extra` read by the core
/// (`HttpProblem::from_json`).
fn http_error(exc: &Bound<'_, PyAny>) -> PyResult<SpikardError> {
    let described = PyDict::new(exc.py());
    for name in ["status_code", "detail", "headers", "extra"] {
        if let Ok(v) = exc.getattr(name) {
            described.set_item(name, v)?;
        }
    }
    HttpProblem::from_json(&py_to_json(described.as_any())?).map_err(PyTypeError::new_err)
}

/// Whether an exception is a cancellation (`asyncio.CancelledError` or `concurrent.futures.CancelledError`).
pub fn is_cancellation(py: Python<'_>, err: &PyErr) -> bool {
    err.is_instance_of::<pyo3::exceptions::asyncio::CancelledError>(py)
        || err.get_type(py).name().is_ok_and(|n| n == "CancelledError")
}

/// Log an exception with its traceback on the `spikard` logger.
pub fn log_exception(py: Python<'_>, err: &PyErr, handler_name: &str) {
    let logged = (|| -> PyResult<()> {
        let logger = py.import("logging")?.call_method1("getLogger", ("spikard",))?;
        let kwargs = PyDict::new(py);
        // `into_value` attaches the traceback to the exception object.
        kwargs.set_item("exc_info", err.clone_ref(py).into_value(py))?;
        logger.call_method("error", ("handler %s raised an exception", handler_name), Some(&kwargs))?;
        Ok(())
    })();
    if logged.is_err() {
        tracing::error!(handler = handler_name, error = %err, "handler raised an exception");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_errors_carry_their_code() {
        Python::attach(|py| {
            let err = to_py(&SpikardError::RouteConflict("GET /a".into()));
            assert!(err.is_instance_of::<RouteError>(py));
            assert!(err.is_instance_of::<SpikardPyError>(py));
            let code: String = err.value(py).getattr("code").unwrap().extract().unwrap();
            assert_eq!(code, "route-conflict");
        });
    }

    #[test]
    fn plain_exceptions_become_internal_errors() {
        Python::attach(|py| {
            let err = pyo3::exceptions::PyRuntimeError::new_err("secret");
            let core = from_handler(py, err, "h");
            assert_eq!(core.status(), 500);
            assert_eq!(core.code(), "internal-server-error");
        });
    }

    #[test]
    fn spikard_errors_with_a_status_become_http_errors() {
        Python::attach(|py| {
            let err = SpikardPyError::new_err("x");
            err.value(py).setattr("status_code", 404).unwrap();
            err.value(py).setattr("detail", "Item not found").unwrap();
            let core = from_handler(py, err, "h");
            assert_eq!(
                core,
                SpikardError::Http {
                    status: 404,
                    detail: "Item not found".into()
                }
            );
        });
    }

    #[test]
    fn headers_and_extra_become_an_http_problem() {
        Python::attach(|py| {
            let err = SpikardPyError::new_err("x");
            let value = err.value(py);
            value.setattr("status_code", 429).unwrap();
            value.setattr("detail", "Slow down").unwrap();
            let headers = PyDict::new(py);
            headers.set_item("Retry-After", 30).unwrap();
            value.setattr("headers", headers).unwrap();
            let extra = PyDict::new(py);
            extra.set_item("limit", 10).unwrap();
            value.setattr("extra", extra).unwrap();
            let core = from_handler(py, err, "h");
            assert_eq!(core.status(), 429);
            assert_eq!(core.headers(), [("Retry-After".to_owned(), "30".to_owned())]);
            assert_eq!(core.to_problem().extensions["limit"], 10);
        });
    }

    #[test]
    fn unconvertible_extra_is_an_internal_error() {
        Python::attach(|py| {
            let err = SpikardPyError::new_err("x");
            let value = err.value(py);
            value.setattr("status_code", 400).unwrap();
            value.setattr("extra", py.eval(c"[1]", None, None).unwrap()).unwrap();
            assert_eq!(from_handler(py, err, "h").status(), 500);
        });
    }
}
