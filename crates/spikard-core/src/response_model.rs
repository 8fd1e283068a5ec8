//! Response models: a handler's JSON result checked against the route's JSON Schema, as
//! FastAPI checks a result against its `response_model`.
//!
//! [`ResponseModel::compile`] runs once, at registration; [`ResponseModel::conform`] runs
//! per response. It drops the fields the schema does not declare (an object schema
//! with `properties` and none of `additionalProperties`, `patternProperties`,
//! `unevaluatedProperties`: a `UserIn` with a password answered through a `UserOut`
//! model never leaks it), then validates the rest (Draft 2020-12, the request bodies'
//! validator and error vocabulary). In a union (`anyOf`, `oneOf`), the first branch the
//! filtered value matches decides what is kept. No coercion: the result must already
//! have the declared types.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::response_model::ResponseModel;
//! let model = ResponseModel::compile(&json!({
//!     "type": "object", "required": ["id"],
//!     "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
//! })).unwrap();
//! let sent = model.conform(json!({"id": 1, "name": "a", "password": "x"})).unwrap();
//! assert_eq!(sent, json!({"id": 1, "name": "a"}));
//! let errors = model.conform(json!({"id": "one"})).unwrap_err();
//! assert_eq!((errors[0].error_type.as_str(), errors[0].loc.clone()), ("int_parsing", vec![json!("id")]));
//! ```

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::ValidationErrorEntry;
use crate::validation::SchemaValidator;

/// Deepest schema nesting followed when compiling the filter (deeper parts are kept as they are).
const MAX_SCHEMA_DEPTH: usize = 64;

/// What to do with the part of a value one schema describes.
#[derive(Debug)]
enum Node {
    /// Keep it as it is.
    Keep,
    /// Filter its declared fields; undeclared ones are dropped unless `extra` says what they are.
    Object {
        properties: HashMap<String, usize>,
        extra: Extra,
    },
    /// Filter its items.
    Array { prefix: Vec<usize>, items: Option<usize> },
    /// The first branch whose filtered value is valid decides.
    Union(Vec<(usize, SchemaValidator)>),
}

#[derive(Debug)]
enum Extra {
    Drop,
    Keep,
    /// `additionalProperties` is a schema: filter undeclared fields by it.
    Filter(usize),
}

/// A compiled response model: the filter and the validator of one JSON Schema.
#[derive(Debug)]
pub struct ResponseModel {
    validator: SchemaValidator,
    nodes: Vec<Node>,
}

impl ResponseModel {
    /// Compile `schema` (local `$ref`s into `$defs`/`definitions` are followed).
    pub fn compile(schema: &Value) -> Result<Self, String> {
        let validator = SchemaValidator::compile(schema)?;
        let mut builder = Builder {
            root: schema,
            nodes: Vec::new(),
            refs: HashMap::new(),
        };
        builder.node(schema, 0)?;
        Ok(Self {
            validator,
            nodes: builder.nodes,
        })
    }

    /// The schema it was compiled from.
    pub fn schema(&self) -> &Value {
        self.validator.schema()
    }

    /// `value` without the fields the schema does not declare, or every place it breaks
    /// the schema (`loc` relative to the result).
    pub fn conform(&self, mut value: Value) -> Result<Value, Vec<ValidationErrorEntry>> {
        self.filter(0, &mut value);
        let errors = self.validator.validate(&value, &[]);
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(errors)
        }
    }

    fn filter(&self, node: usize, value: &mut Value) {
        match (&self.nodes[node], value) {
            (Node::Object { properties, extra }, Value::Object(map)) => {
                let mut dropped = false;
                for (key, v) in map.iter_mut() {
                    match (properties.get(key), extra) {
                        (Some(&n), _) | (None, &Extra::Filter(n)) => self.filter(n, v),
                        (None, Extra::Keep) => {}
                        (None, Extra::Drop) => dropped = true,
                    }
                }
                if dropped {
                    map.retain(|k, _| properties.contains_key(k));
                }
            }
            (Node::Array { prefix, items }, Value::Array(list)) => {
                for (i, v) in list.iter_mut().enumerate() {
                    if let Some(&n) = prefix.get(i).or(items.as_ref()) {
                        self.filter(n, v);
                    }
                }
            }
            (Node::Union(branches), value) => {
                for (n, validator) in branches {
                    let mut candidate = value.clone();
                    self.filter(*n, &mut candidate);
                    if validator.is_valid(&candidate) {
                        *value = candidate;
                        return;
                    }
                }
            }
            _ => {}
        }
    }
}

