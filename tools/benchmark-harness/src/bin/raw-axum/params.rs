//! Path and query parameter routes: parsed, typed and checked by hand.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::{json_response, unprocessable};

pub(crate) async fn path_one(Path(name): Path<String>) -> Response {
    json_response(StatusCode::OK, &json!({ "name": name }))
}

pub(crate) async fn path_several(Path((org, repo, branch)): Path<(String, String, String)>) -> Response {
    json_response(StatusCode::OK, &json!({"org": org, "repo": repo, "branch": branch}))
}

pub(crate) async fn path_int(Path(id): Path<String>) -> Response {
    match id.parse::<i64>() {
        Ok(id) => json_response(StatusCode::OK, &json!({ "id": id })),
        Err(_) => unprocessable("id must be an integer"),
    }
}

pub(crate) async fn path_uuid(Path(id): Path<String>) -> Response {
    match uuid::Uuid::try_parse(&id) {
        Ok(id) => json_response(StatusCode::OK, &json!({ "id": id.hyphenated().to_string() })),
        Err(_) => unprocessable("id must be a UUID"),
    }
}

/// `YYYY-MM-DD` naming a real calendar day.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

pub(crate) async fn path_date(Path(day): Path<String>) -> Response {
    if is_date(&day) {
        json_response(StatusCode::OK, &json!({ "date": day }))
    } else {
        unprocessable("date must be YYYY-MM-DD")
    }
}

/// Decoded `key=value` pairs of a query string or urlencoded form.
pub(crate) fn pairs(raw: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Parameter types: the typed echo of a query.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Str,
    Int,
    Bool,
}

/// Looks up every `(name, kind)` in the query, converting it; 422 when missing or mistyped.
fn typed_query(query: Option<&str>, spec: &[(&str, Kind)]) -> Result<Value, String> {
    let pairs = pairs(query.unwrap_or(""));
    let mut out = Map::new();
    for (name, kind) in spec {
        let raw = pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| format!("query parameter {name} is required"))?;
        let value = match kind {
            Kind::Str => Value::String(raw.to_string()),
            Kind::Int => raw
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{name} must be an integer"))?,
            Kind::Bool => match raw {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("{name} must be a boolean")),
            },
        };
        out.insert((*name).to_string(), value);
    }
    Ok(Value::Object(out))
}

fn answer(result: Result<Value, String>) -> Response {
    match result {
        Ok(v) => json_response(StatusCode::OK, &v),
        Err(detail) => unprocessable(&detail),
    }
}

pub(crate) async fn query_few(RawQuery(q): RawQuery) -> Response {
    answer(typed_query(
        q.as_deref(),
        &[("q", Kind::Str), ("page", Kind::Int), ("active", Kind::Bool)],
    ))
}

pub(crate) async fn query_many(RawQuery(q): RawQuery) -> Response {
    use Kind::{Bool, Int, Str};
    let spec = [
        ("q", Str),
        ("sort", Str),
        ("order", Str),
        ("category", Str),
        ("brand", Str),
        ("color", Str),
        ("page", Int),
        ("per_page", Int),
        ("min_price", Int),
        ("max_price", Int),
        ("in_stock", Bool),
        ("featured", Bool),
    ];
    answer(typed_query(q.as_deref(), &spec))
}
