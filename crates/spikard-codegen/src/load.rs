//! Reading a document: JSON or YAML (decided by the extension, then by the content),
//! into a `serde_json::Value` that keeps the document's key order.

use std::path::Path;

use serde_json::Value;

use crate::error::{CodegenError, Result};

/// Parse `text` (from `file`, for messages) as JSON or YAML.
pub fn parse(file: &Path, text: &str) -> Result<Value> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let looks_json = ext == "json" || (ext != "yaml" && ext != "yml" && text.trim_start().starts_with('{'));
    if looks_json {
        return serde_json::from_str(text).map_err(|e| {
            CodegenError::invalid(
                file,
                "",
                format!("not valid JSON (line {}, column {}): {e}", e.line(), e.column()),
            )
        });
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let place = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        CodegenError::invalid(file, "", format!("not valid YAML{place}: {e}"))
    })?;
    yaml_to_json(file, yaml, "")
}

/// YAML values as JSON ones; keys must be scalars (numbers and booleans become strings,
/// as `200:` under `responses`).
fn yaml_to_json(file: &Path, value: serde_yaml::Value, pointer: &str) -> Result<Value> {
    use serde_yaml::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| CodegenError::invalid(file, pointer, format!("{f} is not a JSON number")))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| yaml_to_json(file, v, &format!("{pointer}/{i}")))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(CodegenError::invalid(
                            file,
                            pointer,
                            format!("a mapping key must be a string, not {other:?}"),
                        ))
                    }
                };
                let child = crate::error::child(pointer, &key);
                out.insert(key, yaml_to_json(file, v, &child)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(file, t.value, pointer)?,
    })
}

/// Read and parse a file.
pub fn load(file: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(file).map_err(|e| CodegenError::io(format!("reading {}", file.display()), e))?;
    parse(file, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_give_the_same_value() {
        let y = parse(
            Path::new("a.yaml"),
            "openapi: 3.0.3\nresponses:\n  200:\n    description: ok\n",
        )
        .unwrap();
        let j = parse(
            Path::new("a.json"),
            r#"{"openapi": "3.0.3", "responses": {"200": {"description": "ok"}}}"#,
        )
        .unwrap();
        assert_eq!(y, j);
    }

    #[test]
    fn bad_json_says_where() {
        let err = parse(Path::new("bad.json"), "{\"a\": }").unwrap_err().to_string();
        assert!(err.contains("bad.json#"), "{err}");
        assert!(err.contains("line 1"), "{err}");
    }
}
