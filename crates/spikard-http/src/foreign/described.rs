//! Results a binding describes as plain data, turned into the core's values the same way
//! for every binding: JSON text a language serialised, a response described as status,
//! header pairs and a body, what a call did to its request (state, reply headers), an
//! exception described by the language, a stream's next chunk or event, and a background
//! task a call added.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::Value;
use spikard_core::{HttpProblem, SpikardError};

use super::call::{Call, Expect, ForeignError, ForeignFn, Input, Outcome, Returned};
use super::items::event_from_json;
use super::response::{body_view, headers_view, BodyView};
use crate::background::BackgroundTasks;
use crate::di::Resolved;
use crate::file::FileBody;
use crate::hooks::HookRequest;
use crate::response::{ByteStream, HandlerResponse, ResponseBody};
use crate::sse::SseStream;

fn internal(message: String) -> ForeignError {
    SpikardError::Internal(message).into()
}

fn parse(json: &[u8]) -> Result<Value, ForeignError> {
    serde_json::from_slice(json).map_err(|e| internal(format!("result is not JSON: {e}")))
}

/// A JSON result as the JSON text the language made of it (one pass from its objects to
/// the response bytes): a 200 JSON response, go-on for a request hook's null, a
/// dependency's value, nothing for a callback.
pub fn from_json(expect: Expect, json: Bytes) -> Result<Returned, ForeignError> {
    Ok(match expect {
        Expect::Unit => Returned::Nothing,
        Expect::Flow if &json[..] == b"null" => Returned::Nothing,
        Expect::Dependency => Returned::Value(Resolved::json(parse(&json)?)),
        _ => Returned::Response(HandlerResponse::new(StatusCode::OK, ResponseBody::JsonBytes(json))),
    })
}

/// A result with what the call did to its request: its `state` as JSON text (an object)
/// when the call may have changed it, and headers to add to the response.
pub fn outcome(
    returned: Returned,
    state: Option<&[u8]>,
    headers: &[(String, String)],
) -> Result<Outcome, ForeignError> {
    let mut outcome = Outcome::new(returned);
    if let Some(state) = state {
        match parse(state)? {
            Value::Object(map) => outcome.state = Some(map),
            _ => return Err(internal("request state must be an object".into())),
        }
    }
    for (name, value) in headers {
        outcome.reply_headers.push(header(name, value)?);
    }
    Ok(outcome)
}

/// A header a language gave, checked.
pub fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), ForeignError> {
    let name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|e| internal(format!("invalid header name '{name}': {e}")))?;
    let value =
        HeaderValue::from_str(value).map_err(|e| internal(format!("invalid value for header '{name}': {e}")))?;
    Ok((name, value))
}

/// The body of a response a language built.
pub enum Body {
    /// JSON text.
    Json(Bytes),
    /// Text or bytes, sent as they are.
    Bytes(Bytes),
    Empty,
    /// A response hook's response keeps the body it was shown.
    Keep,
    Stream(ByteStream),
    Events(SseStream),
    /// A file the core answers ([`crate::file`]): validators, conditions, ranges.
    File(FileBody),
}

/// A file response a language describes as JSON: `path` (or the `bytes` passed beside),
/// `filename` (the download name), `inline`, `modified` (milliseconds since the epoch,
/// for bytes; default: now).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    path: Option<String>,
    filename: Option<String>,
    #[serde(default)]
    inline: bool,
    modified: Option<f64>,
}

/// The body of a file response described as JSON (see `FileSpec`); `bytes` are the
/// content of an in-memory file.
pub fn file(spec: &[u8], bytes: Option<Bytes>) -> Result<Body, ForeignError> {
    let spec: FileSpec = serde_json::from_slice(spec).map_err(|e| internal(format!("invalid file response: {e}")))?;
    let mut file = match (spec.path, bytes) {
        (_, Some(bytes)) => {
            let modified = spec
                .modified
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map_or_else(crate::rt::system_now, |ms| {
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(ms / 1000.0)
                });
            FileBody::bytes(bytes, modified)
        }
        #[cfg(feature = "server")]
        (Some(path), None) => FileBody::path(path),
        #[cfg(not(feature = "server"))]
        (Some(_), None) => {
            return Err(internal(
                "a file response by path needs a file system, which this runtime has not: pass the bytes".into(),
            ))
        }
        (None, None) => return Err(internal("a file response needs a path or bytes".into())),
    };
    if let Some(name) = spec.filename {
        file = file.download(name);
    }
    if spec.inline {
        file = file.inline();
    }
    Ok(Body::File(file))
}

