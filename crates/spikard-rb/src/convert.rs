//! Values between Ruby and the core: JSON values as Ruby objects (built natively, no JSON
//! text), and the body of a response Ruby described (the rest of what Ruby settles a call
//! with goes through `spikard_http::foreign::described`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use magnus::rb_sys::FromRawValue;
use magnus::value::ReprValue;
use magnus::{IntoValue, RArray, RHash, RString, Ruby, Value as RValue};
use serde_json::{Map, Value};
use spikard_core::SpikardError;
use spikard_http::foreign::described::{self, Body};
use spikard_http::foreign::{items, ForeignError};

use crate::call::{Detached, RbFn, RbValue};
use crate::pool::{Dispatcher, CLOSE, NEXT_CHUNK, NEXT_EVENT};

/// A JSON value as Ruby's: Hashes with String keys, Arrays, Strings (UTF-8), Integers,
/// Floats, `true`/`false`/`nil`.
pub fn to_ruby(ruby: &Ruby, value: &Value) -> RValue {
    match value {
        Value::Null => ruby.qnil().as_value(),
        Value::Bool(b) => b.into_value_with(ruby),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_value_with(ruby),
            (None, Some(u)) => u.into_value_with(ruby),
            _ => n.as_f64().unwrap_or(f64::NAN).into_value_with(ruby),
        },
        Value::String(s) => ruby.str_new(s).as_value(),
        Value::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                let _ = array.push(to_ruby(ruby, item));
            }
            array.as_value()
        }
        Value::Object(map) => hash(ruby, map, false).as_value(),
    }
}

/// A JSON object as a Hash, its keys Symbols (`symbols`) or Strings; values as [`to_ruby`].
pub fn hash(ruby: &Ruby, map: &Map<String, Value>, symbols: bool) -> RHash {
    let out = ruby.hash_new();
    for (k, v) in map {
        let value = to_ruby(ruby, v);
        let _ = match symbols {
            true => out.aset(ruby.to_symbol(k), value),
            false => out.aset(key(ruby, k), value),
        };
    }
    out
}

/// A Hash key: Ruby's interned (frozen, deduplicated) String, so a key seen before costs no
/// allocation and the Hash does not copy it.
fn key(_ruby: &Ruby, k: &str) -> RValue {
    let len = std::os::raw::c_long::try_from(k.len()).unwrap_or(std::os::raw::c_long::MAX);
    // SAFETY: the GVL is held (a `&Ruby` exists); the bytes are valid UTF-8 for the call,
    // and Ruby copies them into the interned String it returns.
    unsafe {
        let raw = rb_sys::rb_enc_interned_str(k.as_ptr().cast(), len, rb_sys::rb_utf8_encoding());
        RValue::from_raw(raw)
    }
}

/// Bytes as a binary String.
pub fn binary(ruby: &Ruby, bytes: &[u8]) -> RString {
    ruby.str_from_slice(bytes)
}

/// `[name, value]` pairs as an Array of two-String Arrays.
pub fn pairs(ruby: &Ruby, pairs: &[(String, String)]) -> RArray {
    let out = ruby.ary_new_capa(pairs.len());
    for (k, v) in pairs {
        let _ = out.push((ruby.str_new(k), ruby.str_new(v)));
    }
    out
}

/// The body of a response Ruby described: `kind` is `json` (JSON text), `text`, `bytes`,
/// `empty`, `keep` (a response hook keeps the body it was shown), `file` (the bytes
/// describe it as JSON), `stream` or `sse`
/// (`stream` is the enumerator's handle; `keep_alive` the seconds of silence before an
/// event stream's keep-alive comment).
pub fn body(
    kind: &str,
    bytes: Option<Bytes>,
    stream: Option<u32>,
    keep_alive: Option<f64>,
    dispatcher: &Arc<Dispatcher>,
) -> Result<Body, ForeignError> {
    Ok(match kind {
        "json" => Body::Json(bytes.unwrap_or_else(|| Bytes::from_static(b"null"))),
        "text" | "bytes" => Body::Bytes(bytes.unwrap_or_default()),
        "keep" => Body::Keep,
        // `bytes` describe the file as JSON (`described::file`).
        "file" => described::file(&bytes.unwrap_or_default(), None)?,
        "stream" | "sse" => {
            let handle =
                stream.ok_or_else(|| SpikardError::Internal("a streamed response without its enumerator".into()))?;
            let iterator = RbValue::new(handle, Some(dispatcher));
            // The close holds the iterator: it may run after the stream has let go of it.
            let next_iterator = iterator.alias();
            let close = Arc::new(Detached(Arc::new(RbFn::bound(
                dispatcher,
                CLOSE,
                iterator,
                "stream close",
            ))));
            if kind == "stream" {
                let next = Arc::new(RbFn::bound(dispatcher, NEXT_CHUNK, next_iterator, "stream"));
                Body::Stream(items::body(next, Some(close)))
            } else {
                let next = Arc::new(RbFn::bound(dispatcher, NEXT_EVENT, next_iterator, "event stream"));
                let mut events = items::events(next, Some(close));
                if let Some(seconds) = keep_alive.filter(|s| s.is_finite() && *s > 0.0) {
                    events = events.keep_alive(Duration::from_secs_f64(seconds));
                }
                Body::Events(events)
            }
        }
        _ => Body::Empty,
    })
}
