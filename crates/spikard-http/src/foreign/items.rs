//! Streams fed by a foreign iterator: a streamed body's chunks, an SSE response's events.
//!
//! A binding implements [`ForeignItems`] for its iterator (sync or async: `next` may
//! complete at once or later on the language's event loop). [`stream`] pulls it one
//! item per poll of the body, ends at exhaustion or after the first error, and, when
//! the body is dropped before the iterator is exhausted (the client went away, a `HEAD`
//! request, an item that could not be converted), closes the iterator at once so the
//! language's cleanup code (`finally:`, `ensure`) runs promptly.
//!
//! A binding whose iterators are functions of its language hands their `next` and `close`
//! to [`body`] or [`events`] ([`FnItems`]) and writes no iterator plumbing of its own.
//!
//! [`event_from_json`] reads an SSE event described as JSON, the same for every binding.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use spikard_core::SpikardError;

use super::call::{Call, Expect, ForeignError, ForeignFn, Input, Returned};
use crate::handler::BoxFuture;
use crate::response::ByteStream;
use crate::sse::{SseEvent, SseStream};

/// A foreign iterator.
pub trait ForeignItems<T>: Send + Sync + 'static {
    /// The next item, converted; `Ok(None)` once exhausted.
    fn next(&self) -> BoxFuture<Result<Option<T>, ForeignError>>;

    /// Close the iterator early (called at most once, only before exhaustion).
    fn close(&self);
}

/// The iterator's items as a stream (see the module docs).
pub fn stream<T: Send + 'static>(
    items: Box<dyn ForeignItems<T>>,
) -> impl Stream<Item = Result<T, spikard_core::SpikardError>> + Send + 'static {
    let state = Closing {
        items,
        exhausted: false,
    };
    futures_util::stream::unfold(Some(state), |state| async move {
        let mut state = state?;
        match state.items.next().await {
            Ok(Some(item)) => Some((Ok(item), Some(state))),
            Ok(None) => {
                state.exhausted = true;
                None
            }
            // A cancelled pull (the loop shut down under it) ends the stream quietly.
            Err(e) if e.cancelled => {
                state.exhausted = true;
                None
            }
            Err(e) => Some((Err(e.error), None)),
        }
    })
}

/// The iterator of a stream, closed when the stream lets go of it early.
struct Closing<T: 'static> {
    items: Box<dyn ForeignItems<T>>,
    exhausted: bool,
}

impl<T: 'static> Drop for Closing<T> {
    fn drop(&mut self) {
        if !self.exhausted {
            self.items.close();
        }
    }
}

/// A foreign iterator given as functions of the language. `next` is called without
/// arguments and with [`Expect::Chunk`] or [`Expect::Event`]; it answers
/// [`Returned::Value`] holding the converted item (`Bytes`, [`SseEvent`]), or
/// [`Returned::Nothing`] once exhausted. `close`, when the iterator has one, is called with
/// [`Expect::Unit`] when the stream is dropped early; its completion is driven on its own
/// (spawned, not awaited by anyone; an asynchronous close is scheduled by the binding's
/// function itself).
pub struct FnItems<T> {
    next: Arc<dyn ForeignFn>,
    close: Option<Arc<dyn ForeignFn>>,
    expect: Expect,
    item: PhantomData<fn() -> T>,
}

impl<T> FnItems<T> {
    fn new(next: Arc<dyn ForeignFn>, close: Option<Arc<dyn ForeignFn>>, expect: Expect) -> Box<Self> {
        Box::new(Self {
            next,
            close,
            expect,
            item: PhantomData,
        })
    }
}

fn no_args(expect: Expect) -> Call<'static> {
    Call {
        input: Input::Args(Vec::new()),
        expect,
    }
}

