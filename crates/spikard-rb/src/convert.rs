//! Values between Ruby and the core: JSON values as Ruby objects (built natively, no JSON
//! text), the response a response hook is shown, and what Ruby settles a call with as the
//! core's [`Returned`] value, as the call's [`Expect`] says.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use magnus::rb_sys::FromRawValue;
use magnus::value::ReprValue;
use magnus::{IntoValue, RArray, RHash, RString, Ruby, Value as RValue};
use serde_json::{Map, Value};
use spikard_core::{HttpProblem, SpikardError};
use spikard_http::di::Resolved;
use spikard_http::foreign::{
    body_view, event_from_json, headers_view, items, BodyView, Expect, ForeignError, Outcome, Returned,
};
use spikard_http::hooks::HookRequest;
use spikard_http::response::{HandlerResponse, ResponseBody};

use crate::call::{RbFn, RbValue};
use crate::pool::{Dispatcher, CLOSE, NEXT_CHUNK, NEXT_EVENT};

/// A JSON value as Ruby's: Hashes with String keys, Arrays, Strings (UTF-8), Integers,
/// Floats, `true`/`false`/`nil`.
pub fn to_ruby(ruby: &Ruby, value: &Value) -> RValue {
    match value {
        Value::Null => ruby.qnil().as_value(),
        Value::Bool(b) => b.into_value_with(ruby),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_value_with(ruby),
            (None, Some(u)) => u.into_value_with(ruby),
            _ => n.as_f64().unwrap_or(f64::NAN).into_value_with(ruby),
        },
        Value::String(s) => ruby.str_new(s).as_value(),
        Value::Array(items) => {
            let array = ruby.ary_new_capa(items.len());
            for item in items {
                let _ = array.push(to_ruby(ruby, item));
            }
            array.as_value()
        }
        Value::Object(map) => hash(ruby, map, false).as_value(),
    }
}

/// A JSON object as a Hash, its keys Symbols (`symbols`) or Strings; values as [`to_ruby`].
pub fn hash(ruby: &Ruby, map: &Map<String, Value>, symbols: bool) -> RHash {
    let out = ruby.hash_new();
    for (k, v) in map {
        let value = to_ruby(ruby, v);
        let _ = match symbols {
            true => out.aset(ruby.to_symbol(k), value),
            false => out.aset(key(ruby, k), value),
        };
    }
    out
}

/// A Hash key: Ruby's interned (frozen, deduplicated) String, so a key seen before costs no
/// allocation and the Hash does not copy it.
fn key(_ruby: &Ruby, k: &str) -> RValue {
    let len = std::os::raw::c_long::try_from(k.len()).unwrap_or(std::os::raw::c_long::MAX);
    // SAFETY: the GVL is held (a `&Ruby` exists); the bytes are valid UTF-8 for the call,
    // and Ruby copies them into the interned String it returns.
    unsafe {
        let raw = rb_sys::rb_enc_interned_str(k.as_ptr().cast(), len, rb_sys::rb_utf8_encoding());
        RValue::from_raw(raw)
    }
}

/// Bytes as a binary String.
pub fn binary(ruby: &Ruby, bytes: &[u8]) -> RString {
    ruby.str_from_slice(bytes)
}

/// `[name, value]` pairs as an Array of two-String Arrays.
pub fn pairs(ruby: &Ruby, pairs: &[(String, String)]) -> RArray {
    let out = ruby.ary_new_capa(pairs.len());
    for (k, v) in pairs {
        let _ = out.push((ruby.str_new(k), ruby.str_new(v)));
    }
    out
}

/// What a response hook is shown: `status`, `headers` (by name; a repeated header and
/// `set-cookie` as a list), `body` (the JSON value, the text, or `null`) and `body_kind`
/// (`json`, `text`, `bytes` (not UTF-8: not shown) or `none`).
pub fn response_view(response: &HandlerResponse) -> Result<Value, String> {
    let (body, kind) = match body_view(&response.body)? {
        BodyView::Json(v) => (v.into_owned(), "json"),
        BodyView::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => (Value::from(text), "text"),
            Err(_) => (Value::Null, "bytes"),
        },
        BodyView::None => (Value::Null, "none"),
    };
    Ok(serde_json::json!({
        "status": response.status.as_u16(),
        "headers": headers_view(&response.headers),
        "body": body,
        "body_kind": kind,
    }))
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

fn internal(message: String) -> ForeignError {
    SpikardError::Internal(message).into()
}

fn parse(json: &[u8]) -> Result<Value, ForeignError> {
    serde_json::from_slice(json).map_err(|e| internal(format!("result is not JSON: {e}")))
}

/// A JSON result, as the JSON text Ruby's `JSON.generate` made of it: a 200 JSON response,
/// go-on for a request hook's `nil`, a dependency's value.
pub fn from_json(expect: Expect, json: Bytes) -> Result<Returned, ForeignError> {
    Ok(match expect {
        Expect::Unit => Returned::Nothing,
        Expect::Flow if &json[..] == b"null" => Returned::Nothing,
        Expect::Dependency => Returned::Value(Resolved::json(parse(&json)?)),
        _ => Returned::Response(HandlerResponse::new(StatusCode::OK, ResponseBody::JsonBytes(json))),
    })
}

