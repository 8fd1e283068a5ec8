//! Schemas of an OpenAPI document: `$defs`/`definitions` of each schema (as
//! schemars produces them) are hoisted into `components/schemas` and their
//! `$ref`s rewritten; named root schemas of bodies and responses become
//! components of their own. Equal schemas under one name are shared; a
//! different schema under a taken name gets a numbered name.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::openapi::schema::SchemaRegistry;
//! let mut reg = SchemaRegistry::default();
//! let s = reg.add(json!({"title": "Item", "type": "object",
//!     "properties": {"kind": {"$ref": "#/$defs/Kind"}},
//!     "$defs": {"Kind": {"enum": ["a", "b"]}}}), true);
//! assert_eq!(s, json!({"$ref": "#/components/schemas/Item"}));
//! assert_eq!(reg.schemas()["Item"]["properties"]["kind"], json!({"$ref": "#/components/schemas/Kind"}));
//! ```

use std::collections::HashMap;

use serde_json::{Map, Value};

const COMPONENTS: &str = "#/components/schemas/";

/// `components/schemas` being collected.
#[derive(Debug, Clone, Default)]
pub struct SchemaRegistry {
    schemas: Map<String, Value>,
}

/// A component name: the characters OpenAPI allows (`^[a-zA-Z0-9.\-_]+$`).
pub fn component_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "Schema".into()
    } else {
        name
    }
}

fn is_object_schema(schema: &Map<String, Value>) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object") || schema.contains_key("properties")
}

