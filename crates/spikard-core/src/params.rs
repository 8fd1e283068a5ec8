//! Parameter specs (path, query, headers, cookies), string coercion and validation.
//!
//! Every parameter is described by a JSON Schema. Raw strings are coerced to the
//! schema's type as pydantic accepts them, then all parameters are validated in
//! one pass and every failure is reported.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::params::{ParamSource, ParamSpec, ParameterPlan, RawParams};
//! let plan = ParameterPlan::compile(vec![
//!     ParamSpec::from_schema("limit", ParamSource::Query, &json!({"type": "integer", "default": 10})),
//! ]).unwrap();
//! let raw = RawParams { query: &[("limit".into(), "5".into())], ..Default::default() };
//! let values = plan.extract(&raw).unwrap();
//! assert_eq!(values.query["limit"], json!(5));
//! ```

use serde_json::{json, Map, Value};

use crate::error::ValidationErrorEntry;
use crate::validation::SchemaValidator;

/// Where a parameter comes from. The string is its `loc` prefix in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamSource {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamSource {
    pub const ALL: [ParamSource; 4] = [Self::Path, Self::Query, Self::Header, Self::Cookie];

    pub fn loc(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "headers",
            Self::Cookie => "cookie",
        }
    }
}

/// Keys a parameter description may carry beyond JSON Schema.
const EXTENSION_KEYS: [&str; 6] = ["required", "optional", "annotation", "separator", "secure", "source"];

/// One declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub source: ParamSource,
    /// Pure JSON Schema (extension keys removed).
    pub schema: Value,
    pub required: bool,
    pub default: Option<Value>,
    pub separator: Option<String>,
}

impl ParamSpec {
    /// Build from a schema that may carry `required`, `optional`, `default`, `separator`.
    /// Path parameters are always required; others unless `optional`, a default, or `required: false`.
    pub fn from_schema(name: &str, source: ParamSource, schema: &Value) -> Self {
        let obj = schema.as_object().cloned().unwrap_or_default();
        let default = obj.get("default").cloned();
        let optional = obj.get("optional").and_then(Value::as_bool).unwrap_or(false);
        let required_flag = obj.get("required").and_then(Value::as_bool);
        let required = source == ParamSource::Path
            || match required_flag {
                Some(r) => r && default.is_none(),
                None => !optional && default.is_none(),
            };
        let separator = obj.get("separator").and_then(Value::as_str).map(str::to_owned);
        let mut clean = Map::new();
        for (k, v) in obj {
            if !EXTENSION_KEYS.contains(&k.as_str()) || (k == "required" && v.is_array()) {
                clean.insert(k, v);
            }
        }
        let name = if source == ParamSource::Header {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        };
        Self {
            name,
            source,
            schema: Value::Object(clean),
            required,
            default,
            separator,
        }
    }

    fn is_array(&self) -> bool {
        types_of(&self.schema).contains(&"array")
    }

    /// For a schema that says nothing but its type, the JSON type a coerced value must have
    /// to be valid; such parameters need no schema validation once coerced.
    fn plain_type(&self) -> Option<&'static str> {
        let obj = self.schema.as_object()?;
        let only_type = obj
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "title" | "description" | "examples" | "default"));
        if !only_type {
            return None;
        }
        match obj.get("type")?.as_str()? {
            "string" => Some("string"),
            "integer" => Some("integer"),
            "number" => Some("number"),
            "boolean" => Some("boolean"),
            _ => None,
        }
    }
}

/// What `extract` needs per parameter, decided at registration.
#[derive(Debug)]
struct SpecPlan {
    is_array: bool,
    items: Value,
    plain_type: Option<&'static str>,
}

fn has_type(value: &Value, ty: &str) -> bool {
    match (ty, value) {
        ("string", Value::String(_)) | ("boolean", Value::Bool(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        _ => false,
    }
}

/// Raw, already percent-decoded values from a request.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawParams<'a> {
    pub path: &'a [(&'a str, String)],
    pub query: &'a [(String, String)],
    /// Header names lowercase.
    pub headers: &'a [(String, String)],
    pub cookies: &'a [(String, String)],
}

/// Validated, coerced parameter values by source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamValues {
    pub path: Map<String, Value>,
    pub query: Map<String, Value>,
    pub headers: Map<String, Value>,
    pub cookies: Map<String, Value>,
}

