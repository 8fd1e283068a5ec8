//! Server-sent events: the [`SseEvent`] builder, its wire encoding, and
//! [`SseStream`], a stream of events with optional keep-alive comments.
//!
//! A handler answers with `ResponseBody::Sse(SseStream::new(events))`; the core
//! sets `Content-Type: text/event-stream` and `Cache-Control: no-cache`, and the
//! compression middleware leaves the stream alone. The client's `Last-Event-ID`
//! is an ordinary request header ([`last_event_id`]).
//!
//! ```
//! use spikard_http::sse::SseEvent;
//! let e = SseEvent::data("line one\nline two").event("update").id("7").retry(3000);
//! assert_eq!(
//!     e.encode(),
//!     "event: update\nid: 7\nretry: 3000\ndata: line one\ndata: line two\n\n"
//! );
//! ```

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use std::future::Future;

use std::sync::Arc;

use spikard_core::validation::SchemaValidator;
use spikard_core::SpikardError;

use crate::handler::{BoxFuture, Handler, HandlerResult, RequestData};
use crate::response::ResponseBody;
use crate::route::{RouteKind, RouteSpec};

/// The boxed stream of events an SSE response sends.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<SseEvent, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// One server-sent event (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub id: Option<String>,
    /// The payload; each line becomes its own `data:` line.
    pub data: Option<String>,
    /// Reconnection delay advised to the client, in milliseconds.
    pub retry: Option<u64>,
    /// A comment line (`: ...`), ignored by clients.
    pub comment: Option<String>,
}

/// Line breaks would end a field early: they are replaced in single-line fields.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

impl SseEvent {
    /// An event carrying `data`.
    pub fn data(data: impl Into<String>) -> Self {
        Self {
            data: Some(data.into()),
            ..Self::default()
        }
    }

    /// An event whose data is `value` serialised as JSON (one line).
    pub fn json<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::data(serde_json::to_string(value)?))
    }

    /// A comment-only event (used for keep-alives).
    pub fn comment(text: impl Into<String>) -> Self {
        Self {
            comment: Some(text.into()),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.event = Some(name.into());
        self
    }

    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    #[must_use]
    pub fn retry(mut self, millis: u64) -> Self {
        self.retry = Some(millis);
        self
    }

    #[must_use]
    pub fn with_comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }

    /// The event in the `text/event-stream` format, ending with the blank line.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Some(c) = &self.comment {
            for line in c.lines() {
                out.push_str(": ");
                out.push_str(line);
                out.push('\n');
            }
            if c.is_empty() {
                out.push_str(":\n");
            }
        }
        if let Some(e) = &self.event {
            out.push_str("event: ");
            out.push_str(&one_line(e));
            out.push('\n');
        }
        if let Some(id) = &self.id {
            // An id containing NUL is ignored by clients; drop it rather than send it.
            out.push_str("id: ");
            out.push_str(&one_line(&id.replace('\0', "")));
            out.push('\n');
        }
        if let Some(r) = self.retry {
            out.push_str(&format!("retry: {r}\n"));
        }
        if let Some(data) = &self.data {
            let normalised = data.replace("\r\n", "\n").replace('\r', "\n");
            for line in normalised.split('\n') {
                out.push_str("data: ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out.push('\n');
        out
    }
}

/// The `Last-Event-ID` a reconnecting client sent, if any.
pub fn last_event_id(request: &RequestData) -> Option<&str> {
    request.header("last-event-id")
}

/// The pushing half of [`channel`] (for producers such as binding generators).
#[derive(Debug, Clone)]
pub struct SseSender {
    tx: tokio::sync::mpsc::Sender<Result<SseEvent, crate::streaming::StreamError>>,
}

impl SseSender {
    /// Queue an event, waiting while `capacity` events wait for the client.
    pub async fn send(&self, event: SseEvent) -> Result<(), crate::streaming::Disconnected> {
        self.tx
            .send(Ok(event))
            .await
            .map_err(|_| crate::streaming::Disconnected)
    }

    /// Completes once the client disconnected (the stream was dropped).
    pub async fn closed(&self) {
        self.tx.closed().await;
    }
}

/// A bounded event channel: push with the sender, answer with the stream. The
/// stream ends when every sender is dropped.
pub fn channel(capacity: usize) -> (SseSender, SseStream) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(capacity.max(1));
    let stream = SseStream {
        events: Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))),
        keep_alive: None,
        validator: None,
    };
    (SseSender { tx }, stream)
}

/// Events to send, with an optional keep-alive comment after each quiet interval.
pub struct SseStream {
    events: EventStream,
    keep_alive: Option<KeepAlive>,
    /// The route's `event_schema`: an event whose data does not satisfy it ends the stream.
    validator: Option<Arc<SchemaValidator>>,
}

struct KeepAlive {
    every: Duration,
    text: String,
    timer: crate::rt::Timer,
}

impl std::fmt::Debug for SseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SseStream")
            .field("keep_alive", &self.keep_alive.as_ref().map(|k| k.every))
            .finish()
    }
}

