//! What the pipeline needs from a runtime, for both hosts it runs on: tokio on a server,
//! and the JavaScript event loop of an edge worker (wasm32, `spikard-wasm`), where there
//! are no threads, no tokio timers and `std::time::Instant` panics.
//!
//! - [`Instant`]: a monotonic clock (`web-time`: std's on native targets, the host's
//!   `performance.now()` on wasm32).
//! - [`spawn`]: run a future to completion in the background (a tokio task, or a
//!   microtask on the JavaScript loop).
//! - [`sleep`], [`timeout`] and the resettable [`Timer`]: tokio's timers, or the host's
//!   `setTimeout`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use web_time::Instant;

use crate::handler::BoxFuture;

/// The wall clock as std's type (`SystemTime::now()` panics on wasm32; this does not).
pub fn system_now() -> std::time::SystemTime {
    let since_epoch = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .unwrap_or_default();
    std::time::UNIX_EPOCH + since_epoch
}

/// A deadline passed before the future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// Run `future` in the background. `false` when there is nowhere to run it (native, outside
/// a tokio runtime): the caller decides what that means.
pub fn spawn(future: BoxFuture<()>) -> bool {
    imp::spawn(future)
}

/// A future that finishes after `duration`.
pub fn sleep(duration: Duration) -> Timer {
    Timer::new(duration)
}

/// `future`'s output, or [`Elapsed`] when it takes longer than `limit` (it is then dropped).
#[cfg(not(target_arch = "wasm32"))]
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    tokio::time::timeout(limit, future).await.map_err(|_| Elapsed)
}

/// `future`'s output, or [`Elapsed`] when it takes longer than `limit` (it is then dropped).
#[cfg(target_arch = "wasm32")]
pub async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, Elapsed> {
    let mut future = std::pin::pin!(future);
    let mut timer = sleep(limit);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        Pin::new(&mut timer).poll(cx).map(|()| Err(Elapsed))
    })
    .await
}

/// A sleep that can be pushed back ([`Timer::reset`]); `Unpin`.
pub struct Timer(imp::Sleep);

impl Timer {
    pub fn new(duration: Duration) -> Self {
        Self(imp::Sleep::new(duration))
    }

    /// Fire `duration` from now instead.
    pub fn reset(&mut self, duration: Duration) {
        self.0.reset(duration);
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll(cx)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;

    pub fn spawn(future: BoxFuture<()>) -> bool {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(future);
                true
            }
            Err(_) => false,
        }
    }

    pub struct Sleep(Pin<Box<tokio::time::Sleep>>);

    impl Sleep {
        pub fn new(duration: Duration) -> Self {
            Self(Box::pin(tokio::time::sleep(duration)))
        }

        pub fn reset(&mut self, duration: Duration) {
            self.0.as_mut().reset(tokio::time::Instant::now() + duration);
        }

        pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
            self.0.as_mut().poll(cx)
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    //! The host's `setTimeout` through `js-sys`. A wasm32 module runs on one thread, so the
    //! JavaScript values are kept in `SendWrapper`s to satisfy the pipeline's `Send` bounds
    //! (touching one from another thread would panic; there is none).
    use super::*;
    use js_sys::{Function, Promise, Reflect};
    use send_wrapper::SendWrapper;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    pub fn spawn(future: BoxFuture<()>) -> bool {
        wasm_bindgen_futures::spawn_local(future);
        true
    }

    /// `globalThis[name]` as a function, if the host has it.
    fn global_fn(name: &str) -> Option<Function> {
        Reflect::get(&js_sys::global(), &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
    }

    /// A promise resolved by `setTimeout(resolve, ms)`, and the timer's handle (to clear it).
    fn timeout_promise(duration: Duration) -> (Promise, JsValue) {
        let ms = duration.as_secs_f64() * 1000.0;
        let mut handle = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _reject| {
            // Without timers in the host the deadline never passes.
            if let Some(f) = global_fn("setTimeout") {
                handle = f
                    .call2(&js_sys::global(), &resolve, &JsValue::from_f64(ms))
                    .unwrap_or(JsValue::UNDEFINED);
            }
        });
        (promise, handle)
    }

    /// A timer of the host; cleared when dropped, so a deadline that did not pass leaves no
    /// timer behind (nor a callback into a future that is gone).
    pub struct Sleep {
        future: SendWrapper<JsFuture>,
        handle: SendWrapper<JsValue>,
    }

    impl Sleep {
        pub fn new(duration: Duration) -> Self {
            let (promise, handle) = timeout_promise(duration);
            Self {
                future: SendWrapper::new(JsFuture::from(promise)),
                handle: SendWrapper::new(handle),
            }
        }

        pub fn reset(&mut self, duration: Duration) {
            *self = Self::new(duration);
        }

        pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
            Pin::new(&mut *self.future).poll(cx).map(|_| ())
        }
    }

    impl Drop for Sleep {
        fn drop(&mut self) {
            if let Some(clear) = global_fn("clearTimeout") {
                let _ = clear.call1(&js_sys::global(), &self.handle);
            }
        }
    }
}