/// All parameter specs of a route, compiled into one validator.
#[derive(Debug)]
pub struct ParameterPlan {
    specs: Vec<ParamSpec>,
    plans: Vec<SpecPlan>,
    /// Every parameter is a plain typed scalar: a successful coercion is a successful validation.
    all_plain: bool,
    validator: Option<SchemaValidator>,
    /// Whether any header/cookie parameter is declared (the caller can skip collecting them).
    pub needs_headers: bool,
    pub needs_cookies: bool,
}

impl ParameterPlan {
    pub fn compile(specs: Vec<ParamSpec>) -> Result<Self, String> {
        let mut root = Map::new();
        for source in ParamSource::ALL {
            let mut props = Map::new();
            let mut required = Vec::new();
            for spec in specs.iter().filter(|s| s.source == source) {
                props.insert(spec.name.clone(), spec.schema.clone());
                if spec.required {
                    required.push(json!(spec.name));
                }
            }
            if !props.is_empty() {
                root.insert(
                    source.loc().into(),
                    json!({"type": "object", "properties": props, "required": required}),
                );
            }
        }
        let validator = if root.is_empty() {
            None
        } else {
            Some(SchemaValidator::compile(
                &json!({"type": "object", "properties": root}),
            )?)
        };
        let plans: Vec<SpecPlan> = specs
            .iter()
            .map(|s| SpecPlan {
                is_array: s.is_array(),
                items: s.schema.get("items").cloned().unwrap_or(Value::Bool(true)),
                plain_type: s.plain_type(),
            })
            .collect();
        Ok(Self {
            all_plain: plans.iter().all(|p| p.plain_type.is_some()),
            plans,
            needs_headers: specs.iter().any(|s| s.source == ParamSource::Header),
            needs_cookies: specs.iter().any(|s| s.source == ParamSource::Cookie),
            specs,
            validator,
        })
    }

    pub fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }

    /// Coerce and validate; on failure every error is returned.
    pub fn extract(&self, raw: &RawParams<'_>) -> Result<ParamValues, Vec<ValidationErrorEntry>> {
        let mut values = ParamValues::default();
        // Undeclared path parameters still reach the handler as strings.
        for (name, v) in raw.path {
            values.path.insert((*name).to_owned(), Value::String(v.clone()));
        }
        let mut plain_ok = self.all_plain;
        for (spec, plan) in self.specs.iter().zip(&self.plans) {
            let found: Vec<&str> = match spec.source {
                ParamSource::Path => raw
                    .path
                    .iter()
                    .filter(|(n, _)| *n == spec.name)
                    .map(|(_, v)| v.as_str())
                    .collect(),
                ParamSource::Query => lookup(raw.query, &spec.name, false),
                ParamSource::Header => lookup(raw.headers, &spec.name, true),
                ParamSource::Cookie => lookup(raw.cookies, &spec.name, false),
            };
            let target = match spec.source {
                ParamSource::Path => &mut values.path,
                ParamSource::Query => &mut values.query,
                ParamSource::Header => &mut values.headers,
                ParamSource::Cookie => &mut values.cookies,
            };
            if found.is_empty() {
                target.remove(&spec.name);
                plain_ok &= !spec.required;
                if let Some(d) = &spec.default {
                    target.insert(spec.name.clone(), d.clone());
                }
                continue;
            }
            let value = if plan.is_array {
                let items_schema = &plan.items;
                let parts: Vec<&str> = match &spec.separator {
                    Some(sep) => found.iter().flat_map(|v| v.split(sep.as_str())).collect(),
                    None if spec.source == ParamSource::Header => {
                        found.iter().flat_map(|v| v.split(',')).map(str::trim).collect()
                    }
                    None => found,
                };
                Value::Array(parts.into_iter().map(|p| coerce_str(p, items_schema)).collect())
            } else {
                coerce_str(found[found.len() - 1], &spec.schema)
            };
            plain_ok &= plan.plain_type.is_some_and(|t| has_type(&value, t));
            target.insert(spec.name.clone(), value);
        }
        if plain_ok {
            return Ok(values);
        }
        let Some(validator) = &self.validator else {
            return Ok(values);
        };
        // Move the maps into one instance for a single validation pass, then move them back.
        let mut root = Map::with_capacity(4);
        root.insert("path".into(), Value::Object(std::mem::take(&mut values.path)));
        root.insert("query".into(), Value::Object(std::mem::take(&mut values.query)));
        root.insert("headers".into(), Value::Object(std::mem::take(&mut values.headers)));
        root.insert("cookie".into(), Value::Object(std::mem::take(&mut values.cookies)));
        let instance = Value::Object(root);
        let mut errors = validator.validate(&instance, &[]);
        if errors.is_empty() {
            let Value::Object(mut root) = instance else {
                unreachable!("built as an object above")
            };
            let mut take = |k: &str| match root.remove(k) {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            values.path = take("path");
            values.query = take("query");
            values.headers = take("headers");
            values.cookies = take("cookie");
            return Ok(values);
        }
        for e in &mut errors {
            if e.error_type == "missing" {
                // A missing cookie reads as an empty string; other sources have no input at all.
                let cookie = e.loc.first().and_then(Value::as_str) == Some(ParamSource::Cookie.loc());
                e.input = Some(if cookie {
                    Value::String(String::new())
                } else {
                    Value::Null
                });
            }
        }
        Err(errors)
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str, ignore_case: bool) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| {
            if ignore_case {
                k.eq_ignore_ascii_case(name)
            } else {
                k == name
            }
        })
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The JSON types a schema admits (`type`, or the branches of `anyOf`/`oneOf`).
pub fn types_of(schema: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    match schema.get("type") {
        Some(Value::String(t)) => out.push(t.as_str()),
        Some(Value::Array(ts)) => out.extend(ts.iter().filter_map(Value::as_str)),
        _ => {}
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(branches)) = schema.get(key) {
            for b in branches {
                out.extend(types_of(b));
            }
        }
    }
    if out.is_empty() {
        if let Some(Value::Array(options)) = schema.get("enum") {
            for o in options {
                out.push(match o {
                    Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                    Value::Number(_) => "number",
                    Value::Bool(_) => "boolean",
                    _ => "string",
                });
            }
        }
    }
    out
}

