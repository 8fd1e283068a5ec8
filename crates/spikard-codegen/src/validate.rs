//! Structural checks of a document, each failure reported at its JSON pointer: the
//! version, `info`, `paths`, operations, parameters, request bodies, responses and the
//! `type` of every schema.

use std::path::Path;

use serde_json::Value;

use crate::error::{child, CodegenError, Result};
use crate::model::{Api, METHODS};
use crate::routespec::self_contained;

const TYPES: [&str; 7] = ["string", "number", "integer", "boolean", "array", "object", "null"];

/// The root: an object with `openapi: 3.0.x|3.1.x` and `info`; returns the version.
pub fn check_root(root: &Value, file: &Path) -> Result<String> {
    let Some(obj) = root.as_object() else {
        return Err(CodegenError::invalid(
            file,
            "",
            "an OpenAPI document is a JSON/YAML object",
        ));
    };
    let version = match obj.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(_) => {
            return Err(CodegenError::invalid(
                file,
                "/openapi",
                "`openapi` must be a string such as \"3.1.0\"",
            ))
        }
        None if obj.contains_key("swagger") => {
            return Err(CodegenError::invalid(
                file,
                "/swagger",
                "Swagger 2.0 is not supported: convert the document to OpenAPI 3.0 or 3.1",
            ))
        }
        None => {
            return Err(CodegenError::invalid(
                file,
                "",
                "missing `openapi` (the version, 3.0.x or 3.1.x)",
            ))
        }
    };
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        return Err(CodegenError::invalid(
            file,
            "/openapi",
            format!("unsupported OpenAPI version '{version}' (3.0.x and 3.1.x are)"),
        ));
    }
    let info = obj
        .get("info")
        .and_then(Value::as_object)
        .ok_or_else(|| CodegenError::invalid(file, "/info", "missing `info` object"))?;
    for key in ["title", "version"] {
        if !info.get(key).is_some_and(Value::is_string) {
            return Err(CodegenError::invalid(
                file,
                child("/info", key),
                format!("`info.{key}` must be a string"),
            ));
        }
    }
    Ok(version)
}

/// Paths, operations, parameters and schemas of the bundled document.
pub fn check_bundled(doc: &Value, file: &Path) -> Result<()> {
    match doc.get("paths") {
        None => {}
        Some(Value::Object(paths)) => {
            for (path, item) in paths {
                let ptr = child("/paths", path);
                if !path.starts_with('/') {
                    return Err(CodegenError::invalid(
                        file,
                        ptr,
                        format!("path '{path}' must start with '/'"),
                    ));
                }
                check_path_item(item, file, &ptr)?;
            }
        }
        Some(_) => return Err(CodegenError::invalid(file, "/paths", "`paths` must be an object")),
    }
    if let Some(schemas) = doc.pointer("/components/schemas") {
        let Some(schemas) = schemas.as_object() else {
            return Err(CodegenError::invalid(file, "/components/schemas", "must be an object"));
        };
        for (name, s) in schemas {
            check_schema(s, file, &child("/components/schemas", name))?;
        }
    }
    Ok(())
}

fn check_path_item(item: &Value, file: &Path, ptr: &str) -> Result<()> {
    let Some(item) = item.as_object() else {
        return Err(CodegenError::invalid(file, ptr, "a path item must be an object"));
    };
    if let Some(params) = item.get("parameters") {
        check_params(params, file, &child(ptr, "parameters"))?;
    }
    for method in METHODS {
        let Some(op) = item.get(method) else { continue };
        let op_ptr = child(ptr, method);
        let Some(op) = op.as_object() else {
            return Err(CodegenError::invalid(file, op_ptr, "an operation must be an object"));
        };
        if let Some(params) = op.get("parameters") {
            check_params(params, file, &child(&op_ptr, "parameters"))?;
        }
        if let Some(body) = op.get("requestBody") {
            let body_ptr = child(&op_ptr, "requestBody");
            match body.get("content") {
                Some(Value::Object(content)) => check_content(content, file, &child(&body_ptr, "content"))?,
                _ => {
                    return Err(CodegenError::invalid(
                        file,
                        body_ptr,
                        "a request body needs a `content` object",
                    ))
                }
            }
        }
        match op.get("responses") {
            None => {}
            Some(Value::Object(responses)) => {
                for (status, r) in responses {
                    let r_ptr = child(&child(&op_ptr, "responses"), status);
                    let valid_status = status == "default"
                        || (status.len() == 3
                            && status.starts_with(['1', '2', '3', '4', '5'])
                            && (status[1..].chars().all(|c| c.is_ascii_digit()) || &status[1..] == "XX"));
                    if !valid_status {
                        return Err(CodegenError::invalid(
                            file,
                            r_ptr,
                            format!("'{status}' is not a response status (100-599, 1XX-5XX or default)"),
                        ));
                    }
                    if let Some(content) = r.get("content") {
                        let Some(content) = content.as_object() else {
                            return Err(CodegenError::invalid(
                                file,
                                child(&r_ptr, "content"),
                                "must be an object",
                            ));
                        };
                        check_content(content, file, &child(&r_ptr, "content"))?;
                    }
                }
            }
            Some(_) => {
                return Err(CodegenError::invalid(
                    file,
                    child(&op_ptr, "responses"),
                    "must be an object",
                ))
            }
        }
    }
    Ok(())
}

