//! The GIL/event-loop helper. Coroutines run on the package's asyncio loop
//! (`spikard._support.event_loop`); [`submit`] hands one over and returns a Rust future
//! whose done-callback converts the outcome with the GIL held; dropping the future cancels
//! the Python task. Sync functions run on the process's [`BlockingPool`]
//! ([`blocking_pool`]), each thread taking the GIL for its call. Blocking Rust calls run
//! inside `py.detach`.

use std::sync::{LazyLock, Mutex};

use pyo3::prelude::*;
use spikard_core::SpikardError;
use spikard_http::foreign::call::pending;
pub use spikard_http::foreign::call::Pending;
use spikard_http::foreign::BlockingPool;

use crate::support::support;

static BLOCKING: LazyLock<BlockingPool> =
    LazyLock::new(|| BlockingPool::new(spikard_core::config::ServerConfig::default().blocking_threads));

/// The threads sync Python functions run on: one pool per process, like its event loop,
/// sized by the app served or tested last (`ServerConfig::blocking_threads`, [`size_pool`]).
pub fn blocking_pool() -> &'static BlockingPool {
    &BLOCKING
}

/// Size the pool for the app about to serve or be tested.
pub fn size_pool(config: &spikard_core::config::ServerConfig) {
    if BLOCKING.size() != config.blocking_threads {
        BLOCKING.resize(config.blocking_threads);
    }
}

/// The event loop async functions run on (started if needed).
pub fn event_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    support(py)?.event_loop.bind(py).call0()
}

/// Turns a coroutine's outcome into a result (runs on the loop thread, GIL held).
pub type Finish<T, E = SpikardError> = Box<dyn FnOnce(Python<'_>, PyResult<Bound<'_, PyAny>>) -> Result<T, E> + Send>;

type Complete = Box<dyn FnOnce(Python<'_>, PyResult<Bound<'_, PyAny>>) + Send>;

/// Called by asyncio when the coroutine's future completes.
#[pyclass(frozen)]
struct DoneCallback {
    complete: Mutex<Option<Complete>>,
}

#[pymethods]
impl DoneCallback {
    fn __call__(&self, py: Python<'_>, future: Bound<'_, PyAny>) {
        if let Some(complete) = self.complete.lock().ok().and_then(|mut g| g.take()) {
            complete(py, future.call_method0("result"));
        }
    }
}

/// Run `coroutine` on the event loop; `finish` turns its outcome into a result on the
/// loop thread, with the GIL held.
pub fn submit<T: Send + 'static, E: Send + 'static>(
    py: Python<'_>,
    coroutine: Bound<'_, PyAny>,
    finish: Finish<T, E>,
) -> PyResult<Pending<T, E>> {
    let future = support(py)?.submit.bind(py).call1((coroutine,))?;
    let task = future.clone().unbind();
    let (settle, pending) = pending(move || {
        let _ = Python::try_attach(|py| task.bind(py).call_method0("cancel").map(drop));
    });
    let complete: Complete = Box::new(move |py, outcome| settle.settle(finish(py, outcome)));
    let complete = Mutex::new(Some(complete));
    future.call_method1("add_done_callback", (Bound::new(py, DoneCallback { complete })?,))?;
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coroutines_complete_through_the_loop_thread() {
        let runtime = crate::stand_ins::runtime().unwrap();
        let pending = Python::attach(|py| {
            crate::stand_ins::register(py);
            let module = PyModule::from_code(
                py,
                c"import asyncio\nasync def answer():\n    await asyncio.sleep(0)\n    return 42\n",
                c"t.py",
                c"t",
            )
            .unwrap();
            let coroutine = module.getattr("answer").unwrap().call0().unwrap();
            let finish: Finish<spikard_http::HandlerResponse> = Box::new(|_py, r| {
                let n: i64 = r
                    .and_then(|v| v.extract())
                    .map_err(|e| SpikardError::Internal(e.to_string()))?;
                Ok(spikard_http::HandlerResponse::json(serde_json::json!(n)))
            });
            submit(py, coroutine, finish).unwrap()
        });
        let response = runtime.block_on(pending).unwrap();
        assert!(matches!(response.body, spikard_http::ResponseBody::Json(ref v) if v == &serde_json::json!(42)));
    }

    #[test]
    fn dropping_the_future_cancels_the_python_task() {
        let (module, pending) = Python::attach(|py| {
            crate::stand_ins::register(py);
            let module = PyModule::from_code(
                py,
                c"import asyncio\nstate = []\nasync def slow():\n    state.append('started')\n    try:\n        await asyncio.sleep(30)\n    except asyncio.CancelledError:\n        state.append('cancelled')\n        raise\n",
                c"c.py",
                c"c",
            )
            .unwrap();
            let coroutine = module.getattr("slow").unwrap().call0().unwrap();
            let finish: Finish<spikard_http::HandlerResponse> =
                Box::new(|_py, _r| Ok(spikard_http::HandlerResponse::text("late")));
            (module.unbind(), submit(py, coroutine, finish).unwrap())
        });
        let state = |module: &Py<PyModule>| {
            Python::attach(|py| {
                module
                    .bind(py)
                    .getattr("state")
                    .unwrap()
                    .extract::<Vec<String>>()
                    .unwrap()
            })
        };
        let wait_for = |want: usize| {
            for _ in 0..500 {
                if state(&module).len() >= want {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        };
        wait_for(1);
        drop(pending);
        wait_for(2);
        assert_eq!(state(&module), vec!["started", "cancelled"]);
    }
}
