//! Python values <-> JSON values built directly, and Python values straight to JSON bytes
//! ([`py_to_json_bytes`]). Builtins convert in one pass; anything else (structs,
//! dataclasses, models, UUIDs, dates, enums) goes through the package's encoder first.

use std::cell::RefCell;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};

/// Deepest nesting converted before giving up (guards against cyclic structures).
const MAX_DEPTH: usize = 256;

/// A JSON value as a Python object.
pub fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

/// A JSON object as a Python `dict`.
pub fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, json_to_py(py, v)?)?;
    }
    Ok(dict)
}

/// A Python object as a JSON value (the same rules as [`py_to_json_bytes`]).
pub fn py_to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let failure = RefCell::new(None);
    serde_json::to_value(Ser::new(obj, &failure)).map_err(|e| failed(failure, &e))
}

/// A Python value serialised as JSON text in one pass (same rules as [`py_to_json`]).
pub fn py_to_json_bytes(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let failure = RefCell::new(None);
    let mut out = Vec::with_capacity(128);
    serde_json::to_writer(&mut out, &Ser::new(obj, &failure)).map_err(|e| failed(failure, &e))?;
    Ok(out)
}

/// The Python error behind a serialisation failure.
fn failed(failure: RefCell<Option<PyErr>>, e: &serde_json::Error) -> PyErr {
    failure
        .into_inner()
        .unwrap_or_else(|| PyValueError::new_err(format!("cannot serialise the value as JSON: {e}")))
}

/// A Python value as a serde value; a Python error is kept in `failure`.
struct Ser<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    depth: usize,
    may_encode: bool,
    failure: &'a RefCell<Option<PyErr>>,
}

impl<'a, 'py> Ser<'a, 'py> {
    fn new(obj: &'a Bound<'py, PyAny>, failure: &'a RefCell<Option<PyErr>>) -> Self {
        Self {
            obj,
            depth: 0,
            may_encode: true,
            failure,
        }
    }
}

impl Ser<'_, '_> {
    fn child<'b, 'py>(&'b self, obj: &'b Bound<'py, PyAny>, may_encode: bool) -> Ser<'b, 'py> {
        Ser {
            obj,
            depth: self.depth + 1,
            may_encode,
            failure: self.failure,
        }
    }

    fn fail<E: serde::ser::Error>(&self, err: PyErr) -> E {
        *self.failure.borrow_mut() = Some(err);
        E::custom("python error")
    }
}

impl serde::Serialize for Ser<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let obj = self.obj;
        if self.depth > MAX_DEPTH {
            return Err(self.fail(PyValueError::new_err(format!(
                "value nests deeper than {MAX_DEPTH} levels (or contains a cycle)"
            ))));
        }
        if obj.is_none() {
            return s.serialize_unit();
        }
        if let Ok(v) = obj.cast_exact::<PyString>() {
            return s.serialize_str(v.to_str().map_err(|e| self.fail(e))?);
        }
        if let Ok(b) = obj.cast_exact::<PyBool>() {
            return s.serialize_bool(b.is_true());
        }
        if let Ok(i) = obj.cast_exact::<PyInt>() {
            if let Ok(v) = i.extract::<i64>() {
                return s.serialize_i64(v);
            }
            if let Ok(v) = i.extract::<u64>() {
                return s.serialize_u64(v);
            }
            return s.serialize_f64(i.extract::<f64>().map_err(|e| self.fail(e))?);
        }
        if let Ok(f) = obj.cast_exact::<PyFloat>() {
            return s.serialize_f64(f.value());
        }
        if let Ok(d) = obj.cast_exact::<PyDict>() {
            let mut map = s.serialize_map(Some(d.len()))?;
            for (k, v) in d.iter() {
                let key = match k.cast_exact::<PyString>() {
                    Ok(k) => k.to_str().map(str::to_owned),
                    Err(_) => key_string(&k),
                };
                map.serialize_entry(&key.map_err(|e| self.fail(e))?, &self.child(&v, true))?;
            }
            return map.end();
        }
        if let Ok(l) = obj.cast_exact::<PyList>() {
            let mut seq = s.serialize_seq(Some(l.len()))?;
            for item in l.iter() {
                seq.serialize_element(&self.child(&item, true))?;
            }
            return seq.end();
        }
        if let Ok(t) = obj.cast_exact::<PyTuple>() {
            let mut seq = s.serialize_seq(Some(t.len()))?;
            for item in t.iter() {
                seq.serialize_element(&self.child(&item, true))?;
            }
            return seq.end();
        }
        if obj.cast::<PyBytes>().is_ok() {
            return Err(self.fail(PyTypeError::new_err("bytes cannot be part of a JSON value")));
        }
        let py = obj.py();
        match crate::support::support(py).ok().map(|s| &s.encoder) {
            Some(encoder) if self.may_encode => {
                let plain = encoder.bind(py).call1((obj,)).map_err(|e| self.fail(e))?;
                self.child(&plain, false).serialize(s)
            }
            _ => {
                let name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                Err(self.fail(PyTypeError::new_err(format!(
                    "cannot convert a value of type {name} to JSON"
                ))))
            }
        }
    }
}

fn key_string(k: &Bound<'_, PyAny>) -> PyResult<String> {
    match py_to_json(k)? {
        Value::String(s) => Ok(s),
        other @ (Value::Number(_) | Value::Bool(_) | Value::Null) => Ok(other.to_string()),
        _ => Err(PyTypeError::new_err("dict keys must be strings or scalars")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_builtins() {
        Python::attach(|py| {
            let value = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -7}, "big": 18446744073709551615u64});
            let obj = json_to_py(py, &value).unwrap();
            assert_eq!(py_to_json(&obj).unwrap(), value);
        });
    }

    #[test]
    fn tuples_become_arrays_and_scalar_keys_strings() {
        Python::attach(|py| {
            let obj = py.eval(c"{1: (1, 2), None: 'x'}", None, None).unwrap();
            assert_eq!(py_to_json(&obj).unwrap(), json!({"1": [1, 2], "null": "x"}));
        });
    }

    #[test]
    fn bytes_match_the_value_conversion() {
        Python::attach(|py| {
            let obj = py
                .eval(c"{'a': [1, 2.5, 'x', None, True, (3, 4)], 7: {'c': -7}, 'big': 18446744073709551615, 'nan': float('nan')}", None, None)
                .unwrap();
            let bytes = py_to_json_bytes(&obj).unwrap();
            let parsed: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(parsed, py_to_json(&obj).unwrap());
            let err = py_to_json_bytes(&py.eval(c"[b'x']", None, None).unwrap()).unwrap_err();
            assert!(err.is_instance_of::<PyTypeError>(py));
        });
    }

    #[test]
    fn unknown_types_without_encoder_are_type_errors() {
        Python::attach(|py| {
            let obj = py.eval(c"object()", None, None).unwrap();
            let failure = RefCell::new(None);
            let ser = Ser {
                obj: &obj,
                depth: 0,
                may_encode: false,
                failure: &failure,
            };
            let e = serde_json::to_value(ser).unwrap_err();
            let err = failed(failure, &e);
            assert!(err.is_instance_of::<PyTypeError>(py));
        });
    }
}
