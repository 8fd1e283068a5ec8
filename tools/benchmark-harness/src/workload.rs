//! The workloads every contestant must serve identically.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};

/// One request the load generator sends over and over, and what a correct answer is.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: &'static str,
    pub method: Method,
    /// Path and query, e.g. `/items/42?limit=10`.
    pub path: &'static str,
    /// Request body (sent with `content-type: application/json` when present).
    pub body: Option<Bytes>,
    pub expected_status: StatusCode,
    /// Expected JSON body; compared semantically (key order does not matter).
    pub expected_body: Value,
}

/// A request that must be rejected: used once per server as a correctness check
/// before a validating workload is measured.
#[derive(Clone, Debug)]
pub struct NegativeCheck {
    pub description: &'static str,
    pub method: Method,
    pub path: &'static str,
    pub body: Option<Bytes>,
    pub expected_status: StatusCode,
}

pub fn get_json() -> Workload {
    Workload {
        name: "get-json",
        method: Method::GET,
        path: "/json",
        body: None,
        expected_status: StatusCode::OK,
        expected_body: json!({"message": "hello", "id": 1, "ok": true}),
    }
}

pub fn post_validated() -> Workload {
    let body = json!({"name": "widget", "price": 9.99, "tags": ["a", "b"]});
    Workload {
        name: "post-validated",
        method: Method::POST,
        path: "/items/42?limit=10",
        body: Some(Bytes::from(body.to_string())),
        expected_status: StatusCode::OK,
        expected_body: json!({
            "id": 42, "limit": 10, "name": "widget", "price": 9.99, "tags": ["a", "b"]
        }),
    }
}

/// All workloads, in the order they are run.
pub fn all() -> Vec<Workload> {
    vec![get_json(), post_validated()]
}

/// Requests a workload's route must reject with 422 (a contestant that accepts them is
/// not doing the validation being measured, so its numbers would be meaningless).
pub fn negative_checks(workload: &str) -> Vec<NegativeCheck> {
    match workload {
        "post-validated" => {
            let bad = |description, path, body: Value| NegativeCheck {
                description,
                method: Method::POST,
                path,
                body: Some(Bytes::from(body.to_string())),
                expected_status: StatusCode::UNPROCESSABLE_ENTITY,
            };
            vec![
                bad(
                    "price <= 0",
                    "/items/42?limit=10",
                    json!({"name": "w", "price": 0, "tags": []}),
                ),
                bad(
                    "empty name",
                    "/items/42?limit=10",
                    json!({"name": "", "price": 1.5, "tags": []}),
                ),
                bad(
                    "tags not strings",
                    "/items/42?limit=10",
                    json!({"name": "w", "price": 1.5, "tags": [1]}),
                ),
                bad("missing price", "/items/42?limit=10", json!({"name": "w", "tags": []})),
                bad(
                    "non-integer id",
                    "/items/abc?limit=10",
                    json!({"name": "w", "price": 1.5, "tags": []}),
                ),
                bad(
                    "non-integer limit",
                    "/items/42?limit=ten",
                    json!({"name": "w", "price": 1.5, "tags": []}),
                ),
            ]
        }
        _ => Vec::new(),
    }
}