/// Parse a boolean as pydantic does.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
        _ => None,
    }
}

/// Parse an integer as pydantic does: surrounding spaces, a sign, `_` separators, `42.0`.
/// Parameter integers are 64-bit signed (OpenAPI's `int64`, as the documents say and as
/// handlers read them): a larger one does not parse.
pub fn parse_int(s: &str) -> Option<Value> {
    let t = s.trim();
    let cleaned: String = if t.contains('_') && !t.starts_with('_') && !t.ends_with('_') && !t.contains("__") {
        t.replace('_', "")
    } else {
        t.to_owned()
    };
    if let Ok(i) = cleaned.parse::<i64>() {
        return Some(json!(i));
    }
    let f: f64 = cleaned.parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 && cleaned.contains('.')).then(|| json!(f as i64))
}

fn parse_number(s: &str) -> Option<Value> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(json!(i));
    }
    let f: f64 = t.parse().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// Coerce a raw string to the type its schema wants; an unparseable value stays a string
/// so validation reports the pydantic `*_parsing` error with the raw input.
pub fn coerce_str(raw: &str, schema: &Value) -> Value {
    let types = types_of(schema);
    for t in &types {
        let parsed = match *t {
            "integer" => parse_int(raw),
            "number" => parse_number(raw),
            "boolean" => parse_bool(raw).map(Value::Bool),
            "string" => Some(Value::String(raw.to_owned())),
            "null" if raw.is_empty() || raw == "null" => Some(Value::Null),
            "object" | "array" => serde_json::from_str(raw)
                .ok()
                .filter(|v: &Value| v.is_object() || v.is_array()),
            _ => None,
        };
        if let Some(v) = parsed {
            return v;
        }
    }
    Value::String(raw.to_owned())
}

