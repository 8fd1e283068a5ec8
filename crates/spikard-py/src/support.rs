//! The Python objects the extension uses, registered once by `spikard._support` at
//! import: the encoder for values that are not builtins, the response and upload
//! classes it recognises and builds, and small asyncio helpers. Keeping them in Python
//! keeps this crate to conversion and calls.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The registered objects.
pub struct Support {
    /// Turns a value that is not a builtin into builtins (structs, dataclasses, models...).
    pub encoder: Py<PyAny>,
    pub response: Py<PyAny>,
    pub streaming_response: Py<PyAny>,
    pub event_source_response: Py<PyAny>,
    pub sse_event: Py<PyAny>,
    pub upload_file: Py<PyAny>,
    /// `spikard.requests.Request` and `HookRequest`.
    pub request: Py<PyAny>,
    pub hook_request: Py<PyAny>,
    /// Wraps an async iterator for pulls from Rust (`spikard._support.AsyncItems`).
    pub async_items: Py<PyAny>,
    /// The context variable holding the request's background runner.
    pub background: Py<PyAny>,
    /// `async with_runner(runner, coro)`: sets `background` inside the handler's task.
    pub with_runner: Py<PyAny>,
    /// `resolve(future, error)`: completes a WebSocket send's future.
    pub resolve: Py<PyAny>,
    /// `finish_generator(generator, exception, cancelled, error, name)`: a generator
    /// dependency's cleanup (`error`: the `(status, detail, code)` of a failure without an exception).
    pub finish_generator: Py<PyAny>,
    /// The same for an async generator (a coroutine).
    pub afinish_generator: Py<PyAny>,
    /// `first(generator, name)`, `afirst(...)` (a coroutine): a generator dependency's first
    /// value (a `RuntimeError` naming the dependency when there is none).
    pub first: Py<PyAny>,
    pub afirst: Py<PyAny>,
    /// `event_loop()`: the loop async functions run on; `submit(coroutine)`: run one there
    /// (a `concurrent.futures.Future`).
    pub event_loop: Py<PyAny>,
    pub submit: Py<PyAny>,
}

static SUPPORT: PyOnceLock<Support> = PyOnceLock::new();

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
    let support = Support {
        encoder: get("encoder")?,
        response: get("Response")?,
        streaming_response: get("StreamingResponse")?,
        event_source_response: get("EventSourceResponse")?,
        sse_event: get("SseEvent")?,
        upload_file: get("UploadFile")?,
        request: get("Request")?,
        hook_request: get("HookRequest")?,
        async_items: get("AsyncItems")?,
        background: get("background")?,
        with_runner: get("with_runner")?,
        resolve: get("resolve")?,
        finish_generator: get("finish_generator")?,
        afinish_generator: get("afinish_generator")?,
        first: get("first")?,
        afirst: get("afirst")?,
        event_loop: get("event_loop")?,
        submit: get("submit")?,
    };
    let _ = SUPPORT.set(py, support);
    Ok(())
}

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

/// Stand-ins for the package's objects in Rust unit tests (which run without the package).
#[cfg(test)]
pub fn register_stand_ins(py: Python<'_>) {
    let code = c"class Stand:\n    pass\nobjects = {n: type(n, (Stand,), {}) for n in ('Response', 'StreamingResponse', 'EventSourceResponse', 'SseEvent', 'UploadFile', 'AsyncItems', 'Request', 'HookRequest')}\nobjects.update(encoder=vars, background=None, with_runner=None, resolve=None, finish_generator=None, afinish_generator=None, first=None, afirst=None)\nimport asyncio, threading\nloop = asyncio.new_event_loop()\nthreading.Thread(target=loop.run_forever, daemon=True).start()\nobjects.update(event_loop=lambda: loop, submit=lambda c: asyncio.run_coroutine_threadsafe(c, loop))\n";
    let module = PyModule::from_code(py, code, c"stand_ins.py", c"stand_ins").unwrap();
    let objects = module.getattr("objects").unwrap();
    register(py, Some(objects.cast::<PyDict>().unwrap())).unwrap();
}