/// Rewrite every local `$ref` of a schema resource: `#/$defs/X...` and `#/definitions/X...`
/// through `names`, `#` to `root` (when the root is a component).
fn rewrite_refs(value: &mut Value, names: &HashMap<String, String>, root: Option<&str>) {
    match value {
        Value::Object(obj) => {
            if let Some(Value::String(r)) = obj.get_mut("$ref") {
                if let Some(new) = rewrite_ref(r, names, root) {
                    *r = new;
                }
            }
            for (k, v) in obj.iter_mut() {
                // Enum/const values are data, not schemas.
                if k != "enum" && k != "const" && k != "examples" && k != "default" {
                    rewrite_refs(v, names, root);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, names, root)),
        _ => {}
    }
}

fn rewrite_ref(r: &str, names: &HashMap<String, String>, root: Option<&str>) -> Option<String> {
    if r == "#" {
        return root.map(|name| format!("{COMPONENTS}{name}"));
    }
    let rest = r
        .strip_prefix("#/$defs/")
        .or_else(|| r.strip_prefix("#/definitions/"))?;
    let (def, tail) = rest.split_once('/').map_or((rest, ""), |(d, t)| (d, t));
    let def = def.replace("~1", "/").replace("~0", "~");
    let name = names.get(&def)?;
    Some(if tail.is_empty() {
        format!("{COMPONENTS}{name}")
    } else {
        format!("{COMPONENTS}{name}/{tail}")
    })
}

/// A `title` that only repeats the component's name says nothing more; dropping it lets the
/// root of one schema and the `$defs` entry of another (as schemars writes the same type) match.
fn drop_redundant_title(schema: &mut Value, name: &str) {
    if let Value::Object(obj) = schema {
        if obj.get("title").and_then(Value::as_str).map(component_name).as_deref() == Some(name) {
            obj.remove("title");
        }
    }
}

/// Give every `enum` without a `type` the JSON type of its values (`string`, `integer`,
/// ...; a list when they differ), so documentation tools do not show it as "any".
/// Values (`enum`, `const`, `default`, `examples`) are data and left alone.
pub fn type_enums(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            if !obj.contains_key("type") {
                if let Some(Value::Array(values)) = obj.get("enum") {
                    if let Some(ty) = enum_type(values) {
                        obj.insert("type".into(), ty);
                    }
                }
            }
            for (key, value) in obj.iter_mut() {
                if !matches!(key.as_str(), "enum" | "const" | "default" | "examples" | "example") {
                    type_enums(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(type_enums),
        _ => {}
    }
}

fn enum_type(values: &[Value]) -> Option<Value> {
    let mut types: Vec<&str> = Vec::new();
    for v in values {
        let ty = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !types.contains(&ty) {
            types.push(ty);
        }
    }
    if types.contains(&"number") {
        types.retain(|t| *t != "integer");
    }
    match types.as_slice() {
        [] => None,
        [one] => Some(Value::from(*one)),
        many => Some(Value::from(many.to_vec())),
    }
}

fn refers_to_root(value: &Value) -> bool {
    match value {
        Value::Object(obj) => obj.get("$ref").and_then(Value::as_str) == Some("#") || obj.values().any(refers_to_root),
        Value::Array(items) => items.iter().any(refers_to_root),
        _ => false,
    }
}

impl SchemaRegistry {
    /// The collected `components/schemas`.
    pub fn schemas(&self) -> &Map<String, Value> {
        &self.schemas
    }

    pub fn into_schemas(self) -> Map<String, Value> {
        self.schemas
    }

    /// A free name for `schema` starting from `wanted`: the same name when it already holds an equal schema.
    fn name_for(&self, wanted: &str, schema: &Value, taken: &[String]) -> String {
        let base = component_name(wanted);
        let mut candidate = base.clone();
        let mut n = 2;
        loop {
            let free = !taken.contains(&candidate);
            match self.schemas.get(&candidate) {
                Some(existing) if free && existing == schema => return candidate,
                None if free => return candidate,
                _ => {}
            }
            candidate = format!("{base}{n}");
            n += 1;
        }
    }

    /// Register a schema; returns what to put in its place. With `name_root`, an object
    /// schema with a `title` (a named type) becomes a component and a `$ref` is returned.
    pub fn add(&mut self, mut schema: Value, name_root: bool) -> Value {
        type_enums(&mut schema);
        let Value::Object(mut obj) = schema else {
            return schema;
        };
        obj.remove("$schema");
        let mut defs: Vec<(String, Value)> = Vec::new();
        for key in ["$defs", "definitions"] {
            if let Some(Value::Object(d)) = obj.remove(key) {
                defs.extend(d);
            }
        }
        let self_referencing = refers_to_root(&Value::Object(obj.clone()));
        let title = obj.get("title").and_then(Value::as_str).map(str::to_owned);
        let hoist_root = self_referencing || (name_root && title.is_some() && is_object_schema(&obj));

        // Names as if every def kept its own name, to compare with schemas already registered.
        let identity: HashMap<String, String> = defs.iter().map(|(n, _)| (n.clone(), component_name(n))).collect();
        let mut names = HashMap::new();
        let mut taken = Vec::new();
        for (def_name, def) in &mut defs {
            drop_redundant_title(def, &component_name(def_name));
            let mut probe = def.clone();
            rewrite_refs(&mut probe, &identity, None);
            let name = self.name_for(def_name, &probe, &taken);
            taken.push(name.clone());
            names.insert(def_name.clone(), name);
        }
        let mut root = Value::Object(obj);
        let root_name = hoist_root.then(|| {
            let base = component_name(title.as_deref().unwrap_or("Schema"));
            drop_redundant_title(&mut root, &base);
            let mut probe = root.clone();
            rewrite_refs(&mut probe, &names, Some(&base));
            // A root repeated as a def of its own name (an inlined root whose `$defs` still
            // hold it) is that one component.
            let repeated = defs.iter().any(|(def_name, def)| {
                names[def_name] == base && {
                    let mut d = def.clone();
                    rewrite_refs(&mut d, &names, Some(&base));
                    d == probe
                }
            });
            if repeated {
                base
            } else {
                self.name_for(&base, &probe, &taken)
            }
        });
        for (def_name, mut def) in defs {
            rewrite_refs(&mut def, &names, root_name.as_deref());
            self.schemas.insert(names[&def_name].clone(), def);
        }
        rewrite_refs(&mut root, &names, root_name.as_deref());
        match root_name {
            Some(name) => {
                self.schemas.insert(name.clone(), root);
                serde_json::json!({"$ref": format!("{COMPONENTS}{name}")})
            }
            None => root,
        }
    }

    /// Insert a fixed component (the problem schemas).
    pub fn insert(&mut self, name: &str, schema: Value) {
        self.schemas.insert(name.into(), schema);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_root_repeated_in_its_own_defs_is_one_component() {
        let item = json!({"title": "Item", "type": "object", "properties": {"n": {"type": "string"}}});
        let mut with_defs = item.clone();
        with_defs["$defs"] = json!({"Item": item});
        let mut reg = SchemaRegistry::default();
        assert_eq!(
            reg.add(with_defs.clone(), true),
            json!({"$ref": "#/components/schemas/Item"})
        );
        assert_eq!(reg.add(with_defs, true), json!({"$ref": "#/components/schemas/Item"}));
        assert_eq!(reg.schemas().keys().collect::<Vec<_>>(), ["Item"]);
    }

    #[test]
    fn hoists_defs_and_rewrites_nested_refs() {
        let mut reg = SchemaRegistry::default();
        let out = reg.add(
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A"}, "list": {"type": "array", "items": {"$ref": "#/$defs/B"}}},
                "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"type": "integer"}}
            }),
            false,
        );
        assert_eq!(
            out,
            json!({"type": "object", "properties": {
                "a": {"$ref": "#/components/schemas/A"},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/B"}}}})
        );
        assert_eq!(
            reg.schemas()["A"],
            json!({"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}})
        );
        assert_eq!(reg.schemas()["B"], json!({"type": "integer"}));
    }

    #[test]
    fn equal_defs_are_shared_and_different_ones_renamed() {
        let mut reg = SchemaRegistry::default();
        reg.add(
            json!({"$defs": {"Kind": {"enum": ["a"]}}, "$ref": "#/$defs/Kind"}),
            false,
        );
        let same = reg.add(
            json!({"$defs": {"Kind": {"enum": ["a"]}}, "$ref": "#/$defs/Kind"}),
            false,
        );
        assert_eq!(same, json!({"$ref": "#/components/schemas/Kind"}));
        let other = reg.add(
            json!({"$defs": {"Kind": {"enum": ["b"]}}, "$ref": "#/$defs/Kind"}),
            false,
        );
        assert_eq!(other, json!({"$ref": "#/components/schemas/Kind2"}));
        assert_eq!(reg.schemas().len(), 2);
    }

    #[test]
    fn named_object_roots_become_components_and_self_references_follow() {
        let mut reg = SchemaRegistry::default();
        let out = reg.add(
            json!({"title": "Node", "type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}),
            false,
        );
        assert_eq!(out, json!({"$ref": "#/components/schemas/Node"}));
        assert_eq!(
            reg.schemas()["Node"]["properties"]["children"]["items"],
            json!({"$ref": "#/components/schemas/Node"})
        );
        // An untitled or non-object schema stays inline.
        assert_eq!(
            reg.add(json!({"type": "string", "title": "S"}), true),
            json!({"type": "string", "title": "S"})
        );
    }

    #[test]
    fn a_type_as_root_and_as_def_is_one_component() {
        let mut reg = SchemaRegistry::default();
        let item = json!({"type": "object", "properties": {"id": {"type": "integer"}}});
        let list = reg.add(
            json!({"title": "Array_of_Item", "type": "array", "items": {"$ref": "#/$defs/Item"}, "$defs": {"Item": item}}),
            true,
        );
        assert_eq!(list["items"], json!({"$ref": "#/components/schemas/Item"}));
        let mut root = item.clone();
        root["title"] = json!("Item");
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        assert_eq!(reg.add(root, true), json!({"$ref": "#/components/schemas/Item"}));
        assert_eq!(reg.schemas().len(), 1, "{:#?}", reg.schemas());
        assert_eq!(reg.schemas()["Item"], item);
    }

    #[test]
    fn enums_without_a_type_get_the_type_of_their_values() {
        let mut reg = SchemaRegistry::default();
        let schema = json!({
            "type": "object",
            "properties": {
                "color": {"enum": ["red", "green"]},
                "n": {"enum": [2, 1]},
                "x": {"enum": [1, 2.5, null]},
                "typed": {"type": "string", "enum": ["a"], "default": {"enum": ["data"]}}
            },
            "$defs": {"Color": {"title": "Color", "enum": ["b", "a"]}}
        });
        let out = reg.add(schema, false);
        assert_eq!(
            out["properties"]["color"],
            json!({"enum": ["red", "green"], "type": "string"})
        );
        assert_eq!(out["properties"]["n"]["type"], "integer");
        assert_eq!(out["properties"]["x"]["type"], json!(["number", "null"]));
        assert_eq!(out["properties"]["typed"]["default"], json!({"enum": ["data"]}));
        assert_eq!(reg.schemas()["Color"], json!({"enum": ["b", "a"], "type": "string"}));
    }

    #[test]
    fn enum_values_are_not_rewritten_and_names_are_sanitised() {
        let mut reg = SchemaRegistry::default();
        let out = reg.add(
            json!({"$defs": {"Wrapper<T>": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/Wrapper<T>"}, "y": {"const": {"$ref": "#/$defs/Wrapper<T>"}}}}),
            false,
        );
        assert_eq!(
            out["properties"]["x"],
            json!({"$ref": "#/components/schemas/Wrapper_T_"})
        );
        assert_eq!(out["properties"]["y"]["const"], json!({"$ref": "#/$defs/Wrapper<T>"}));
    }
}
