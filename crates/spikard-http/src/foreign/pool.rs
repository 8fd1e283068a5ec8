//! A bounded pool of threads for a binding's sync functions, so one that blocks (sleep,
//! I/O, a lock) holds up neither the server's thread nor the other requests.
//!
//! A binding whose language lets threads it did not create call in (Python: any thread
//! may take the GIL) hands each sync call to [`BlockingPool::call`]: the call's arguments
//! are made owned ([`OwnedCall`]), the call runs on one of the pool's threads with the
//! request's runtime entered and its [`BackgroundTasks`] current, and its completion is
//! awaited by the request as usual. At most `size` threads run at once
//! (`ServerConfig::blocking_threads`); further calls wait in order. Threads start when
//! needed and leave after [`IDLE`] without work. Size 0 calls in place, on the caller's
//! thread. A call dropped before a thread takes it (the client went away, the deadline
//! passed) is skipped; one already running finishes and its result is dropped.
//!
//! ```
//! use std::sync::Arc;
//! use spikard_http::foreign::{BlockingPool, Call, Completion, Expect, Input, Outcome, Returned};
//!
//! let pool = BlockingPool::new(4);
//! let call = Call { input: Input::Args(Vec::new()), expect: Expect::Unit };
//! let completion: Completion = pool.call(call, |_call| {
//!     // Runs on a pool thread: call the language's function here.
//!     Box::pin(std::future::ready(Ok(Outcome::new(Returned::Nothing))))
//! });
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! assert!(matches!(runtime.block_on(completion).unwrap().returned, Returned::Nothing));
//! ```

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use spikard_core::body::multipart::UploadedFile;

use super::call::{pending, Arg, Call, Completion, Expect, ForeignError, Input};
use crate::background::BackgroundTasks;
use crate::di::{Failure, Resolved};
use crate::handler::RequestData;
use crate::hooks::HookRequest;
use crate::response::HandlerResponse;
use crate::websocket::WsMessage;

/// How long a thread without work waits before it leaves.
pub const IDLE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    /// Threads alive (busy or waiting).
    threads: usize,
    /// Threads waiting for a job.
    idle: usize,
    closed: bool,
    /// The process the threads were started in: they do not survive a `fork`.
    pid: u32,
}

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
    size: AtomicUsize,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A bounded pool of threads for sync foreign calls (see the module docs).
pub struct BlockingPool {
    shared: Arc<Shared>,
}

impl BlockingPool {
    /// A pool of at most `size` threads (0: calls run in place).
    pub fn new(size: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    pid: std::process::id(),
                    ..State::default()
                }),
                ready: Condvar::new(),
                size: AtomicUsize::new(size),
            }),
        }
    }

    /// The most threads that run at once.
    pub fn size(&self) -> usize {
        self.shared.size.load(Ordering::Relaxed)
    }

    /// Change the size; threads past it leave once their call is done.
    pub fn resize(&self, size: usize) {
        self.shared.size.store(size, Ordering::Relaxed);
        self.shared.ready.notify_all();
    }

    /// Run `run` with `call` on a pool thread (in place when the size is 0); the returned
    /// completion awaits whatever `run` returns.
    pub fn call(&self, call: Call<'_>, run: impl FnOnce(Call<'_>) -> Completion + Send + 'static) -> Completion {
        if self.size() == 0 {
            return run(call);
        }
        let owned = OwnedCall::from(call);
        let tasks = BackgroundTasks::current();
        let runtime = tokio::runtime::Handle::try_current().ok();
        let skipped = Arc::new(AtomicBool::new(false));
        let skip = Arc::clone(&skipped);
        let (settle, started) = pending::<Completion, ForeignError>(move || skip.store(true, Ordering::Relaxed));
        self.submit(Box::new(move || {
            if skipped.load(Ordering::Relaxed) {
                return;
            }
            let _entered = runtime.as_ref().map(tokio::runtime::Handle::enter);
            let go = move || owned.with(run);
            let completion = match tasks {
                Some(tasks) => tasks.sync_scope(go),
                None => go(),
            };
            settle.settle(Ok(completion));
        }));
        Box::pin(async move { started.await?.await })
    }

    fn submit(&self, job: Job) {
        let mut state = lock(&self.shared.state);
        if state.pid != std::process::id() {
            // Forked: the parent's threads are not here.
            *state = State {
                pid: std::process::id(),
                jobs: std::mem::take(&mut state.jobs),
                ..State::default()
            };
        }
        state.jobs.push_back(job);
        if state.idle >= state.jobs.len() || state.threads >= self.size() {
            self.shared.ready.notify_one();
            return;
        }
        state.threads += 1;
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name("spikard-blocking".into())
            .spawn(move || work(&shared));
        if let Err(e) = spawned {
            state.threads -= 1;
            tracing::error!(error = %e, "cannot start a thread for sync calls");
            if state.threads == 0 {
                // Nothing would ever run it: run what is queued here rather than hang.
                let jobs = std::mem::take(&mut state.jobs);
                drop(state);
                jobs.into_iter().for_each(|job| job());
            }
        }
    }
}

