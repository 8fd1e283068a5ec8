//! Cleanups of created dependencies: run in reverse creation order once the
//! response body has been sent, or when the request ends otherwise (the list is
//! dropped: on error, timeout or client disconnect the cleanups are spawned).
//!
//! The list also watches the failure slots of the values it created: a request that
//! fails ([`Cleanups::fail`]), or is dropped before it produced a response (the client
//! went away, [`Failure::Cancelled`]), leaves that failure to every generator-like
//! dependency it created, so none of them mistakes it for a finished request.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use futures_util::FutureExt;
use http::Response;
use http_body::{Frame, SizeHint};

use super::registry::{Failure, FailureSlot};
use crate::handler::BoxFuture;

/// A cleanup future a factory returns with its value.
pub type Cleanup = BoxFuture<()>;

/// The cleanups of one request, in creation order.
#[derive(Default)]
pub struct Cleanups(Vec<Cleanup>, Watched);

/// The failure slots of the request's values; `answered` once a response was produced.
#[derive(Default)]
struct Watched {
    slots: Vec<FailureSlot>,
    answered: bool,
}

impl Cleanups {
    pub fn push(&mut self, cleanup: Cleanup) {
        self.0.push(cleanup);
    }

    /// Watch the failure slot of a value created for this request.
    pub fn watch(&mut self, slot: FailureSlot) {
        self.1.slots.push(slot);
    }

    /// The request failed: leave `failure` to every watched value (a failure recorded
    /// earlier, such as the handler's own exception, wins).
    pub fn fail(&self, failure: &Failure) {
        for slot in &self.1.slots {
            slot.set(failure.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Run every cleanup, last created first; a panicking cleanup is logged and the rest still run.
    pub async fn run(mut self) {
        self.1.answered = true;
        let list = std::mem::take(&mut self.0);
        for cleanup in list.into_iter().rev() {
            if AssertUnwindSafe(cleanup).catch_unwind().await.is_err() {
                tracing::error!("a dependency cleanup panicked");
            }
        }
    }

    /// Run the cleanups once `response`'s body has been sent (or dropped).
    pub fn attach(mut self, response: Response<Body>) -> Response<Body> {
        self.1.answered = true;
        if self.is_empty() {
            return response;
        }
        response.map(|inner| {
            Body::new(CleanupBody {
                inner,
                cleanups: self,
                running: None,
            })
        })
    }
}

fn spawn(future: BoxFuture<()>) {
    if !crate::rt::spawn(future) {
        tracing::warn!("dependency cleanups dropped: no runtime to run them");
    }
}

impl Drop for Cleanups {
    fn drop(&mut self) {
        if !self.1.answered {
            self.fail(&Failure::Cancelled);
        }
        if !self.0.is_empty() {
            let list = Cleanups(std::mem::take(&mut self.0), Watched::default());
            spawn(Box::pin(list.run()));
        }
    }
}

/// A response body that runs the request's cleanups after its last frame.
struct CleanupBody {
    inner: Body,
    cleanups: Cleanups,
    running: Option<BoxFuture<()>>,
}

impl Drop for CleanupBody {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            spawn(running);
        }
    }
}

impl http_body::Body for CleanupBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.running.is_none() {
            if let Some(frame) = ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                return Poll::Ready(Some(frame));
            }
            if this.cleanups.is_empty() {
                return Poll::Ready(None);
            }
            let list = std::mem::take(&mut this.cleanups);
            this.running = Some(Box::pin(list.run()));
        }
        if let Some(running) = this.running.as_mut() {
            ready!(running.as_mut().poll(cx));
            this.running = None;
        }
        Poll::Ready(None)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};

    fn recorder(log: &Arc<Mutex<Vec<&'static str>>>, name: &'static str) -> Cleanup {
        let log = log.clone();
        Box::pin(async move { log.lock().unwrap().push(name) })
    }

    #[tokio::test]
    async fn cleanups_run_in_reverse_after_the_body() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut c = Cleanups::default();
        c.push(recorder(&log, "first"));
        c.push(recorder(&log, "second"));
        let response = c.attach(Response::new(Body::from("hello")));
        assert!(log.lock().unwrap().is_empty());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"hello");
        assert_eq!(*log.lock().unwrap(), vec!["second", "first"]);
    }

    #[tokio::test]
    async fn dropped_cleanups_still_run() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut c = Cleanups::default();
        c.push(recorder(&log, "only"));
        drop(c);
        tokio::task::yield_now().await;
        assert_eq!(*log.lock().unwrap(), vec!["only"]);
    }
}
