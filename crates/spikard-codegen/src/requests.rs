//! Example calls of each operation: a valid request (path, required query parameters,
//! headers and cookies, the body) and the answer the generated stub gives, all valid
//! against the document's schemas. The generated tests send the request through the
//! TestClient and expect the answer.

use serde_json::{json, Map, Value};

use crate::example::example;
use crate::model::{Api, Operation, ParamLocation};
use crate::routespec::{inlined, param_key};

/// Whether a media type carries JSON.
pub fn is_json(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/json" || m.ends_with("+json")
}

/// The example request and answer of one operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationExamples {
    pub method: String,
    /// Path with the example path parameters and the query string.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub cookies: Map<String, Value>,
    /// A JSON body, or a form body (`data`).
    pub json: Option<Value>,
    pub data: Option<Map<String, Value>>,
    /// Multipart file parts: field → `[filename, content]`.
    pub files: Option<Map<String, Value>>,
    /// The answer's body (JSON, or the text of another media type).
    pub response: Value,
    /// Why no valid request could be made (the generated test is skipped, saying so).
    pub missing: Option<String>,
}

/// A parameter value as text (arrays joined by the separator, or repeated for query keys).
fn texts(value: &Value, separator: Option<&str>) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Array(items) => match separator {
            Some(sep) => vec![items.iter().map(one).collect::<Vec<_>>().join(sep)],
            None => items.iter().map(one).collect(),
        },
        other => vec![one(other)],
    }
}

/// Percent-encode a query key or value (unreserved characters kept).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl OperationExamples {
    pub fn of(op: &Operation, api: &Api) -> Self {
        let mut missing = None;
        let mut value_of = |schema: &Value, what: &str| {
            let flat = inlined(schema, &api.schemas);
            example(&flat, &api.schemas).unwrap_or_else(|| {
                missing.get_or_insert_with(|| format!("no example satisfies the schema of {what}"));
                Value::Null
            })
        };
        let mut url = String::new();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers = Vec::new();
        let mut cookies = Map::new();
        let mut path_values = Map::new();
        for p in op.params.iter().filter(|p| p.required) {
            let v = value_of(&p.schema, &format!("{} parameter '{}'", p.location.as_str(), p.name));
            match p.location {
                ParamLocation::Path => {
                    path_values.insert(p.name.clone(), v);
                }
                ParamLocation::Query => {
                    for t in texts(&v, p.separator.as_deref()) {
                        query.push((p.name.clone(), t));
                    }
                }
                ParamLocation::Header => {
                    headers.push((param_key(&p.name, p.location), texts(&v, Some(",")).join(",")));
                }
                ParamLocation::Cookie => {
                    cookies.insert(p.name.clone(), json!(texts(&v, Some(",")).join(",")));
                }
            }
        }
        for segment in op.path.split('/').filter(|s| !s.is_empty()) {
            url.push('/');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let v = path_values.get(name).cloned().unwrap_or(Value::Null);
                    url.push_str(&encode(&texts(&v, Some(",")).join(",")));
                }
                None => url.push_str(segment),
            }
        }
        if url.is_empty() {
            url.push('/');
        }
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url = format!("{url}?{}", q.join("&"));
        }
        let (mut json_body, mut data, mut files) = (None, None, None);
        if let Some(body) = &op.body {
            let v = body
                .schema
                .as_ref()
                .map_or(json!({}), |s| value_of(s, "the request body"));
            let media = body.content_type.split(';').next().unwrap_or("").trim();
            if is_json(media) {
                json_body = Some(v);
            } else if !matches!(media, "application/x-www-form-urlencoded" | "multipart/form-data") {
                missing.get_or_insert_with(|| {
                    format!("Spikard reads JSON, urlencoded and multipart bodies: a {media} body is refused (415)")
                });
            } else if let Value::Object(fields) = v {
                if media == "multipart/form-data" {
                    let binary = |name: &str| {
                        let schema = body.schema.as_ref().map(|s| crate::model::deref(s, &api.schemas));
                        schema
                            .and_then(|s| s.pointer(&format!("/properties/{}", crate::error::escape_token(name))))
                            .and_then(|p| p.get("format"))
                            .is_some_and(|f| f == "binary")
                    };
                    let mut parts = Map::new();
                    let mut plain = Map::new();
                    for (k, v) in fields {
                        if binary(&k) {
                            parts.insert(k.clone(), json!([format!("{k}.bin"), texts(&v, Some(",")).join(",")]));
                        } else {
                            plain.insert(k, v);
                        }
                    }
                    files = Some(parts);
                    data = Some(plain);
                } else {
                    data = Some(fields);
                }
            } else {
                missing.get_or_insert_with(|| format!("a {} body that is not an object", body.content_type));
            }
        }
        let response = op
            .success_response()
            .and_then(|r| r.schema.as_ref())
            .map(|s| {
                example(s, &api.schemas).unwrap_or_else(|| {
                    missing.get_or_insert_with(|| "no example satisfies the success response's schema".into());
                    Value::Null
                })
            })
            .unwrap_or(Value::Null);
        Self {
            method: op.method.clone(),
            url,
            headers,
            cookies,
            json: json_body,
            data,
            files,
            response,
            missing,
        }
    }

    /// As stored in the generated projects' `routes.json`.
    pub fn to_json(&self) -> Value {
        let mut request = json!({
            "method": self.method,
            "url": self.url,
            "headers": self.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "cookies": self.cookies,
        });
        if let Some(j) = &self.json {
            request["json"] = j.clone();
        }
        if let Some(d) = &self.data {
            request["data"] = Value::Object(d.clone());
        }
        if let Some(f) = &self.files {
            request["files"] = Value::Object(f.clone());
        }
        json!({"request": request, "response": self.response})
    }
}