/// Coerce the string leaves of a form body (urlencoded or multipart fields) by the body schema.
pub fn coerce_form(form: Map<String, Value>, schema: &Value) -> Map<String, Value> {
    let props = schema.get("properties").and_then(Value::as_object);
    form.into_iter()
        .map(|(k, v)| {
            let Some(field_schema) = props.and_then(|p| p.get(&k)) else {
                return (k, v);
            };
            let is_array = types_of(field_schema).contains(&"array");
            let items = field_schema.get("items").cloned().unwrap_or(Value::Bool(true));
            let coerced = match v {
                Value::String(s) if is_array => Value::Array(vec![coerce_str(&s, &items)]),
                Value::String(s) => coerce_str(&s, field_schema),
                Value::Array(vals) if is_array => Value::Array(
                    vals.into_iter()
                        .map(|x| match x {
                            Value::String(s) => coerce_str(&s, &items),
                            Value::Object(m) => Value::Object(coerce_form(m, &items)),
                            other => other,
                        })
                        .collect(),
                ),
                // Bracket notation (`user[age]=30`) nests objects: coerce them with their own schema.
                Value::Object(m) => Value::Object(coerce_form(m, field_schema)),
                other => other,
            };
            (k, coerced)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(specs: Vec<ParamSpec>) -> ParameterPlan {
        ParameterPlan::compile(specs).unwrap()
    }

    #[test]
    fn coerces_like_pydantic() {
        assert_eq!(coerce_str("42", &json!({"type": "integer"})), json!(42));
        assert_eq!(coerce_str("42.0", &json!({"type": "integer"})), json!(42));
        assert_eq!(coerce_str("42.5", &json!({"type": "integer"})), json!("42.5"));
        assert_eq!(coerce_str("Yes", &json!({"type": "boolean"})), json!(true));
        assert_eq!(coerce_str("1.5", &json!({"type": "number"})), json!(1.5));
        assert_eq!(
            coerce_str("7", &json!({"anyOf": [{"type": "integer"}, {"type": "null"}]})),
            json!(7)
        );
        assert_eq!(
            coerce_str("9007199254740991", &json!({"type": "integer"})),
            json!(9007199254740991_i64)
        );
    }

    #[test]
    fn integers_are_64_bit_signed_as_documented() {
        let int = json!({"type": "integer"});
        assert_eq!(coerce_str("9223372036854775807", &int), json!(i64::MAX));
        assert_eq!(coerce_str("-9223372036854775808", &int), json!(i64::MIN));
        // Past int64 the value stays a string (int_parsing), never a u64 a handler cannot read.
        assert_eq!(coerce_str("9223372036854775808", &int), json!("9223372036854775808"));
        assert_eq!(coerce_str("18446744073709551616", &int), json!("18446744073709551616"));
    }

    #[test]
    fn reports_missing_and_parsing_together_in_source_order() {
        let p = plan(vec![
            ParamSpec::from_schema("q", ParamSource::Query, &json!({"type": "string"})),
            ParamSpec::from_schema("id", ParamSource::Path, &json!({"type": "integer"})),
            ParamSpec::from_schema("X-Token", ParamSource::Header, &json!({"type": "string"})),
        ]);
        let path = [("id", "abc".to_owned())];
        let err = plan_err(
            &p,
            RawParams {
                path: &path,
                ..Default::default()
            },
        );
        let locs: Vec<_> = err.iter().map(|e| e.loc.clone()).collect();
        assert_eq!(
            locs,
            vec![
                vec![json!("path"), json!("id")],
                vec![json!("query"), json!("q")],
                vec![json!("headers"), json!("x-token")]
            ]
        );
        assert_eq!(err[0].error_type, "int_parsing");
        assert_eq!(err[0].input, Some(json!("abc")));
        assert_eq!(err[1].input, Some(Value::Null));
    }

    fn plan_err(p: &ParameterPlan, raw: RawParams<'_>) -> Vec<ValidationErrorEntry> {
        p.extract(&raw).unwrap_err()
    }

    #[test]
    fn arrays_from_repeats_and_separators_and_defaults() {
        let p = plan(vec![
            ParamSpec::from_schema(
                "ids",
                ParamSource::Query,
                &json!({"type": "array", "items": {"type": "integer"}}),
            ),
            ParamSpec::from_schema(
                "c",
                ParamSource::Query,
                &json!({"type": "array", "items": {"type": "string"}, "separator": ";"}),
            ),
            ParamSpec::from_schema("page", ParamSource::Query, &json!({"type": "integer", "default": 1})),
            ParamSpec::from_schema("opt", ParamSource::Query, &json!({"type": "integer", "optional": true})),
        ]);
        let q = vec![
            ("ids".into(), "1".into()),
            ("ids".into(), "2".into()),
            ("c".into(), "a;b".into()),
        ];
        let v = p
            .extract(&RawParams {
                query: &q,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(v.query["ids"], json!([1, 2]));
        assert_eq!(v.query["c"], json!(["a", "b"]));
        assert_eq!(v.query["page"], json!(1));
        assert!(!v.query.contains_key("opt"));
    }

    #[test]
    fn headers_match_case_insensitively() {
        let p = plan(vec![ParamSpec::from_schema(
            "X-Api-Key",
            ParamSource::Header,
            &json!({"type": "string"}),
        )]);
        let h = vec![("x-api-key".to_owned(), "k".to_owned())];
        let v = p
            .extract(&RawParams {
                headers: &h,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(v.headers["x-api-key"], json!("k"));
    }

    #[test]
    fn form_values_follow_body_schema() {
        let schema =
            json!({"properties": {"age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}});
        let mut form = Map::new();
        form.insert("age".into(), json!("30"));
        form.insert("tags".into(), json!("one"));
        form.insert("other".into(), json!("x"));
        let out = coerce_form(form, &schema);
        assert_eq!(Value::Object(out), json!({"age": 30, "tags": ["one"], "other": "x"}));
    }
}
