//! The workloads every contestant must serve identically: one table ([`all`]), one entry per
//! workload. Adding a workload is one entry here plus its route in every app (see the
//! harness README, "Adding a workload").
//!
//! ```
//! use benchmark_harness::workload;
//! let w = workload::find("path-int").unwrap();
//! assert_eq!(w.path, "/path/int/12345");
//! assert!(w.validated && !w.negative.is_empty());
//! ```

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::payloads::{self, ORDER_ITEMS_LARGE, ORDER_ITEMS_MEDIUM, ORDER_ITEMS_SMALL};

/// A correct answer's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    /// JSON, compared semantically (key order and number formatting do not matter).
    Json(Value),
    /// Exact text.
    Text(&'static str),
}

/// One request the load generator sends over and over, and what a correct answer is.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: &'static str,
    /// What it exercises, for the report.
    pub summary: &'static str,
    pub method: Method,
    /// Path and query, e.g. `/items/42?limit=10`.
    pub path: String,
    /// `content-type` of the request body.
    pub content_type: Option<String>,
    pub body: Option<Bytes>,
    pub expected_status: StatusCode,
    pub expected: Expected,
    /// Whether the route validates its input (then `negative` lists requests it must refuse).
    pub validated: bool,
    /// Requests the route must reject with 422 (checked once per server before measuring: a
    /// contestant that accepts them is not doing the validation being measured).
    pub negative: Vec<NegativeCheck>,
}

/// A request that must be rejected.
#[derive(Clone, Debug)]
pub struct NegativeCheck {
    pub description: &'static str,
    pub method: Method,
    pub path: String,
    pub content_type: Option<String>,
    pub body: Option<Bytes>,
    pub expected_status: StatusCode,
}

impl Workload {
    fn new(name: &'static str, summary: &'static str, method: Method, path: &str, expected: Expected) -> Self {
        Self {
            name,
            summary,
            method,
            path: path.to_string(),
            content_type: None,
            body: None,
            expected_status: StatusCode::OK,
            expected,
            validated: false,
            negative: Vec::new(),
        }
    }

    fn get(name: &'static str, summary: &'static str, path: &str, expected: Value) -> Self {
        Self::new(name, summary, Method::GET, path, Expected::Json(expected))
    }

    fn post(
        name: &'static str,
        summary: &'static str,
        path: &str,
        content_type: &str,
        body: Bytes,
        echo: Value,
    ) -> Self {
        let mut w = Self::new(name, summary, Method::POST, path, Expected::Json(echo));
        w.content_type = Some(content_type.to_string());
        w.body = Some(body);
        w
    }

    /// Adds a request to the same route's method that must be answered 422 (and marks the
    /// workload as validated). `body` replaces the body; `path` (if given) the path.
    fn rejects(mut self, description: &'static str, path: Option<&str>, body: Option<Bytes>) -> Self {
        self.validated = true;
        self.negative.push(NegativeCheck {
            description,
            method: self.method.clone(),
            path: path.map_or_else(|| self.path.clone(), str::to_string),
            content_type: self.content_type.clone(),
            body: body.or_else(|| self.body.clone()),
            expected_status: StatusCode::UNPROCESSABLE_ENTITY,
        });
        self
    }

    /// The expected JSON body, if the answer is JSON.
    pub fn expected_json(&self) -> Option<&Value> {
        match &self.expected {
            Expected::Json(v) => Some(v),
            Expected::Text(_) => None,
        }
    }
}

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

fn json_bytes(v: Value) -> Option<Bytes> {
    Some(Bytes::from(v.to_string()))
}

/// An order body with one field changed (for negative checks).
fn bad_order(edit: impl FnOnce(&mut Value)) -> Option<Bytes> {
    let mut o = payloads::order(2);
    edit(&mut o);
    json_bytes(o)
}

fn validated_order(name: &'static str, summary: &'static str, items: usize) -> Workload {
    let body = payloads::order(items);
    Workload::post(
        name,
        summary,
        "/echo/validated",
        JSON,
        payloads::order_bytes(items),
        body,
    )
    .rejects("empty customer", None, bad_order(|o| o["customer"] = json!("")))
    .rejects("quantity 0", None, bad_order(|o| o["items"][1]["quantity"] = json!(0)))
    .rejects(
        "price not a number",
        None,
        bad_order(|o| o["items"][0]["price"] = json!("x")),
    )
    .rejects(
        "tag not a string",
        None,
        bad_order(|o| o["items"][1]["tags"] = json!([1])),
    )
    .rejects("missing items", None, json_bytes(json!({"id": 1, "customer": "c"})))
}

fn raw_order(name: &'static str, summary: &'static str, items: usize) -> Workload {
    Workload::post(
        name,
        summary,
        "/echo/raw",
        JSON,
        payloads::order_bytes(items),
        payloads::order(items),
    )
}

