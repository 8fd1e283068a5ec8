//! Loading fixtures and turning their request part into a test request.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Map, Value};
use spikard::{TestClient, UploadedFile};
use spikard_http::testing::{encode_component, TestRequest};

/// One fixture file.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `category/file.json`, relative to the fixture folder.
    pub id: String,
    pub category: String,
    pub json: Value,
}

impl Fixture {
    pub fn handler(&self) -> &Value {
        self.json.get("handler").unwrap_or(&Value::Null)
    }

    pub fn request(&self) -> &Value {
        &self.json["request"]
    }

    pub fn expected(&self) -> &Value {
        &self.json["expected_response"]
    }

    pub fn expected_status(&self) -> u16 {
        self.expected()["status_code"].as_u64().unwrap_or(0) as u16
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The fixture folder: `SPIKARD_FIXTURES` (relative to the workspace root unless it exists
/// as given), else `testing_data/`.
pub fn fixture_dir() -> PathBuf {
    match std::env::var("SPIKARD_FIXTURES") {
        Ok(dir) if !dir.is_empty() => {
            let p = PathBuf::from(&dir);
            if p.is_absolute() || p.exists() {
                p
            } else {
                workspace_root().join(p)
            }
        }
        _ => workspace_root().join("testing_data"),
    }
}

/// Every `*.json` under `dir`, sorted, with its category (the `category` field or the folder name).
pub fn load_dir(dir: &Path) -> Result<Vec<Fixture>, String> {
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| format!("cannot read fixtures in {}: {e}", dir.display()))?;
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let folder = rel.split('/').next().unwrap_or("").to_owned();
        let folder = if rel.contains('/') { folder } else { String::new() };
        let category = if folder.is_empty() {
            json.get("category").and_then(Value::as_str).unwrap_or("").to_owned()
        } else {
            folder
        };
        out.push(Fixture {
            id: rel,
            category,
            json,
        });
    }
    Ok(out)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Expand `{{ repeat 'x' 2000 times }}` templates in strings.
pub fn expand_templates(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(expand_str(s)),
        Value::Array(items) => Value::Array(items.iter().map(expand_templates).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), expand_templates(v))).collect()),
        other => other.clone(),
    }
}

fn expand_str(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else { break };
        let inner = rest[start + 2..start + end].trim();
        let words: Vec<&str> = inner.split_whitespace().collect();
        out.push_str(&rest[..start]);
        match words.as_slice() {
            ["repeat", what, n, "times"] => {
                let what = what.trim_matches('\'').trim_matches('"');
                out.push_str(&what.repeat(n.parse().unwrap_or(0)));
            }
            _ => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// A fixture value as the text sent (a string as is, null as empty, others as JSON).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn pairs_of(map: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            Value::Array(items) => out.extend(items.iter().map(|i| (k.clone(), scalar(i)))),
            other => out.push((k.clone(), scalar(other))),
        }
    }
    out
}

/// A multipart file part of a fixture request.
pub fn file_of(part: &Value) -> UploadedFile {
    let data = if let Some(hex) = part.get("magic_bytes").and_then(Value::as_str) {
        (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect()
    } else {
        let content = part.get("content").map(scalar).unwrap_or_default();
        match part.get("content_encoding").and_then(Value::as_str) {
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(content.as_bytes())
                .unwrap_or_default(),
            _ => content.into_bytes(),
        }
    };
    UploadedFile {
        field_name: part.get("field_name").map(scalar).unwrap_or_default(),
        filename: part.get("filename").map(scalar).unwrap_or_default(),
        content_type: part
            .get("content_type")
            .map(scalar)
            .unwrap_or_else(|| "application/octet-stream".into()),
        data,
    }
}

/// The path without its query string.
pub fn route_path(request: &Value) -> String {
    let path = request["path"].as_str().unwrap_or("/");
    path.split('?').next().unwrap_or("/").to_owned()
}

/// Build the test request a fixture describes.
pub fn build_request(client: &TestClient, request: &Value) -> TestRequest {
    let request = expand_templates(request);
    let method = request["method"].as_str().unwrap_or("GET");
    let mut uri = request["path"].as_str().unwrap_or("/").to_owned();
    let mut query: Vec<String> = Vec::new();
    if let Some(Value::Object(q)) = request.get("query_params") {
        // Values already written into the path are not sent twice.
        let in_path = uri.contains('?');
        if !in_path {
            query.extend(
                pairs_of(q)
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v))),
            );
        }
    }
    if let Some(raw) = request.get("query_string").and_then(Value::as_str) {
        query.push(raw.trim_start_matches('?').to_owned());
    }
    if !query.is_empty() {
        uri.push(if uri.contains('?') { '&' } else { '?' });
        uri.push_str(&query.join("&"));
    }
    let mut req = client.request(method, &uri);
    let mut content_type: Option<String> = request.get("content_type").and_then(Value::as_str).map(str::to_owned);
    if let Some(Value::Object(headers)) = request.get("headers") {
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(scalar(v));
            } else {
                req = req.header(k, &scalar(v));
            }
        }
    }
    if let Some(Value::Object(cookies)) = request.get("cookies") {
        let line: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={}", scalar(v))).collect();
        if !line.is_empty() {
            req = req.header("cookie", &line.join("; "));
        }
    }
    let files: Vec<UploadedFile> = request
        .get("files")
        .and_then(Value::as_array)
        .map(|f| f.iter().map(file_of).collect())
        .unwrap_or_default();
    let mut fields: Vec<(String, String)> = Vec::new();
    for key in ["data", "form_data"] {
        if let Some(Value::Object(map)) = request.get(key) {
            fields.extend(pairs_of(map));
        }
    }
    let is_multipart =
        content_type.as_deref().is_some_and(|c| c.starts_with("multipart/")) || request.get("files").is_some();
    // A multipart Content-Type without a boundary and with no parts to encode is what the
    // fixture tests: send it as is (with parts, the runner encodes them and adds the boundary).
    let explicit_without_boundary = files.is_empty()
        && fields.is_empty()
        && content_type
            .as_deref()
            .is_some_and(|c| c.starts_with("multipart/") && !c.to_ascii_lowercase().contains("boundary="));
    if is_multipart && !explicit_without_boundary {
        return req.multipart(&fields, &files);
    }
    if let Some(ct) = &content_type {
        req = req.header("content-type", ct);
    }
    if let Some(raw) = request.get("body_raw").and_then(Value::as_str) {
        return req.body(raw.to_owned());
    }
    match request.get("body") {
        // A string body is the literal bytes when the fixture names the content type or the text
        // looks like (possibly malformed) JSON; otherwise it is a JSON string value.
        Some(Value::String(s)) if content_type.is_some() || s.trim_start().starts_with(['{', '[']) => {
            req.body(s.clone())
        }
        Some(Value::Null) | None if request.get("form_data").is_some() => {
            if content_type.is_none() {
                req = req.header("content-type", "application/x-www-form-urlencoded");
            }
            req.body(
                fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
        }
        Some(Value::Null) | None => req,
        Some(v) => req.body(serde_json::to_vec(v).unwrap_or_default()),
    }
}
