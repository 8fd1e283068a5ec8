//! Request bodies handed to the handler unread, for routes declared `stream_body`
//! (uploads, proxies, protocols with their own framing): the handler pulls the body
//! chunk by chunk, so a large upload is never held in memory whole.
//!
//! The route's size limit still applies: a `Content-Length` above it is refused with a
//! 413 problem before the handler runs, and a body that grows past it while it is read
//! ends the stream with [`SpikardError::PayloadTooLarge`]. A body that stalls ends it
//! with [`SpikardError::RequestTimeout`], one shorter than its `Content-Length` with
//! [`SpikardError::BadRequest`]; a handler returning those errors answers with their
//! problems (413, 408, 400).
//!
//! ```
//! use futures_util::StreamExt;
//! use spikard_http::body_stream::BodyStream;
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let headers = http::HeaderMap::new();
//! let mut stream = BodyStream::new(axum::body::Body::from("hello"), &headers, 3).unwrap();
//! let err = stream.next().await.unwrap().unwrap_err();
//! assert_eq!(err.status(), 413);
//! # });
//! ```

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http::header;
use spikard_core::SpikardError;

/// The request body as a stream of chunks, checked against the route's size limit.
pub struct BodyStream {
    body: Body,
    limit: usize,
    read: usize,
    declared: Option<usize>,
    done: bool,
}

impl std::fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyStream")
            .field("limit", &self.limit)
            .field("read", &self.read)
            .field("declared", &self.declared)
            .finish_non_exhaustive()
    }
}

impl BodyStream {
    /// A stream over `body` of at most `limit` bytes; a `Content-Length` above the limit
    /// (or one that is not a number) is refused at once.
    pub fn new(body: Body, headers: &http::HeaderMap, limit: usize) -> Result<Self, SpikardError> {
        let declared = match headers.get(header::CONTENT_LENGTH) {
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| s.trim().parse::<usize>().ok())
                    .ok_or_else(|| SpikardError::BadRequest("Invalid Content-Length header".into()))?,
            ),
            None => None,
        };
        if declared.is_some_and(|n| n > limit) {
            return Err(SpikardError::PayloadTooLarge { limit });
        }
        Ok(Self {
            body,
            limit,
            read: 0,
            declared,
            done: false,
        })
    }

    /// The most bytes this stream yields before it fails with `PayloadTooLarge`.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> usize {
        self.read
    }

    /// Lower the limit (a handler that accepts less for some kinds of body); a limit above
    /// the route's is ignored.
    pub fn limited_to(mut self, limit: usize) -> Self {
        self.limit = self.limit.min(limit);
        self
    }

    /// Read the rest of the body into one buffer.
    pub async fn collect(mut self) -> Result<Bytes, SpikardError> {
        let mut buf = BytesMut::new();
        while let Some(chunk) = self.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(buf.freeze())
    }

    fn fail(&mut self, err: SpikardError) -> Poll<Option<Result<Bytes, SpikardError>>> {
        self.done = true;
        Poll::Ready(Some(Err(err)))
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, SpikardError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            let frame = match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(frame) => frame,
            };
            match frame {
                None => {
                    self.done = true;
                    return match self.declared {
                        Some(n) if n != self.read => {
                            let read = self.read;
                            self.fail(SpikardError::BadRequest(format!(
                                "Request body is {read} bytes but Content-Length declares {n}"
                            )))
                        }
                        _ => Poll::Ready(None),
                    };
                }
                Some(Err(e)) => {
                    let e = e.into_inner();
                    let err = match crate::limits::stalled_for(&*e) {
                        Some(seconds) => SpikardError::RequestTimeout { seconds },
                        None => SpikardError::BadRequest(format!("Failed to read request body: {e}")),
                    };
                    return self.fail(err);
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    self.read += data.len();
                    if self.read > self.limit {
                        let limit = self.limit;
                        return self.fail(SpikardError::PayloadTooLarge { limit });
                    }
                    if data.is_empty() {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
            }
        }
    }
}

use http_body::Body as _;

/// What a `stream_body` route's request carries in its extensions: the body, taken once
/// (`RequestData` is cloneable, the body is not).
#[derive(Clone)]
pub struct StreamedBody(Arc<Mutex<Option<BodyStream>>>);

impl std::fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamedBody")
    }
}

impl StreamedBody {
    pub fn new(stream: BodyStream) -> Self {
        Self(Arc::new(Mutex::new(Some(stream))))
    }

    /// The body stream; `None` once taken.
    pub fn take(&self) -> Option<BodyStream> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(n: usize) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(header::CONTENT_LENGTH, n.into());
        h
    }

    #[tokio::test]
    async fn chunks_arrive_in_order_and_collect() {
        let chunks = futures_util::stream::iter(["ab", "", "cd"].map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
        let stream = BodyStream::new(Body::from_stream(chunks), &http::HeaderMap::new(), 10).unwrap();
        assert_eq!(stream.collect().await.unwrap(), "abcd");
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let err = BodyStream::new(Body::from("x"), &length(11), 10).unwrap_err();
        assert_eq!(err.status(), 413);
        let mut bad = http::HeaderMap::new();
        bad.insert(header::CONTENT_LENGTH, http::HeaderValue::from_static("ten"));
        assert_eq!(BodyStream::new(Body::from("x"), &bad, 10).unwrap_err().status(), 400);
    }

    #[tokio::test]
    async fn growing_past_the_limit_ends_the_stream() {
        let chunks = futures_util::stream::iter(["abc", "def"].map(|c| Ok::<_, std::io::Error>(Bytes::from(c))));
        let mut stream = BodyStream::new(Body::from_stream(chunks), &http::HeaderMap::new(), 100)
            .unwrap()
            .limited_to(4);
        assert_eq!(stream.limit(), 4);
        assert_eq!(stream.next().await.unwrap().unwrap(), "abc");
        assert!(matches!(
            stream.next().await.unwrap(),
            Err(SpikardError::PayloadTooLarge { limit: 4 })
        ));
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn a_body_shorter_than_its_content_length_is_a_bad_request() {
        let stream = BodyStream::new(Body::from("abc"), &length(5), 10).unwrap();
        assert_eq!(stream.collect().await.unwrap_err().status(), 400);
    }

    #[tokio::test]
    async fn the_body_is_taken_once() {
        let shared = StreamedBody::new(BodyStream::new(Body::from("a"), &http::HeaderMap::new(), 1).unwrap());
        let copy = shared.clone();
        assert!(copy.take().is_some());
        assert!(shared.take().is_none());
    }
}
