//! Background tasks: fire-and-forget work started by handlers, run with bounded
//! concurrency, failures and panics logged, drained on graceful shutdown.
//!
//! The pipeline owns one [`BackgroundTasks`] (built from
//! [`BackgroundConfig`]); bindings take it
//! from the builder at registration, Rust handlers also reach it through
//! [`BackgroundTasks::current`] while a request is being handled.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use spikard_http::background::BackgroundTasks;
//! let tasks = BackgroundTasks::new(&Default::default());
//! let (tx, rx) = tokio::sync::oneshot::channel();
//! tasks.spawn(async move { let _ = tx.send(42); });
//! assert!(tasks.drain(Duration::from_secs(5)).await);
//! assert_eq!(rx.await.unwrap(), 42);
//! # });
//! ```

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use spikard_core::config::BackgroundConfig;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

tokio::task_local! {
    static CURRENT: BackgroundTasks;
}

/// What a background task may return: nothing, or a result whose error is logged.
pub trait TaskOutcome: Send + 'static {
    /// The failure to log, if the task failed.
    fn failure(self) -> Option<String>;
}

impl TaskOutcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<E: Display + Send + 'static> TaskOutcome for Result<(), E> {
    fn failure(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

/// A handle to the app's background task runner. Cheap to clone.
#[derive(Clone)]
pub struct BackgroundTasks {
    inner: Arc<Inner>,
}

struct Inner {
    /// Permits for running tasks; tasks beyond `max_concurrent` wait for one (they queue).
    permits: Arc<Semaphore>,
    tracker: TaskTracker,
    drain_timeout: Duration,
}

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTasks")
            .field("pending", &self.pending())
            .field("available_permits", &self.inner.permits.available_permits())
            .finish()
    }
}

impl BackgroundTasks {
    pub fn new(config: &BackgroundConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                permits: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
                tracker: TaskTracker::new(),
                drain_timeout: Duration::from_secs(config.drain_timeout_secs),
            }),
        }
    }

    /// Start `task` without waiting for it. It runs once a concurrency permit is free;
    /// an error it returns or a panic is logged, never propagated. Outside a tokio
    /// runtime, or after shutdown began draining, the task is refused and `false` returned.
    pub fn spawn<F>(&self, task: F) -> bool
    where
        F: Future + Send + 'static,
        F::Output: TaskOutcome,
    {
        if self.inner.tracker.is_closed() {
            tracing::warn!("background task refused: the server is shutting down");
            return false;
        }
        let permits = Arc::clone(&self.inner.permits);
        let tracked = self.inner.tracker.track_future(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            match AssertUnwindSafe(task).catch_unwind().await {
                Ok(outcome) => {
                    if let Some(err) = outcome.failure() {
                        tracing::error!(error = %err, "background task failed");
                    }
                }
                Err(panic) => {
                    tracing::error!(panic = %panic_text(&panic), "background task panicked");
                }
            }
        });
        if !crate::rt::spawn(Box::pin(tracked)) {
            tracing::error!("background task refused: no runtime to run it");
            return false;
        }
        true
    }

    /// Tasks started and not yet finished (running or queued).
    pub fn pending(&self) -> usize {
        self.inner.tracker.len()
    }

    /// The configured drain timeout.
    pub fn drain_timeout(&self) -> Duration {
        self.inner.drain_timeout
    }

    /// Wait until no task is pending, at most `limit`, and go on accepting tasks (a worker
    /// host keeps the isolate alive for this: its `waitUntil`). `false` when some were still
    /// running at the limit. Checked every few milliseconds: the tracker only signals
    /// emptiness once closed.
    pub async fn idle(&self, limit: Duration) -> bool {
        let until_idle = async {
            while self.pending() > 0 {
                crate::rt::sleep(Duration::from_millis(5)).await;
            }
        };
        crate::rt::timeout(limit, until_idle).await.is_ok()
    }

    /// Stop accepting tasks and wait for the pending ones, at most `timeout`.
    /// Returns `false` (after logging a warning) when some were abandoned.
    pub async fn drain(&self, timeout: Duration) -> bool {
        self.inner.tracker.close();
        if crate::rt::timeout(timeout, self.inner.tracker.wait()).await.is_ok() {
            return true;
        }
        tracing::warn!(
            abandoned = self.pending(),
            timeout_secs = timeout.as_secs_f64(),
            "background tasks still running after the drain timeout; abandoning them"
        );
        false
    }

    /// The runner of the request being handled (set by the pipeline around handler calls).
    pub fn current() -> Option<Self> {
        CURRENT.try_with(Clone::clone).ok()
    }

    /// Run `f` with this runner as [`BackgroundTasks::current`].
    pub fn sync_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self.clone(), f)
    }

    /// Poll `future` with this runner as [`BackgroundTasks::current`].
    pub async fn scope<F: Future>(&self, future: F) -> F::Output {
        CURRENT.scope(self.clone(), future).await
    }
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn tasks(max_concurrent: usize, drain_timeout_secs: u64) -> BackgroundTasks {
        BackgroundTasks::new(&BackgroundConfig {
            max_concurrent,
            drain_timeout_secs,
        })
    }

    #[tokio::test]
    async fn concurrency_is_bounded_and_extra_tasks_queue() {
        let t = tasks(2, 5);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..6 {
            let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
            t.spawn(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::task::yield_now().await;
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert!(t.drain(Duration::from_secs(10)).await);
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn errors_and_panics_are_contained() {
        let t = tasks(4, 5);
        assert!(t.spawn(async { Err::<(), _>("boom") }));
        assert!(t.spawn(async {
            if t_panics() {
                panic!("task panic");
            }
        }));
        let (tx, rx) = tokio::sync::oneshot::channel();
        assert!(t.spawn(async move {
            let _ = tx.send("still running");
        }));
        assert!(t.drain(Duration::from_secs(5)).await);
        assert_eq!(rx.await.unwrap(), "still running");
    }

    #[tokio::test]
    async fn drain_abandons_tasks_past_the_timeout_and_refuses_new_ones() {
        let t = tasks(4, 0);
        t.spawn(std::future::pending::<()>());
        assert!(!t.drain(Duration::from_millis(20)).await);
        assert_eq!(t.pending(), 1);
        assert!(!t.spawn(async {}));
    }

    #[tokio::test]
    async fn current_is_set_only_inside_a_scope() {
        let t = tasks(1, 1);
        assert!(BackgroundTasks::current().is_none());
        let seen = t.scope(async { BackgroundTasks::current().is_some() }).await;
        assert!(seen);
        assert!(t.sync_scope(|| BackgroundTasks::current().is_some()));
    }

    fn t_panics() -> bool {
        true
    }

    #[test]
    fn spawn_outside_a_runtime_is_refused() {
        assert!(!tasks(1, 1).spawn(async {}));
    }

    #[tokio::test]
    async fn idle_waits_for_the_pending_tasks_and_keeps_accepting() {
        let t = BackgroundTasks::new(&Default::default());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        assert!(t.spawn(async move {
            let _ = rx.await;
        }));
        assert!(!t.idle(Duration::from_millis(30)).await, "a task is still pending");
        let _ = tx.send(());
        assert!(t.idle(Duration::from_secs(5)).await);
        assert_eq!(t.pending(), 0);
        assert!(t.spawn(async {}), "idle does not close the runner");
    }
}