/// A response a language built: status, `[name, value]` header pairs in order (a repeated
/// name sends several values) and the body; for a response hook, `shown` is the response
/// it was shown (its body is kept for [`Body::Keep`]).
pub fn response(
    status: i64,
    headers: &[(String, String)],
    body: Body,
    shown: Option<HandlerResponse>,
) -> Result<Returned, ForeignError> {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| internal(format!("invalid response status {status}")))?;
    let mut response = match body {
        Body::Json(json) => HandlerResponse::new(status, ResponseBody::JsonBytes(json)),
        Body::Bytes(bytes) => HandlerResponse::new(status, ResponseBody::Bytes(bytes)),
        Body::Stream(stream) => HandlerResponse::new(status, ResponseBody::Stream(stream)),
        Body::Events(events) => HandlerResponse::new(status, ResponseBody::Sse(events)),
        Body::File(file) => HandlerResponse::new(status, ResponseBody::File(Box::new(file))),
        Body::Keep => match shown {
            Some(mut kept) => {
                kept.status = status;
                kept.headers.clear();
                kept
            }
            None => HandlerResponse::new(status, ResponseBody::Empty),
        },
        Body::Empty => HandlerResponse::new(status, ResponseBody::Empty),
    };
    for (name, value) in headers {
        let (name, value) = header(name, value)?;
        response.headers.append(name, value);
    }
    Ok(Returned::Response(response))
}

/// An exception described by the language: an HTTP error (`status_code`, `detail`,
/// `headers`, `extra`) keeps its status, headers and members; anything else (`message`,
/// `stack`) is logged and answered with the generic 500 problem.
pub fn from_raised(name: &str, described: &Value) -> ForeignError {
    if described.get("status_code").is_some() {
        return match HttpProblem::from_json(described) {
            Ok(err) => ForeignError::new(err),
            Err(e) => internal(format!("{name} raised an invalid HTTP error: {e}")),
        };
    }
    let message = described.get("message").and_then(Value::as_str).unwrap_or("an error");
    let stack = described.get("stack").and_then(Value::as_str).unwrap_or("");
    tracing::error!(handler = name, error = message, stack, "handler raised");
    internal(format!("{name} raised {message}"))
}

/// A streamed body's next chunk (`None`: the end).
pub fn chunk(bytes: Option<Bytes>) -> Returned {
    bytes.map_or(Returned::Nothing, |b| Returned::Value(Resolved::new(b)))
}

/// An event stream's next event, described as JSON text (`None`: the end).
pub fn event(json: Option<&[u8]>) -> Result<Returned, ForeignError> {
    let Some(json) = json else {
        return Ok(Returned::Nothing);
    };
    let event = event_from_json(parse(json)?).map_err(SpikardError::Internal)?;
    Ok(Returned::Value(Resolved::new(event)))
}

/// What a response hook is shown: `status`, `headers` (by name; a repeated header and
/// `set-cookie` as a list), `body` (the JSON value, the text, or null) and, under
/// `kind_key`, the body's kind (`json`, `text`, `bytes` (not UTF-8: not shown) or `none`).
pub fn response_view(response: &HandlerResponse, kind_key: &str) -> Result<Value, String> {
    let (body, kind) = match body_view(&response.body)? {
        BodyView::Json(v) => (v.into_owned(), "json"),
        BodyView::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => (Value::from(text), "text"),
            Err(_) => (Value::Null, "bytes"),
        },
        BodyView::None => (Value::Null, "none"),
    };
    let mut out = serde_json::Map::with_capacity(4);
    out.insert("status".into(), Value::from(response.status.as_u16()));
    out.insert("headers".into(), Value::Object(headers_view(&response.headers)));
    out.insert("body".into(), body);
    out.insert(kind_key.into(), Value::from(kind));
    Ok(Value::Object(out))
}

/// What a response hook knows of the request: `method`, `path`, `state` and `elapsed`
/// (seconds since the request arrived).
pub fn hook_request(request: &HookRequest) -> Value {
    serde_json::json!({
        "method": request.method.as_str(),
        "path": request.path,
        "state": request.state,
        "elapsed": request.received.elapsed().as_secs_f64(),
    })
}

/// Run `task` (a background task a call added) on its request's runner, in the tokio
/// runtime the call came from when there is one (on wasm32 there is none: the host's event
/// loop runs it); without a runner it is dropped, with a warning naming `handler`.
pub fn spawn_task(
    background: Option<&BackgroundTasks>,
    runtime: Option<&tokio::runtime::Handle>,
    task: Arc<dyn ForeignFn>,
    handler: &str,
) {
    let Some(runner) = background else {
        tracing::warn!(handler, "background task dropped: the call has no background runner");
        return;
    };
    let _entered = runtime.map(tokio::runtime::Handle::enter);
    runner.spawn(async move {
        let call = Call {
            input: Input::Args(Vec::new()),
            expect: Expect::Unit,
        };
        task.call(call).await.map(|_| ()).map_err(|e| e.error)
    });
}
