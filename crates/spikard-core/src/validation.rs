//! JSON Schema validation (Draft 2020-12, formats on) with errors mapped to the
//! pydantic v2 vocabulary.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::validation::SchemaValidator;
//! let v = SchemaValidator::compile(&json!({"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}})).unwrap();
//! let errors = v.validate(&json!({"age": -1}), &[json!("body")]);
//! assert_eq!(errors[0].error_type, "greater_than_equal");
//! assert_eq!(errors[0].loc, vec![json!("body"), json!("age")]);
//! ```

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, JsonType, Validator};
use serde_json::{json, Value};

use crate::error::ValidationErrorEntry;

/// A compiled schema; compile once at registration, validate per request.
pub struct SchemaValidator {
    schema: Value,
    validator: Validator,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator").field("schema", &self.schema).finish()
    }
}

impl SchemaValidator {
    pub fn compile(schema: &Value) -> Result<Self, String> {
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .with_format("time", crate::formats::is_time)
            .build(schema)
            .map_err(|e| format!("invalid JSON Schema: {e}"))?;
        Ok(Self {
            schema: schema.clone(),
            validator,
        })
    }

    pub fn schema(&self) -> &Value {
        &self.schema
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    /// All errors, one per location, in schema property order, each `loc` prefixed by `prefix`.
    pub fn validate(&self, instance: &Value, prefix: &[Value]) -> Vec<ValidationErrorEntry> {
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        let mut out: Vec<ValidationErrorEntry> = Vec::new();
        for err in self.validator.iter_errors(instance) {
            let path = split_pointer(err.instance_path().as_str(), instance);
            let mut loc: Vec<Value> = prefix.to_vec();
            loc.extend(path.iter().cloned());
            let keyword = last_keyword(err.schema_path().as_str());
            for entry in map_error(err.kind(), keyword, err.instance(), loc, &err.to_string()) {
                if !out.iter().any(|e| e.loc == entry.loc) {
                    out.push(entry);
                }
            }
        }
        let n = prefix.len();
        out.sort_by_cached_key(|e| order_key(&self.schema, &e.loc[n.min(e.loc.len())..]));
        out
    }
}

/// The keyword that produced an error: the last segment of its schema path that is not an index
/// or a property name of `dependencies`/`dependentRequired` (`.../dependencies/a` gives `dependencies`).
fn last_keyword(schema_path: &str) -> &str {
    let mut segs = schema_path.rsplit('/');
    let last = segs.next().unwrap_or("");
    match segs.next() {
        Some(parent @ ("dependencies" | "dependentRequired")) => parent,
        _ => last,
    }
}

/// Split a JSON pointer into loc segments; array indices become integers.
fn split_pointer(pointer: &str, root: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cur = Some(root);
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(items)) => {
                let idx: usize = seg.parse().unwrap_or(0);
                cur = items.get(idx);
                out.push(json!(idx));
            }
            Some(Value::Object(map)) => {
                cur = map.get(&seg);
                out.push(Value::String(seg));
            }
            _ => {
                cur = None;
                out.push(Value::String(seg));
            }
        }
    }
    out
}

/// Position of each loc segment in the schema's `properties`, so errors come out in field order.
fn order_key(schema: &Value, loc: &[Value]) -> Vec<usize> {
    let mut key = Vec::with_capacity(loc.len());
    let mut cur = Some(schema);
    for seg in loc {
        match seg {
            Value::Number(n) => {
                key.push(n.as_u64().unwrap_or(0) as usize);
                cur = cur.and_then(|s| s.get("items"));
            }
            Value::String(name) => {
                let props = cur.and_then(|s| s.get("properties")).and_then(Value::as_object);
                let idx = props
                    .and_then(|p| p.keys().position(|k| k == name))
                    .unwrap_or(usize::MAX);
                key.push(idx);
                cur = props.and_then(|p| p.get(name));
            }
            _ => key.push(usize::MAX),
        }
    }
    key
}

fn type_name(kind: &TypeKind) -> JsonType {
    match kind {
        TypeKind::Single(t) => *t,
        TypeKind::Multiple(set) => {
            let mut chosen = JsonType::Null;
            for t in set.iter() {
                if t != JsonType::Null {
                    chosen = t;
                    break;
                }
            }
            chosen
        }
    }
}

