//! The GVL helper: run Rust code with Ruby's global VM lock released. Ruby code runs only
//! on threads Ruby created, holding the GVL; waiting for calls, serving and the test
//! client's blocking calls happen here, without it, so Ruby's other threads (the handler
//! pool) run meanwhile.

use std::ffi::c_void;

struct Job<F, U, R> {
    work: Option<F>,
    unblock: Option<U>,
    result: Option<R>,
}

unsafe extern "C" fn run<F: FnOnce() -> R, U, R>(data: *mut c_void) -> *mut c_void {
    // SAFETY: `data` is the `Job` `without_gvl` passed, alive for the whole call.
    let job = unsafe { &mut *data.cast::<Job<F, U, R>>() };
    if let Some(work) = job.work.take() {
        // A panic must not unwind into Ruby's C frames.
        job.result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).ok();
    }
    std::ptr::null_mut()
}

unsafe extern "C" fn unblock<F, U: Fn(), R>(data: *mut c_void) {
    // SAFETY: as in `run`; Ruby calls this from another thread while `run` runs, and the
    // closure only touches thread-safe state (it is `Fn + Sync`).
    let job = unsafe { &*data.cast::<Job<F, U, R>>() };
    if let Some(u) = job.unblock.as_ref() {
        u();
    }
}

/// Run `work` with the GVL released. When Ruby wants this thread back (an exception
/// raised into it, `Thread#kill`, the interpreter exiting) it calls `on_interrupt` from
/// another thread, which must make `work` return soon. `None` if `work` panicked.
pub fn without_gvl<R, F, U>(work: F, on_interrupt: U) -> Option<R>
where
    F: FnOnce() -> R,
    U: Fn() + Sync,
{
    let mut job = Job {
        work: Some(work),
        unblock: Some(on_interrupt),
        result: None,
    };
    let data = (&raw mut job).cast::<c_void>();
    // SAFETY: the callbacks match the job's type; `job` outlives the call, which returns
    // only after `run` finished.
    unsafe {
        rb_sys::rb_thread_call_without_gvl(Some(run::<F, U, R>), data, Some(unblock::<F, U, R>), data);
    }
    job.result
}

/// Run `work` with the GVL released, for work that ends by itself (a test request).
pub fn blocking<R>(work: impl FnOnce() -> R) -> Option<R> {
    without_gvl(work, || {})
}

/// Run `work` on a thread of its own and wait for it with the GVL released; when Ruby
/// wants this thread back (Ctrl-C, `Thread#kill`, the interpreter exiting) the wait ends
/// at once and `work` finishes unobserved. `None` then, or if `work` panicked. The test
/// client's calls, which wait for handlers that may never answer, go through here.
pub fn interruptible<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    use std::sync::{Arc, Condvar, Mutex, PoisonError};
    type Slot<R> = (Mutex<(Option<R>, bool)>, Condvar);
    let slot: Arc<Slot<R>> = Arc::new((Mutex::new((None, false)), Condvar::new()));
    let filled = Arc::clone(&slot);
    let spawned = std::thread::Builder::new().name("spikard-call".into()).spawn(move || {
        let result = work();
        let (lock, ready) = &*filled;
        lock.lock().unwrap_or_else(PoisonError::into_inner).0 = Some(result);
        ready.notify_all();
    });
    spawned.ok()?;
    let (lock, ready) = &*slot;
    without_gvl(
        || {
            let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while state.0.is_none() && !state.1 {
                state = ready.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            state.0.take()
        },
        || {
            lock.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
            ready.notify_all();
        },
    )
    .flatten()
}
