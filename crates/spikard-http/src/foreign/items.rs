//! Streams fed by a foreign iterator: a streamed body's chunks, an SSE response's events.
//!
//! A binding implements [`ForeignItems`] for its iterator (sync or async: `next` may
//! complete at once or later on the language's event loop). [`stream`] pulls it one
//! item per poll of the body, ends at exhaustion or after the first error, and, when
//! the body is dropped before the iterator is exhausted (the client went away, a `HEAD`
//! request, an item that could not be converted), closes the iterator at once so the
//! language's cleanup code (`finally:`, `ensure`) runs promptly.
//!
//! [`event_from_json`] reads an SSE event described as JSON, the same for every binding.

use futures_util::Stream;
use serde_json::Value;

use super::call::ForeignError;
use crate::handler::BoxFuture;
use crate::sse::SseEvent;

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
    use serde_json::json;

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