impl<T: Any + Send + Sync + Clone> ForeignItems<T> for FnItems<T> {
    fn next(&self) -> BoxFuture<Result<Option<T>, ForeignError>> {
        let pending = self.next.call(no_args(self.expect));
        Box::pin(async move {
            match pending.await?.returned {
                Returned::Nothing => Ok(None),
                Returned::Value(value) => {
                    let item = value.downcast::<T>();
                    drop(value);
                    item.map(|i| Some(Arc::unwrap_or_clone(i)))
                        .ok_or_else(|| unexpected("an item of another type"))
                }
                _ => Err(unexpected("neither an item nor its end")),
            }
        })
    }

    fn close(&self) {
        if let Some(close) = &self.close {
            // Not awaited by the stream, but kept until it is done: a binding that runs the
            // call on another thread (a `BlockingPool`) skips a call whose completion is
            // dropped before it starts.
            let done = close.call(no_args(Expect::Unit));
            crate::rt::spawn(Box::pin(async move {
                let _ = done.await;
            }));
        }
    }
}

fn unexpected(what: &str) -> ForeignError {
    ForeignError::new(SpikardError::Internal(format!("an iterator's next returned {what}")))
}

/// A streamed body pulled from a foreign iterator's `next` (see [`FnItems`]).
pub fn body(next: Arc<dyn ForeignFn>, close: Option<Arc<dyn ForeignFn>>) -> ByteStream {
    Box::pin(stream(FnItems::<Bytes>::new(next, close, Expect::Chunk)).map(|r| r.map_err(Into::into)))
}

/// Server-sent events pulled from a foreign iterator's `next` (see [`FnItems`]).
pub fn events(next: Arc<dyn ForeignFn>, close: Option<Arc<dyn ForeignFn>>) -> SseStream {
    SseStream::new(stream(FnItems::<SseEvent>::new(next, close, Expect::Event)))
}

/// An SSE event from JSON: an object is an event description (`data`, `event`, `id`,
/// `retry`, `comment`; any other key is refused), anything else is the data of an
/// event. Data that is not a string is sent as JSON text.
pub fn event_from_json(item: Value) -> Result<SseEvent, String> {
    let Value::Object(fields) = item else {
        return Ok(SseEvent {
            data: data_text(item),
            ..SseEvent::default()
        });
    };
    let mut event = SseEvent::default();
    for (key, value) in fields {
        let text = || match &value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        match key.as_str() {
            "data" => event.data = data_text(value),
            "event" => event.event = text(),
            "id" => event.id = text(),
            "comment" => event.comment = text(),
            "retry" => {
                event.retry = match value {
                    Value::Null => None,
                    Value::Number(n) => Some(n.as_u64().ok_or("retry must be a whole number of milliseconds")?),
                    _ => return Err("retry must be a whole number of milliseconds".into()),
                }
            }
            other => return Err(format!("unknown SSE event field '{other}'")),
        }
    }
    Ok(event)
}

