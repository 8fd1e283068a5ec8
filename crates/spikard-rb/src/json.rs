//! A handler's result as JSON bytes, written straight from the Ruby objects (Hash, Array,
//! String, Symbol, Integer, Float, `true`, `false`, `nil`) in one pass: no `JSON.generate`
//! and no intermediate value. Any other object makes the package fall back to Ruby's
//! `JSON.generate` (which calls its `to_json`).

use std::io::Write;

use magnus::r_hash::ForEach;
use magnus::value::ReprValue;
use magnus::{Float, Integer, RArray, RHash, RString, Ruby, Symbol, Value as RValue};

/// Nesting beyond which a result is refused (a cycle, or a structure no client reads).
const MAX_DEPTH: usize = 512;

/// `value` as JSON bytes; `None` when it holds anything but the core types (or a Float
/// that is not finite, a String that is not UTF-8, a cycle).
pub fn to_json(ruby: &Ruby, value: RValue) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    write(ruby, value, &mut out, 0).then_some(out)
}

fn write(ruby: &Ruby, value: RValue, out: &mut Vec<u8>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if value.is_nil() {
        out.extend_from_slice(b"null");
    } else if value.is_kind_of(ruby.class_true_class()) {
        out.extend_from_slice(b"true");
    } else if value.is_kind_of(ruby.class_false_class()) {
        out.extend_from_slice(b"false");
    } else if let Some(s) = RString::from_value(value) {
        return string(s, out);
    } else if let Some(hash) = RHash::from_value(value) {
        return object(ruby, hash, out, depth);
    } else if let Some(array) = RArray::from_value(value) {
        out.push(b'[');
        for i in 0..array.len() {
            if i > 0 {
                out.push(b',');
            }
            let Ok(item) = array.entry::<RValue>(i as isize) else {
                return false;
            };
            if !write(ruby, item, out, depth + 1) {
                return false;
            }
        }
        out.push(b']');
    } else if let Some(i) = Integer::from_value(value) {
        match i.to_i64() {
            Ok(n) => out.extend_from_slice(itoa_i64(n).as_bytes()),
            // A Bignum: its digits.
            Err(_) => match value.to_r_string().ok().and_then(|s| s.to_string().ok()) {
                Some(digits) => out.extend_from_slice(digits.as_bytes()),
                None => return false,
            },
        }
    } else if let Some(f) = Float::from_value(value) {
        let f = f.to_f64();
        if !f.is_finite() {
            return false;
        }
        return serde_json::to_writer(out, &f).is_ok();
    } else if let Some(sym) = Symbol::from_value(value) {
        return match sym.name() {
            Ok(name) => serde_json::to_writer(out, name.as_ref()).is_ok(),
            Err(_) => false,
        };
    } else {
        return false;
    }
    true
}

fn string(s: RString, out: &mut Vec<u8>) -> bool {
    // SAFETY: the bytes are read before any Ruby code runs.
    let bytes = unsafe { s.as_slice() };
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::to_writer(out, text).is_ok(),
        Err(_) => false,
    }
}

fn object(ruby: &Ruby, hash: RHash, out: &mut Vec<u8>, depth: usize) -> bool {
    out.push(b'{');
    let mut first = true;
    let mut ok = true;
    let walked = hash.foreach(|k: RValue, v: RValue| {
        if !first {
            out.push(b',');
        }
        first = false;
        ok = match (RString::from_value(k), Symbol::from_value(k)) {
            (Some(s), _) => string(s, out),
            (None, Some(sym)) => sym
                .name()
                .is_ok_and(|n| serde_json::to_writer(&mut *out, n.as_ref()).is_ok()),
            // Other keys (numbers): their text, as JSON.generate writes them.
            _ => k.to_r_string().ok().is_some_and(|s| string(s, out)),
        };
        if ok {
            out.push(b':');
            ok = write(ruby, v, out, depth + 1);
        }
        Ok(if ok { ForEach::Continue } else { ForEach::Stop })
    });
    out.push(b'}');
    walked.is_ok() && ok
}

fn itoa_i64(n: i64) -> String {
    let mut buf = Vec::with_capacity(20);
    let _ = write!(buf, "{n}");
    String::from_utf8(buf).unwrap_or_default()
}
