//! Server-sent events: `EventSourceResponse(iterator)` streams the core's SSE body.
//!
//! The iterator (sync or async, pulled lazily as in [`crate::streaming`]) yields
//! `SseEvent(data=..., event=..., id=..., retry=..., comment=...)` objects, dicts with
//! those keys, or bare data. Data that is not a `str` is sent as JSON. A route
//! registered with `sse=True` and an `event_schema` has every event's data checked
//! by the core, which ends the stream at the first event breaking it. A stream that
//! ends before its iterator does (the client went away) closes the iterator, as in
//! [`crate::streaming`].

use std::time::Duration;

use http::StatusCode;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{json, Value};
use spikard_http::foreign::{self, event_from_json};
use spikard_http::sse::{SseEvent as CoreEvent, SseStream};
use spikard_http::{HandlerResponse, ResponseBody};

use crate::convert::py_to_json;
use crate::streaming::PyItems;

/// One server-sent event; every field optional.
#[pyclass(module = "spikard._spikard", get_all, set_all)]
pub struct SseEvent {
    /// The payload: `str` as is, anything else as JSON.
    pub data: Option<Py<PyAny>>,
    pub event: Option<String>,
    pub id: Option<String>,
    /// Reconnection delay advised to the client, in milliseconds.
    pub retry: Option<u64>,
    /// A comment line, ignored by clients.
    pub comment: Option<String>,
}

#[pymethods]
impl SseEvent {
    #[new]
    #[pyo3(signature = (data = None, event = None, id = None, retry = None, comment = None))]
    fn py_new(
        data: Option<Py<PyAny>>,
        event: Option<String>,
        id: Option<String>,
        retry: Option<u64>,
        comment: Option<String>,
    ) -> Self {
        Self {
            data,
            event,
            id,
            retry,
            comment,
        }
    }

    fn __repr__(&self) -> String {
        format!("<SseEvent event={:?} id={:?}>", self.event, self.id)
    }
}

/// One item of an event iterator as a core event: an `SseEvent`, a dict with its fields,
/// or bare data (the core reads the JSON: `spikard_http::foreign::event_from_json`).
fn event(item: &Bound<'_, PyAny>) -> PyResult<CoreEvent> {
    let value = match item.cast::<SseEvent>() {
        Ok(e) => {
            let e = e.borrow();
            let py = item.py();
            let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()));
            let data = match &e.data {
                Some(d) => py_to_json(d.bind(py))?,
                None => Value::Null,
            };
            json!({"data": data, "event": text(&e.event), "id": text(&e.id), "retry": e.retry, "comment": text(&e.comment)})
        }
        Err(_) if !item.is_instance_of::<PyDict>() => {
            return Ok(CoreEvent {
                data: match py_to_json(item)? {
                    Value::String(s) => Some(s),
                    Value::Null => None,
                    other => Some(other.to_string()),
                },
                ..CoreEvent::default()
            })
        }
        Err(_) => py_to_json(item)?,
    };
    event_from_json(value).map_err(PyTypeError::new_err)
}

/// A `text/event-stream` response of the events an iterator yields.
#[pyclass(module = "spikard._spikard")]
pub struct EventSourceResponse {
    items: PyItems,
    #[pyo3(get, set)]
    pub status_code: u16,
    #[pyo3(get, set)]
    pub headers: Py<PyDict>,
    /// Send a `: keep-alive` comment after this many seconds without an event.
    #[pyo3(get, set)]
    pub keep_alive: Option<f64>,
}

#[pymethods]
impl EventSourceResponse {
    #[new]
    #[pyo3(signature = (content, status_code = 200, headers = None, keep_alive = None))]
    fn py_new(
        py: Python<'_>,
        content: &Bound<'_, PyAny>,
        status_code: u16,
        headers: Option<&Bound<'_, PyDict>>,
        keep_alive: Option<f64>,
    ) -> PyResult<Self> {
        StatusCode::from_u16(status_code)
            .map_err(|_| PyValueError::new_err(format!("invalid status {status_code}")))?;
        if keep_alive.is_some_and(|k| !(k.is_finite() && k > 0.0)) {
            return Err(PyValueError::new_err("keep_alive must be a positive number of seconds"));
        }
        Ok(Self {
            items: PyItems::new(content)?,
            status_code,
            headers: match headers {
                Some(h) => h.copy()?.unbind(),
                None => PyDict::new(py).unbind(),
            },
            keep_alive,
        })
    }

    fn __repr__(&self) -> String {
        format!("<EventSourceResponse {}>", self.status_code)
    }
}

/// An `EventSourceResponse` as a core response.
pub fn sse_response(py: Python<'_>, r: &EventSourceResponse) -> PyResult<HandlerResponse> {
    let events = foreign::items::stream(r.items.converted(py, event, "EventSourceResponse"));
    let mut stream = SseStream::new(events);
    if let Some(seconds) = r.keep_alive {
        stream = stream.keep_alive(Duration::from_secs_f64(seconds));
    }
    let response = HandlerResponse::new(StatusCode::OK, ResponseBody::Sse(stream));
    crate::response::finish_response(response, r.status_code, r.headers.bind(py), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_become_core_events() {
        Python::attach(|py| {
            let module = PyModule::from_code(
                py,
                c"items = ['plain', {'event': 'tick', 'id': 1, 'data': {'n': 1}, 'retry': 500}, [1, 2]]\n",
                c"e.py",
                c"e",
            )
            .unwrap();
            let items = module.getattr("items").unwrap();
            let got: Vec<CoreEvent> = items.try_iter().unwrap().map(|i| event(&i.unwrap()).unwrap()).collect();
            assert_eq!(got[0].data.as_deref(), Some("plain"));
            assert_eq!(got[1].event.as_deref(), Some("tick"));
            assert_eq!(got[1].id.as_deref(), Some("1"));
            assert_eq!(got[1].data.as_deref(), Some("{\"n\":1}"));
            assert_eq!(got[1].retry, Some(500));
            assert_eq!(got[2].data.as_deref(), Some("[1,2]"));
        });
    }

    #[test]
    fn unknown_dict_fields_are_refused() {
        Python::attach(|py| {
            let d = PyDict::new(py);
            d.set_item("bogus", 1).unwrap();
            assert!(event(d.as_any()).is_err());
        });
    }
}
