//! The one shared dispatcher between the server's threads and the pool of Ruby threads
//! that run handlers.
//!
//! A call is queued with the index of the Ruby function and its arguments as owned Rust
//! values. Ruby threads the package started wait for calls with the GVL released
//! ([`Dispatcher::take`]); the one woken takes its share of what is queued, builds the Ruby
//! arguments once it holds the GVL, runs the calls one after the other and settles each by
//! id (`Native::App#settle_*`) before it waits again, so one acquisition of the GVL serves
//! several requests under load. Ruby never runs on the server's threads.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};

use serde_json::Value;
use spikard_core::body::multipart::UploadedFile;
use spikard_http::background::BackgroundTasks;
use spikard_http::foreign::call::{pending, Settle};
use spikard_http::foreign::{Completion, Expect, ForeignError, Outcome};
use spikard_http::handler::RequestData;
use spikard_http::response::HandlerResponse;
use spikard_http::WsMessage;

use magnus::gc::Marker;
use magnus::value::Opaque;
use magnus::{Ruby, Value as RValue};

use crate::gvl::without_gvl;

/// `func` of the call that resumes a generator dependency after the response (`args`: the
/// generator's handle and the request's failure or `nil`).
pub const RESUME: u32 = u32::MAX - 1;
/// `func` of the call that pulls a streamed body's next chunk (`args`: the iterator's handle).
pub const NEXT_CHUNK: u32 = u32::MAX - 2;
/// `func` of the call that pulls an event stream's next event (`args`: the iterator's handle).
pub const NEXT_EVENT: u32 = u32::MAX - 3;
/// `func` of the call that closes an iterator the client left before its end.
pub const CLOSE: u32 = u32::MAX - 4;
/// `func` of the call that runs a background task (`args`: the task's handle).
pub const RUN_TASK: u32 = u32::MAX - 5;

/// One argument, owned, until a Ruby thread turns it into a Ruby value.
#[derive(Clone)]
pub enum Owned {
    /// Not in the request: the function's own default applies.
    Absent,
    Json(Value),
    /// The request object (lazy getters over the shared request).
    Request(Arc<RequestData>),
    /// A value held in the dispatcher's value table ([`Dispatcher::hold`]).
    Handle(u32),
    File(UploadedFile),
    Files(Vec<UploadedFile>),
    Message(WsMessage),
    /// A response hook's response (its view) and request summary.
    Shown(Value),
}

/// One call handed to Ruby.
pub struct Queued {
    /// Settle it with this id (0: a notice, nothing to settle).
    pub id: u32,
    /// The function's index in the package's function table, or a special function.
    pub func: u32,
    pub args: Vec<Owned>,
}

/// A call waiting for Ruby.
pub struct Waiting {
    pub settle: Settle<Outcome, ForeignError>,
    pub expect: Expect,
    pub name: Arc<str>,
    /// The response a response hook was shown (its body is kept unless the hook replaces it).
    pub shown: Option<HandlerResponse>,
    /// The request's background tasks (a handler's call).
    pub background: Option<BackgroundTasks>,
    /// The runtime the call came from: what its result sets up runs there.
    pub runtime: Option<tokio::runtime::Handle>,
}

