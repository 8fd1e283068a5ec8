//! `StreamingResponse`: a sync or async Python iterator as a core streamed body
//! (`spikard_http::foreign::items`: one item per poll, closed when dropped early). An async
//! iterator is pulled on the loop through the package's `AsyncItems`.

use bytes::Bytes;
use http::StatusCode;
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use spikard_http::foreign::{self, ForeignError, ForeignItems};
use spikard_http::response::ByteStream;
use spikard_http::{BoxFuture, HandlerResponse, ResponseBody};

use crate::support::support;
use crate::{bridge, errors};

/// Converts one item while the GIL is held.
pub type Convert<T> = fn(&Bound<'_, PyAny>) -> PyResult<T>;

/// A Python iterator whose items are converted as they are pulled.
struct PyItems<T> {
    /// The iterator itself (sync), or an `AsyncItems` wrapping it (async).
    iter: Py<PyAny>,
    is_async: bool,
    convert: Convert<T>,
    name: &'static str,
}

/// The items of `content` (an object with `__aiter__` is pulled asynchronously, anything
/// else through `iter()`), converted by `convert`, as the core's foreign iterator.
pub fn items<T: Send + 'static>(
    content: &Bound<'_, PyAny>,
    convert: Convert<T>,
    name: &'static str,
) -> PyResult<Box<dyn ForeignItems<T>>> {
    let py = content.py();
    let is_async = content.hasattr(intern!(py, "__aiter__"))?;
    let iter = if is_async {
        let it = content.call_method0(intern!(py, "__aiter__"))?;
        support(py)?.async_items.bind(py).call1((it,))?
    } else {
        content.try_iter()?.into_any()
    };
    Ok(Box::new(PyItems {
        iter: iter.unbind(),
        is_async,
        convert,
        name,
    }))
}

impl<T: Send + 'static> ForeignItems<T> for PyItems<T> {
    fn next(&self) -> BoxFuture<Result<Option<T>, ForeignError>> {
        let (convert, name) = (self.convert, self.name);
        let failed = move |py: Python<'_>, e: PyErr| ForeignError::new(errors::from_handler(py, e, name));
        Python::attach(|py| -> BoxFuture<Result<Option<T>, ForeignError>> {
            let iter = self.iter.bind(py);
            if !self.is_async {
                let item = match iter.call_method0("__next__") {
                    Ok(item) => convert(&item).map(Some).map_err(|e| failed(py, e)),
                    Err(e) if e.is_instance_of::<PyStopIteration>(py) => Ok(None),
                    Err(e) => Err(failed(py, e)),
                };
                return Box::pin(std::future::ready(item));
            }
            let finish: bridge::Finish<Option<T>, ForeignError> = Box::new(move |py, outcome| match outcome {
                Ok(item) => convert(&item).map(Some).map_err(|e| failed(py, e)),
                Err(e) if e.is_instance_of::<PyStopAsyncIteration>(py) => Ok(None),
                Err(e) if errors::is_cancellation(py, &e) => Ok(None),
                Err(e) => Err(failed(py, e)),
            });
            match iter.call_method0("next").and_then(|c| bridge::submit(py, c, finish)) {
                Ok(pending) => Box::pin(pending),
                Err(e) => Box::pin(std::future::ready(Err(failed(py, e)))),
            }
        })
    }

    /// `aclose()` scheduled on the loop (async), `close()` now (sync); iterators without
    /// the method are left alone. Nothing to do while the interpreter shuts down.
    fn close(&self) {
        let _ = Python::try_attach(|py| {
            let iter = self.iter.bind(py);
            let closed = if self.is_async {
                iter.call_method0("aclose").and_then(|c| bridge::spawn(py, c))
            } else {
                match iter.getattr("close") {
                    Ok(close) => close.call0().map(drop),
                    Err(_) => Ok(()),
                }
            };
            if let Err(e) = closed {
                errors::log_exception(py, &e, self.name);
            }
        });
    }
}

/// One chunk of a streamed body.
fn chunk(item: &Bound<'_, PyAny>) -> PyResult<Bytes> {
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

/// A `StreamingResponse` as a core response.
pub fn streaming_response(r: &Bound<'_, PyAny>) -> PyResult<HandlerResponse> {
    let py = r.py();
    let items = items(&r.getattr(intern!(py, "content"))?, chunk, "StreamingResponse")?;
    let stream: ByteStream = Box::pin(futures_util::StreamExt::map(foreign::items::stream(items), |r| {
        r.map_err(Into::into)
    }));
    let response = HandlerResponse::new(StatusCode::OK, ResponseBody::Stream(stream));
    crate::response::finish_response(response, r)
}

#[cfg(test)]
mod tests {
    use spikard_core::SpikardError;

    use super::*;

    type Items = Box<dyn ForeignItems<Bytes>>;

    fn items_of(code: &std::ffi::CStr) -> Items {
        Python::attach(|py| {
            let module = PyModule::from_code(py, code, c"s.py", c"s").unwrap();
            items(&module.getattr("content").unwrap(), chunk, "t").unwrap()
        })
    }

    fn stream(items: Items) -> impl futures_util::Stream<Item = Result<Bytes, SpikardError>> {
        foreign::items::stream(items)
    }

    fn collect(items: Items) -> Vec<Result<Bytes, SpikardError>> {
        let runtime = bridge::test_runtime().unwrap();
        runtime.block_on(futures_util::StreamExt::collect(stream(items)))
    }

    #[test]
    fn sync_iterators_stream_bytes_and_text() {
        let got = collect(items_of(c"content = [b'a', 'b', bytearray(b'c')]\n"));
        let got: Vec<Bytes> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got, vec!["a", "b", "c"]);
    }

    #[test]
    fn a_raising_iterator_ends_the_stream_with_an_error() {
        let got = collect(items_of(
            c"def gen():\n    yield 'ok'\n    raise RuntimeError('boom')\ncontent = gen()\n",
        ));
        assert_eq!(got.len(), 2);
        assert!(got[1].is_err());
    }

    #[test]
    fn a_stream_dropped_early_closes_its_generator() {
        let runtime = bridge::test_runtime().unwrap();
        let (module, items) = Python::attach(|py| {
            let module = PyModule::from_code(
                py,
                c"steps = []\ndef gen():\n    try:\n        while True:\n            yield 'x'\n    finally:\n        steps.append('closed')\ncontent = gen()\n",
                c"d.py",
                c"d",
            )
            .unwrap();
            let items = items(&module.getattr("content").unwrap(), chunk, "t").unwrap();
            (module.unbind(), items)
        });
        let steps = |module: &Py<PyModule>| {
            Python::attach(|py| {
                module
                    .bind(py)
                    .getattr("steps")
                    .unwrap()
                    .extract::<Vec<String>>()
                    .unwrap()
            })
        };
        let mut stream = Box::pin(stream(items));
        let first = runtime.block_on(futures_util::StreamExt::next(&mut stream));
        assert_eq!(first.unwrap().unwrap(), "x");
        assert!(steps(&module).is_empty());
        drop(stream);
        // The module still references the generator: only the explicit close finishes it.
        assert_eq!(steps(&module), vec!["closed"]);
    }

    #[test]
    fn chunks_of_other_types_are_refused() {
        let got = collect(items_of(c"content = [1]\n"));
        assert!(got[0].is_err());
    }
}
