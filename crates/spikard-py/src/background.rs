//! `spikard.background.run(fn_or_coroutine, *args, **kwargs)`: work started by a handler
//! and run by the core's [`BackgroundTasks`] after the response (bounded concurrency,
//! failures logged with their traceback, drained on graceful shutdown).
//!
//! While a handler runs, the request's runner is the value of a context variable
//! ([`current_background`]): set around a sync handler's call, and inside an async handler's task
//! (the coroutine is wrapped so the variable belongs to that task only). It is only set
//! once the `spikard.background` module was imported ([`enable_background`]), so apps
//! that never use background work pay nothing per request.
//!
//! A task is a coroutine (run on the asyncio loop thread), a coroutine function (called,
//! then run on the loop), or a plain callable (run on a blocking thread, with the GIL
//! held for the call).

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple};
use spikard_core::SpikardError;
use spikard_http::background::BackgroundTasks;

use crate::bridge;
use crate::errors;

static ENABLED: AtomicBool = AtomicBool::new(false);
static HELPERS: PyOnceLock<Helpers> = PyOnceLock::new();

struct Helpers {
    /// `contextvars.ContextVar("spikard_background")`.
    var: Py<PyAny>,
    /// `async def with_runner(runner, coro)`: sets the variable inside the task, then awaits.
    with_runner: Py<PyAny>,
    iscoroutine: Py<PyAny>,
    iscoroutinefunction: Py<PyAny>,
}

fn helpers(py: Python<'_>) -> PyResult<&Helpers> {
    HELPERS.get_or_try_init(py, || {
        let module = PyModule::from_code(
            py,
            c"import contextvars\nvar = contextvars.ContextVar('spikard_background')\nasync def with_runner(runner, coro):\n    var.set(runner)\n    return await coro\n",
            c"spikard_background.py",
            c"spikard_background",
        )?;
        let inspect = py.import("inspect")?;
        Ok(Helpers {
            var: module.getattr("var")?.unbind(),
            with_runner: module.getattr("with_runner")?.unbind(),
            iscoroutine: inspect.getattr("iscoroutine")?.unbind(),
            iscoroutinefunction: inspect.getattr("iscoroutinefunction")?.unbind(),
        })
    })
}

/// Make handlers expose their request's runner to `spikard.background` (called when it is imported).
#[pyfunction]
pub fn enable_background(py: Python<'_>) -> PyResult<()> {
    helpers(py)?;
    ENABLED.store(true, Ordering::Release);
    Ok(())
}

/// The runner of the request being handled; raises `RuntimeError` outside a handler.
#[pyfunction]
pub fn current_background(py: Python<'_>) -> PyResult<Py<PyAny>> {
    helpers(py)?
        .var
        .bind(py)
        .call_method1("get", (py.None(),))
        .and_then(|v| {
            if v.is_none() {
                Err(PyRuntimeError::new_err(
                    "background.run is only available while a request is being handled",
                ))
            } else {
                Ok(v.unbind())
            }
        })
}

/// The background task runner of one request's app.
#[pyclass(frozen, module = "spikard._spikard")]
pub struct BackgroundRunner {
    tasks: BackgroundTasks,
    runtime: tokio::runtime::Handle,
}

#[pymethods]
impl BackgroundRunner {
    /// Start `task` (see the module docs); `False` when the server is shutting down.
    #[pyo3(signature = (task, args, kwargs = None))]
    fn spawn(
        &self,
        py: Python<'_>,
        task: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<bool> {
        let h = helpers(py)?;
        let name = task
            .getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "background task".into());
        let _entered = self.runtime.enter();
        if h.iscoroutine.bind(py).call1((task,))?.is_truthy()? {
            return Ok(self.spawn_coroutine(task.clone().unbind(), name));
        }
        if h.iscoroutinefunction.bind(py).call1((task,))?.is_truthy()? {
            let coroutine = task.call(args, kwargs)?;
            return Ok(self.spawn_coroutine(coroutine.unbind(), name));
        }
        let (task, args) = (task.clone().unbind(), args.clone().unbind());
        let kwargs = kwargs.map(|k| k.clone().unbind());
        Ok(self.tasks.spawn(async move {
            let outcome = tokio::task::spawn_blocking(move || {
                Python::attach(|py| {
                    task.bind(py)
                        .call(args.bind(py), kwargs.as_ref().map(|k| k.bind(py)))
                        .map(|_| ())
                        .map_err(|e| errors::from_handler(py, e, &name))
                })
            })
            .await;
            outcome.unwrap_or_else(|e| Err(SpikardError::Internal(format!("background task failed: {e}"))))
        }))
    }
}

impl BackgroundRunner {
    fn spawn_coroutine(&self, coroutine: Py<PyAny>, name: String) -> bool {
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
    let var = helpers(py)?.var.bind(py);
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
        Some(runner) => helpers(py)?.with_runner.bind(py).call1((runner, coroutine)),
        None => Ok(coroutine),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_request_runner_runs_callables_and_coroutines() {
        let runtime = bridge::test_runtime().unwrap();
        let tasks = BackgroundTasks::new(&Default::default());
        let module = Python::attach(|py| {
            enable_background(py).unwrap();
            PyModule::from_code(
                py,
                c"done = []\nasync def later(x):\n    done.append(x)\n",
                c"b.py",
                c"b",
            )
            .unwrap()
            .unbind()
        });
        runtime.block_on(async {
            tasks.sync_scope(|| {
                Python::attach(|py| {
                    let runner = request_runner(py).unwrap().expect("a runner inside the scope");
                    let m = module.bind(py);
                    let append = m.getattr("done").unwrap().getattr("append").unwrap();
                    let args = PyTuple::new(py, ["sync"]).unwrap();
                    assert!(runner.get().spawn(py, &append, &args, None).unwrap());
                    let later = m.getattr("later").unwrap();
                    let args = PyTuple::new(py, ["async"]).unwrap();
                    assert!(runner.get().spawn(py, &later, &args, None).unwrap());
                });
            });
        });
        assert!(runtime.block_on(tasks.drain(Duration::from_secs(5))));
        let mut done: Vec<String> = Python::attach(|py| module.bind(py).getattr("done").unwrap().extract().unwrap());
        done.sort();
        assert_eq!(done, vec!["async", "sync"]);
    }

    #[test]
    fn outside_a_request_there_is_no_runner() {
        Python::attach(|py| {
            enable_background(py).unwrap();
            assert!(request_runner(py).unwrap().is_none());
            assert!(current_background(py).is_err());
        });
    }
}
