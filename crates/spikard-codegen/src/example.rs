//! Example values that validate against a schema: the document's own `example`/`examples`
//! when they do, otherwise one synthesised from the schema's type and constraints (and
//! checked again; `oneOf` variants are tried until one matches exactly one).

use serde_json::{json, Map, Value};
use spikard_core::validation::SchemaValidator;

use crate::model::deref;
use crate::routespec::self_contained;
use crate::types::{ref_name, single_type};

/// Whether `value` is valid against `schema` (with `schemas` for its references), as
/// Spikard's own validator judges it.
pub fn is_valid(schema: &Value, schemas: &Map<String, Value>, value: &Value) -> bool {
    let full = self_contained(schema, schemas);
    SchemaValidator::compile(&full).is_ok_and(|v| v.is_valid(value))
}

/// An example of `schema`; `None` when none found validates (a `pattern` no synthesis meets).
pub fn example(schema: &Value, schemas: &Map<String, Value>) -> Option<Value> {
    let mut candidates: Vec<Value> = Vec::new();
    if let Some(e) = schema.get("example") {
        candidates.push(e.clone());
    }
    if let Some(Value::Array(es)) = schema.get("examples") {
        candidates.extend(es.iter().cloned());
    }
    // Required properties only, then every property (which tells `oneOf` variants apart).
    for full in [false, true] {
        candidates.push(synth_with(schema, schemas, 0, full));
        if let Some(Value::Array(variants)) = schema.get("oneOf").or_else(|| schema.get("anyOf")) {
            candidates.extend(variants.iter().map(|v| synth_with(v, schemas, 0, full)));
        }
    }
    candidates.into_iter().find(|c| is_valid(schema, schemas, c))
}