/// What a call did to the request object it was given: its `state` as JSON text when it
/// changed, and headers to add to the response.
pub struct Effects {
    pub state: Option<Bytes>,
    pub headers: Vec<(String, String)>,
    /// Handles of background tasks to run (`req.add_task`).
    pub tasks: Vec<u32>,
}

/// A result with what the call did to its request.
pub fn outcome(returned: Returned, effects: Option<&Effects>) -> Result<Outcome, ForeignError> {
    let mut outcome = Outcome::new(returned);
    let Some(effects) = effects else {
        return Ok(outcome);
    };
    if let Some(state) = &effects.state {
        match parse(state)? {
            Value::Object(map) => outcome.state = Some(map),
            _ => return Err(internal("request state must be a Hash".into())),
        }
    }
    for (name, value) in &effects.headers {
        outcome.reply_headers.push(header(name, value)?);
    }
    Ok(outcome)
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), ForeignError> {
    let name =
        HeaderName::from_bytes(name.as_bytes()).map_err(|e| internal(format!("invalid header name '{name}': {e}")))?;
    let value =
        HeaderValue::from_str(value).map_err(|e| internal(format!("invalid value for header '{name}': {e}")))?;
    Ok((name, value))
}

/// A response Ruby built: status, header pairs and one body.
pub struct ResponseInit {
    pub status: i64,
    pub headers: Vec<(String, String)>,
    /// `json` (`body` holds the JSON text), `text`, `bytes`, `empty`, `keep` (a response
    /// hook's response keeps the body it was shown), `stream` or `sse` (`stream` holds the
    /// enumerator's handle).
    pub kind: String,
    pub body: Option<Bytes>,
    pub stream: Option<u32>,
    /// For an event stream: a keep-alive comment after this many seconds of silence.
    pub keep_alive: Option<f64>,
}

/// A response Ruby built (for a response hook, the response it was `shown` as it left it).
pub fn from_init(
    init: ResponseInit,
    shown: Option<HandlerResponse>,
    dispatcher: &Arc<Dispatcher>,
) -> Result<Returned, ForeignError> {
    let status = u16::try_from(init.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| internal(format!("invalid response status {}", init.status)))?;
    let body = init.body.unwrap_or_default();
    let mut response = match init.kind.as_str() {
        "json" => HandlerResponse::new(status, ResponseBody::JsonBytes(body)),
        "text" | "bytes" => HandlerResponse::new(status, ResponseBody::Bytes(body)),
        "stream" | "sse" => {
            let handle = init
                .stream
                .ok_or_else(|| internal("a streamed response without its enumerator".into()))?;
            let iterator = RbValue::new(handle, Some(dispatcher));
            let close = Arc::new(RbFn::bound(dispatcher, CLOSE, iterator.alias(), "stream close"));
            if init.kind == "stream" {
                let next = Arc::new(RbFn::bound(dispatcher, NEXT_CHUNK, iterator, "stream"));
                HandlerResponse::new(status, ResponseBody::Stream(items::body(next, Some(close))))
            } else {
                let next = Arc::new(RbFn::bound(dispatcher, NEXT_EVENT, iterator, "event stream"));
                let mut events = items::events(next, Some(close));
                if let Some(seconds) = init.keep_alive.filter(|s| s.is_finite() && *s > 0.0) {
                    events = events.keep_alive(Duration::from_secs_f64(seconds));
                }
                HandlerResponse::new(status, ResponseBody::Sse(events))
            }
        }
        "keep" => match shown {
            Some(mut kept) => {
                kept.status = status;
                kept.headers.clear();
                kept
            }
            None => HandlerResponse::new(status, ResponseBody::Empty),
        },
        _ => HandlerResponse::new(status, ResponseBody::Empty),
    };
    for (name, value) in &init.headers {
        let (name, value) = header(name, value)?;
        response.headers.append(name, value);
    }
    Ok(Returned::Response(response))
}

/// A raised exception, described by the package: an `HTTPError` (`status_code`, `detail`,
/// `headers`, `extra`) keeps its status, headers and members; anything else (`class`,
/// `message`, `backtrace`) is logged and answered with the generic 500 problem.
pub fn from_raised(name: &str, described: &Value) -> ForeignError {
    if described.get("status_code").is_some() {
        return match HttpProblem::from_json(described) {
            Ok(err) => ForeignError::new(err),
            Err(e) => internal(format!("{name} raised an invalid HTTPError: {e}")),
        };
    }
    let class = described.get("class").and_then(Value::as_str).unwrap_or("an exception");
    let message = described.get("message").and_then(Value::as_str).unwrap_or("");
    let backtrace = described.get("backtrace").and_then(Value::as_str).unwrap_or("");
    tracing::error!(handler = name, error = class, message, backtrace, "handler raised");
    internal(format!("{name} raised {class}"))
}

/// A streamed body's next chunk (`None`: the end).
pub fn chunk(bytes: Option<Bytes>) -> Returned {
    bytes.map_or(Returned::Nothing, |b| Returned::Value(Resolved::new(b)))
}

/// An event stream's next event, described as JSON text (`None`: the end).
pub fn event(json: Option<Bytes>) -> Result<Returned, ForeignError> {
    let Some(json) = json else {
        return Ok(Returned::Nothing);
    };
    let event = event_from_json(parse(&json)?).map_err(SpikardError::Internal)?;
    Ok(Returned::Value(Resolved::new(event)))
}
