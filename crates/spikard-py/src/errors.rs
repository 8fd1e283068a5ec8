//! Error mapping. The exception classes are the package's (`spikard.exceptions`), imported
//! and re-exported when the extension loads; each carries the core's `code`. A handler's
//! `SpikardError` with an integer `status_code` (`HTTPException`) becomes its problem
//! response (`headers`, `extra`); any other exception is logged and answered with a 500.

use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use spikard_core::{ErrorClass, HttpProblem, SpikardError};

use crate::convert::py_to_json;

/// The exception classes, in the order of [`ErrorClass::ALL`].
pub(crate) static CLASSES: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

/// Import the exception classes from `module` and add them to the extension module.
pub fn register(m: &Bound<'_, PyModule>, module: &str) -> PyResult<()> {
    let exceptions = m.py().import(module)?;
    let mut classes = Vec::new();
    for name in ErrorClass::ALL.map(ErrorClass::name) {
        let class = exceptions.getattr(name)?;
        m.add(name, &class)?;
        classes.push(class.unbind());
    }
    let _ = CLASSES.set(m.py(), classes);
    Ok(())
}

/// An instance of `class` with `message` and `code`.
fn raise(class: ErrorClass, message: String, code: &str) -> PyErr {
    Python::attach(|py| {
        let Some(classes) = CLASSES.get(py) else {
            return PyRuntimeError::new_err(message);
        };
        match classes[class as usize].bind(py).call1((message,)) {
            Ok(e) => {
                let _ = e.setattr("code", code);
                PyErr::from_value(e)
            }
            Err(e) => e,
        }
    })
}

/// A core error as a Python exception.
pub fn to_py(err: &SpikardError) -> PyErr {
    raise(err.class(), err.to_string(), err.code())
}

/// A failure of the server as `ServerError` (an invalid setting as `ConfigError`).
pub fn server_error(err: &std::io::Error) -> PyErr {
    let (class, message, code) = ErrorClass::of_server_failure(err);
    raise(class, message, code)
}

/// A handler's exception as a core error (see the module docs).
pub fn from_handler(py: Python<'_>, err: PyErr, handler_name: &str) -> SpikardError {
    let value = err.value(py);
    let base = CLASSES.get(py).map(|c| c[ErrorClass::Spikard as usize].bind(py));
    if base.is_some_and(|b| value.is_instance(b).unwrap_or(false)) && value.hasattr("status_code").unwrap_or(false) {
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

    fn spikard_error(py: Python<'_>) -> PyErr {
        PyErr::from_value(crate::stand_ins::errors(py)[0].bind(py).call1(("x",)).unwrap())
    }

    #[test]
    fn route_errors_carry_their_code() {
        Python::attach(|py| {
            let classes = crate::stand_ins::errors(py);
            let err = to_py(&SpikardError::RouteConflict("GET /a".into()));
            assert!(err.value(py).is_instance(classes[2].bind(py)).unwrap());
            assert!(err.value(py).is_instance(classes[0].bind(py)).unwrap());
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
            let err = spikard_error(py);
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
            let err = spikard_error(py);
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
            let err = spikard_error(py);
            let value = err.value(py);
            value.setattr("status_code", 400).unwrap();
            value.setattr("extra", py.eval(c"[1]", None, None).unwrap()).unwrap();
            assert_eq!(from_handler(py, err, "h").status(), 500);
        });
    }
}
