//! The one shared dispatcher between the core and JavaScript's event loop.
//!
//! A call is queued with the id of the JavaScript function and its arguments; the first
//! call queued after the loop last drained the queue schedules one wake-up ([`Wake`]: a
//! threadsafe function call in Node, a direct call in a WebAssembly module, which runs on
//! JavaScript's thread), and that wake-up hands every queued call ([`Dispatcher::drain`])
//! to the package's dispatch function as one array. JavaScript settles each call by id
//! (`NativeApp.settle*`), at once for a sync result (no Promise made) or when its Promise
//! settles.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use serde_json::Value;
use spikard_core::SpikardError;
use spikard_http::background::BackgroundTasks;
use spikard_http::foreign::{Expect, ForeignError, Outcome};
use spikard_http::response::HandlerResponse;

use crate::slot::{Completion, Slot};

/// One call handed to JavaScript.
#[derive(Debug, Clone)]
pub struct JsCall {
    /// Settle it with this id.
    pub id: u32,
    /// The function's index in the package's function table.
    pub func: u32,
    /// The arguments in declared order (`null` for an absent one).
    pub args: Vec<Value>,
    /// The arguments as JSON text instead (`args` empty), parsed by V8's `JSON.parse`: much
    /// faster than building the objects through Node-API one property at a time. Not used
    /// when a number would lose precision in a JavaScript number.
    pub json: Option<String>,
}

/// A call waiting for JavaScript.
pub struct Waiting {
    pub settle: Settler,
    pub expect: Expect,
    pub name: Arc<str>,
    /// The response a response hook was shown (its body is kept unless the hook replaces it).
    pub shown: Option<HandlerResponse>,
    /// The request's background tasks (a handler's call).
    pub background: Option<BackgroundTasks>,
    /// The runtime the call came from: what its result sets up runs there (stream timers,
    /// background tasks).
    pub runtime: Option<tokio::runtime::Handle>,
}

/// How a binding gets JavaScript to call [`Dispatcher::drain`] and run what it returns.
pub trait Wake: Send + Sync + 'static {
    /// Schedule (or make) the call; `Err` says why JavaScript cannot be reached (its event
    /// loop is gone): every queued call then fails with it.
    fn wake(&self) -> Result<(), String>;
}

/// `func` of the call that hands over handles JavaScript may forget (`args`: their ids).
pub const RELEASE: u32 = u32::MAX;
/// `func` of the call that resumes a generator dependency after the response (`args`: the
/// generator's handle and the request's failure or `null`).
pub const RESUME: u32 = u32::MAX - 1;

/// `func` of the call that pulls a streamed body's next chunk (`args`: the iterator's handle).
pub const NEXT_CHUNK: u32 = u32::MAX - 2;
/// `func` of the call that pulls an event stream's next event (`args`: the iterator's handle).
pub const NEXT_EVENT: u32 = u32::MAX - 3;
/// `func` of the call that closes an iterator the client left before its end.
pub const CLOSE: u32 = u32::MAX - 4;
/// `func` of the call that runs a background task (`args`: the task function's handle).
pub const RUN_TASK: u32 = u32::MAX - 5;
/// `func` of the notice that nobody waits for call `args[0]` any more (the client went
/// away, the deadline passed): its request's `AbortSignal` fires.
pub const ABORT: u32 = u32::MAX - 6;

/// Settles one call: stores its result and marks its request for the next flush.
pub struct Settler {
    slot: Arc<Slot>,
    dispatcher: Weak<Dispatcher>,
}

impl Settler {
    pub fn settle(self, result: Result<Outcome, ForeignError>) {
        self.slot.store(result);
        match self.dispatcher.upgrade() {
            Some(d) => lock(&d.settled).push(self.slot),
            None => self.slot.wake(),
        }
    }
}

