//! `spikard.background.run(...)`: work run by the core's [`BackgroundTasks`] after the
//! response. While a handler runs, its request's runner is the value of the package's
//! context variable (`spikard._support.background`), set only once `spikard.background`
//! was imported ([`enable_background`]): apps without background work pay nothing.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;
use spikard_http::background::BackgroundTasks;

use crate::support::support;
use crate::{bridge, errors};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Make handlers expose their request's runner to `spikard.background` (called when it is imported).
#[pyfunction]
pub fn enable_background() {
    ENABLED.store(true, Ordering::Release);
}

/// The background task runner of one request's app.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct BackgroundRunner {
    tasks: BackgroundTasks,
    runtime: tokio::runtime::Handle,
}

#[pymethods]
impl BackgroundRunner {
    /// Run `coroutine` on the event loop; `False` when the server is shutting down.
    fn spawn_coroutine(&self, coroutine: Py<PyAny>, name: String) -> bool {
        let _entered = self.runtime.enter();
        self.tasks.spawn(async move {
            let pending = Python::attach(|py| {
                let finish: bridge::Finish<()> =
                    Box::new(move |py, outcome| outcome.map(|_| ()).map_err(|e| errors::from_handler(py, e, &name)));
                bridge::submit(py, coroutine.into_bound(py), finish)
                    .map_err(|e| errors::from_handler(py, e, "background task"))
            })?;
            pending.await
        })
    }
}

/// The request's runner, when background work is enabled and a runner is current.
pub fn request_runner(py: Python<'_>) -> PyResult<Option<Bound<'_, BackgroundRunner>>> {
    if !ENABLED.load(Ordering::Acquire) {
        return Ok(None);
    }
    let (Some(tasks), Ok(runtime)) = (BackgroundTasks::current(), tokio::runtime::Handle::try_current()) else {
        return Ok(None);
    };
    Bound::new(py, BackgroundRunner { tasks, runtime }).map(Some)
}

/// Call `call` with the runner set as current (a sync handler).
pub fn with_runner<'py, T>(
    py: Python<'py>,
    runner: Option<&Bound<'py, BackgroundRunner>>,
    call: impl FnOnce() -> PyResult<T>,
) -> PyResult<T> {
    let Some(runner) = runner else {
        return call();
    };
    let var = support(py)?.background.bind(py);
    let token = var.call_method1("set", (runner,))?;
    let result = call();
    var.call_method1("reset", (token,))?;
    result
}

/// Wrap an async handler's coroutine so the runner is current inside its task.
pub fn wrap_coroutine<'py>(
    py: Python<'py>,
    runner: Option<&Bound<'py, BackgroundRunner>>,
    coroutine: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    match runner {
        Some(runner) => support(py)?.with_runner.bind(py).call1((runner, coroutine)),
        None => Ok(coroutine),
    }
}
