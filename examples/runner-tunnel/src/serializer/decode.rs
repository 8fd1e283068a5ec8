//! Reading the wire format (`Serializer.parse`): the tree form the clients send (typed
//! records `{"__type": T, "value": payload}`, reserved keys escaped with
//! `$runner.escape::`) and the graph form (`{"__graph": true, "root", "nodes"}` with
//! `{"__ref": id}` links; acyclic graphs only, as a value here is a tree). Unsafe keys
//! (`__proto__`, `constructor`, `prototype`) are dropped, as the package drops them.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

use super::date;
use super::regexp;
use super::value::{BinaryKind, ErrorValue, Object, Symbol, Value};
use super::{SerializerError, ESCAPE_PREFIX};

const UNSAFE_KEYS: [&str; 3] = ["__proto__", "constructor", "prototype"];
const MAX_DEPTH: usize = 1000;
/// The well-known symbols Node 20 defines (`Symbol.observable` it does not).
const WELL_KNOWN_SYMBOLS: [&str; 13] = [
    "asyncIterator",
    "hasInstance",
    "isConcatSpreadable",
    "iterator",
    "match",
    "matchAll",
    "replace",
    "search",
    "species",
    "split",
    "toPrimitive",
    "toStringTag",
    "unscopables",
];
const ERROR_RESERVED_FIELDS: [&str; 15] = [
    "name",
    "message",
    "stack",
    "cause",
    "toString",
    "toLocaleString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "toJSON",
];

fn invalid(message: impl Into<String>) -> SerializerError {
    SerializerError::InvalidPayload(message.into())
}

fn is_unsafe(key: &str) -> bool {
    UNSAFE_KEYS.contains(&key)
}

/// Parse serialized text into a value.
pub fn parse(text: &[u8]) -> Result<Value, SerializerError> {
    let json: Json = serde_json::from_slice(text).map_err(|_| SerializerError::InvalidJson)?;
    from_json(json)
}

/// Decode an already parsed JSON document.
pub fn from_json(json: Json) -> Result<Value, SerializerError> {
    match json {
        Json::Object(mut map) if is_graph(&map) => {
            let root = map.remove("root").unwrap_or(Json::Null);
            let nodes = match map.remove("nodes") {
                Some(Json::Object(nodes)) => nodes.into_iter().filter(|(k, _)| !is_unsafe(k)).collect(),
                _ => HashMap::new(),
            };
            let mut graph = Graph {
                nodes,
                resolved: HashMap::new(),
                resolving: Vec::new(),
            };
            graph.value(&root, 0)
        }
        other => tree(other, 0),
    }
}

fn is_graph(map: &Map<String, Json>) -> bool {
    map.get("__graph") == Some(&Json::Bool(true))
        && map.contains_key("root")
        && map.get("nodes").is_some_and(Json::is_object)
}

fn check_depth(depth: usize) -> Result<(), SerializerError> {
    if depth > MAX_DEPTH {
        return Err(SerializerError::DepthExceeded(MAX_DEPTH));
    }
    Ok(())
}

fn is_typed_record(map: &Map<String, Json>) -> bool {
    map.get("__type").is_some_and(Json::is_string) && map.contains_key("value")
}

