//! Writing the wire format (`Serializer.stringify`, the tree form): JSON values as they
//! are, the JavaScript types as typed records `{"__type": T, "value": payload}`, reserved
//! object keys (`__type`, `__graph`, and keys already starting with `$runner.escape::`)
//! escaped with the `$runner.escape::` prefix, unsafe keys dropped.

use std::io::Write;

use super::date;
use super::value::{Symbol, Value};
use super::{SerializerError, ESCAPE_PREFIX};

/// Serialize a value to JSON text.
pub fn stringify(value: &Value) -> Result<Vec<u8>, SerializerError> {
    let mut out = Vec::with_capacity(64);
    write(value, &mut out)?;
    Ok(out)
}

fn string(s: &str, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// A finite number as JSON: integers without a fraction, the rest in the shortest form
/// that reads back to the same double (`-0` is written `0`, as `JSON.stringify` does).
fn number(n: f64, out: &mut Vec<u8>) {
    if n == 0.0 {
        out.push(b'0');
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        let _ = write!(out, "{}", n as i128);
    } else {
        let _ = serde_json::to_writer(&mut *out, &n);
    }
}

fn record(
    type_id: &str,
    out: &mut Vec<u8>,
    payload: impl FnOnce(&mut Vec<u8>) -> Result<(), SerializerError>,
) -> Result<(), SerializerError> {
    out.extend_from_slice(b"{\"__type\":");
    string(type_id, out);
    out.extend_from_slice(b",\"value\":");
    payload(out)?;
    out.push(b'}');
    Ok(())
}

fn key(k: &str, out: &mut Vec<u8>) {
    if k == "__type" || k == "__graph" || k.starts_with(ESCAPE_PREFIX) {
        string(&format!("{ESCAPE_PREFIX}{k}"), out);
    } else {
        string(k, out);
    }
}

fn is_unsafe(k: &str) -> bool {
    matches!(k, "__proto__" | "constructor" | "prototype")
}

fn object<'a>(
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut Vec<u8>,
) -> Result<(), SerializerError> {
    out.push(b'{');
    let mut first = true;
    for (k, v) in entries {
        if is_unsafe(k) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        key(k, out);
        out.push(b':');
        write(v, out)?;
    }
    out.push(b'}');
    Ok(())
}

fn array<'a>(items: impl Iterator<Item = &'a Value>, out: &mut Vec<u8>) -> Result<(), SerializerError> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(item, out)?;
    }
    out.push(b']');
    Ok(())
}

fn bytes(data: &[u8], out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, b) in data.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(out, "{b}");
    }
    out.push(b']');
}

/// Write one value.
pub fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), SerializerError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) if n.is_finite() => number(*n, out),
        Value::Number(n) => {
            let tag = if n.is_nan() {
                "NaN"
            } else if *n > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            record("NonFiniteNumber", out, |o| {
                string(tag, o);
                Ok(())
            })?;
        }
        Value::String(s) => string(s, out),
        Value::Undefined => record("Undefined", out, |o| {
            o.extend_from_slice(b"null");
            Ok(())
        })?,
        Value::BigInt(digits) => record("BigInt", out, |o| {
            string(digits, o);
            Ok(())
        })?,
        Value::Date(ms) => {
            let iso = date::format_iso(*ms).ok_or_else(|| SerializerError::Validation("Invalid time value".into()))?;
            record("Date", out, |o| {
                string(&iso, o);
                Ok(())
            })?;
        }
        Value::RegExp { pattern, flags } => record("RegExp", out, |o| {
            o.extend_from_slice(b"{\"pattern\":");
            string(pattern, o);
            o.extend_from_slice(b",\"flags\":");
            string(flags, o);
            o.push(b'}');
            Ok(())
        })?,
        Value::Map(entries) => record("Map", out, |o| {
            o.push(b'[');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    o.push(b',');
                }
                o.push(b'[');
                write(k, o)?;
                o.push(b',');
                write(v, o)?;
                o.push(b']');
            }
            o.push(b']');
            Ok(())
        })?,
        Value::Set(items) => record("Set", out, |o| array(items.iter(), o))?,
        Value::Symbol(symbol) => record("Symbol", out, |o| {
            let (kind, key) = match symbol {
                Symbol::For(k) => ("For", k),
                Symbol::WellKnown(k) => ("WellKnown", k),
            };
            o.extend_from_slice(b"{\"kind\":");
            string(kind, o);
            o.extend_from_slice(b",\"key\":");
            string(key, o);
            o.push(b'}');
            Ok(())
        })?,
        Value::Error(e) => record("Error", out, |o| {
            o.extend_from_slice(b"{\"name\":");
            string(&e.name, o);
            o.extend_from_slice(b",\"message\":");
            string(&e.message, o);
            o.extend_from_slice(b",\"customFields\":");
            object(e.custom_fields.iter(), o)?;
            if let Some(stack) = &e.stack {
                o.extend_from_slice(b",\"stack\":");
                string(stack, o);
            }
            if let Some(cause) = &e.cause {
                o.extend_from_slice(b",\"cause\":");
                write(cause, o)?;
            }
            o.push(b'}');
            Ok(())
        })?,
        Value::Url(href) => record("URL", out, |o| {
            string(href, o);
            Ok(())
        })?,
        Value::UrlSearchParams(s) => record("URLSearchParams", out, |o| {
            string(s, o);
            Ok(())
        })?,
        Value::Binary(kind, data) => record(kind.type_id(), out, |o| {
            bytes(data, o);
            Ok(())
        })?,
        Value::Array(items) => array(items.iter(), out)?,
        Value::Object(map) => object(map.iter(), out)?,
    }
    Ok(())
}
