//! Body routes: JSON echo with and without validation, the path+query+body item route, the
//! urlencoded form and the multipart upload, all parsed and checked by hand.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::params::pairs;
use crate::{json_response, unprocessable};

#[derive(Deserialize, Serialize)]
pub(crate) struct Line {
    sku: String,
    quantity: i64,
    price: f64,
    tags: Vec<String>,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct Order {
    id: i64,
    customer: String,
    items: Vec<Line>,
}

fn validate_order(o: &Order) -> Result<(), &'static str> {
    if o.customer.is_empty() {
        return Err("customer must not be empty");
    }
    for line in &o.items {
        if line.sku.is_empty() {
            return Err("sku must not be empty");
        }
        if line.quantity < 1 {
            return Err("quantity must be at least 1");
        }
        if line.price <= 0.0 || !line.price.is_finite() {
            return Err("price must be greater than 0");
        }
    }
    Ok(())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn unsupported() -> Response {
    json_response(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &json!({"status": 415, "detail": "expected application/json"}),
    )
}

pub(crate) async fn echo_validated(headers: HeaderMap, body: Bytes) -> Response {
    if !is_json(&headers) {
        return unsupported();
    }
    let order: Order = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(_) => return unprocessable("body does not match the schema"),
    };
    match validate_order(&order) {
        Ok(()) => json_response(StatusCode::OK, &order),
        Err(detail) => unprocessable(detail),
    }
}

pub(crate) async fn echo_raw(headers: HeaderMap, body: Bytes) -> Response {
    if !is_json(&headers) {
        return unsupported();
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(_) => unprocessable("invalid JSON"),
    }
}

#[derive(Deserialize)]
pub(crate) struct Item {
    name: String,
    price: f64,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct ItemEcho {
    id: i64,
    limit: i64,
    name: String,
    price: f64,
    tags: Vec<String>,
}

pub(crate) async fn post_item(
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return unprocessable("path parameter id must be an integer");
    };
    let limit = pairs(query.as_deref().unwrap_or(""))
        .into_iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let Some(limit) = limit else {
        return unprocessable("query parameter limit must be an integer");
    };
    if !is_json(&headers) {
        return unsupported();
    }
    let item: Item = match serde_json::from_slice(&body) {
        Ok(item) => item,
        Err(_) => return unprocessable("body does not match the schema"),
    };
    if item.name.is_empty() {
        return unprocessable("name must have at least 1 character");
    }
    if item.price <= 0.0 || !item.price.is_finite() {
        return unprocessable("price must be greater than 0");
    }
    let Item { name, price, tags } = item;
    json_response(
        StatusCode::OK,
        &ItemEcho {
            id,
            limit,
            name,
            price,
            tags,
        },
    )
}

pub(crate) async fn form(body: Bytes) -> Response {
    let fields = pairs(&String::from_utf8_lossy(&body));
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let name = match get("name") {
        Some(n) if !n.is_empty() => n,
        _ => return unprocessable("name is required"),
    };
    let Some(price) = get("price").and_then(|p| p.parse::<f64>().ok()).filter(|p| *p > 0.0) else {
        return unprocessable("price must be a number > 0");
    };
    let Some(quantity) = get("quantity").and_then(|q| q.parse::<i64>().ok()) else {
        return unprocessable("quantity must be an integer");
    };
    json_response(
        StatusCode::OK,
        &json!({"name": name, "price": price, "quantity": quantity}),
    )
}

/// One part of a multipart body: (name, filename, data).
type Part<'a> = (String, Option<String>, &'a [u8]);

fn multipart_parts<'a>(body: &'a [u8], boundary: &str) -> Option<Vec<Part<'a>>> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body.get(find(body, delim.as_bytes())? + delim.len()..)?;
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after = &rest[head_end + 4..];
        let next = find(after, format!("\r\n{delim}").as_bytes())?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == key).then(|| v.trim_matches('"').to_string())
            })
        };
        parts.push((param("name")?, param("filename"), &after[..next]));
        rest = &after[next + 2 + delim.len()..];
    }
}

pub(crate) async fn upload(headers: HeaderMap, body: Bytes) -> Response {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
        .map(|b| b.trim_matches('"').to_string());
    let Some(parts) = boundary.and_then(|b| multipart_parts(&body, &b)) else {
        return unprocessable("malformed multipart body");
    };
    let description = parts.iter().find(|(n, f, _)| n == "description" && f.is_none());
    let file = parts.iter().find(|(n, f, _)| n == "file" && f.is_some());
    match (description, file) {
        (Some((_, _, d)), Some((_, Some(filename), data))) => json_response(
            StatusCode::OK,
            &json!({"filename": filename, "size": data.len(), "description": String::from_utf8_lossy(d)}),
        ),
        _ => unprocessable("description and file are required"),
    }
}

/// First position of `needle` in `hay`: candidates for its first byte, then a comparison.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = find_byte(hay, first, from) {
        if hay.get(at + 1..at + needle.len()) == Some(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// First position of `byte` in `hay` at or after `from`, eight bytes at a time (the
/// has-a-zero-byte trick that memchr uses without SIMD). A byte-at-a-time loop over the 16 KiB
/// upload made this route's cost depend on how LLVM happened to compile it: ±20% between
/// builds that differed elsewhere.
pub(crate) fn find_byte(hay: &[u8], byte: u8, from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(byte);
    let mut i = from;
    while let Some(chunk) = hay.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().ok()?) ^ pattern;
        // The lowest set high bit marks the first zero byte of x (borrows only run upwards).
        let zero = x.wrapping_sub(LO) & !x & HI;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    Some(i + hay.get(i..)?.iter().position(|&b| b == byte)?)
}
