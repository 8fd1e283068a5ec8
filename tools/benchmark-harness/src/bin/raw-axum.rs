//! Contestant `raw-axum`: plain axum 0.8 doing by hand what a Spikard route does —
//! typed path and query parsing, JSON body parsing and validation (422 on bad input),
//! JSON serialisation of the response.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Item {
    name: String,
    price: f64,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct Echo {
    id: i64,
    limit: i64,
    name: String,
    price: f64,
    tags: Vec<String>,
}

fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn unprocessable(detail: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &serde_json::json!({"status": 422, "detail": detail}),
    )
}

async fn get_json() -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::json!({"message": "hello", "id": 1, "ok": true}),
    )
}

/// `limit` from the raw query string: required, an integer.
fn query_limit(query: Option<&str>) -> Result<i64, &'static str> {
    let query = query.unwrap_or("");
    let raw = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == "limit")
        .map(|(_, v)| v)
        .ok_or("query parameter limit is required")?;
    raw.parse::<i64>()
        .map_err(|_| "query parameter limit must be an integer")
}

fn validate(item: &Item) -> Result<(), &'static str> {
    if item.name.chars().count() < 1 {
        return Err("name must have at least 1 character");
    }
    if item.price <= 0.0 || !item.price.is_finite() {
        return Err("price must be greater than 0");
    }
    Ok(())
}

async fn post_item(Path(id): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return unprocessable("path parameter id must be an integer");
    };
    let limit = match query_limit(query.as_deref()) {
        Ok(limit) => limit,
        Err(detail) => return unprocessable(detail),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return json_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &serde_json::json!({"status": 415, "detail": "expected application/json"}),
        );
    }
    let item: Item = match serde_json::from_slice(&body) {
        Ok(item) => item,
        Err(_) => return unprocessable("body does not match the schema"),
    };
    if let Err(detail) = validate(&item) {
        return unprocessable(detail);
    }
    json_response(
        StatusCode::OK,
        &Echo {
            id,
            limit,
            name: item.name,
            price: item.price,
            tags: item.tags,
        },
    )
}

#[tokio::main]
async fn main() {
    let port = match benchmark_harness::port_from_args() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("raw-axum: {e}");
            std::process::exit(2);
        }
    };
    let app = Router::new()
        .route("/json", get(get_json))
        .route("/items/{id}", post(post_item));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("raw-axum: cannot bind 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("raw-axum: server error: {e}");
        std::process::exit(1);
    }
}
