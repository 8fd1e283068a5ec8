//! Equivalence of two documents, as the round trip checks it: the document a generated
//! app serves against the one it was generated from. Both are modelled (so 3.0 and 3.1
//! forms, references and bundling do not matter), then for every operation of the input:
//! the same method and path, operation id (when the input has one), tags, parameters
//! (location, name — headers without case —, required, schema), request body (media
//! type, required, schema) and each declared response (status, media type, schema).
//! Schemas are compared with references expanded; `title`, `description`, `deprecated`
//! and the `type` an `enum` implies are ignored (the server may move or add them).

use serde_json::{Map, Value};

use crate::model::{Api, Operation, ParamLocation};

const IGNORED: [&str; 5] = ["title", "description", "deprecated", "example", "examples"];

/// Expand references (a reference back into one being expanded becomes `{"$recursive": name}`)
/// and drop what is ignored.
fn canonical(schema: &Value, schemas: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
    match schema {
        Value::Object(obj) => {
            if let Some(name) = crate::types::ref_name(schema) {
                if stack.contains(&name) {
                    return serde_json::json!({"$recursive": name});
                }
                let Some(target) = schemas.get(&name) else {
                    return serde_json::json!({"$missing": name});
                };
                stack.push(name);
                let mut out = canonical(target, schemas, stack);
                stack.pop();
                // Siblings of the reference apply too (3.1).
                if let Value::Object(out_obj) = &mut out {
                    for (k, v) in obj
                        .iter()
                        .filter(|(k, _)| *k != "$ref" && !IGNORED.contains(&k.as_str()))
                    {
                        out_obj.insert(k.clone(), canonical(v, schemas, stack));
                    }
                }
                return out;
            }
            let mut out = Map::new();
            for (k, v) in obj {
                if IGNORED.contains(&k.as_str()) || (k == "type" && obj.contains_key("enum")) {
                    continue;
                }
                let v = if matches!(k.as_str(), "enum" | "const" | "default") {
                    v.clone()
                } else {
                    canonical(v, schemas, stack)
                };
                out.insert(k.clone(), v);
            }
            // A lone `allOf` of one schema is that schema.
            if out.len() == 1 {
                if let Some(Value::Array(parts)) = out.get("allOf") {
                    if parts.len() == 1 {
                        return parts[0].clone();
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(v, schemas, stack)).collect()),
        other => other.clone(),
    }
}

fn same_schema(a: &Value, a_api: &Api, b: &Value, b_api: &Api) -> bool {
    canonical(a, &a_api.schemas, &mut Vec::new()) == canonical(b, &b_api.schemas, &mut Vec::new())
}

/// Parameter schemas: the server documents the integers it parses as `int64` when the
/// document gives them no `format` (they are 64-bit signed); that addition is no difference.
fn same_param_schema(a: &Value, a_api: &Api, b: &Value, b_api: &Api) -> bool {
    let a = canonical(a, &a_api.schemas, &mut Vec::new());
    let mut b = canonical(b, &b_api.schemas, &mut Vec::new());
    drop_added_int64(&a, &mut b);
    a == b
}

fn drop_added_int64(a: &Value, b: &mut Value) {
    let (Value::Object(a), Value::Object(b)) = (a, b) else {
        return;
    };
    if !a.contains_key("format") && b.get("format").and_then(Value::as_str) == Some("int64") {
        b.remove("format");
    }
    if let (Some(ai), Some(bi)) = (a.get("items"), b.get_mut("items")) {
        drop_added_int64(ai, bi);
    }
    for key in ["anyOf", "oneOf"] {
        if let (Some(Value::Array(aa)), Some(Value::Array(ba))) = (a.get(key), b.get_mut(key)) {
            for (x, y) in aa.iter().zip(ba.iter_mut()) {
                drop_added_int64(x, y);
            }
        }
    }
}

fn media(m: &str) -> String {
    m.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The differences between `served` and `input`, one line each (none: equivalent).
pub fn differences(input: &Api, served: &Api) -> Vec<String> {
    let mut out = Vec::new();
    for op in &input.operations {
        let where_ = format!("{} {}", op.method, op.path);
        let Some(other) = served
            .operations
            .iter()
            .find(|o| o.method == op.method && o.path == op.path)
        else {
            out.push(format!("{where_}: not served"));
            continue;
        };
        compare_operation(op, input, other, served, &where_, &mut out);
    }
    for o in &served.operations {
        if !input
            .operations
            .iter()
            .any(|op| op.method == o.method && op.path == o.path)
        {
            out.push(format!("{} {}: served but not in the document", o.method, o.path));
        }
    }
    out
}

fn compare_operation(op: &Operation, input: &Api, other: &Operation, served: &Api, at: &str, out: &mut Vec<String>) {
    if op.explicit_id && op.id != other.id {
        out.push(format!("{at}: operationId {} served as {}", op.id, other.id));
    }
    if op.tags != other.tags {
        out.push(format!("{at}: tags {:?} served as {:?}", op.tags, other.tags));
    }
    let key = |p: &crate::model::Param| {
        let name = if p.location == ParamLocation::Header {
            p.name.to_ascii_lowercase()
        } else {
            p.name.clone()
        };
        (p.location, name)
    };
    for p in &op.params {
        let Some(q) = other.params.iter().find(|q| key(q) == key(p)) else {
            out.push(format!(
                "{at}: {} parameter '{}' not served",
                p.location.as_str(),
                p.name
            ));
            continue;
        };
        if p.required != q.required {
            out.push(format!(
                "{at}: parameter '{}' required {} served as {}",
                p.name, p.required, q.required
            ));
        }
        if !same_param_schema(&p.schema, input, &q.schema, served) {
            out.push(format!("{at}: parameter '{}' schema differs", p.name));
        }
    }
    for q in &other.params {
        if !op.params.iter().any(|p| key(p) == key(q)) {
            out.push(format!(
                "{at}: {} parameter '{}' served but not in the document",
                q.location.as_str(),
                q.name
            ));
        }
    }
    match (&op.body, &other.body) {
        (None, None) => {}
        (Some(_), None) => out.push(format!("{at}: request body not served")),
        (None, Some(_)) => out.push(format!("{at}: request body served but not in the document")),
        (Some(a), Some(b)) => {
            if media(&a.content_type) != media(&b.content_type) {
                out.push(format!(
                    "{at}: body media type {} served as {}",
                    a.content_type, b.content_type
                ));
            }
            if a.required != b.required && a.schema.is_some() {
                out.push(format!("{at}: body required {} served as {}", a.required, b.required));
            }
            let empty = Value::Object(Map::new());
            if !same_schema(
                a.schema.as_ref().unwrap_or(&empty),
                input,
                b.schema.as_ref().unwrap_or(&empty),
                served,
            ) {
                out.push(format!("{at}: body schema differs"));
            }
        }
    }
    for r in &op.responses {
        let Some(s) = other.responses.iter().find(|s| s.status == r.status) else {
            out.push(format!("{at}: response {} not served", r.status));
            continue;
        };
        // An error response the document declares without content is served as the problem
        // the framework answers it with (application/problem+json): the same response, told precisely.
        let problem_told = r.content_type.is_none()
            && (r.status.starts_with('4') || r.status.starts_with('5') || r.status == "default")
            && s.content_type.as_deref().map(media).as_deref() == Some("application/problem+json");
        if !problem_told && r.content_type.as_deref().map(media) != s.content_type.as_deref().map(media) {
            out.push(format!(
                "{at}: response {} media type {:?} served as {:?}",
                r.status, r.content_type, s.content_type
            ));
        }
        match (&r.schema, &s.schema) {
            (Some(a), Some(b)) if !same_schema(a, input, b, served) => {
                out.push(format!("{at}: response {} schema differs", r.status));
            }
            (Some(_), None) => out.push(format!("{at}: response {} schema not served", r.status)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::json;

    use super::*;

    fn api(doc: Value) -> Api {
        Api::from_document(doc, Path::new("x.json")).unwrap()
    }

    #[test]
    fn references_and_versions_do_not_matter_but_schemas_do() {
        let input = api(json!({"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "a",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {"A": {"type": "object", "title": "A", "properties": {"n": {"type": "integer", "nullable": true}}}}}}));
        let same = api(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "a",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": ["integer", "null"]}}}}}},
                "responses": {"200": {"description": "ok"}, "422": {"description": "problem"}}}}}}));
        assert_eq!(differences(&input, &same), Vec::<String>::new());
        // Integer parameters served as int64 and error responses served as problems are no difference.
        let input_q = api(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/q": {"get": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "ok"}, "404": {"description": "missing"}}}}}}));
        let served_q = api(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/q": {"get": {"parameters": [{"name": "n", "in": "query", "schema": {"type": "integer", "format": "int64"}}],
                "responses": {"200": {"description": "ok"}, "404": {"description": "missing",
                    "content": {"application/problem+json": {"schema": {"type": "object"}}}}}}}}}));
        assert_eq!(differences(&input_q, &served_q), Vec::<String>::new());
        let other = api(json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"post": {"operationId": "b",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"n": {"type": "integer"}}}}}},
                "responses": {}}}}}));
        assert_eq!(
            differences(&input, &other),
            [
                "POST /a: operationId a served as b",
                "POST /a: body schema differs",
                "POST /a: response 200 not served"
            ]
        );
    }
}