impl Drop for BlockingPool {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.ready.notify_all();
    }
}

/// A pool thread: take jobs until the pool closes, shrinks below it or it idles [`IDLE`].
fn work(shared: &Shared) {
    let mut state = lock(&shared.state);
    loop {
        if state.threads > shared.size.load(Ordering::Relaxed).max(1) {
            break;
        }
        if let Some(job) = state.jobs.pop_front() {
            drop(state);
            // A panicking call drops its settling half: the request gets a 500.
            let _ = catch_unwind(AssertUnwindSafe(job));
            state = lock(&shared.state);
            continue;
        }
        if state.closed {
            break;
        }
        state.idle += 1;
        let (guard, waited) = shared
            .ready
            .wait_timeout(state, IDLE)
            .unwrap_or_else(PoisonError::into_inner);
        state = guard;
        state.idle -= 1;
        if waited.timed_out() && state.jobs.is_empty() {
            break;
        }
    }
    state.threads -= 1;
}

/// One argument, owned, so a call can move to another thread.
pub enum OwnedArg {
    Absent,
    Null,
    Json(Value),
    Request(Arc<RequestData>),
    Dependency(Resolved),
    File(UploadedFile),
    Files(Vec<UploadedFile>),
    Message(WsMessage),
    Failure(Failure),
}

impl OwnedArg {
    fn new(arg: Arg<'_>) -> Self {
        match arg {
            Arg::Absent => Self::Absent,
            Arg::Null => Self::Null,
            Arg::Json(v) => Self::Json(v.clone()),
            Arg::Request(r) => Self::Request(Arc::clone(r)),
            Arg::Dependency(d) => Self::Dependency(d.clone()),
            Arg::File(f) => Self::File(f.clone()),
            Arg::Files(files) => Self::Files(files.into_iter().cloned().collect()),
            Arg::Message(m) => Self::Message(m.clone()),
            Arg::Failure(f) => Self::Failure(f.clone()),
        }
    }

    fn borrow(&self) -> Arg<'_> {
        match self {
            Self::Absent => Arg::Absent,
            Self::Null => Arg::Null,
            Self::Json(v) => Arg::Json(v),
            Self::Request(r) => Arg::Request(r),
            Self::Dependency(d) => Arg::Dependency(d),
            Self::File(f) => Arg::File(f),
            Self::Files(files) => Arg::Files(files.iter().collect()),
            Self::Message(m) => Arg::Message(m),
            Self::Failure(f) => Arg::Failure(f),
        }
    }
}

enum OwnedInput {
    Args(Vec<OwnedArg>),
    Response {
        response: Box<HandlerResponse>,
        request: Option<HookRequest>,
    },
}

/// A [`Call`] with owned values: sent to another thread, then called there ([`OwnedCall::with`]).
pub struct OwnedCall {
    input: OwnedInput,
    expect: Expect,
}

