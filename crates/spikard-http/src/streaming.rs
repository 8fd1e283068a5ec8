//! Streaming response bodies: any byte stream sent chunked, pulled by hyper (so a
//! slow client slows the producer down), dropped when the client goes away, and
//! ended (with the error logged) when the stream fails.
//!
//! [`channel`] gives producers that push (binding generators, tasks) a bounded
//! sender: `send` waits while the client is not reading and fails once it left.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use futures_util::StreamExt;
//! let (tx, mut body) = spikard_http::streaming::channel(1);
//! tokio::spawn(async move {
//!     tx.send("a").await.unwrap();
//!     tx.send("b").await.unwrap();
//! });
//! assert_eq!(body.next().await.unwrap().unwrap(), "a");
//! assert_eq!(body.next().await.unwrap().unwrap(), "b");
//! assert!(body.next().await.is_none());
//! # });
//! ```

use std::panic::AssertUnwindSafe;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::response::ByteStream;

/// An error a producer returns to end the stream early.
pub type StreamError = Box<dyn std::error::Error + Send + Sync>;

/// The HTTP body for a stream: each item becomes a chunk; an error ends the
/// response abruptly (the client sees an incomplete body) and is logged.
/// A panic inside the stream is caught and treated the same way.
pub fn body(stream: ByteStream) -> Body {
    Body::from_stream(AssertUnwindSafe(stream).catch_unwind().map(|item| match item {
        Ok(Ok(chunk)) => Ok(chunk),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "response stream failed; ending the response");
            Err(e)
        }
        Err(_) => {
            tracing::error!("response stream panicked; ending the response");
            Err(StreamError::from("response stream panicked"))
        }
    }))
}

/// The client is gone (or the body was dropped): stop producing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client disconnected")]
pub struct Disconnected;

/// The pushing half of [`channel`].
#[derive(Debug, Clone)]
pub struct StreamSender {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, StreamError>>,
}

impl StreamSender {
    /// Queue a chunk, waiting while `capacity` chunks are already waiting for the client.
    pub async fn send(&self, chunk: impl Into<Bytes>) -> Result<(), Disconnected> {
        self.tx.send(Ok(chunk.into())).await.map_err(|_| Disconnected)
    }

    /// End the stream with an error (logged by the server, the response is cut short).
    pub async fn fail(&self, error: impl Into<StreamError>) -> Result<(), Disconnected> {
        self.tx.send(Err(error.into())).await.map_err(|_| Disconnected)
    }

    /// Completes when the body was dropped (client disconnected or response finished).
    pub async fn closed(&self) {
        self.tx.closed().await;
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// A bounded chunk channel: the receiver is a [`ByteStream`] for `ResponseBody::Stream`.
/// The stream ends when every sender is dropped.
pub fn channel(capacity: usize) -> (StreamSender, ByteStream) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(capacity.max(1));
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (StreamSender { tx }, Box::pin(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn sender_waits_for_the_reader_and_sees_the_drop() {
        let (tx, stream) = channel(1);
        tx.send("one").await.unwrap();
        // The channel is full: a second send waits until the reader pulls.
        assert!(tx.tx.try_send(Ok(Bytes::from("two"))).is_err());
        drop(stream);
        assert_eq!(tx.send("three").await, Err(Disconnected));
        assert!(tx.is_closed());
    }

    #[tokio::test]
    async fn a_panicking_stream_ends_the_body_with_an_error() {
        let items = futures_util::stream::iter([1, 2]).map(|n| {
            assert!(n < 2, "producer bug");
            Ok::<_, StreamError>(Bytes::from("ok"))
        });
        let mut b = body(Box::pin(items));
        assert_eq!(b.frame().await.unwrap().unwrap().into_data().unwrap(), "ok");
        assert!(b.frame().await.unwrap().is_err());
        assert!(b.frame().await.is_none());
    }

    #[tokio::test]
    async fn an_error_ends_the_body_with_an_error() {
        let (tx, stream) = channel(4);
        tx.send("partial").await.unwrap();
        tx.fail("producer broke").await.unwrap();
        drop(tx);
        let mut b = body(stream);
        let first = b.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), Bytes::from("partial"));
        assert!(b.frame().await.unwrap().is_err());
    }
}
