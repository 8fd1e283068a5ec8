//! Helpers shared by the fuzz targets: the text format of the inputs and the schemas
//! the decoders are checked against.
//!
//! The pipeline, cookie/header and multipart targets read an input as a small HTTP
//! message, so seeds are readable and libFuzzer's mutations stay meaningful:
//!
//! ```text
//! METHOD TARGET
//! name: value
//! name: value
//!
//! body bytes
//! ```
//!
//! Bytes are taken as they come (header values may be any bytes `http` admits); a line
//! without `:` is skipped. `fuzz/seed.py` writes seeds in this format from the fixtures.

use serde_json::{json, Value};

/// One request read from fuzz input.
#[derive(Debug, Default)]
pub struct WireRequest<'a> {
    pub method: &'a [u8],
    pub target: &'a [u8],
    pub headers: Vec<(&'a [u8], &'a [u8])>,
    pub body: &'a [u8],
}

/// Read `data` as a request; never fails (missing parts are empty).
pub fn parse_wire(data: &[u8]) -> WireRequest<'_> {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = match first.iter().position(|b| *b == b' ') {
        Some(at) => (&first[..at], &first[at + 1..]),
        None => (first, &b"/"[..]),
    };
    let headers = lines
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let at = line.iter().position(|b| *b == b':')?;
            let value = &line[at + 1..];
            let value = value.strip_prefix(b" ").unwrap_or(value);
            Some((&line[..at], value))
        })
        .collect();
    WireRequest {
        method,
        target,
        headers,
        body,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Split `data` into at most `n` parts on NUL bytes (the separator of the parser targets).
pub fn split_nul(data: &[u8], n: usize) -> Vec<&[u8]> {
    data.splitn(n, |b| *b == 0).collect()
}

/// Body and parameter schemas of the kind routes declare (the demos' and the fixtures'):
/// types, bounds, formats, patterns, enums, nesting, arrays, `anyOf`, `additionalProperties`.
pub fn schemas() -> Vec<Value> {
    vec![
        json!({"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 100},
            "price": {"type": "number", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10, "uniqueItems": true}
        }, "required": ["name", "price"]}),
        json!({"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"},
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "email": {"type": "string", "format": "email"},
            "site": {"type": "string", "format": "uri"},
            "ip": {"type": "string", "format": "ipv4"},
            "code": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
            "kind": {"enum": ["a", "b", "c"]},
            "count": {"type": "integer", "exclusiveMinimum": 0, "maximum": 1000, "multipleOf": 5}
        }, "additionalProperties": false}),
        json!({"type": "object", "properties": {
            "order": {"type": "object", "properties": {
                "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {
                    "sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}
                }, "required": ["sku", "qty"]}}
            }, "required": ["lines"]},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "flag": {"type": "boolean"}
        }, "required": ["order"]}),
        json!({"type": "array", "items": {"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}]}}),
        json!({"type": "object", "properties": {
            "avatar": {"type": "string", "format": "binary"},
            "title": {"type": "string"},
            "n": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "number"}}
        }, "required": ["avatar"], "dependentRequired": {"title": ["n"]}}),
    ]
}
