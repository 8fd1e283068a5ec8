//! Checking answers: a response is correct when its status is the expected one and its body
//! equals the expected body (JSON compared semantically, text exactly).
//!
//! JSON bodies are compared byte for byte against the last body that was verified
//! semantically (cheap), and parsed and compared whenever the bytes differ, so every body is
//! verified without parsing each one.
//!
//! ```
//! use benchmark_harness::{check::Checker, workload};
//! use bytes::Bytes;
//! use http::StatusCode;
//! let w = workload::find("get-json").unwrap();
//! let mut checker = Checker::new(&w);
//! let body = Bytes::from_static(br#"{"ok":true,"id":1,"message":"hello"}"#);
//! assert!(checker.check(StatusCode::OK, &body).is_ok());
//! ```

use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

use crate::workload::{Expected, Workload};

/// Checks the answers to one workload's request (keeps the last verified body).
pub struct Checker<'w> {
    workload: &'w Workload,
    known_good: Option<Bytes>,
}

/// The start of a body, for error messages.
pub fn snippet(body: &[u8]) -> String {
    let cut = body.len().min(200);
    let ellipsis = if body.len() > cut { "…" } else { "" };
    format!("{}{ellipsis}", String::from_utf8_lossy(&body[..cut]))
}

impl<'w> Checker<'w> {
    pub fn new(workload: &'w Workload) -> Self {
        Self {
            workload,
            known_good: None,
        }
    }

    pub fn check(&mut self, status: StatusCode, body: &Bytes) -> Result<(), String> {
        let w = self.workload;
        if status != w.expected_status {
            return Err(format!(
                "{} {}: expected status {}, got {status} (body: {})",
                w.method,
                w.path,
                w.expected_status,
                snippet(body)
            ));
        }
        if self.known_good.as_ref() == Some(body) {
            return Ok(());
        }
        match &w.expected {
            Expected::Text(text) => {
                if body.as_ref() != text.as_bytes() {
                    return Err(format!(
                        "{} {}: wrong body: expected {text:?}, got {:?}",
                        w.method,
                        w.path,
                        snippet(body)
                    ));
                }
            }
            Expected::Json(expected) => {
                let parsed: Value = serde_json::from_slice(body)
                    .map_err(|e| format!("{} {}: body is not JSON ({e}): {}", w.method, w.path, snippet(body)))?;
                if !json_equal(&parsed, expected) {
                    return Err(format!(
                        "{} {}: wrong body: expected {}, got {}",
                        w.method,
                        w.path,
                        snippet(expected.to_string().as_bytes()),
                        snippet(parsed.to_string().as_bytes())
                    ));
                }
            }
        }
        self.known_good = Some(body.clone());
        Ok(())
    }
}

/// JSON equality where numbers compare by value (`3` equals `3.0`, as every JSON library
/// would read them), everything else structurally.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload;
    use serde_json::json;

    #[test]
    fn json_is_compared_semantically() {
        let w = workload::find("get-json").unwrap();
        let mut c = Checker::new(&w);
        let reordered = Bytes::from_static(br#"{"ok":true,"id":1,"message":"hello"}"#);
        assert!(c.check(StatusCode::OK, &reordered).is_ok());
        assert_eq!(c.known_good.as_ref(), Some(&reordered));
        let wrong = Bytes::from_static(br#"{"ok":true,"id":2,"message":"hello"}"#);
        assert!(c.check(StatusCode::OK, &wrong).unwrap_err().contains("wrong body"));
        let err = c.check(StatusCode::UNPROCESSABLE_ENTITY, &reordered).unwrap_err();
        assert!(err.contains("expected status 200 OK"), "{err}");
        assert!(c
            .check(StatusCode::OK, &Bytes::from_static(b"hello"))
            .unwrap_err()
            .contains("not JSON"));
    }

    #[test]
    fn text_is_compared_exactly() {
        let w = workload::find("plain-text").unwrap();
        let mut c = Checker::new(&w);
        assert!(c.check(StatusCode::OK, &Bytes::from_static(b"Hello, World!")).is_ok());
        assert!(c
            .check(StatusCode::OK, &Bytes::from_static(b"Hello, World!\n"))
            .is_err());
        assert!(c
            .check(StatusCode::OK, &Bytes::from_static(b"\"Hello, World!\""))
            .is_err());
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(json_equal(&json!({"a": [1, 2.5]}), &json!({"a": [1.0, 2.5]})));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_equal(&json!({"a": "1"}), &json!({"a": 1})));
        assert!(!json_equal(&json!([1, 2]), &json!([2, 1])));
    }

    #[test]
    fn every_workload_accepts_its_own_expected_body() {
        for w in workload::all() {
            let body = match &w.expected {
                Expected::Json(v) => Bytes::from(v.to_string()),
                Expected::Text(t) => Bytes::from_static(t.as_bytes()),
            };
            assert!(Checker::new(&w).check(w.expected_status, &body).is_ok(), "{}", w.name);
        }
    }
}