const FORMATS: [(&str, &str); 13] = [
    ("date-time", "2024-01-01T00:00:00Z"),
    ("date", "2024-01-01"),
    ("time", "12:00:00Z"),
    ("uuid", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    ("email", "user@example.com"),
    ("uri", "https://example.com/"),
    ("url", "https://example.com/"),
    ("hostname", "example.com"),
    ("ipv4", "192.0.2.1"),
    ("ipv6", "2001:db8::1"),
    ("byte", "U3Bpa2FyZA=="),
    ("duration", "P1D"),
    ("uri-reference", "/example"),
];

/// A value built from the schema's shape (not checked), objects with their required properties.
pub fn synth(schema: &Value, schemas: &Map<String, Value>, depth: usize) -> Value {
    synth_with(schema, schemas, depth, false)
}

/// As [`synth`]; `full` also fills optional properties (down to a few levels).
fn synth_with(schema: &Value, schemas: &Map<String, Value>, depth: usize, full: bool) -> Value {
    let synth = |s: &Value, schemas: &Map<String, Value>, depth: usize| synth_with(s, schemas, depth, full);
    if depth > 12 {
        return Value::Null;
    }
    if ref_name(schema).is_some() {
        let target = deref(schema, schemas);
        if let Some(e) = target.get("example").filter(|e| is_valid(schema, schemas, e)) {
            return e.clone();
        }
        return synth(target, schemas, depth + 1);
    }
    let Some(obj) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(c) = obj.get("const") {
        return c.clone();
    }
    if let Some(d) = obj.get("default") {
        return d.clone();
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        if let Some(v) = values.iter().find(|v| !v.is_null()).or(values.first()) {
            return v.clone();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = obj.get(key) {
            let first = variants
                .iter()
                .find(|v| v.get("type") != Some(&json!("null")))
                .or(variants.first());
            if let Some(v) = first {
                return synth(v, schemas, depth + 1);
            }
        }
    }
    if let Some(Value::Array(parts)) = obj.get("allOf") {
        let mut merged = Map::new();
        let mut other = None;
        for p in parts {
            match synth(p, schemas, depth + 1) {
                Value::Object(o) => merged.extend(o),
                v => other = Some(v),
            }
        }
        if obj.get("properties").is_some() {
            if let Value::Object(o) = object(obj, schemas, depth, full) {
                merged.extend(o);
            }
        }
        return if merged.is_empty() {
            other.unwrap_or(Value::Object(merged))
        } else {
            Value::Object(merged)
        };
    }
    let ty = single_type(schema).or_else(|| {
        if obj.contains_key("properties") {
            Some("object")
        } else if obj.contains_key("items") {
            Some("array")
        } else {
            None
        }
    });
    match ty {
        Some("string") => string(obj),
        Some("integer") => json!(number(obj, true) as i64),
        Some("number") => json!(number(obj, false)),
        Some("boolean") => json!(true),
        Some("null") => Value::Null,
        Some("array") => {
            let item = obj
                .get("items")
                .map_or(json!("string"), |i| synth(i, schemas, depth + 1));
            let n = obj.get("minItems").and_then(Value::as_u64).unwrap_or(1).max(1);
            let n = obj.get("maxItems").and_then(Value::as_u64).map_or(n, |m| n.min(m));
            Value::Array((0..n).map(|_| item.clone()).collect())
        }
        Some("object") => object(obj, schemas, depth, full),
        _ => match obj.get("type") {
            Some(Value::Array(types)) if types.iter().any(|t| t == "null") => Value::Null,
            _ => json!({}),
        },
    }
}

fn string(obj: &Map<String, Value>) -> Value {
    let format = obj.get("format").and_then(Value::as_str).unwrap_or("");
    let mut s = FORMATS
        .iter()
        .find(|(f, _)| *f == format)
        .map_or_else(|| "string".to_owned(), |(_, v)| (*v).to_owned());
    let min = obj.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = obj.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
    while s.chars().count() < min {
        s.push('x');
    }
    if let Some(max) = max {
        s = s.chars().take(max).collect();
    }
    json!(s)
}

fn number(obj: &Map<String, Value>, integer: bool) -> f64 {
    let get = |k: &str| obj.get(k).and_then(Value::as_f64);
    let step = if integer { 1.0 } else { 0.5 };
    let mut v: f64 = if integer { 1.0 } else { 1.5 };
    if let Some(m) = get("minimum") {
        v = v.max(m);
    }
    if let Some(m) = get("exclusiveMinimum") {
        if v <= m {
            v = m + step;
        }
    }
    if let Some(m) = get("maximum") {
        v = v.min(m);
    }
    if let Some(m) = get("exclusiveMaximum") {
        if v >= m {
            v = m - step;
        }
    }
    if let Some(k) = get("multipleOf").filter(|k| *k > 0.0) {
        v = (v / k).ceil() * k;
    }
    if integer {
        v.ceil()
    } else {
        v
    }
}

fn object(obj: &Map<String, Value>, schemas: &Map<String, Value>, depth: usize, full: bool) -> Value {
    let required: Vec<&str> = obj
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (name, s) in props {
            if required.contains(&name.as_str()) || (full && depth < 4) {
                out.insert(name.clone(), synth_with(s, schemas, depth + 1, full));
            }
        }
    }
    for name in required {
        if !out.contains_key(name) {
            out.insert(name.to_owned(), json!("string"));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_respect_constraints_and_references() {
        let schemas: Map<String, Value> = serde_json::from_value(json!({
            "Pet": {"type": "object", "required": ["id", "name", "kind"], "properties": {
                "id": {"type": "integer", "minimum": 10},
                "name": {"type": "string", "minLength": 8},
                "kind": {"type": "string", "enum": ["cat", "dog"]},
                "tag": {"type": "string"}}}
        }))
        .unwrap();
        let e = example(&json!({"$ref": "#/components/schemas/Pet"}), &schemas).unwrap();
        assert_eq!(e, json!({"id": 10, "name": "stringxx", "kind": "cat"}));
    }

    #[test]
    fn invalid_document_examples_are_not_used() {
        let schemas = Map::new();
        let s = json!({"type": "integer", "maximum": 5, "example": 99});
        assert_eq!(example(&s, &schemas), Some(json!(1)));
    }

    #[test]
    fn one_of_tries_variants_until_exactly_one_matches() {
        let schemas = Map::new();
        let s = json!({"oneOf": [{"type": "number"}, {"type": "integer"}, {"type": "string"}]});
        // 1.5 matches only "number".
        assert_eq!(example(&s, &schemas), Some(json!(1.5)));
    }
}
