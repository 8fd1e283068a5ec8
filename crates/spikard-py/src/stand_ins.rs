//! Test-only stand-ins: the Rust unit tests run embedded, without the `spikard` package.

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A runtime shaped like the test client's.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}

/// Stand-ins for the package's support objects, registered.
pub fn register(py: Python<'_>) {
    let code = c"class Stand:\n    pass\nobjects = {n: type(n, (Stand,), {}) for n in ('Response', 'FileResponse', 'StreamingResponse', 'EventSourceResponse', 'SseEvent', 'UploadFile', 'Request', 'HookRequest')}\nimport functools\nend = object()\ndef items(c, end=end):\n    it = iter(c)\n    return functools.partial(next, it, end), getattr(it, 'close', None), False\nobjects.update(items=items, end=end, encoder=vars, background=None, with_runner=None, resolve=None, cleanup=None, first=None, afirst=None)\nimport asyncio, threading\nloop = asyncio.new_event_loop()\nthreading.Thread(target=loop.run_forever, daemon=True).start()\nobjects.update(event_loop=lambda: loop, submit=lambda c: asyncio.run_coroutine_threadsafe(c, loop))\n";
    let module = PyModule::from_code(py, code, c"stand_ins.py", c"stand_ins").unwrap();
    let objects = module.getattr("objects").unwrap();
    crate::support::register(py, Some(objects.cast::<PyDict>().unwrap())).unwrap();
}

/// Stand-ins for the package's exception classes, registered; the classes in the order of
/// `ErrorClass::ALL`.
pub fn errors(py: Python<'_>) -> Vec<Py<PyAny>> {
    let code = c"class SpikardError(Exception): pass\nclass ConfigError(SpikardError): pass\nclass RouteError(SpikardError): pass\nclass ServerError(SpikardError): pass\n";
    let module = PyModule::from_code(py, code, c"stand_in_errors.py", c"stand_in_errors").unwrap();
    assert!(module.is_instance_of::<PyModule>()); // `from_code` registers it in `sys.modules`
    crate::errors::register(&PyModule::new(py, "ext").unwrap(), "stand_in_errors").unwrap();
    let classes = crate::errors::CLASSES.get(py).unwrap();
    classes.iter().map(|c| c.clone_ref(py)).collect()
}
