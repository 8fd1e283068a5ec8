//! Fixtures with a `streaming` section: the handler streams the given chunks
//! (`{"type": "text", "value"}` as UTF-8, `{"type": "bytes", "base64"}` decoded)
//! with the section's `content_type`. The body must equal the chunks' concatenation
//! byte for byte; the fixture's `expected_response.body` string is only a display of
//! it (it cannot hold raw bytes such as NUL), so the chunks are the expectation.

use base64::Engine;
use bytes::Bytes;
use serde_json::Value;
use spikard::{App, IntoResponse, Response, StatusCode};
use spikard_http::{HandlerResponse, RouteSpec};

use super::Built;
use crate::fixture::Fixture;
use crate::play::{answering, configures_middleware, MIDDLEWARE_HEADERS};

/// The chunks of a fixture's `streaming` section, decoded.
pub fn chunks(f: &Fixture) -> Option<Result<Vec<Bytes>, String>> {
    let section = f.json.get("streaming")?;
    let items = section.get("chunks").and_then(Value::as_array)?;
    Some(
        items
            .iter()
            .enumerate()
            .map(|(i, c)| match c.get("type").and_then(Value::as_str) {
                Some("text") => c
                    .get("value")
                    .and_then(Value::as_str)
                    .map(|s| Bytes::from(s.to_owned()))
                    .ok_or_else(|| format!("streaming chunk {i}: text without a value")),
                Some("bytes") => c
                    .get("base64")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("streaming chunk {i}: bytes without base64"))
                    .and_then(|b| {
                        base64::engine::general_purpose::STANDARD
                            .decode(b)
                            .map(Bytes::from)
                            .map_err(|e| format!("streaming chunk {i}: invalid base64: {e}"))
                    }),
                other => Err(format!("streaming chunk {i}: unknown type {other:?}")),
            })
            .collect(),
    )
}

/// The body a streaming fixture expects: every chunk, in order.
pub fn expected_body(f: &Fixture) -> Option<Vec<u8>> {
    chunks(f)?.ok().map(|c| c.concat())
}

/// What a `streaming` fixture's handler answers: a status, headers and the chunks.
#[derive(Clone)]
pub struct StreamAnswer {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub chunks: Vec<Bytes>,
}

impl StreamAnswer {
    /// The answer as a streamed response.
    pub fn response(&self) -> Result<HandlerResponse, spikard::Error> {
        let mut response = Response::new(self.status).header("content-type", &self.content_type);
        for (k, v) in &self.headers {
            response = response.header(k, v);
        }
        let items = self.chunks.clone().into_iter().map(Ok::<_, std::io::Error>);
        response.stream(futures_util::stream::iter(items)).into_response()
    }
}

/// The answer of a `streaming` fixture, or `None` for other fixtures.
pub fn stream_answer(f: &Fixture) -> Option<Result<StreamAnswer, String>> {
    let chunks = match chunks(f)? {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let expected = f.expected();
    let status = StatusCode::from_u16(f.expected_status()).unwrap_or(StatusCode::OK);
    let content_type = f.json["streaming"]
        .get("content_type")
        .and_then(Value::as_str)
        .or_else(|| expected["headers"].get("content-type").and_then(Value::as_str))
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    if !configures_middleware(f) {
        if let Some(Value::Object(h)) = expected.get("headers") {
            for (k, v) in h {
                let lower = k.to_ascii_lowercase();
                let Some(v) = v.as_str() else { continue };
                if lower == "content-type"
                    || lower.starts_with("access-control-")
                    || MIDDLEWARE_HEADERS.contains(&lower.as_str())
                    || v.starts_with("<<")
                    || v == ".*"
                {
                    continue;
                }
                headers.push((k.clone(), v.to_owned()));
            }
        }
    }
    Some(Ok(StreamAnswer {
        status,
        content_type,
        headers,
        chunks,
    }))
}

/// Build the route of a `streaming` fixture; other fixtures are passed on.
pub fn build(f: &Fixture, _app: &mut App, spec: RouteSpec) -> Result<Built, String> {
    let Some(answer) = stream_answer(f) else {
        return Ok(Built::NotMine(spec));
    };
    let answer = answer?;
    Ok(Built::Route(answering(f, spec, move || answer.response())))
}