/// Every workload, in the order they are run.
pub fn all() -> Vec<Workload> {
    let item = payloads::item();
    let bad_item = |v: Value| json_bytes(v);
    vec![
        Workload::new(
            "plain-text",
            "GET, text/plain answer",
            Method::GET,
            "/plaintext",
            Expected::Text("Hello, World!"),
        ),
        Workload::get(
            "get-json",
            "GET, small JSON object answer",
            "/json",
            json!({"message": "hello", "id": 1, "ok": true}),
        ),
        Workload::get(
            "sync-sleep",
            "GET, the handler makes a blocking 5 ms call (sync sleep; Node: an awaited timer): how many run at once",
            "/sleep",
            json!({"slept": true}),
        ),
        validated_order(
            "json-small",
            "POST JSON order (1 item, ~130 B), validated, echoed",
            ORDER_ITEMS_SMALL,
        ),
        validated_order(
            "json-medium",
            "POST JSON order (25 items, ~2.5 KB), validated, echoed",
            ORDER_ITEMS_MEDIUM,
        ),
        validated_order(
            "json-large",
            "POST JSON order (500 items, ~50 KB), validated, echoed",
            ORDER_ITEMS_LARGE,
        ),
        raw_order(
            "json-small-raw",
            "json-small without validation (parse and echo)",
            ORDER_ITEMS_SMALL,
        ),
        raw_order(
            "json-medium-raw",
            "json-medium without validation (parse and echo)",
            ORDER_ITEMS_MEDIUM,
        ),
        raw_order(
            "json-large-raw",
            "json-large without validation (parse and echo)",
            ORDER_ITEMS_LARGE,
        ),
        Workload::get(
            "path-one",
            "one string path parameter",
            "/path/one/widget",
            json!({"name": "widget"}),
        ),
        Workload::get(
            "path-several",
            "three string path parameters",
            "/path/several/acme/spikard/main",
            json!({"org": "acme", "repo": "spikard", "branch": "main"}),
        ),
        Workload::get(
            "path-int",
            "integer path parameter",
            "/path/int/12345",
            json!({"id": 12345}),
        )
        .rejects("not an integer", Some("/path/int/abc"), None),
        Workload::get(
            "path-uuid",
            "UUID path parameter",
            "/path/uuid/550e8400-e29b-41d4-a716-446655440000",
            json!({"id": "550e8400-e29b-41d4-a716-446655440000"}),
        )
        .rejects("not a UUID", Some("/path/uuid/not-a-uuid"), None),
        Workload::get(
            "path-date",
            "date path parameter",
            "/path/date/2024-02-29",
            json!({"date": "2024-02-29"}),
        )
        .rejects("not a date", Some("/path/date/yesterday"), None),
        Workload::get(
            "query-few",
            "three typed query parameters",
            &format!("/query/few?{}", payloads::QUERY_FEW),
            payloads::query_few_echo(),
        )
        .rejects(
            "page not an integer",
            Some("/query/few?q=widget&page=two&active=true"),
            None,
        ),
        Workload::get(
            "query-many",
            "twelve typed query parameters",
            &format!("/query/many?{}", payloads::QUERY_MANY),
            payloads::query_many_echo(),
        )
        .rejects(
            "per_page not an integer",
            Some(&format!(
                "/query/many?{}",
                payloads::QUERY_MANY.replace("per_page=50", "per_page=many")
            )),
            None,
        ),
        Workload::post(
            "form",
            "urlencoded form, typed and validated",
            "/form",
            FORM,
            Bytes::from_static(payloads::FORM.as_bytes()),
            payloads::form_echo(),
        )
        .rejects(
            "quantity not an integer",
            None,
            Some(Bytes::from_static(b"name=w&price=9.99&quantity=three")),
        )
        .rejects(
            "empty name",
            None,
            Some(Bytes::from_static(b"name=&price=9.99&quantity=3")),
        ),
        Workload::post(
            "multipart",
            "multipart upload: 16 KiB file + text field",
            "/upload",
            &payloads::multipart_content_type(),
            payloads::multipart(true),
            payloads::multipart_echo(),
        )
        .rejects("no file part", None, Some(payloads::multipart(false))),
        Workload::post(
            "post-validated",
            "path int + query int + validated JSON body",
            "/items/42?limit=10",
            JSON,
            Bytes::from(item.to_string()),
            json!({"id": 42, "limit": 10, "name": "widget", "price": 9.99, "tags": ["a", "b"]}),
        )
        .rejects(
            "price <= 0",
            None,
            bad_item(json!({"name": "w", "price": 0, "tags": []})),
        )
        .rejects(
            "empty name",
            None,
            bad_item(json!({"name": "", "price": 1.5, "tags": []})),
        )
        .rejects(
            "tags not strings",
            None,
            bad_item(json!({"name": "w", "price": 1.5, "tags": [1]})),
        )
        .rejects("missing price", None, bad_item(json!({"name": "w", "tags": []})))
        .rejects("non-integer id", Some("/items/abc?limit=10"), None)
        .rejects("non-integer limit", Some("/items/42?limit=ten"), None),
    ]
}

/// The workload `task bench:quick` runs (one per contestant).
pub const QUICK: &str = "json-small";

/// The workload used to probe that a server is up (every contestant serves it).
pub const PROBE: &str = "get-json";

pub fn find(name: &str) -> Option<Workload> {
    all().into_iter().find(|w| w.name == name)
}

pub fn names() -> Vec<&'static str> {
    all().iter().map(|w| w.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_quick_and_probe_exist() {
        let mut names = names();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(find(QUICK).is_some() && find(PROBE).is_some());
    }

    #[test]
    fn bodies_have_content_types_and_validated_ones_have_negative_checks() {
        for w in all() {
            assert_eq!(w.body.is_some(), w.content_type.is_some(), "{}", w.name);
            assert_eq!(w.validated, !w.negative.is_empty(), "{}", w.name);
            assert!(w.path.starts_with('/'), "{}", w.name);
            for n in &w.negative {
                assert_eq!(n.expected_status, StatusCode::UNPROCESSABLE_ENTITY);
                assert!(n.path != w.path || n.body != w.body, "{}: {}", w.name, n.description);
            }
        }
    }

    #[test]
    fn json_echo_workloads_expect_their_own_body() {
        for w in all().iter().filter(|w| w.path.starts_with("/echo/")) {
            let sent: Value = serde_json::from_slice(w.body.as_ref().unwrap()).unwrap();
            assert_eq!(w.expected_json(), Some(&sent), "{}", w.name);
        }
        assert!(find("json-large-raw").is_some_and(|w| !w.validated));
    }
}
