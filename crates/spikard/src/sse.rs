//! Server-sent events from Rust handlers: `Response::sse(events).keep_alive(..)`.
//!
//! ```
//! use std::time::Duration;
//! use futures_util::stream;
//! use spikard::{get, App, Ctx, Response, SseEvent};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.route(get("/ticks").sse().handler(|ctx: Ctx| async move {
//!     let from: u64 = ctx.last_event_id().and_then(|id| id.parse().ok()).unwrap_or(0);
//!     let events = (from + 1..=from + 2).map(|n| Ok::<_, spikard::Error>(SseEvent::data(n.to_string()).id(n.to_string())));
//!     Ok::<_, spikard::Error>(Response::sse(stream::iter(events)).keep_alive(Duration::from_secs(15)))
//! })).unwrap();
//! let res = app.test_client().get("/ticks").header("last-event-id", "5").send().await;
//! assert_eq!(res.header("content-type"), Some("text/event-stream"));
//! assert_eq!(res.text(), "id: 6\ndata: 6\n\nid: 7\ndata: 7\n\n");
//! # });
//! ```

use std::time::Duration;

use futures_util::Stream;
use http::StatusCode;
use serde_json::Value;
use spikard_http::{HandlerResponse, ResponseBody, RouteKind, SseEvent, SseStream};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::response::{IntoResponse, Response};
use crate::route::RouteBuilder;

/// An SSE response: a stream of [`SseEvent`]s, with optional keep-alive comments.
#[derive(Debug)]
pub struct Sse {
    stream: SseStream,
}

impl Sse {
    /// Send a `: keep-alive` comment whenever no event went out for `every`.
    #[must_use]
    pub fn keep_alive(self, every: Duration) -> Self {
        Self {
            stream: self.stream.keep_alive(every),
        }
    }
}

impl Response {
    /// An SSE response from a stream of events (`Content-Type: text/event-stream`,
    /// `Cache-Control: no-cache`, never compressed). An error in the stream ends it.
    pub fn sse<S, E>(events: S) -> Sse
    where
        S: Stream<Item = Result<SseEvent, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Sse {
            stream: SseStream::new(events),
        }
    }
}

impl IntoResponse for Sse {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::new(StatusCode::OK, ResponseBody::Sse(self.stream)))
    }
}

impl Ctx {
    /// The `Last-Event-ID` a reconnecting SSE client sent.
    pub fn last_event_id(&self) -> Option<&str> {
        spikard_http::sse::last_event_id(self.data())
    }
}

impl RouteBuilder {
    /// Mark the route as an SSE stream (for OpenAPI/AsyncAPI documents).
    #[must_use]
    pub fn sse(self) -> Self {
        self.map_spec(|s| s.kind = RouteKind::Sse)
    }

    /// Mark the route as an SSE stream whose events' data follow `schema` (enforced: the
    /// stream ends, logged, at the first event breaking it; also used for AsyncAPI).
    #[must_use]
    pub fn sse_events(self, schema: Value) -> Self {
        self.map_spec(|s| {
            s.kind = RouteKind::Sse;
            s.event_schema = Some(schema);
        })
    }
}
