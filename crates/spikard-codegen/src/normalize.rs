//! OpenAPI 3.0 schemas to the JSON Schema 2020-12 that OpenAPI 3.1 (and Spikard's
//! validator) uses, so that both versions give the same model:
//!
//! - `nullable: true` → `type: [T, "null"]` (with `null` added to an `enum`), or
//!   `anyOf: [S, {type: "null"}]` when the schema has no single `type` (a `$ref`, `allOf`);
//! - boolean `exclusiveMinimum`/`exclusiveMaximum` → the numeric form.
//!
//! ```
//! use serde_json::json;
//! use spikard_codegen::normalize::normalize_schema;
//! let mut s = json!({"type": "integer", "minimum": 1, "exclusiveMinimum": true, "nullable": true});
//! normalize_schema(&mut s, true);
//! assert_eq!(s, json!({"type": ["integer", "null"], "exclusiveMinimum": 1}));
//! ```

use serde_json::{json, Map, Value};

const ONE_SCHEMA: [&str; 9] = [
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
];
const SCHEMA_MAPS: [&str; 4] = ["properties", "patternProperties", "$defs", "dependentSchemas"];
const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

/// Normalise a schema in place; `openapi30` turns on the 3.0 rewrites.
pub fn normalize_schema(schema: &mut Value, openapi30: bool) {
    let Value::Object(obj) = schema else { return };
    for (key, value) in obj.iter_mut() {
        if ONE_SCHEMA.contains(&key.as_str()) || SCHEMA_LISTS.contains(&key.as_str()) {
            match value {
                Value::Array(items) => items.iter_mut().for_each(|s| normalize_schema(s, openapi30)),
                other => normalize_schema(other, openapi30),
            }
        } else if SCHEMA_MAPS.contains(&key.as_str()) {
            if let Value::Object(map) = value {
                map.values_mut().for_each(|s| normalize_schema(s, openapi30));
            }
        }
    }
    if !openapi30 {
        return;
    }
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Bool(exclusive)) = obj.get(flag).cloned() {
            obj.remove(flag);
            if exclusive {
                if let Some(b) = obj.remove(bound) {
                    obj.insert(flag.into(), b);
                }
            }
        }
    }
    if let Some(Value::Bool(true)) = obj.remove("nullable") {
        make_nullable(obj);
    }
}

fn make_nullable(obj: &mut Map<String, Value>) {
    if let Some(Value::Array(values)) = obj.get_mut("enum") {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    match obj.get("type").cloned() {
        Some(Value::String(t)) => {
            obj.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(mut types)) => {
            if !types.contains(&json!("null")) {
                types.push(json!("null"));
            }
            obj.insert("type".into(), Value::Array(types));
        }
        _ if obj.contains_key("enum") => {}
        _ => {
            // No single type to widen: the schema (a $ref, a composition) or null.
            let keep_outside = [
                "description",
                "title",
                "example",
                "default",
                "deprecated",
                "readOnly",
                "writeOnly",
            ];
            let mut inner = Map::new();
            let keys: Vec<String> = obj.keys().cloned().collect();
            for k in keys {
                if !keep_outside.contains(&k.as_str()) {
                    if let Some(v) = obj.remove(&k) {
                        inner.insert(k, v);
                    }
                }
            }
            obj.insert("anyOf".into(), json!([Value::Object(inner), {"type": "null"}]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_ref_becomes_any_of_with_null() {
        let mut s = json!({"properties": {"owner": {"$ref": "#/components/schemas/Owner", "nullable": true, "description": "d"}}});
        normalize_schema(&mut s, true);
        assert_eq!(
            s["properties"]["owner"],
            json!({"description": "d", "anyOf": [{"$ref": "#/components/schemas/Owner"}, {"type": "null"}]})
        );
    }

    #[test]
    fn nullable_enum_accepts_null() {
        let mut s = json!({"type": "string", "enum": ["a"], "nullable": true});
        normalize_schema(&mut s, true);
        assert_eq!(s, json!({"type": ["string", "null"], "enum": ["a", null]}));
    }

    #[test]
    fn openapi31_schemas_are_left_alone() {
        let original = json!({"type": ["string", "null"], "nullable": true, "exclusiveMinimum": 3});
        let mut s = original.clone();
        normalize_schema(&mut s, false);
        assert_eq!(s, original);
    }

    #[test]
    fn false_exclusive_bound_is_dropped() {
        let mut s = json!({"type": "number", "maximum": 5, "exclusiveMaximum": false});
        normalize_schema(&mut s, true);
        assert_eq!(s, json!({"type": "number", "maximum": 5}));
    }
}
