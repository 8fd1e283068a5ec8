//! `StreamingResponse` and `EventSourceResponse`: the package's `items(content)` gives a
//! sync or async iterator's `next` and `close` as functions the core pulls
//! (`spikard_http::foreign::items`); each item is converted here as it arrives. An SSE
//! item (an `SseEvent`, a dict with its keys, or bare data) is read by the core as JSON,
//! and a route's `event_schema` is checked by the core.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use serde_json::json;
use spikard_http::foreign::{event_from_json, items, ForeignFn};
use spikard_http::sse::SseEvent;
use spikard_http::{HandlerResponse, ResponseBody};

use crate::call::PyFn;
use crate::convert::py_to_json;
use crate::response::finish_response;
use crate::support::{is, support};

type Iterator = (Arc<dyn ForeignFn>, Option<Arc<dyn ForeignFn>>);

/// A response's `content` as the `next` and `close` functions the core calls.
fn iterator(r: &Bound<'_, PyAny>, name: &str) -> PyResult<Iterator> {
    let py = r.py();
    let content = r.getattr(intern!(py, "content"))?;
    let (next, close, is_async): (Py<PyAny>, Option<Py<PyAny>>, bool) =
        support(py)?.items.bind(py).call1((content,))?.extract()?;
    Ok((
        PyFn::plain(next, name, is_async, 0),
        close.map(|c| PyFn::plain(c, name, false, 0)),
    ))
}

/// A `StreamingResponse` as a core response.
pub fn streaming_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let (next, close) = iterator(r, "StreamingResponse")?;
    let response = HandlerResponse::new(StatusCode::OK, ResponseBody::Stream(items::body(next, close)));
    finish_response(response, r)
}

/// An `EventSourceResponse` as a core response.
pub fn sse_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let (next, close) = iterator(r, "EventSourceResponse")?;
    let mut stream = items::events(next, close);
    if let Some(seconds) = r.getattr(intern!(r.py(), "keep_alive"))?.extract::<Option<f64>>()? {
        stream = stream.keep_alive(Duration::from_secs_f64(seconds));
    }
    finish_response(HandlerResponse::new(StatusCode::OK, ResponseBody::Sse(stream)), r)
}

/// One chunk of a streamed body.
pub fn chunk(item: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = item.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(Bytes::from(s.to_str()?.to_owned()));
    }
    if let Ok(v) = item.extract::<Vec<u8>>() {
        if !item.is_instance_of::<PyList>() && !item.is_instance_of::<PyTuple>() {
            return Ok(Bytes::from(v));
        }
    }
    Err(PyTypeError::new_err(format!(
        "a streamed chunk must be bytes or str, not {}",
        item.get_type().name()?
    )))
}

/// One item of an event iterator as a core event.
pub fn event(item: &Bound<'_, PyAny>) -> PyResult<SseEvent> {
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

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use pyo3::types::IntoPyDict;
    use spikard_http::response::ByteStream;

    use super::*;

    fn body_of(code: &std::ffi::CStr) -> (Py<PyModule>, ByteStream) {
        Python::attach(|py| {
            crate::stand_ins::register(py);
            let module = PyModule::from_code(py, code, c"s.py", c"s").unwrap();
            let content = [("content", module.getattr("content").unwrap())]
                .into_py_dict(py)
                .unwrap();
            let response = py.import("types").unwrap().getattr("SimpleNamespace").unwrap();
            let (next, close) = iterator(&response.call((), Some(&content)).unwrap(), "t").unwrap();
            (module.unbind(), items::body(next, close))
        })
    }

    fn collect(body: ByteStream) -> Vec<Result<Bytes, String>> {
        let runtime = crate::stand_ins::runtime().unwrap();
        let got: Vec<_> = runtime.block_on(body.collect());
        got.into_iter().map(|r| r.map_err(|e| e.to_string())).collect()
    }

    #[test]
    fn sync_iterators_stream_bytes_and_text() {
        let got = collect(body_of(c"content = [b'a', 'b', bytearray(b'c')]\n").1);
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_raising_iterator_ends_the_stream_with_an_error() {
        let code = c"def gen():\n    yield 'ok'\n    raise RuntimeError('boom')\ncontent = gen()\n";
        let got = collect(body_of(code).1);
        assert_eq!(got.len(), 2);
        assert!(got[1].is_err());
    }

    #[test]
    fn a_stream_dropped_early_closes_its_generator() {
        let runtime = crate::stand_ins::runtime().unwrap();
        let code = c"steps = []\ndef gen():\n    try:\n        while True:\n            yield 'x'\n    finally:\n        steps.append('closed')\ncontent = gen()\n";
        let (module, mut body) = body_of(code);
        let steps = || {
            Python::attach(|py| {
                module
                    .bind(py)
                    .getattr("steps")
                    .unwrap()
                    .extract::<Vec<String>>()
                    .unwrap()
            })
        };
        let first = runtime.block_on(body.next());
        assert_eq!(first.unwrap().unwrap(), "x");
        assert!(steps().is_empty());
        drop(body);
        // The module still references the generator: only the explicit close finishes it.
        // A sync generator's close runs on the pool of blocking threads: wait for it (bounded).
        for _ in 0..500 {
            if !steps().is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(steps(), vec!["closed"]);
    }

    #[test]
    fn chunks_of_other_types_are_refused() {
        let got = collect(body_of(c"content = [1]\n").1);
        assert!(got[0].is_err());
    }

    #[test]
    fn dicts_and_bare_data_become_core_events() {
        Python::attach(|py| {
            crate::stand_ins::register(py);
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