thread_local! {
    /// Set on the server's thread: its calls wake JavaScript when it parks (one wake-up
    /// for everything it queued in a turn), not one by one.
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// The queue, the waiting calls and the wake-up.
pub struct Dispatcher {
    /// Settled calls whose requests the next flush wakes.
    settled: Mutex<Vec<Arc<Slot>>>,
    queue: Mutex<Vec<JsCall>>,
    /// Handles of JavaScript values nobody in Rust holds any more.
    released: Mutex<Vec<u32>>,
    scheduled: AtomicBool,
    waiting: Mutex<HashMap<u32, Waiting>>,
    next: AtomicU32,
    wake: OnceLock<Box<dyn Wake>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Dispatcher {
    /// A dispatcher whose wake-up is set next ([`Dispatcher::set_wake`]; it usually holds a
    /// weak reference to the dispatcher, to drain it).
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            queue: Mutex::new(Vec::new()),
            settled: Mutex::new(Vec::new()),
            released: Mutex::new(Vec::new()),
            scheduled: AtomicBool::new(false),
            waiting: Mutex::new(HashMap::new()),
            next: AtomicU32::new(1),
            wake: OnceLock::new(),
        })
    }

    /// How JavaScript is woken (only the first one set counts).
    pub fn set_wake(&self, wake: impl Wake) {
        let _ = self.wake.set(Box::new(wake));
    }

    /// The calls queued since the last wake-up.
    pub fn drain(&self) -> Vec<JsCall> {
        self.scheduled.store(false, Ordering::Release);
        let mut calls = std::mem::take(&mut *lock(&self.queue));
        let released = std::mem::take(&mut *lock(&self.released));
        if !released.is_empty() {
            let args = released.into_iter().map(Value::from).collect();
            calls.push(JsCall {
                id: 0,
                func: RELEASE,
                args,
                json: None,
            });
        }
        calls
    }

    /// Let JavaScript forget the value behind `handle` (told with the next batch of calls).
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
    /// Queue a call of `func` and wait for JavaScript to settle it; dropping the completion
    /// forgets it (its settlement is ignored).
    pub fn submit(
        self: &Arc<Self>,
        func: u32,
        args: Vec<Value>,
        expect: Expect,
        name: Arc<str>,
        shown: Option<HandlerResponse>,
    ) -> spikard_http::foreign::Completion {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let me = Arc::downgrade(self);
        let slot = Arc::new(Slot::default());
        let completion = Completion::new(Arc::clone(&slot), move || {
            let Some(d) = me.upgrade() else { return };
            if lock(&d.waiting).remove(&id).is_some() {
                lock(&d.queue).push(JsCall {
                    id: 0,
                    func: ABORT,
                    args: vec![Value::from(id)],
                    json: None,
                });
                if !DEFERRED.with(Cell::get) {
                    d.wake_js();
                }
            }
        });
        let settle = Settler {
            slot,
            dispatcher: Arc::downgrade(self),
        };
        let waiting = Waiting {
            settle,
            expect,
            name,
            shown,
            background: BackgroundTasks::current(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        };
        lock(&self.waiting).insert(id, waiting);
        let call = match args.iter().all(exact_in_js) {
            true => JsCall {
                id,
                func,
                json: serde_json::to_string(&args).ok(),
                args: Vec::new(),
            },
            false => JsCall {
                id,
                func,
                args,
                json: None,
            },
        };
        lock(&self.queue).push(call);
        if !DEFERRED.with(Cell::get) {
            self.wake_js();
        }
        Box::pin(completion)
    }

    /// Wake JavaScript for the queued calls (once per batch).
    pub fn wake_js(&self) {
        if lock(&self.queue).is_empty() || self.scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let status = match self.wake.get() {
            Some(wake) => wake.wake(),
            None => Err("no wake-up was set".to_owned()),
        };
        let Err(status) = status else { return };
        self.scheduled.store(false, Ordering::Release);
        // The event loop is gone: every queued call fails.
        for call in std::mem::take(&mut *lock(&self.queue)) {
            if let Some(w) = lock(&self.waiting).remove(&call.id) {
                let err = SpikardError::Internal(format!("the JavaScript event loop is gone ({status})"));
                w.settle.slot.store(Err(ForeignError::new(err)));
                w.settle.slot.wake();
            }
        }
    }

    /// Make the calling thread's calls wait for [`Dispatcher::wake_js`] (the server's
    /// thread calls it when it parks).
    pub fn defer_wakes_on_this_thread() {
        DEFERRED.with(|d| d.set(true));
    }

    /// Wake the requests whose calls were settled since the last flush.
    pub fn flush(&self) {
        let settled = std::mem::take(&mut *lock(&self.settled));
        for slot in settled {
            slot.wake();
        }
    }

    /// The call `id` (`None`: unknown, or no longer awaited).
    pub fn take(&self, id: u32) -> Option<Waiting> {
        lock(&self.waiting).remove(&id)
    }
}

/// Whether JSON text of `value` parses back exactly in JavaScript (no integer beyond 2^53,
/// which napi gives as a `BigInt`).
fn exact_in_js(value: &Value) -> bool {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    match value {
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u <= MAX_SAFE,
            (None, Some(i)) => i.unsigned_abs() <= MAX_SAFE,
            _ => true,
        },
        Value::Array(items) => items.iter().all(exact_in_js),
        Value::Object(map) => map.values().all(exact_in_js),
        _ => true,
    }
}