/// The tree form (`deserializeLegacy`).
fn tree(json: Json, depth: usize) -> Result<Value, SerializerError> {
    check_depth(depth)?;
    Ok(match json {
        Json::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| tree(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(mut map) if is_typed_record(&map) => {
            let type_id = map
                .remove("__type")
                .and_then(|t| t.as_str().map(str::to_owned))
                .unwrap_or_default();
            let payload = tree(map.remove("value").unwrap_or(Json::Null), depth + 1)?;
            typed(&type_id, payload)?
        }
        Json::Object(map) => {
            let mut object = Object::with_capacity(map.len());
            for (raw_key, item) in map {
                let key = raw_key
                    .strip_prefix(ESCAPE_PREFIX)
                    .map(str::to_owned)
                    .unwrap_or(raw_key);
                if is_unsafe(&key) {
                    continue;
                }
                object.insert(key, tree(item, depth + 1)?);
            }
            Value::Object(object)
        }
        scalar => Value::from_json(scalar),
    })
}

/// The graph form (`deserializeValue` / `resolveReference`).
struct Graph {
    nodes: HashMap<String, Json>,
    resolved: HashMap<String, Value>,
    resolving: Vec<String>,
}

impl Graph {
    fn value(&mut self, json: &Json, depth: usize) -> Result<Value, SerializerError> {
        check_depth(depth)?;
        Ok(match json {
            Json::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.value(item, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Json::Object(map) if map.contains_key("__ref") => match (map.len(), map.get("__ref")) {
                (1, Some(Json::String(id))) => self.reference(id, depth + 1)?,
                _ => return Err(invalid("Invalid object reference payload")),
            },
            Json::Object(map) if is_typed_record(map) => {
                let type_id = map["__type"].as_str().unwrap_or_default().to_owned();
                let payload = self.value(&map["value"], depth + 1)?;
                typed(&type_id, payload)?
            }
            Json::Object(map) => {
                let mut object = Object::with_capacity(map.len());
                for (key, item) in map {
                    if !is_unsafe(key) {
                        object.insert(key.clone(), self.value(item, depth + 1)?);
                    }
                }
                Value::Object(object)
            }
            scalar => Value::from_json(scalar.clone()),
        })
    }

    fn reference(&mut self, id: &str, depth: usize) -> Result<Value, SerializerError> {
        check_depth(depth)?;
        if let Some(done) = self.resolved.get(id) {
            return Ok(done.clone());
        }
        if self.resolving.iter().any(|r| r == id) {
            return Err(SerializerError::Unsupported(
                "circular references cannot be represented by this server".into(),
            ));
        }
        let node = self
            .nodes
            .get(id)
            .cloned()
            .ok_or_else(|| SerializerError::Reference(format!("Unresolved reference id \"{id}\"")))?;
        self.resolving.push(id.to_owned());
        let kind = node.get("kind").and_then(Json::as_str).unwrap_or_default();
        let payload = node.get("value").cloned().unwrap_or(Json::Null);
        let value = match kind {
            "array" if payload.is_array() => self.value(&payload, depth + 1)?,
            "array" => return Err(invalid("Invalid array node payload")),
            "object" if payload.is_object() => {
                let mut object = Object::new();
                for (key, item) in payload.as_object().into_iter().flatten() {
                    if !is_unsafe(key) {
                        object.insert(key.clone(), self.value(item, depth + 1)?);
                    }
                }
                Value::Object(object)
            }
            "object" => return Err(invalid("Invalid object node payload")),
            "type" => {
                let type_id = node.get("type").and_then(Json::as_str).unwrap_or_default().to_owned();
                let data = self.value(&payload, depth + 1)?;
                typed(&type_id, data)?
            }
            _ => return Err(SerializerError::Validation("Unsupported node kind".into())),
        };
        self.resolving.pop();
        self.resolved.insert(id.to_owned(), value.clone());
        Ok(value)
    }
}

/// Rebuild a typed value from its decoded payload, as each built-in type's `deserialize` does.
fn typed(type_id: &str, payload: Value) -> Result<Value, SerializerError> {
    Ok(match type_id {
        "Undefined" => Value::Undefined,
        "Date" => Value::Date(match payload {
            Value::String(s) => date::parse_iso(&s),
            Value::Number(n) => date::time_clip(n),
            Value::Date(ms) => ms,
            Value::Null => 0.0,
            _ => f64::NAN,
        }),
        "RegExp" => {
            let pattern = payload.get("pattern").and_then(Value::as_str);
            let flags = payload.get("flags").and_then(Value::as_str);
            let (Some(pattern), Some(flags)) = (pattern, flags) else {
                return Err(invalid("Invalid RegExp payload"));
            };
            regexp::check(pattern, flags).map_err(|e| match e {
                regexp::RegExpRefusal::InvalidFlags => invalid(e.to_string()),
                other => SerializerError::Validation(other.to_string()),
            })?;
            Value::RegExp {
                pattern: pattern.to_owned(),
                flags: flags.to_owned(),
            }
        }
        "Map" => Value::Map(map_entries(payload)?),
        "Set" => Value::Set(set_members(payload)?),
        "NonFiniteNumber" => Value::Number(match payload.as_str() {
            Some("NaN") => f64::NAN,
            Some("Infinity") => f64::INFINITY,
            Some("-Infinity") => f64::NEG_INFINITY,
            _ => return Err(invalid("Invalid non-finite number payload")),
        }),
        "BigInt" => Value::BigInt(bigint(&payload)?),
        "Symbol" => Value::Symbol(symbol(&payload)?),
        "Error" => Value::Error(Box::new(error(payload)?)),
        "URL" => match payload {
            Value::String(href) if looks_like_url(&href) => Value::Url(href),
            Value::String(_) => return Err(SerializerError::Validation("Invalid URL".into())),
            _ => return Err(invalid("Invalid URL payload")),
        },
        "URLSearchParams" => match payload {
            Value::String(s) => Value::UrlSearchParams(s.strip_prefix('?').unwrap_or(&s).to_owned()),
            _ => return Err(invalid("Invalid URLSearchParams payload")),
        },
        other => match BinaryKind::from_type_id(other) {
            Some(kind) => Value::Binary(kind, bytes(kind, &payload)?),
            None => return Err(SerializerError::TypeRegistry(format!("Unknown type: {other}"))),
        },
    })
}

/// `new URL(href)` needs an absolute URL: a scheme (a letter, then letters, digits,
/// `+`, `-`, `.`) and a colon.
fn looks_like_url(href: &str) -> bool {
    let Some((scheme, _)) = href.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// What `new Map(x)` / `new Set(x)` iterate: an array, a string's characters, or nothing.
fn iterable(payload: Value) -> Result<Vec<Value>, SerializerError> {
    match payload {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Null | Value::Undefined => Ok(Vec::new()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        _ => Err(SerializerError::Validation("payload is not iterable".into())),
    }
}

fn map_entries(payload: Value) -> Result<Vec<(Value, Value)>, SerializerError> {
    let mut entries: Vec<(Value, Value)> = Vec::new();
    for entry in iterable(payload)? {
        let Value::Array(mut pair) = entry else {
            return Err(SerializerError::Validation(
                "Iterator value is not an entry object".into(),
            ));
        };
        pair.truncate(2);
        let value = if pair.len() == 2 { pair.pop() } else { None }.unwrap_or(Value::Undefined);
        let key = pair.pop().unwrap_or(Value::Undefined);
        match entries.iter_mut().find(|(k, _)| k.same_value_zero(&key)) {
            Some(slot) => slot.1 = value,
            None => entries.push((key, value)),
        }
    }
    Ok(entries)
}

fn set_members(payload: Value) -> Result<Vec<Value>, SerializerError> {
    let mut members: Vec<Value> = Vec::new();
    for item in iterable(payload)? {
        if !members.iter().any(|m| m.same_value_zero(&item)) {
            members.push(item);
        }
    }
    Ok(members)
}

/// `BigInt(s)` of `^[+-]?\d+$` (after trimming), as canonical digits.
fn bigint(payload: &Value) -> Result<String, SerializerError> {
    let text = payload
        .as_str()
        .ok_or_else(|| invalid("Invalid bigint payload"))?
        .trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("Invalid bigint payload"));
    }
    let digits = digits.trim_start_matches('0');
    Ok(match (negative, digits.is_empty()) {
        (_, true) => "0".to_owned(),
        (true, false) => format!("-{digits}"),
        (false, false) => digits.to_owned(),
    })
}

fn symbol(payload: &Value) -> Result<Symbol, SerializerError> {
    let key = payload.get("key").and_then(Value::as_str);
    match (payload.get("kind").and_then(Value::as_str), key) {
        (Some("For"), Some(key)) => Ok(Symbol::For(key.to_owned())),
        (Some("WellKnown"), Some("observable")) => Err(SerializerError::Unsupported(
            "Unsupported well-known symbol \"observable\"".into(),
        )),
        (Some("WellKnown"), Some(key)) if WELL_KNOWN_SYMBOLS.contains(&key) => Ok(Symbol::WellKnown(key.to_owned())),
        _ => Err(invalid("Invalid symbol payload")),
    }
}

fn error(payload: Value) -> Result<ErrorValue, SerializerError> {
    let Value::Object(mut map) = payload else {
        return Err(invalid("Invalid Error payload"));
    };
    let (Some(Value::String(name)), Some(Value::String(message))) =
        (map.shift_remove("name"), map.shift_remove("message"))
    else {
        return Err(invalid("Invalid Error payload"));
    };
    let stack = match map.shift_remove("stack") {
        None | Some(Value::Undefined) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid("Invalid Error payload")),
    };
    let custom_fields = match map.shift_remove("customFields") {
        None | Some(Value::Undefined) => Object::new(),
        Some(Value::Object(fields)) => fields
            .into_iter()
            .filter(|(k, _)| !is_unsafe(k) && !ERROR_RESERVED_FIELDS.contains(&k.as_str()))
            .collect(),
        Some(_) => return Err(invalid("Invalid Error payload")),
    };
    Ok(ErrorValue {
        name,
        message,
        stack,
        cause: map.shift_remove("cause"),
        custom_fields,
    })
}

fn bytes(kind: BinaryKind, payload: &Value) -> Result<Vec<u8>, SerializerError> {
    let refuse = || invalid(format!("Invalid {} payload", kind.type_id()));
    let Value::Array(items) = payload else {
        return Err(refuse());
    };
    let bytes = items
        .iter()
        .map(|item| match item {
            Value::Number(n) if n.fract() == 0.0 && (0.0..=255.0).contains(n) => Ok(*n as u8),
            _ => Err(refuse()),
        })
        .collect::<Result<Vec<u8>, _>>()?;
    if bytes.len() % kind.element_size() != 0 {
        return Err(refuse());
    }
    Ok(bytes)
}
