//! The problems of a broken dependency graph (type `dependency-error`, status 500).

use serde_json::{json, Value};
use spikard_core::SpikardError;

/// A cycle, given as the path that closes it (`[a, b, a]`).
pub fn circular_error(cycle: &[String]) -> Value {
    json!({
        "type": "circular_dependency",
        "msg": "Circular dependency detected in dependency graph",
        "cycle": cycle,
    })
}

pub fn missing_error(name: &str) -> Value {
    json!({
        "type": "missing_dependency",
        "msg": format!("Dependency '{name}' is not registered"),
        "dependency_key": name,
    })
}

pub fn type_mismatch_error(name: &str, expected: &str, actual: &str) -> Value {
    json!({
        "type": "type_mismatch",
        "msg": format!("Dependency '{name}' type mismatch: expected {expected}, got {actual}"),
        "dependency_key": name,
        "expected_type": expected,
        "actual_type": actual,
    })
}

/// The JSON Schema type name of a value (`integer` for whole numbers).
pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a value of JSON type `actual` satisfies `expected` (`number` accepts integers).
pub(crate) fn type_matches(expected: &str, actual: &str) -> bool {
    expected == actual || (expected == "number" && actual == "integer") || expected == "any"
}

/// One `SpikardError::Dependency` for the collected entries; the detail names the first kind.
pub(crate) fn dependency_error(errors: Vec<Value>) -> SpikardError {
    let detail = match errors.first().and_then(|e| e["type"].as_str()) {
        Some("circular_dependency") => "Circular dependency detected",
        Some("missing_dependency") => "Required dependency not found",
        Some("type_mismatch") => "Dependency type mismatch",
        _ => "Dependency resolution failed",
    };
    SpikardError::Dependency {
        detail: detail.into(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_follows_the_first_error() {
        let err = dependency_error(vec![missing_error("db")]);
        let problem = err.to_problem();
        assert_eq!(problem.status, 500);
        assert_eq!(err.to_string(), "Required dependency not found");
        assert_eq!(
            problem.extensions["errors"][0]["msg"],
            "Dependency 'db' is not registered"
        );
    }

    #[test]
    fn json_types() {
        assert_eq!(json_type_name(&json!(1)), "integer");
        assert_eq!(json_type_name(&json!(1.5)), "number");
        assert!(type_matches("number", "integer"));
        assert!(!type_matches("object", "string"));
    }
}