fn data_text(data: Value) -> Option<String> {
    match data {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::di::Resolved;
    use crate::foreign::Outcome;
    use serde_json::json;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// A foreign iterator's `next` over a list (a `Err` item raises), counting its calls.
    struct Next<T>(Mutex<Vec<Result<T, &'static str>>>, Arc<AtomicUsize>);

    impl<T: Any + Send + Sync> ForeignFn for Next<T> {
        fn call(&self, _call: Call<'_>) -> crate::foreign::Completion {
            self.1.fetch_add(1, Ordering::SeqCst);
            let item = self.0.lock().unwrap().pop();
            let returned = match item {
                None => Ok(Returned::Nothing),
                Some(Ok(item)) => Ok(Returned::Value(Resolved::new(item))),
                Some(Err(e)) => Err(ForeignError::new(SpikardError::Internal(e.into()))),
            };
            Box::pin(std::future::ready(returned.map(Outcome::new)))
        }
    }

    fn next<T: Any + Send + Sync>(mut items: Vec<Result<T, &'static str>>) -> (Arc<dyn ForeignFn>, Arc<AtomicUsize>) {
        items.reverse();
        let calls = Arc::new(AtomicUsize::new(0));
        (Arc::new(Next(Mutex::new(items), calls.clone())), calls)
    }

    #[tokio::test]
    async fn function_items_stream_until_the_end_and_close_only_when_dropped_early() {
        let (pull, _) = next(vec![Ok(Bytes::from_static(b"a")), Ok(Bytes::from_static(b"b"))]);
        let (close, closed) = next::<Bytes>(Vec::new());
        let got: Vec<_> = body(pull, Some(close)).collect().await;
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, ["a", "b"]);
        assert_eq!(closed.load(Ordering::SeqCst), 0, "an exhausted iterator is not closed");

        let (pull, _) = next(vec![Ok(Bytes::from_static(b"a")), Ok(Bytes::from_static(b"b"))]);
        let (close, closed) = next::<Bytes>(Vec::new());
        let mut stream = body(pull, Some(close));
        assert_eq!(stream.next().await.unwrap().unwrap(), "a");
        drop(stream);
        assert_eq!(closed.load(Ordering::SeqCst), 1);
    }

    /// A function run on a [`BlockingPool`](crate::foreign::BlockingPool), as Python's sync ones.
    #[cfg(feature = "server")]
    struct Pooled(Arc<dyn ForeignFn>, Arc<crate::foreign::BlockingPool>);

    #[cfg(feature = "server")]
    impl ForeignFn for Pooled {
        fn call(&self, call: Call<'_>) -> crate::foreign::Completion {
            let f = Arc::clone(&self.0);
            self.1.call(call, move |call| f.call(call))
        }
    }

    #[cfg(feature = "server")]
    #[tokio::test]
    async fn a_close_run_on_a_pool_is_not_skipped() {
        let pool = Arc::new(crate::foreign::BlockingPool::new(2));
        let (pull, _) = next(vec![Ok(Bytes::from_static(b"a")), Ok(Bytes::from_static(b"b"))]);
        let (close, closed) = next::<Bytes>(Vec::new());
        let mut stream = body(
            Arc::new(Pooled(pull, pool.clone())),
            Some(Arc::new(Pooled(close, pool))),
        );
        assert_eq!(stream.next().await.unwrap().unwrap(), "a");
        drop(stream);
        for _ in 0..1000 {
            if closed.load(Ordering::SeqCst) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(closed.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn function_items_end_at_a_failure_or_an_item_of_another_type() {
        let (pull, calls) = next(vec![
            Ok(Bytes::from_static(b"a")),
            Err("boom"),
            Ok(Bytes::from_static(b"c")),
        ]);
        let got: Vec<_> = body(pull, None).collect().await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].as_ref().unwrap_err().to_string(), "boom");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "nothing is pulled after a failure");

        let (pull, _) = next(vec![Ok(7_u32)]);
        let got: Vec<_> = body(pull, None).collect().await;
        assert!(got[0].as_ref().unwrap_err().to_string().contains("another type"));
    }

    #[tokio::test]
    async fn function_items_feed_server_sent_events() {
        let (pull, _) = next(vec![Ok(SseEvent::data("one").event("tick")), Ok(SseEvent::data("two"))]);
        let got: Vec<_> = stream(FnItems::<SseEvent>::new(pull, None, Expect::Event))
            .collect()
            .await;
        let got: Vec<SseEvent> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, [SseEvent::data("one").event("tick"), SseEvent::data("two")]);
        let (pull, _) = next(vec![Ok(SseEvent::data("one"))]);
        let _events: SseStream = events(pull, None);
    }

    #[test]
    fn json_items_become_events() {
        let e = event_from_json(json!({"event": "tick", "id": 1, "data": {"n": 1}, "retry": 500})).unwrap();
        assert_eq!(
            (e.event.as_deref(), e.id.as_deref(), e.data.as_deref(), e.retry),
            (Some("tick"), Some("1"), Some("{\"n\":1}"), Some(500))
        );
        assert_eq!(event_from_json(json!("plain")).unwrap().data.as_deref(), Some("plain"));
        assert_eq!(event_from_json(json!([1, 2])).unwrap().data.as_deref(), Some("[1,2]"));
        assert_eq!(
            event_from_json(json!({"bogus": 1})).unwrap_err(),
            "unknown SSE event field 'bogus'"
        );
    }
}