thread_local! {
    /// Set on the server's thread: its calls wake Ruby when it parks, not one by one.
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

#[derive(Default)]
struct Queue {
    calls: VecDeque<Queued>,
    /// Threads waiting in [`Dispatcher::take`].
    idle: usize,
    closed: bool,
}

/// The queue, the waiting calls and the released handles.
#[derive(Default)]
pub struct Dispatcher {
    queue: Mutex<Queue>,
    ready: Condvar,
    waiting: Mutex<HashMap<u32, Waiting>>,
    released: Mutex<Vec<u32>>,
    next: AtomicU32,
    /// Ruby values the core holds by handle (dependencies, generators, enumerators,
    /// background tasks, exceptions), marked for Ruby's GC by the app object.
    values: Mutex<HashMap<u32, Opaque<RValue>>>,
    next_value: AtomicU32,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Dispatcher {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            next: AtomicU32::new(1),
            next_value: AtomicU32::new(1),
            ..Self::default()
        })
    }

    /// Queue a call of `func` and wait for Ruby to settle it; dropping the completion
    /// forgets it (a call not started yet is skipped, a settlement ignored).
    pub fn submit(
        self: &Arc<Self>,
        func: u32,
        args: Vec<Owned>,
        expect: Expect,
        name: Arc<str>,
        shown: Option<HandlerResponse>,
    ) -> Completion {
        let id = self.next.fetch_add(1, Ordering::Relaxed).max(1);
        let me: Weak<Self> = Arc::downgrade(self);
        let (settle, completion) = pending(move || {
            if let Some(d) = me.upgrade() {
                lock(&d.waiting).remove(&id);
            }
        });
        let waiting = Waiting {
            settle,
            expect,
            name,
            shown,
            background: BackgroundTasks::current(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        lock(&self.waiting).insert(id, waiting);
        self.push(Queued { id, func, args });
        Box::pin(completion)
    }

    fn push(&self, call: Queued) {
        let mut queue = lock(&self.queue);
        if queue.closed {
            drop(queue);
            if let Some(w) = self.take_waiting(call.id) {
                let err = spikard_core::SpikardError::Internal("the app's Ruby threads have stopped".into());
                w.settle.settle(Err(err.into()));
            }
            return;
        }
        queue.calls.push_back(call);
        let wake = queue.idle > 0 && !DEFERRED.with(Cell::get);
        drop(queue);
        if wake {
            self.ready.notify_one();
        }
    }

    /// Make the calling thread's calls wait for [`Dispatcher::wake`] (the server's thread
    /// calls it when it parks: one wake-up for everything a turn queued).
    pub fn defer_wakes_on_this_thread() {
        DEFERRED.with(|d| d.set(true));
    }

    /// Wake a waiting Ruby thread if calls are queued.
    pub fn wake(&self) {
        let queue = lock(&self.queue);
        let wake = !queue.calls.is_empty() && queue.idle > 0;
        drop(queue);
        if wake {
            self.ready.notify_one();
        }
    }

    /// Hold `value` (GVL held) until its handle is released.
    pub fn hold(&self, value: RValue) -> u32 {
        let handle = self.next_value.fetch_add(1, Ordering::Relaxed).max(1);
        lock(&self.values).insert(handle, Opaque::from(value));
        handle
    }

    /// The value behind `handle` (GVL held).
    pub fn value(&self, ruby: &Ruby, handle: u32) -> Option<RValue> {
        lock(&self.values).get(&handle).map(|v| ruby.get_inner(*v))
    }

    /// Mark every held value (the app object's GC mark).
    pub fn mark(&self, marker: &Marker) {
        for value in lock(&self.values).values() {
            marker.mark(*value);
        }
    }

    /// Forget the value behind `handle` (from any thread: dropped when a Ruby thread next
    /// takes calls).
    pub fn release(&self, handle: u32) {
        lock(&self.released).push(handle);
    }
}

impl spikard_http::foreign::Releases for Dispatcher {
    fn release(&self, handle: u32) {
        Dispatcher::release(self, handle);
    }
}

impl Dispatcher {
    /// Wait (the GVL released) for calls and take them in order, at most `max`. Empty when Ruby interrupted the
    /// wait; `None` once the dispatcher is closed. Called with the GVL held (it releases it
    /// while waiting and drops the released values once it holds it again).
    pub fn take(&self, max: usize) -> Option<Vec<Queued>> {
        let interrupted = AtomicBool::new(false);
        let taken = without_gvl(
            || {
                let mut queue = lock(&self.queue);
                while queue.calls.is_empty() && !queue.closed && !interrupted.load(Ordering::Acquire) {
                    queue.idle += 1;
                    queue = self.ready.wait(queue).unwrap_or_else(PoisonError::into_inner);
                    queue.idle -= 1;
                }
                if queue.closed {
                    return None;
                }
                let share = queue.calls.len().min(max.max(1));
                let mut calls: Vec<Queued> = queue.calls.drain(..share).collect();
                // Others may still find calls to take.
                if !queue.calls.is_empty() && queue.idle > 0 {
                    self.ready.notify_one();
                }
                drop(queue);
                // A call nobody waits for any more (its client left) is not run.
                let waiting = lock(&self.waiting);
                calls.retain(|c| c.id == 0 || waiting.contains_key(&c.id));
                Some(calls)
            },
            || {
                interrupted.store(true, Ordering::Release);
                let _queue = lock(&self.queue);
                self.ready.notify_all();
            },
        )
        .flatten();
        let released = std::mem::take(&mut *lock(&self.released));
        if !released.is_empty() {
            let mut values = lock(&self.values);
            for handle in released {
                values.remove(&handle);
            }
        }
        taken
    }

    /// The call `id` (`None`: unknown, or no longer awaited).
    pub fn take_waiting(&self, id: u32) -> Option<Waiting> {
        lock(&self.waiting).remove(&id)
    }

    /// Hand out calls again after [`Dispatcher::close`].
    pub fn open(&self) {
        lock(&self.queue).closed = false;
    }

    /// Stop handing out calls: waiting threads return, and later calls fail.
    pub fn close(&self) {
        let pending: Vec<Queued> = {
            let mut queue = lock(&self.queue);
            queue.closed = true;
            queue.calls.drain(..).collect()
        };
        self.ready.notify_all();
        for call in pending {
            if let Some(w) = self.take_waiting(call.id) {
                let err = spikard_core::SpikardError::Internal("the app's Ruby threads have stopped".into());
                w.settle.settle(Err(err.into()));
            }
        }
    }
}
