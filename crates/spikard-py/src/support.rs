//! The Python objects the extension uses, registered once by `spikard._support` at import
//! (see that module for what each does): the encoder for values that are not builtins, the
//! classes the extension recognises and builds, and asyncio helpers. Keeping them in
//! Python keeps this crate to conversion and calls.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The registered objects: one field per name `register` takes.
macro_rules! support {
    ($($field:ident: $name:literal,)*) => {
        pub struct Support {
            $(pub $field: Py<PyAny>,)*
        }

        /// Register the package's objects (only the first registration counts).
        #[pyfunction]
        #[pyo3(signature = (**objects))]
        pub fn register(py: Python<'_>, objects: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
            let get = |name: &str| -> PyResult<Py<PyAny>> {
                objects
                    .and_then(|o| o.get_item(name).ok().flatten())
                    .map(Bound::unbind)
                    .ok_or_else(|| PyRuntimeError::new_err(format!("register: '{name}' is missing")))
            };
            let _ = SUPPORT.set(py, Support { $($field: get($name)?,)* });
            Ok(())
        }
    };
}

support! {
    encoder: "encoder",
    response: "Response",
    file_response: "FileResponse",
    streaming_response: "StreamingResponse",
    event_source_response: "EventSourceResponse",
    sse_event: "SseEvent",
    upload_file: "UploadFile",
    request: "Request",
    hook_request: "HookRequest",
    items: "items",
    end: "end",
    background: "background",
    with_runner: "with_runner",
    resolve: "resolve",
    cleanup: "cleanup",
    first: "first",
    afirst: "afirst",
    event_loop: "event_loop",
    submit: "submit",
}

static SUPPORT: PyOnceLock<Support> = PyOnceLock::new();

/// The registered objects; an error before `spikard` was imported.
pub fn support(py: Python<'_>) -> PyResult<&Support> {
    SUPPORT
        .get(py)
        .ok_or_else(|| PyRuntimeError::new_err("the spikard package has not registered its support objects"))
}

/// Whether `value` is an instance of the registered class `class`.
pub fn is(value: &Bound<'_, PyAny>, class: &Py<PyAny>) -> bool {
    value.is_instance(class.bind(value.py())).unwrap_or(false)
}