fn check_params(params: &Value, file: &Path, ptr: &str) -> Result<()> {
    let Some(params) = params.as_array() else {
        return Err(CodegenError::invalid(file, ptr, "`parameters` must be a list"));
    };
    for (i, p) in params.iter().enumerate() {
        let p_ptr = format!("{ptr}/{i}");
        if !p.get("name").is_some_and(Value::is_string) {
            return Err(CodegenError::invalid(
                file,
                child(&p_ptr, "name"),
                "a parameter needs a string `name`",
            ));
        }
        let location = p.get("in").and_then(Value::as_str);
        if !matches!(location, Some("path" | "query" | "header" | "cookie")) {
            return Err(CodegenError::invalid(
                file,
                child(&p_ptr, "in"),
                "`in` must be one of path, query, header, cookie",
            ));
        }
        if location == Some("path") && p.get("required") != Some(&Value::Bool(true)) {
            return Err(CodegenError::invalid(
                file,
                child(&p_ptr, "required"),
                "a path parameter must have `required: true`",
            ));
        }
        if let Some(s) = p.get("schema") {
            check_schema(s, file, &child(&p_ptr, "schema"))?;
        }
    }
    Ok(())
}

fn check_content(content: &serde_json::Map<String, Value>, file: &Path, ptr: &str) -> Result<()> {
    for (media, m) in content {
        if let Some(s) = m.get("schema") {
            check_schema(s, file, &child(&child(ptr, media), "schema"))?;
        }
    }
    Ok(())
}

/// `type` must name JSON Schema types; subschemas are checked too.
fn check_schema(schema: &Value, file: &Path, ptr: &str) -> Result<()> {
    let Some(obj) = schema.as_object() else {
        return if schema.is_boolean() {
            Ok(())
        } else {
            Err(CodegenError::invalid(
                file,
                ptr,
                "a schema must be an object (or a boolean in 3.1)",
            ))
        };
    };
    if let Some(t) = obj.get("type") {
        let ok = match t {
            Value::String(s) => TYPES.contains(&s.as_str()),
            Value::Array(items) => items.iter().all(|i| i.as_str().is_some_and(|s| TYPES.contains(&s))),
            _ => false,
        };
        if !ok {
            return Err(CodegenError::invalid(
                file,
                child(ptr, "type"),
                format!("unknown schema type {t} (string, number, integer, boolean, array, object, null)"),
            ));
        }
    }
    for (key, value) in obj {
        let p = child(ptr, key);
        match key.as_str() {
            "items" | "additionalProperties" | "not" if value.is_object() => check_schema(value, file, &p)?,
            "properties" => {
                if let Some(props) = value.as_object() {
                    for (name, s) in props {
                        check_schema(s, file, &child(&p, name))?;
                    }
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                let Some(items) = value.as_array() else {
                    return Err(CodegenError::invalid(
                        file,
                        p,
                        format!("`{key}` must be a list of schemas"),
                    ));
                };
                for (i, s) in items.iter().enumerate() {
                    check_schema(s, file, &format!("{p}/{i}"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Every schema the generated routes register must compile as JSON Schema 2020-12 (as
/// Spikard's validator compiles it): a `pattern` that is not a regular expression, say, is
/// reported here, at its document pointer, rather than when the generated app starts.
pub fn check_compiles(api: &Api, file: &Path) -> Result<()> {
    let compile = |schema: &Value, pointer: String| -> Result<()> {
        spikard_core::validation::SchemaValidator::compile(&self_contained(schema, &api.schemas))
            .map(|_| ())
            .map_err(|e| CodegenError::invalid(file, pointer, format!("the schema does not compile: {e}")))
    };
    for (name, schema) in &api.schemas {
        compile(schema, child("/components/schemas", name))?;
    }
    for op in &api.operations {
        let at = child(&child("/paths", &op.path), &op.method.to_ascii_lowercase());
        for p in &op.params {
            compile(
                &p.schema,
                format!("{}/parameters ({} '{}')", at, p.location.as_str(), p.name),
            )?;
        }
        if let Some(body) = &op.body {
            if let Some(schema) = &body.schema {
                compile(
                    schema,
                    child(
                        &child(&format!("{at}/requestBody/content"), &body.content_type),
                        "schema",
                    ),
                )?;
            }
        }
        for r in &op.responses {
            if let (Some(schema), Some(ct)) = (&r.schema, &r.content_type) {
                let content = child(&child(&format!("{at}/responses"), &r.status), "content");
                compile(schema, child(&child(&content, ct), "schema"))?;
            }
        }
    }
    Ok(())
}
