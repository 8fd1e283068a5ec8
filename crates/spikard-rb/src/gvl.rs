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
