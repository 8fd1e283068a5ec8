//! Checking a running server against a document (the round trip): its `/openapi.json`
//! must be equivalent to the document ([`crate::compare`]) and it must answer a 422 problem
//! to requests the document's schemas reject — a path or query parameter of the wrong
//! type, a missing required query parameter, a body of the wrong shape — each made from
//! the operation's valid example request with one thing broken.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::error::{CodegenError, Result};
use crate::example::is_valid;
use crate::model::{deref, Api, Operation, ParamLocation};
use crate::requests::{is_json, OperationExamples};
use crate::types::single_type;

/// A request the server must refuse with 422.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub what: String,
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// A plain HTTP/1.1 answer.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Send one request to `base` (`http://host:port`).
pub fn http(
    base: &str,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> std::io::Result<Answer> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {url} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!(
            "content-type: application/json\r\ncontent-length: {}\r\n",
            b.len()
        ));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes())?;
    if let Some(b) = body {
        stream.write_all(b)?;
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        content_type: header("content-type"),
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = data.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// The requests each operation must refuse.
pub fn probes(op: &Operation, api: &Api) -> Vec<Probe> {
    let ex = OperationExamples::of(op, api);
    // Only requests that are valid but for the one thing broken (this client sends JSON bodies).
    if ex.missing.is_some() || op.body.as_ref().is_some_and(|b| !is_json(&b.content_type)) {
        return Vec::new();
    }
    let (path, query) = ex.url.split_once('?').map_or((ex.url.as_str(), ""), |(p, q)| (p, q));
    let base = |what: String| Probe {
        what,
        method: op.method.clone(),
        url: ex.url.clone(),
        headers: ex.headers.clone(),
        body: ex.json.clone(),
    };
    let mut out = Vec::new();
    let segments: Vec<&str> = op.path.split('/').collect();
    for p in &op.params {
        let schema = deref(&p.schema, &api.schemas);
        let numeric = matches!(single_type(schema), Some("integer" | "number"));
        match p.location {
            ParamLocation::Path if numeric => {
                let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
                if let Some(i) = segments.iter().position(|s| *s == format!("{{{}}}", p.name)) {
                    parts[i] = "not-a-number".into();
                    let mut probe = base(format!("path parameter '{}' not a number", p.name));
                    probe.url = format!(
                        "{}{}",
                        parts.join("/"),
                        if query.is_empty() {
                            String::new()
                        } else {
                            format!("?{query}")
                        }
                    );
                    out.push(probe);
                }
            }
            ParamLocation::Query if p.required => {
                let prefix = format!("{}=", crate::requests::encode(&p.name));
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|kv| !kv.is_empty() && !kv.starts_with(&prefix))
                    .collect();
                let mut probe = base(format!("required query parameter '{}' missing", p.name));
                probe.url = if kept.is_empty() {
                    path.to_owned()
                } else {
                    format!("{path}?{}", kept.join("&"))
                };
                out.push(probe);
            }
            ParamLocation::Query if numeric => {
                let mut probe = base(format!("query parameter '{}' not a number", p.name));
                let sep = if query.is_empty() { '?' } else { '&' };
                probe.url = format!("{}{sep}{}=not-a-number", ex.url, crate::requests::encode(&p.name));
                out.push(probe);
            }
            _ => {}
        }
    }
    if let (Some(body), Some(_)) = (&op.body, &ex.json) {
        if let (Some(schema), true) = (&body.schema, is_json(&body.content_type)) {
            let candidates = [
                json!("not-an-object"),
                json!([]),
                json!({}),
                json!(12345),
                json!({"unexpected": []}),
            ];
            if let Some(bad) = candidates.into_iter().find(|c| !is_valid(schema, &api.schemas, c)) {
                let mut probe = base(format!("body {bad} rejected by the schema"));
                probe.body = Some(bad);
                out.push(probe);
            }
        }
    }
    out
}

/// Check the server at `base` against the document in `spec`; the failures, one line each.
pub fn check_server(spec: &Path, base: &str) -> Result<Vec<String>> {
    let input = Api::load(spec)?;
    let io = |e: std::io::Error| CodegenError::io(format!("requesting {base}"), e);
    let answer = http(base, "GET", "/openapi.json", &[], None).map_err(io)?;
    if answer.status != 200 {
        return Ok(vec![format!("GET /openapi.json answered {}", answer.status)]);
    }
    let served: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| CodegenError::invalid("/openapi.json", "", format!("not JSON: {e}")))?;
    let served = Api::from_document(served, Path::new("served-openapi.json"))?;
    let mut failures = crate::compare::differences(&input, &served);
    for op in &input.operations {
        for probe in probes(op, &input) {
            let body = probe.body.as_ref().map(|b| serde_json::to_vec(b).unwrap_or_default());
            let answer = http(base, &probe.method, &probe.url, &probe.headers, body.as_deref()).map_err(io)?;
            if answer.status != 422 || !answer.content_type.starts_with("application/problem+json") {
                failures.push(format!(
                    "{} {} ({}): answered {} {} instead of a 422 problem",
                    probe.method, probe.url, probe.what, answer.status, answer.content_type
                ));
            }
        }
    }
    Ok(failures)
}