struct Builder<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    /// `$ref` target -> its node (inserted before the target is built, so recursion ends).
    refs: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The node of `schema` (a new one, or the one of the definition it refers to).
    fn node(&mut self, schema: &'a Value, depth: usize) -> Result<usize, String> {
        let Some(obj) = schema.as_object() else {
            return Ok(self.push(Node::Keep));
        };
        if depth > MAX_SCHEMA_DEPTH {
            return Ok(self.push(Node::Keep));
        }
        if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
            if obj.keys().all(|k| is_annotation(k) || k == "$ref") {
                return self.reference(target, depth);
            }
        }
        let at = self.push(Node::Keep);
        let node = self.build(obj, depth)?;
        self.nodes[at] = node;
        Ok(at)
    }

    fn reference(&mut self, target: &str, depth: usize) -> Result<usize, String> {
        if let Some(&n) = self.refs.get(target) {
            return Ok(n);
        }
        let Some(schema) = target.strip_prefix('#').and_then(|p| self.root.pointer(p)) else {
            // A remote or unresolvable reference: the validator decides; nothing is filtered.
            return Ok(self.push(Node::Keep));
        };
        let at = self.push(Node::Keep);
        self.refs.insert(target.to_owned(), at);
        let node = match schema.as_object() {
            Some(obj) => self.build(obj, depth + 1)?,
            None => Node::Keep,
        };
        self.nodes[at] = node;
        Ok(at)
    }

    fn build(&mut self, obj: &'a Map<String, Value>, depth: usize) -> Result<Node, String> {
        if let Some(branches) = obj.get("anyOf").or_else(|| obj.get("oneOf")).and_then(Value::as_array) {
            let mut out = Vec::with_capacity(branches.len());
            for branch in branches {
                let n = self.node(branch, depth + 1)?;
                out.push((n, SchemaValidator::compile(&self.with_definitions(branch))?));
            }
            return Ok(Node::Union(out));
        }
        // `properties` here, in `allOf` parts and in what a `$ref` beside other keywords names.
        let mut parts: Vec<&'a Map<String, Value>> = vec![obj];
        let mut i = 0;
        while i < parts.len() && parts.len() < MAX_SCHEMA_DEPTH {
            let part = parts[i];
            for sub in part.get("allOf").and_then(Value::as_array).into_iter().flatten() {
                if let Some(o) = sub.as_object() {
                    parts.push(o);
                }
            }
            if let Some(target) = part.get("$ref").and_then(Value::as_str) {
                let found = target.strip_prefix('#').and_then(|p| self.root.pointer(p));
                if let Some(o) = found.and_then(Value::as_object) {
                    if !parts.iter().any(|p| std::ptr::eq(*p, o)) {
                        parts.push(o);
                    }
                }
            }
            i += 1;
        }
        if parts.iter().any(|p| p.contains_key("properties")) {
            let mut properties = HashMap::new();
            let mut extra = Extra::Drop;
            for part in &parts {
                if let Some(props) = part.get("properties").and_then(Value::as_object) {
                    for (name, schema) in props {
                        if !properties.contains_key(name) {
                            let n = self.node(schema, depth + 1)?;
                            properties.insert(name.clone(), n);
                        }
                    }
                }
                if part.contains_key("patternProperties") || part.contains_key("unevaluatedProperties") {
                    extra = Extra::Keep;
                }
                match part.get("additionalProperties") {
                    None => {}
                    Some(Value::Object(_)) if matches!(extra, Extra::Drop) => {
                        let schema = &part["additionalProperties"];
                        extra = Extra::Filter(self.node(schema, depth + 1)?);
                    }
                    Some(_) => extra = Extra::Keep,
                }
            }
            return Ok(Node::Object { properties, extra });
        }
        if let Some(extra) = obj.get("additionalProperties").filter(|v| v.is_object()) {
            return Ok(Node::Object {
                properties: HashMap::new(),
                extra: Extra::Filter(self.node(extra, depth + 1)?),
            });
        }
        let mut prefix = Vec::new();
        let tuple = obj
            .get("prefixItems")
            .or_else(|| obj.get("items").filter(|i| i.is_array()));
        for item in tuple.and_then(Value::as_array).into_iter().flatten() {
            prefix.push(self.node(item, depth + 1)?);
        }
        let items = match obj.get("items") {
            Some(schema @ Value::Object(_)) => Some(self.node(schema, depth + 1)?),
            _ => None,
        };
        if prefix.is_empty() && items.is_none() {
            return Ok(Node::Keep);
        }
        Ok(Node::Array { prefix, items })
    }

    /// A branch schema with the root's definitions, so its `$ref`s resolve on their own.
    fn with_definitions(&self, branch: &Value) -> Value {
        let mut out = match branch {
            Value::Object(o) => o.clone(),
            other => return other.clone(),
        };
        for key in ["$defs", "definitions"] {
            if let (Some(defs), false) = (self.root.get(key), out.contains_key(key)) {
                out.insert(key.to_owned(), defs.clone());
            }
        }
        Value::Object(out)
    }
}

