//! The request payloads the workloads send: JSON order bodies of three sizes, query strings,
//! an urlencoded form and a multipart upload. Deterministic, so every run (and every
//! contestant) gets byte-identical requests.
//!
//! ```
//! use benchmark_harness::payloads::{order, ORDER_ITEMS_LARGE};
//! let body = order(ORDER_ITEMS_LARGE);
//! assert_eq!(body["items"].as_array().unwrap().len(), ORDER_ITEMS_LARGE);
//! ```

use bytes::Bytes;
use serde_json::{json, Value};

/// Items in the small, medium and large order bodies (about 130 B, 2.5 KB and 50 KB).
pub const ORDER_ITEMS_SMALL: usize = 1;
pub const ORDER_ITEMS_MEDIUM: usize = 25;
pub const ORDER_ITEMS_LARGE: usize = 500;

/// The JSON body of the `json-*` workloads: an order with `items` line items.
///
/// Shape (what the validated route checks): `id` integer, `customer` non-empty string,
/// `items` a list of `{sku: non-empty string, quantity: integer >= 1, price: number > 0,
/// tags: list of strings}`. Prices are never whole numbers, so a framework that turns
/// them into floats (`10` -> `10.0`) cannot change the echo.
pub fn order(items: usize) -> Value {
    let items: Vec<Value> = (0..items)
        .map(|i| {
            json!({
                "sku": format!("SKU-{i:05}"),
                "quantity": i % 9 + 1,
                "price": i as f64 + 0.25,
                "tags": [format!("t{}", i % 5), "bulk"],
            })
        })
        .collect();
    json!({"id": 1001, "customer": "ACME Corp", "items": items})
}

/// Serialised [`order`].
pub fn order_bytes(items: usize) -> Bytes {
    Bytes::from(order(items).to_string())
}

/// `id` path + `limit` query + JSON body: the request of the `post-validated` workload.
pub fn item() -> Value {
    json!({"name": "widget", "price": 9.99, "tags": ["a", "b"]})
}

/// Query of `query-few` and its typed echo.
pub const QUERY_FEW: &str = "q=widget&page=2&active=true";

pub fn query_few_echo() -> Value {
    json!({"q": "widget", "page": 2, "active": true})
}

/// The twelve parameters of `query-many`: six strings, four integers, two booleans.
pub const QUERY_MANY: &str = "q=widget&sort=price&order=asc&category=tools&brand=acme&color=red\
&page=2&per_page=50&min_price=5&max_price=100&in_stock=true&featured=false";

pub fn query_many_echo() -> Value {
    json!({
        "q": "widget", "sort": "price", "order": "asc", "category": "tools", "brand": "acme",
        "color": "red", "page": 2, "per_page": 50, "min_price": 5, "max_price": 100,
        "in_stock": true, "featured": false
    })
}

/// The urlencoded form of the `form` workload and its typed echo.
pub const FORM: &str = "name=Blue+widget&price=9.99&quantity=3";

pub fn form_echo() -> Value {
    json!({"name": "Blue widget", "price": 9.99, "quantity": 3})
}

/// Multipart boundary of the `multipart` workload.
pub const MULTIPART_BOUNDARY: &str = "----spikard-bench-7f3a9c";
/// Size of the uploaded file.
pub const UPLOAD_SIZE: usize = 16 * 1024;

/// A multipart body with a `description` text field and a `file` part (`data.bin`,
/// `application/octet-stream`, [`UPLOAD_SIZE`] bytes). Without the file when `with_file`
/// is false (a request the route must reject).
pub fn multipart(with_file: bool) -> Bytes {
    let b = MULTIPART_BOUNDARY;
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nbenchmark upload\r\n")
        .into_bytes();
    if with_file {
        body.extend_from_slice(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        // Printable bytes, so frameworks that decode parts as text do not choke on them.
        body.extend((0..UPLOAD_SIZE).map(|i| b'a' + (i % 26) as u8));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    Bytes::from(body)
}

pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={MULTIPART_BOUNDARY}")
}

pub fn multipart_echo() -> Value {
    json!({"filename": "data.bin", "size": UPLOAD_SIZE, "description": "benchmark upload"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_sizes_grow_and_prices_are_fractional() {
        let sizes: Vec<usize> = [ORDER_ITEMS_SMALL, ORDER_ITEMS_MEDIUM, ORDER_ITEMS_LARGE]
            .iter()
            .map(|&n| order_bytes(n).len())
            .collect();
        assert!(sizes[0] < 200 && sizes[1] > 1_500 && sizes[2] > 30_000, "{sizes:?}");
        for item in order(ORDER_ITEMS_MEDIUM)["items"].as_array().unwrap() {
            let p = item["price"].as_f64().unwrap();
            assert_ne!(p.fract(), 0.0);
            assert!(item["quantity"].as_u64().unwrap() >= 1);
        }
    }

    #[test]
    fn multipart_body_is_well_formed() {
        let body = multipart(true);
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.starts_with(&format!("--{MULTIPART_BOUNDARY}\r\n")));
        assert!(text.ends_with(&format!("--{MULTIPART_BOUNDARY}--\r\n")));
        assert!(text.contains("filename=\"data.bin\""));
        assert!(body.len() > UPLOAD_SIZE);
        assert!(!String::from_utf8(multipart(false).to_vec())
            .unwrap()
            .contains("data.bin"));
    }

    #[test]
    fn query_echoes_name_every_parameter() {
        for (query, echo) in [(QUERY_FEW, query_few_echo()), (QUERY_MANY, query_many_echo())] {
            let names: Vec<&str> = query.split('&').map(|p| p.split('=').next().unwrap()).collect();
            assert_eq!(names.len(), echo.as_object().unwrap().len());
            assert!(names.iter().all(|n| echo.get(*n).is_some()), "{query}");
        }
    }
}
