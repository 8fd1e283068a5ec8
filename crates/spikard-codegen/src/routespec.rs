//! Each operation as a Spikard route spec (the JSON that `RouteSpec` deserialises in
//! Rust and that `Spikard.add_route` takes as keywords in Python): the pattern, the
//! parameter schemas (references inlined, `required` as a flag), the body schema and the
//! documented responses, each schema self-contained (`#/$defs/<Name>` for the
//! components it uses), so the core validates exactly the document's schemas and
//! documents them under the same component names.

use serde_json::{json, Map, Value};

use crate::model::{Api, Operation, ParamLocation};
use crate::types::ref_name;

/// The component names a schema uses, transitively, in the order met.
pub fn referenced(schema: &Value, schemas: &Map<String, Value>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stack = vec![schema.clone()];
    while let Some(s) = stack.pop() {
        walk_refs(&s, &mut |name| {
            if !out.iter().any(|n| n == name) && schemas.contains_key(name) {
                out.push(name.to_owned());
                stack.push(schemas[name].clone());
            }
        });
    }
    out
}

fn walk_refs(value: &Value, f: &mut impl FnMut(&str)) {
    match value {
        Value::Object(obj) => {
            if let Some(name) = ref_name(value) {
                f(&name);
            }
            // Discriminator mappings name components too (kept as `#/components/schemas/X`).
            if let Some(Value::Object(mapping)) = obj.get("discriminator").and_then(|d| d.get("mapping")) {
                for target in mapping.values().filter_map(Value::as_str) {
                    if let Some(name) = target.strip_prefix("#/components/schemas/") {
                        f(&name.replace("~1", "/").replace("~0", "~"));
                    }
                }
            }
            for (k, v) in obj {
                if !matches!(k.as_str(), "enum" | "const" | "default" | "example" | "examples") {
                    walk_refs(v, f);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk_refs(v, f)),
        _ => {}
    }
}

fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    *r = format!("#/$defs/{name}");
                }
            }
            for (k, v) in obj.iter_mut() {
                if !matches!(k.as_str(), "enum" | "const" | "default" | "example" | "examples") {
                    rewrite_refs(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// A schema with the components it uses under `$defs` (references rewritten to them).
pub fn self_contained(schema: &Value, schemas: &Map<String, Value>) -> Value {
    let used = referenced(schema, schemas);
    let mut root = schema.clone();
    rewrite_refs(&mut root);
    if used.is_empty() {
        return root;
    }
    let mut defs = Map::new();
    let mut sorted = used;
    sorted.sort_by_key(|n| schemas.keys().position(|k| k == n));
    for name in sorted {
        let mut def = schemas[&name].clone();
        rewrite_refs(&mut def);
        defs.insert(name, def);
    }
    match root {
        Value::Object(mut obj) => {
            obj.insert("$defs".into(), Value::Object(defs));
            Value::Object(obj)
        }
        other => json!({"allOf": [other], "$defs": defs}),
    }
}

/// Replace references by the schemas they name, except those that would recurse.
pub fn inlined(schema: &Value, schemas: &Map<String, Value>) -> Value {
    fn go(value: &Value, schemas: &Map<String, Value>, seen: &mut Vec<String>) -> Value {
        match value {
            Value::Object(obj) => {
                if let Some(name) = ref_name(value) {
                    if let (Some(target), false) = (schemas.get(&name), seen.contains(&name)) {
                        seen.push(name);
                        let mut inner = go(target, schemas, seen);
                        seen.pop();
                        if let Value::Object(inner_obj) = &mut inner {
                            for (k, v) in obj.iter().filter(|(k, _)| *k != "$ref") {
                                inner_obj.insert(k.clone(), v.clone());
                            }
                        }
                        return inner;
                    }
                }
                Value::Object(
                    obj.iter()
                        .map(|(k, v)| {
                            let v = if matches!(k.as_str(), "enum" | "const" | "default" | "example" | "examples") {
                                v.clone()
                            } else {
                                go(v, schemas, seen)
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| go(v, schemas, seen)).collect()),
            other => other.clone(),
        }
    }
    let flat = go(schema, schemas, &mut Vec::new());
    // What recursion left as references is carried along.
    self_contained(&flat, schemas)
}

/// The section of `RouteSpec.parameters` for a location.
pub fn section(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "headers",
        ParamLocation::Cookie => "cookies",
    }
}

/// The wire name a parameter is registered under (header names in lower case, as Spikard
/// matches and documents them).
pub fn param_key(name: &str, location: ParamLocation) -> String {
    if location == ParamLocation::Header {
        name.to_ascii_lowercase()
    } else {
        name.to_owned()
    }
}

/// The route spec of one operation.
pub fn route_spec(op: &Operation, api: &Api) -> Value {
    let mut parameters = json!({"path": {}, "query": {}, "headers": {}, "cookies": {}});
    for p in &op.params {
        let mut schema = inlined(&p.schema, &api.schemas);
        if let Value::Object(obj) = &mut schema {
            if let (Some(d), false) = (&p.description, obj.contains_key("description")) {
                obj.insert("description".into(), json!(d));
            }
            if p.deprecated {
                obj.insert("deprecated".into(), json!(true));
            }
            if p.location != ParamLocation::Path {
                obj.insert("required".into(), json!(p.required));
            }
            if let Some(sep) = &p.separator {
                obj.insert("separator".into(), json!(sep));
            }
        }
        parameters[section(p.location)][param_key(&p.name, p.location)] = schema;
    }
    let mut spec = Map::new();
    spec.insert("method".into(), json!(op.method));
    spec.insert("path".into(), json!(op.pattern));
    spec.insert("parameters".into(), parameters);
    if let Some(body) = &op.body {
        let schema = body
            .schema
            .as_ref()
            .map_or_else(|| json!({}), |s| self_contained(s, &api.schemas));
        spec.insert("body_schema".into(), schema);
        if !body.required {
            spec.insert("body_optional".into(), json!(true));
        }
        spec.insert("content_type".into(), json!(body.content_type));
    }
    spec.insert("handler_name".into(), json!(op.id));
    if !op.tags.is_empty() {
        spec.insert("tags".into(), json!(op.tags));
    }
    for (key, value) in [("summary", &op.summary), ("description", &op.description)] {
        if let Some(v) = value {
            spec.insert(key.into(), json!(v));
        }
    }
    if op.explicit_id {
        spec.insert("operation_id".into(), json!(op.id));
    }
    if op.deprecated {
        spec.insert("deprecated".into(), json!(true));
    }
    let mut responses = Map::new();
    for r in &op.responses {
        let mut doc = Map::new();
        doc.insert("description".into(), json!(r.description));
        if let Some(schema) = &r.schema {
            doc.insert("schema".into(), self_contained(schema, &api.schemas));
        }
        if let Some(ct) = &r.content_type {
            doc.insert("content_type".into(), json!(ct));
        }
        responses.insert(r.status.clone(), Value::Object(doc));
    }
    spec.insert("responses".into(), Value::Object(responses));
    let status = op.success_status();
    if status != 200 {
        spec.insert("status_code".into(), json!(status));
    }
    Value::Object(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_contained_schemas_carry_their_components() {
        let schemas: Map<String, Value> = serde_json::from_value(json!({
            "Pet": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}, "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}},
            "Owner": {"type": "object"},
            "Unused": {"type": "string"}
        }))
        .unwrap();
        let s = self_contained(&json!({"$ref": "#/components/schemas/Pet"}), &schemas);
        assert_eq!(s["$ref"], "#/$defs/Pet");
        assert_eq!(
            s["$defs"].as_object().unwrap().keys().collect::<Vec<_>>(),
            ["Pet", "Owner"]
        );
        assert_eq!(s["$defs"]["Pet"]["properties"]["kids"]["items"]["$ref"], "#/$defs/Pet");
        let p = inlined(&json!({"$ref": "#/components/schemas/Owner"}), &schemas);
        assert_eq!(p, json!({"type": "object"}));
    }
}
