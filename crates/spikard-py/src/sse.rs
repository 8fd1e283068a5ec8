//! Server-sent events: `EventSourceResponse(iterator)` streams the core's SSE body, pulled
//! as in [`crate::streaming`]. Each item (an `SseEvent`, a dict with its keys, or bare
//! data) is read by the core as JSON (`spikard_http::foreign::event_from_json`); a route's
//! `event_schema` is checked by the core, which ends the stream at the first bad event.

use std::time::Duration;

use http::StatusCode;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::json;
use spikard_http::foreign::{self, event_from_json};
use spikard_http::sse::{SseEvent, SseStream};
use spikard_http::{HandlerResponse, ResponseBody};

use crate::convert::py_to_json;
use crate::streaming::items;
use crate::support::{is, support};

/// One item of an event iterator as a core event.
fn event(item: &Bound<'_, PyAny>) -> PyResult<SseEvent> {
    let py = item.py();
    let value = if is(item, &support(py)?.sse_event) {
        let fields = PyDict::new(py);
        for name in ["data", "event", "id", "retry", "comment"] {
            fields.set_item(name, item.getattr(name)?)?;
        }
        py_to_json(fields.as_any())?
    } else if item.is_instance_of::<PyDict>() {
        py_to_json(item)?
    } else {
        // Bare data (a struct converting to a JSON object is data, not an event description).
        json!({ "data": py_to_json(item)? })
    };
    event_from_json(value).map_err(PyTypeError::new_err)
}

/// An `EventSourceResponse` as a core response.
pub fn sse_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let py = r.py();
    let items = items(&r.getattr(intern!(py, "content"))?, event, "EventSourceResponse")?;
    let mut stream = SseStream::new(foreign::items::stream(items));
    if let Some(seconds) = r.getattr(intern!(py, "keep_alive"))?.extract::<Option<f64>>()? {
        stream = stream.keep_alive(Duration::from_secs_f64(seconds));
    }
    let response = HandlerResponse::new(StatusCode::OK, ResponseBody::Sse(stream));
    crate::response::finish_response(response, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dicts_and_bare_data_become_core_events() {
        Python::attach(|py| {
            crate::support::register_stand_ins(py);
            let items = py
                .eval(
                    c"['plain', {'event': 'tick', 'id': 1, 'data': {'n': 1}, 'retry': 500}, [1, 2]]",
                    None,
                    None,
                )
                .unwrap();
            let got: Vec<SseEvent> = items.try_iter().unwrap().map(|i| event(&i.unwrap()).unwrap()).collect();
            assert_eq!(got[0].data.as_deref(), Some("plain"));
            assert_eq!(got[1].event.as_deref(), Some("tick"));
            assert_eq!(got[1].id.as_deref(), Some("1"));
            assert_eq!(got[1].data.as_deref(), Some("{\"n\":1}"));
            assert_eq!(got[1].retry, Some(500));
            assert_eq!(got[2].data.as_deref(), Some("[1,2]"));
            let bogus = py.eval(c"{'bogus': 1}", None, None).unwrap();
            assert!(event(&bogus).is_err());
        });
    }
}
