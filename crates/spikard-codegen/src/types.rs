//! Schemas as language-neutral types: what a field, parameter, body or response is in
//! the target language. Anything a type system cannot say exactly (`allOf` of unrelated
//! schemas, `not`, mixed `type` lists) is [`Ty::Any`]: the spec's schema still validates it.

use serde_json::{Map, Value};

use crate::model::deref;

#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Any,
    Str,
    Int,
    Float,
    Bool,
    Null,
    List(Box<Ty>),
    /// An object with arbitrary keys (inline objects too).
    Map(Box<Ty>),
    /// A component schema by its document name.
    Named(String),
    /// String constants (`enum` of strings, `const`).
    Literal(Vec<String>),
    /// The type or null.
    Optional(Box<Ty>),
    Union(Vec<Ty>),
}

/// The one non-null `type` of a schema (`"integer"` for `["integer", "null"]`).
pub fn single_type(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t.as_str()),
        Value::Array(types) => {
            let non_null: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            match non_null.as_slice() {
                [one] => Some(one),
                _ => None,
            }
        }
        _ => None,
    }
}

fn allows_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::Array(types)) => types.iter().any(|t| t == "null"),
        Some(Value::String(t)) => t == "null",
        _ => false,
    }
}

/// The component name of a `#/components/schemas/X` reference.
pub fn ref_name(schema: &Value) -> Option<String> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(|n| n.replace("~1", "/").replace("~0", "~"))
}

/// Whether a schema describes an object with declared properties (a struct), following
/// `allOf` parts.
pub fn is_struct(schema: &Value, schemas: &Map<String, Value>) -> bool {
    if schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty())
    {
        return schema.get("oneOf").is_none() && schema.get("anyOf").is_none();
    }
    match schema.get("allOf").and_then(Value::as_array) {
        Some(parts) if !parts.is_empty() && schema.get("oneOf").is_none() && schema.get("anyOf").is_none() => parts
            .iter()
            .all(|p| is_struct(deref(p, schemas), schemas) || p.get("properties").is_some()),
        _ => false,
    }
}

fn optional(ty: Ty) -> Ty {
    match ty {
        Ty::Optional(_) | Ty::Any | Ty::Null => ty,
        other => Ty::Optional(Box::new(other)),
    }
}

/// The type of a schema (a reference stays a [`Ty::Named`]).
pub fn ty_of(schema: &Value, schemas: &Map<String, Value>) -> Ty {
    if let Some(name) = ref_name(schema) {
        return if schemas.contains_key(&name) {
            Ty::Named(name)
        } else {
            Ty::Any
        };
    }
    let Some(obj) = schema.as_object() else { return Ty::Any };
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = obj.get(key) {
            let mut nullable = allows_null(schema);
            let mut tys: Vec<Ty> = Vec::new();
            for v in variants {
                match ty_of(v, schemas) {
                    Ty::Null => nullable = true,
                    Ty::Optional(inner) => {
                        nullable = true;
                        if !tys.contains(&inner) {
                            tys.push(*inner);
                        }
                    }
                    t if !tys.contains(&t) => tys.push(t),
                    _ => {}
                }
            }
            let ty = match tys.len() {
                0 => Ty::Any,
                1 => tys.remove(0),
                _ if tys.contains(&Ty::Any) => Ty::Any,
                _ => Ty::Union(tys),
            };
            return if nullable { optional(ty) } else { ty };
        }
    }
    if let Some(Value::Array(parts)) = obj.get("allOf") {
        if parts.len() == 1 && obj.get("properties").is_none() {
            let ty = ty_of(&parts[0], schemas);
            return if allows_null(schema) { optional(ty) } else { ty };
        }
        return Ty::Any;
    }
    if let Some(Value::String(c)) = obj.get("const") {
        return Ty::Literal(vec![c.clone()]);
    }
    if let Some(Value::Array(values)) = obj.get("enum") {
        let strings: Vec<String> = values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
        let has_null = values.iter().any(Value::is_null);
        if !strings.is_empty() && strings.len() + usize::from(has_null) == values.len() {
            let ty = Ty::Literal(strings);
            return if has_null || allows_null(schema) {
                optional(ty)
            } else {
                ty
            };
        }
    }
    let base = match obj.get("type") {
        Some(Value::Array(types)) => {
            let non_null: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            match non_null.as_slice() {
                [] => Ty::Null,
                [one] => scalar(one, obj, schemas),
                many => Ty::Union(many.iter().map(|t| scalar(t, obj, schemas)).collect()),
            }
        }
        Some(Value::String(t)) => scalar(t, obj, schemas),
        _ if obj.contains_key("properties") => Ty::Map(Box::new(Ty::Any)),
        _ if obj.contains_key("items") => scalar("array", obj, schemas),
        _ => Ty::Any,
    };
    if allows_null(schema) && base != Ty::Null {
        optional(base)
    } else {
        base
    }
}