impl SseStream {
    pub fn new<S, E>(events: S) -> Self
    where
        S: Stream<Item = Result<SseEvent, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        use futures_util::StreamExt;
        Self {
            events: Box::pin(events.map(|r| r.map_err(Into::into))),
            keep_alive: None,
            validator: None,
        }
    }

    /// Send a `: keep-alive` comment whenever no event was sent for `every`.
    #[must_use]
    pub fn keep_alive(self, every: Duration) -> Self {
        self.keep_alive_with(every, "keep-alive")
    }

    /// Like [`SseStream::keep_alive`] with a comment text of your own.
    #[must_use]
    pub fn keep_alive_with(mut self, every: Duration, text: &str) -> Self {
        self.keep_alive = (!every.is_zero()).then(|| KeepAlive {
            every,
            text: one_line(text),
            timer: crate::rt::sleep(every),
        });
        self
    }
}

impl Stream for SseStream {
    type Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.events.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(event))) => {
                if let Some(refusal) = this.validator.as_deref().and_then(|v| refuse(v, &event)) {
                    this.events = Box::pin(futures_util::stream::empty());
                    return Poll::Ready(Some(Err(refusal.into())));
                }
                if let Some(k) = &mut this.keep_alive {
                    k.timer.reset(k.every);
                }
                return Poll::Ready(Some(Ok(Bytes::from(event.encode()))));
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if let Some(k) = &mut this.keep_alive {
            if Pin::new(&mut k.timer).poll(cx).is_ready() {
                k.timer.reset(k.every);
                return Poll::Ready(Some(Ok(Bytes::from(format!(": {}\n\n", k.text)))));
            }
        }
        Poll::Pending
    }
}

/// Why an event breaks the schema (its data must be JSON satisfying it), if it does.
fn refuse(validator: &SchemaValidator, event: &SseEvent) -> Option<String> {
    let data = event.data.as_deref()?;
    let value: serde_json::Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            return Some(format!(
                "SSE event data is not JSON ({e}); the route declares an event_schema"
            ))
        }
    };
    let errors = validator.validate(&value, &[]);
    (!errors.is_empty()).then(|| {
        let msgs: Vec<String> = errors.iter().map(|e| format!("{:?}: {}", e.loc, e.msg)).collect();
        format!(
            "SSE event data does not match the route's event_schema: {}",
            msgs.join("; ")
        )
    })
}

/// Wraps the handler of an SSE route with an `event_schema` (compiled now) so the events it
/// streams are checked: the stream ends, with the violation logged, at the first event that
/// breaks the contract, so clients only ever receive valid events. Other routes are unchanged.
pub fn validating(spec: &RouteSpec, handler: Arc<dyn Handler>) -> Result<Arc<dyn Handler>, SpikardError> {
    let (RouteKind::Sse, Some(schema)) = (spec.kind, &spec.event_schema) else {
        return Ok(handler);
    };
    let validator = SchemaValidator::compile(schema)
        .map_err(|e| SpikardError::InvalidRoute(format!("{} {}: event_schema: {e}", spec.method, spec.path)))?;
    Ok(Arc::new(ValidatedEvents {
        inner: handler,
        validator: Arc::new(validator),
    }))
}

struct ValidatedEvents {
    inner: Arc<dyn Handler>,
    validator: Arc<SchemaValidator>,
}

impl Handler for ValidatedEvents {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let future = self.inner.call(request);
        let validator = Arc::clone(&self.validator);
        Box::pin(async move {
            let mut response = future.await?;
            if let ResponseBody::Sse(stream) = &mut response.body {
                stream.validator = Some(validator);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[test]
    fn encodes_every_field_and_splits_multiline_data() {
        let e = SseEvent::data("a\r\nb\rc\nd")
            .event("x")
            .id("1")
            .retry(10)
            .with_comment("hi");
        assert_eq!(
            e.encode(),
            ": hi\nevent: x\nid: 1\nretry: 10\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
        );
    }

    #[test]
    fn single_line_fields_cannot_inject_lines() {
        let e = SseEvent::data("ok").event("a\ndata: forged").id("1\r\n2");
        assert_eq!(e.encode(), "event: a data: forged\nid: 1  2\ndata: ok\n\n");
    }

    #[test]
    fn empty_data_is_one_empty_data_line() {
        assert_eq!(SseEvent::data("").encode(), "data: \n\n");
        assert_eq!(SseEvent::comment("").encode(), ":\n\n");
    }

    #[tokio::test(start_paused = true)]
    async fn keep_alive_comments_fill_quiet_intervals() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<SseEvent, std::io::Error>>(4);
        let mut s = SseStream::new(tokio_stream_from(rx)).keep_alive(Duration::from_secs(15));
        tx.send(Ok(SseEvent::data("first"))).await.unwrap();
        assert_eq!(s.next().await.unwrap().unwrap(), Bytes::from("data: first\n\n"));
        // Nothing to send: the paused clock advances to the keep-alive deadline.
        assert_eq!(s.next().await.unwrap().unwrap(), Bytes::from(": keep-alive\n\n"));
        drop(tx);
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn the_channel_delivers_events_and_reports_the_drop() {
        let (tx, mut stream) = channel(2);
        tx.send(SseEvent::data("a").id("1")).await.unwrap();
        assert_eq!(stream.next().await.unwrap().unwrap(), Bytes::from("id: 1\ndata: a\n\n"));
        drop(stream);
        tx.closed().await;
        assert!(tx.send(SseEvent::data("b")).await.is_err());
    }

    fn tokio_stream_from<T: Send + 'static>(
        mut rx: tokio::sync::mpsc::Receiver<T>,
    ) -> impl Stream<Item = T> + Send + 'static {
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }
}