fn type_error(expected: JsonType, input: &Value) -> (&'static str, &'static str) {
    match (expected, input) {
        (JsonType::Integer, Value::String(_)) => (
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (JsonType::Integer, Value::Number(_)) => (
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
        ),
        (JsonType::Integer, _) => ("int_type", "Input should be a valid integer"),
        (JsonType::Number, Value::String(_)) => (
            "float_parsing",
            "Input should be a valid number, unable to parse string as a number",
        ),
        (JsonType::Number, _) => ("float_type", "Input should be a valid number"),
        (JsonType::Boolean, Value::String(_)) => (
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
        ),
        (JsonType::Boolean, _) => ("bool_type", "Input should be a valid boolean"),
        (JsonType::String, _) => ("string_type", "Input should be a valid string"),
        (JsonType::Array, _) => ("list_type", "Input should be a valid list"),
        (JsonType::Object, _) => ("dict_type", "Input should be a valid dictionary"),
        (JsonType::Null, _) => ("none_required", "Input should be None"),
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `'a', 'b' or 'c'` as pydantic writes the expected values of an enum.
pub fn expected_list(options: &[Value]) -> String {
    let items: Vec<String> = options
        .iter()
        .map(|v| match v {
            Value::String(s) => format!("'{s}'"),
            other => other.to_string(),
        })
        .collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn number_value(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

fn map_error(
    kind: &ValidationErrorKind,
    keyword: &str,
    instance: &Value,
    loc: Vec<Value>,
    message: &str,
) -> Vec<ValidationErrorEntry> {
    use ValidationErrorKind as K;
    let input = instance.clone();
    let entry = |t: &str, msg: String| ValidationErrorEntry::new(t, loc.clone(), msg).with_input(input.clone());
    let one = match kind {
        // `dependencies` / `dependentRequired` have no pydantic counterpart: the object is at fault.
        K::Required { .. } if keyword != "required" => entry("validation_error", message.to_owned()),
        K::Required { property } => {
            let mut l = loc.clone();
            l.push(property.clone());
            ValidationErrorEntry::new("missing", l, "Field required").with_input(input)
        }
        K::Type { kind } => {
            let (t, msg) = type_error(type_name(kind), instance);
            entry(t, msg.to_owned())
        }
        K::Minimum { limit } => entry(
            "greater_than_equal",
            format!("Input should be greater than or equal to {limit}"),
        )
        .with_ctx(json!({"ge": limit})),
        K::ExclusiveMinimum { limit } => {
            entry("greater_than", format!("Input should be greater than {limit}")).with_ctx(json!({"gt": limit}))
        }
        K::Maximum { limit } => entry(
            "less_than_equal",
            format!("Input should be less than or equal to {limit}"),
        )
        .with_ctx(json!({"le": limit})),
        K::ExclusiveMaximum { limit } => {
            entry("less_than", format!("Input should be less than {limit}")).with_ctx(json!({"lt": limit}))
        }
        K::MultipleOf { multiple_of } => {
            let m = number_value(*multiple_of);
            entry("multiple_of", format!("Input should be a multiple of {m}")).with_ctx(json!({"multiple_of": m}))
        }
        K::MinLength { limit } => entry(
            "string_too_short",
            format!("String should have at least {}", plural(*limit, "character")),
        )
        .with_ctx(json!({"min_length": limit})),
        K::MaxLength { limit } => entry(
            "string_too_long",
            format!("String should have at most {}", plural(*limit, "character")),
        )
        .with_ctx(json!({"max_length": limit})),
        K::Pattern { pattern } => entry(
            "string_pattern_mismatch",
            format!("String should match pattern '{pattern}'"),
        )
        .with_ctx(json!({"pattern": pattern})),
        K::MinItems { limit } => entry(
            "too_short",
            format!("List should have at least {limit} item after validation"),
        )
        .with_ctx(json!({"min_length": limit})),
        K::MaxItems { limit } => entry(
            "too_long",
            format!("List should have at most {} after validation", plural(*limit, "item")),
        )
        .with_ctx(json!({"max_length": limit})),
        K::Enum { options } => {
            let list = expected_list(options.as_array().map(Vec::as_slice).unwrap_or(&[]));
            entry("enum", format!("Input should be {list}")).with_ctx(json!({"expected": list}))
        }
        K::Format { format } => match format.as_str() {
            "uuid" => entry("uuid_parsing", "Input should be a valid UUID".into()),
            "date" => entry(
                "date_parsing",
                "Input should be a valid date in the format YYYY-MM-DD".into(),
            ),
            "date-time" => entry("datetime_parsing", "Input should be a valid datetime".into()),
            "time" => entry("time_parsing", "Input should be in a valid time format".into()),
            other => ValidationErrorEntry::new(
                "validation_error",
                loc.clone(),
                format!("Invalid {} format", format_label(other)),
            )
            .with_ctx(json!({"format": other, "value": instance})),
        },
        K::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|field| {
                    let mut l = loc.clone();
                    l.push(json!(field));
                    ValidationErrorEntry::new("validation_error", l, "Additional properties are not allowed")
                        .with_input(input.clone())
                        .with_ctx(json!({"additional_properties": false, "unexpected_field": field}))
                })
                .collect();
        }
        K::UniqueItems => unique_items_error(instance, loc),
        K::OneOfNotValid { .. } => composition_error("Must match exactly one schema (oneOf)", 0, loc),
        K::OneOfMultipleValid { context } => {
            let matched = context.iter().filter(|branch| branch.is_empty()).count();
            composition_error("Must match exactly one schema (oneOf)", matched, loc)
        }
        K::AnyOf { .. } => composition_error("Must match at least one schema (anyOf)", 0, loc),
        _ => entry("validation_error", message.to_owned()),
    };
    vec![one]
}

/// How a message names a string `format` (`Invalid IPv4 address format`); unknown ones as written.
fn format_label(format: &str) -> &str {
    match format {
        "ipv4" => "IPv4 address",
        "ipv6" => "IPv6 address",
        "uri" => "URI",
        "uri-reference" => "URI reference",
        "iri" => "IRI",
        "iri-reference" => "IRI reference",
        "uri-template" => "URI template",
        "json-pointer" => "JSON pointer",
        "relative-json-pointer" => "relative JSON pointer",
        "idn-email" => "email",
        "idn-hostname" => "hostname",
        other => other,
    }
}

/// `uniqueItems`: the first value that repeats an earlier one, and where it repeats.
fn unique_items_error(instance: &Value, loc: Vec<Value>) -> ValidationErrorEntry {
    let items = instance.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let repeat = items
        .iter()
        .enumerate()
        .find(|(i, v)| items[..*i].iter().any(|earlier| json_equal(earlier, v)));
    let mut ctx = json!({"unique_items": true});
    if let Some((index, value)) = repeat {
        ctx["duplicate_value"] = value.clone();
        ctx["duplicate_index"] = json!(index);
    }
    ValidationErrorEntry::new("validation_error", loc, "Array items must be unique").with_ctx(ctx)
}

/// JSON Schema equality: numbers compare by value (`1` equals `1.0`).
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A failed `oneOf`/`anyOf`: how many branches matched, without echoing the (possibly large) input.
fn composition_error(rule: &str, matched: usize, loc: Vec<Value>) -> ValidationErrorEntry {
    ValidationErrorEntry::new("validation_error", loc, format!("{rule}, but matched {matched}"))
        .with_ctx(json!({"matched_schemas": matched}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(schema: Value, instance: Value) -> Vec<ValidationErrorEntry> {
        SchemaValidator::compile(&schema)
            .unwrap()
            .validate(&instance, &[json!("body")])
    }

    #[test]
    fn reports_all_fields_in_schema_order() {
        let schema = json!({"type": "object", "properties": {
            "name": {"type": "string", "minLength": 3},
            "price": {"type": "integer", "exclusiveMinimum": 0},
            "quantity": {"type": "integer"}}, "required": ["name", "price", "quantity"]});
        let e = errs(schema, json!({"quantity": "x", "price": -10, "name": "X"}));
        let types: Vec<_> = e.iter().map(|e| e.error_type.as_str()).collect();
        assert_eq!(types, vec!["string_too_short", "greater_than", "int_parsing"]);
        assert_eq!(e[1].ctx, Some(json!({"gt": 0})));
        assert_eq!(e[1].msg, "Input should be greater than 0");
    }

    #[test]
    fn missing_carries_parent_and_nested_loc() {
        let schema = json!({"type": "object", "properties": {"user": {"type": "object",
            "properties": {"email": {"type": "string"}}, "required": ["email"]}}});
        let e = errs(schema, json!({"user": {"name": "a"}}));
        assert_eq!(e[0].loc, vec![json!("body"), json!("user"), json!("email")]);
        assert_eq!(e[0].input, Some(json!({"name": "a"})));
        assert_eq!(e[0].msg, "Field required");
    }

    #[test]
    fn enum_lists_and_array_indices() {
        let schema = json!({"type": "array", "items": {"enum": ["a", "b", "c"]}});
        let e = errs(schema, json!(["a", "z"]));
        assert_eq!(e[0].loc, vec![json!("body"), json!(1)]);
        assert_eq!(e[0].msg, "Input should be 'a', 'b' or 'c'");
        assert_eq!(expected_list(&[json!(1), json!(2)]), "1 or 2");
    }

    #[test]
    fn formats_and_lengths() {
        let e = errs(json!({"type": "string", "format": "uuid"}), json!("nope"));
        assert_eq!(e[0].error_type, "uuid_parsing");
        let e = errs(json!({"type": "string", "format": "email"}), json!("nope"));
        assert_eq!(e[0].error_type, "validation_error");
        assert_eq!(e[0].input, None);
        assert_eq!(e[0].ctx, Some(json!({"format": "email", "value": "nope"})));
        let e = errs(json!({"type": "string", "minLength": 1}), json!(""));
        assert_eq!(e[0].msg, "String should have at least 1 character");
        let e = errs(json!({"type": "array", "maxItems": 1}), json!([1, 2]));
        assert_eq!(e[0].msg, "List should have at most 1 item after validation");
    }

    #[test]
    fn unique_items_names_the_first_repeat() {
        let e = errs(json!({"type": "array", "uniqueItems": true}), json!([3, 1, 1.0, 3]));
        assert_eq!(e[0].msg, "Array items must be unique");
        assert_eq!(
            e[0].ctx,
            Some(json!({"unique_items": true, "duplicate_value": 1.0, "duplicate_index": 2}))
        );
        let e = errs(json!({"type": "string", "format": "ipv4"}), json!("1.2.3"));
        assert_eq!(e[0].msg, "Invalid IPv4 address format");
    }

    #[test]
    fn composition_reports_matched_branches() {
        let schema = json!({"oneOf": [{"required": ["a"]}, {"required": ["b"]}]});
        let e = errs(schema.clone(), json!({"a": 1, "b": 2}));
        assert_eq!(e[0].msg, "Must match exactly one schema (oneOf), but matched 2");
        assert_eq!(e[0].ctx, Some(json!({"matched_schemas": 2})));
        assert_eq!(e[0].input, None);
        let e = errs(schema, json!({"c": 1}));
        assert_eq!(e[0].msg, "Must match exactly one schema (oneOf), but matched 0");
        let e = errs(json!({"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}), json!({}));
        assert_eq!(e[0].msg, "Must match at least one schema (anyOf), but matched 0");
        assert_eq!(e[0].loc, vec![json!("body")]);
    }

    #[test]
    fn dependencies_fault_the_object_not_a_missing_field() {
        let schema = json!({"type": "object", "dependencies": {"card": ["address"]}});
        let e = errs(schema, json!({"card": "x"}));
        assert_eq!(e[0].error_type, "validation_error");
        assert_eq!(e[0].loc, vec![json!("body")]);
        assert_eq!(e[0].msg, "\"address\" is a required property");
        assert_eq!(e[0].input, Some(json!({"card": "x"})));
        let e = errs(json!({"required": ["a"]}), json!({}));
        assert_eq!(e[0].error_type, "missing");
    }

    #[test]
    fn additional_properties_one_entry_each() {
        let schema = json!({"type": "object", "properties": {"a": {}}, "additionalProperties": false});
        let e = errs(schema, json!({"a": 1, "b": 2, "c": 3}));
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].loc, vec![json!("body"), json!("b")]);
    }
}