fn scalar(t: &str, obj: &Map<String, Value>, schemas: &Map<String, Value>) -> Ty {
    match t {
        "string" => Ty::Str,
        "integer" => Ty::Int,
        "number" => Ty::Float,
        "boolean" => Ty::Bool,
        "null" => Ty::Null,
        "array" => Ty::List(Box::new(obj.get("items").map_or(Ty::Any, |i| ty_of(i, schemas)))),
        "object" => match obj.get("additionalProperties") {
            Some(extra @ Value::Object(_)) if !obj.contains_key("properties") => {
                Ty::Map(Box::new(ty_of(extra, schemas)))
            }
            _ => Ty::Map(Box::new(Ty::Any)),
        },
        _ => Ty::Any,
    }
}

/// A field of a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name on the wire.
    pub name: String,
    pub ty: Ty,
    pub required: bool,
    pub description: Option<String>,
}

/// The fields of a struct schema, `allOf` parts merged in order (later parts win).
pub fn fields_of(schema: &Value, schemas: &Map<String, Value>) -> Vec<Field> {
    let mut fields: Vec<Field> = Vec::new();
    let mut required: Vec<String> = Vec::new();
    collect(schema, schemas, &mut fields, &mut required, 0);
    for f in &mut fields {
        f.required = required.contains(&f.name);
    }
    fields
}

fn collect(
    schema: &Value,
    schemas: &Map<String, Value>,
    fields: &mut Vec<Field>,
    required: &mut Vec<String>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let schema = deref(schema, schemas);
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        for p in parts {
            collect(p, schemas, fields, required, depth + 1);
        }
    }
    if let Some(Value::Object(props)) = schema.get("properties") {
        for (name, s) in props {
            let field = Field {
                name: name.clone(),
                ty: ty_of(s, schemas),
                required: false,
                description: s.get("description").and_then(Value::as_str).map(str::to_owned),
            };
            match fields.iter_mut().find(|f| f.name == *name) {
                Some(existing) => *existing = field,
                None => fields.push(field),
            }
        }
    }
    if let Some(Value::Array(r)) = schema.get("required") {
        for n in r.iter().filter_map(Value::as_str) {
            if !required.iter().any(|x| x == n) {
                required.push(n.to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nullable_refs_unions_and_literals() {
        let schemas: Map<String, Value> = serde_json::from_value(
            json!({"Cat": {"type": "object", "properties": {"a": {}}}, "Dog": {"type": "object"}}),
        )
        .unwrap();
        assert_eq!(
            ty_of(
                &json!({"anyOf": [{"$ref": "#/components/schemas/Cat"}, {"type": "null"}]}),
                &schemas
            ),
            Ty::Optional(Box::new(Ty::Named("Cat".into())))
        );
        assert_eq!(
            ty_of(
                &json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}),
                &schemas
            ),
            Ty::Union(vec![Ty::Named("Cat".into()), Ty::Named("Dog".into())])
        );
        assert_eq!(
            ty_of(&json!({"type": ["string", "null"], "enum": ["a", "b", null]}), &schemas),
            Ty::Optional(Box::new(Ty::Literal(vec!["a".into(), "b".into()])))
        );
        assert_eq!(
            ty_of(
                &json!({"type": "object", "additionalProperties": {"type": "integer"}}),
                &schemas
            ),
            Ty::Map(Box::new(Ty::Int))
        );
    }

    #[test]
    fn all_of_fields_are_merged() {
        let schemas: Map<String, Value> = serde_json::from_value(json!({
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
        }))
        .unwrap();
        let s = json!({"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"name": {"type": "string"}}}]});
        assert!(is_struct(&s, &schemas));
        let fields = fields_of(&s, &schemas);
        assert_eq!(fields.len(), 2);
        assert!(fields[0].required && !fields[1].required);
    }
}
