//! Completions settled in two phases, so one wake-up of the server's thread finds every
//! result JavaScript produced in a turn of its event loop: `settle` only stores a result;
//! `flush` (called by the package once per turn) wakes the waiting requests. Waking the
//! first request would otherwise let the server's thread run (on one core, preempting
//! JavaScript) before the other results exist.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use spikard_http::foreign::{ForeignError, Outcome};

type Settled = Result<Outcome, ForeignError>;

/// Where a call's result waits for its request.
#[derive(Default)]
pub struct Slot {
    result: Mutex<Option<Settled>>,
    waker: AtomicWaker,
}

impl Slot {
    /// Store the result (the request is woken by [`Slot::wake`]).
    pub fn store(&self, result: Settled) {
        *self.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
    }

    pub fn wake(&self) {
        self.waker.wake();
    }
}

/// A request's wait for its call; dropped before the result came, it runs `cancel`.
pub struct Completion {
    slot: Arc<Slot>,
    cancel: Option<Box<dyn FnOnce() + Send>>,
}

impl Completion {
    pub fn new(slot: Arc<Slot>, cancel: impl FnOnce() + Send + 'static) -> Self {
        Self {
            slot,
            cancel: Some(Box::new(cancel)),
        }
    }
}

impl Future for Completion {
    type Output = Settled;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Settled> {
        self.slot.waker.register(cx.waker());
        let result = self.slot.result.lock().unwrap_or_else(PoisonError::into_inner).take();
        match result {
            Some(r) => {
                self.cancel = None;
                Poll::Ready(r)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            cancel();
        }
    }
}
