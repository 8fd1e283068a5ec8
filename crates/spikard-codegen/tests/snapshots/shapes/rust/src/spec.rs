//! The document's operations as Spikard route specs and the example data of each one,
//! read from `routes.json` (generated; regenerate rather than edit it).

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use spikard::{Ctx, Error, RouteBuilder, StatusCode, TestClient, TestResponse};

fn data() -> &'static Value {
    static DATA: OnceLock<Value> = OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(include_str!("../routes.json")).unwrap_or(Value::Null))
}

/// The route of an operation, with the document's schemas and responses.
pub fn route(operation_id: &str) -> Result<RouteBuilder, Error> {
    let spec = data()["routes"][operation_id].clone();
    let spec = serde_json::from_value(spec)
        .map_err(|e| Error::internal(format!("route spec of {operation_id}: {e}")))?;
    Ok(RouteBuilder::from_spec(spec))
}

/// The example answer of an operation (valid against its success response's schema).
pub fn example_value(operation_id: &str) -> Value {
    data()["examples"][operation_id]["response"].clone()
}

/// The example answer as `T`.
pub fn example<T: DeserializeOwned>(operation_id: &str) -> Result<T, Error> {
    serde_json::from_value(example_value(operation_id))
        .map_err(|e| Error::internal(format!("example of {operation_id}: {e}")))
}

/// The example answer as text (for media types other than JSON).
pub fn example_text(operation_id: &str) -> String {
    match example_value(operation_id) {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A status code from a number of the document.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// A validated header or cookie parameter, if present.
pub fn param<T: DeserializeOwned>(params: &Map<String, Value>, key: &str) -> Result<Option<T>, Error> {
    params
        .get(key)
        .map(|v| serde_json::from_value(v.clone()))
        .transpose()
        .map_err(|e| Error::bad_request(format!("{key}: {e}")))
}

/// An optional JSON body.
pub fn optional_body<T: DeserializeOwned>(ctx: &Ctx) -> Result<Option<T>, Error> {
    if ctx.raw_body().is_empty() {
        Ok(None)
    } else {
        ctx.json().map(Some)
    }
}

/// Send the example request of an operation.
pub async fn send(client: &TestClient, operation_id: &str) -> TestResponse {
    let call = &data()["examples"][operation_id]["request"];
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut req = client.request(call["method"].as_str().unwrap_or("GET"), call["url"].as_str().unwrap_or("/"));
    for pair in call["headers"].as_array().into_iter().flatten() {
        req = req.header(&text(&pair[0]), &text(&pair[1]));
    }
    if let Some(cookies) = call["cookies"].as_object().filter(|c| !c.is_empty()) {
        let line: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={}", text(v))).collect();
        req = req.header("cookie", &line.join("; "));
    }
    if let Some(body) = call.get("json") {
        req = req.json(body);
    }
    if let Some(Value::Object(fields)) = call.get("data") {
        let pairs: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        req = if call.get("files").is_some() { req.multipart(&pairs, &[]) } else { req.form(&pairs) };
    }
    req.send().await
}

/// JSON equality with numbers compared by value (`1` equals `1.0`).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Assert [`same_json`], showing both values when they differ.
pub fn assert_same_json(actual: &Value, expected: &Value) {
    assert!(same_json(actual, expected), "got {actual}, expected {expected}");
}