/// Keywords that do not constrain a value.
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "title" | "description" | "default" | "examples" | "deprecated" | "readOnly" | "writeOnly" | "$comment"
    )
}

/// `a.b[0].c`-style location of an error, for logs (never the value itself).
pub fn describe(errors: &[ValidationErrorEntry]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut loc = String::new();
            for seg in &e.loc {
                match seg {
                    Value::Number(n) => loc.push_str(&format!("[{n}]")),
                    Value::String(s) if loc.is_empty() => loc.push_str(s),
                    Value::String(s) => {
                        loc.push('.');
                        loc.push_str(s);
                    }
                    other => loc.push_str(&other.to_string()),
                }
            }
            let at = if loc.is_empty() { "the result".to_owned() } else { loc };
            format!("{} at {at}", e.error_type)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(schema: Value) -> ResponseModel {
        ResponseModel::compile(&schema).unwrap()
    }

    #[test]
    fn nested_and_referenced_objects_are_filtered() {
        let m = model(json!({
            "type": "array",
            "items": {"$ref": "#/$defs/User"},
            "$defs": {
                "User": {"type": "object", "properties": {"id": {"type": "integer"}, "friends": {"type": "array", "items": {"$ref": "#/$defs/User"}}}},
            },
        }));
        let out = m
            .conform(json!([{"id": 1, "pw": "x", "friends": [{"id": 2, "pw": "y"}]}]))
            .unwrap();
        assert_eq!(out, json!([{"id": 1, "friends": [{"id": 2}]}]));
    }

    #[test]
    fn declared_extras_are_kept_or_filtered_by_their_schema() {
        let open = model(json!({"type": "object", "properties": {"a": {}}, "additionalProperties": true}));
        assert_eq!(open.conform(json!({"a": 1, "b": 2})).unwrap(), json!({"a": 1, "b": 2}));
        let map = model(json!({"type": "object", "additionalProperties": {"type": "object", "properties": {"x": {}}}}));
        assert_eq!(
            map.conform(json!({"k": {"x": 1, "y": 2}})).unwrap(),
            json!({"k": {"x": 1}})
        );
        let closed = model(json!({"type": "object", "properties": {"a": {}}, "additionalProperties": false}));
        let errors = closed.conform(json!({"a": 1, "b": 2})).unwrap_err();
        assert_eq!(errors[0].msg, "Additional properties are not allowed");
    }

    #[test]
    fn unions_keep_what_the_first_matching_branch_declares() {
        let m = model(json!({
            "anyOf": [
                {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}},
                {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}},
                {"type": "null"},
            ],
        }));
        assert_eq!(m.conform(json!({"b": "x", "c": 1})).unwrap(), json!({"b": "x"}));
        assert_eq!(m.conform(json!({"a": 1, "b": "x"})).unwrap(), json!({"a": 1}));
        assert_eq!(m.conform(Value::Null).unwrap(), Value::Null);
        assert!(m.conform(json!({"c": 1})).is_err());
    }

    #[test]
    fn all_of_parts_declare_fields_together() {
        let m = model(json!({
            "allOf": [{"$ref": "#/$defs/Base"}, {"properties": {"b": {"type": "integer"}}}],
            "$defs": {"Base": {"type": "object", "properties": {"a": {"type": "integer"}}}},
        }));
        assert_eq!(
            m.conform(json!({"a": 1, "b": 2, "c": 3})).unwrap(),
            json!({"a": 1, "b": 2})
        );
    }

    #[test]
    fn errors_name_the_place_not_the_value() {
        let m = model(
            json!({"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}),
        );
        let errors = m.conform(json!({"id": "secret-value", "tags": ["a", 7]})).unwrap_err();
        let text = describe(&errors);
        assert!(text.contains("int_parsing at id"), "{text}");
        assert!(text.contains("missing at name"), "{text}");
        assert!(text.contains("string_type at tags[1]"), "{text}");
        assert!(!text.contains("secret-value"));
    }

    #[test]
    fn schemas_without_structure_keep_everything() {
        let m = model(json!({"type": "object"}));
        assert_eq!(m.conform(json!({"any": 1})).unwrap(), json!({"any": 1}));
        assert!(ResponseModel::compile(&json!({"type": 12})).is_err());
    }
}