impl From<Call<'_>> for OwnedCall {
    fn from(call: Call<'_>) -> Self {
        let input = match call.input {
            Input::Args(args) => OwnedInput::Args(args.into_iter().map(OwnedArg::new).collect()),
            Input::Response { response, request } => OwnedInput::Response {
                response: Box::new(response),
                request: request.cloned(),
            },
        };
        Self {
            input,
            expect: call.expect,
        }
    }
}

impl OwnedCall {
    /// `f` called with the call, its arguments borrowed from this one.
    pub fn with<R>(self, f: impl FnOnce(Call<'_>) -> R) -> R {
        let expect = self.expect;
        match self.input {
            OwnedInput::Args(args) => f(Call {
                input: Input::Args(args.iter().map(OwnedArg::borrow).collect()),
                expect,
            }),
            OwnedInput::Response { response, request } => f(Call {
                input: Input::Response {
                    response: *response,
                    request: request.as_ref(),
                },
                expect,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::foreign::{Outcome, Returned};
    use std::sync::Barrier;

    fn unit() -> Call<'static> {
        Call {
            input: Input::Args(Vec::new()),
            expect: Expect::Unit,
        }
    }

    fn done() -> Completion {
        Box::pin(std::future::ready(Ok(Outcome::new(Returned::Nothing))))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn calls_run_side_by_side_up_to_the_size() {
        let pool = BlockingPool::new(3);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        // Three at once meet at the barrier; a fourth would wait for one of them.
        let barrier = Arc::new(Barrier::new(3));
        let completions: Vec<_> = (0..6)
            .map(|_| {
                let (running, most, barrier) = (running.clone(), most.clone(), barrier.clone());
                pool.call(unit(), move |_| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    barrier.wait();
                    running.fetch_sub(1, Ordering::SeqCst);
                    done()
                })
            })
            .collect();
        runtime().block_on(async {
            for c in completions {
                assert!(c.await.is_ok());
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_call_sees_the_runtime_and_the_background_runner() {
        let pool = BlockingPool::new(2);
        let rt = runtime();
        let seen = rt.block_on(async {
            let tasks = BackgroundTasks::new(&crate::ServerConfig::default().background);
            let (tx, rx) = std::sync::mpsc::channel();
            let completion = tasks.sync_scope(|| {
                pool.call(unit(), move |_| {
                    let _ = tx.send((
                        tokio::runtime::Handle::try_current().is_ok(),
                        BackgroundTasks::current().is_some(),
                        std::thread::current().name().map(str::to_owned),
                    ));
                    done()
                })
            });
            completion.await.unwrap();
            rx.recv().unwrap()
        });
        assert_eq!(seen, (true, true, Some("spikard-blocking".to_owned())));
    }

    #[test]
    fn size_zero_calls_in_place_and_a_panic_is_an_error() {
        let pool = BlockingPool::new(0);
        let here = std::thread::current().id();
        let (tx, rx) = std::sync::mpsc::channel();
        let c = pool.call(unit(), move |_| {
            let _ = tx.send(std::thread::current().id());
            done()
        });
        assert_eq!(rx.recv().unwrap(), here);
        let rt = runtime();
        assert!(rt.block_on(c).is_ok());
        pool.resize(1);
        let failed = pool.call(unit(), |_| panic!("the function panicked"));
        assert!(rt.block_on(failed).is_err());
        assert!(rt.block_on(pool.call(unit(), |_| done())).is_ok());
    }

    #[test]
    fn a_call_dropped_before_it_starts_is_skipped() {
        let pool = BlockingPool::new(1);
        let gate = Arc::new(Barrier::new(2));
        let ran = Arc::new(AtomicBool::new(false));
        let g = gate.clone();
        let first = pool.call(unit(), move |_| {
            g.wait();
            g.wait();
            done()
        });
        gate.wait(); // the only thread is busy
        let r = ran.clone();
        drop(pool.call(unit(), move |_| {
            r.store(true, Ordering::SeqCst);
            done()
        }));
        gate.wait();
        runtime().block_on(first).unwrap();
        runtime().block_on(pool.call(unit(), |_| done())).unwrap();
        assert!(!ran.load(Ordering::SeqCst));
    }
}
