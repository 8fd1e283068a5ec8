//! Values between JavaScript and the core: the request as a plain object (built natively
//! by napi from a `serde_json::Value`, no JSON text), and what a call is settled with as
//! the core's [`Returned`] value, as the call's [`Expect`] says.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use spikard_core::{HttpProblem, SpikardError};
use spikard_http::di::Resolved;
use spikard_http::foreign::{
    body_view, event_from_json, headers_view, items, BodyView, Expect, ForeignError, ForeignFn, Outcome, RequestView,
    Returned,
};
use spikard_http::handler::RequestData;
use spikard_http::hooks::HookRequest;

use crate::call::{JsFn, JsValue, CLOSE, NEXT_CHUNK, NEXT_EVENT};
use crate::dispatch::Dispatcher;
use spikard_http::response::{HandlerResponse, ResponseBody};

/// The request as the handler's context object: `method`, `path`, `params`, `query`,
/// `headers`, `cookies`, `body`, `state`.
pub fn request_object(data: &Arc<RequestData>) -> Value {
    let view = RequestView::new(Arc::clone(data));
    let body = view.json().map(|b| b.into_owned()).unwrap_or(Value::Null);
    let mut out = Map::with_capacity(8);
    out.insert("method".into(), Value::from(data.method.as_str()));
    out.insert("path".into(), Value::from(data.path.as_str()));
    out.insert("params".into(), Value::Object(data.path_params.clone()));
    out.insert("query".into(), Value::Object(view.query()));
    out.insert("headers".into(), Value::Object(view.headers()));
    out.insert("cookies".into(), Value::Object(view.cookies()));
    out.insert("body".into(), body);
    out.insert("state".into(), Value::Object(data.state.clone()));
    Value::Object(out)
}

/// What a response hook is shown: `status`, `headers` (by name; a repeated header and
/// `set-cookie` as a list), `body` (the JSON value, the text, or `null`) and `bodyKind`
/// (`json`, `text`, `bytes` (not UTF-8: not shown) or `none`).
pub fn response_object(response: &HandlerResponse) -> Result<Value, String> {
    let (body, kind) = match body_view(&response.body)? {
        BodyView::Json(v) => (v.into_owned(), "json"),
        BodyView::Bytes(b) => match std::str::from_utf8(b) {
            Ok(text) => (Value::from(text), "text"),
            Err(_) => (Value::Null, "bytes"),
        },
        BodyView::None => (Value::Null, "none"),
    };
    let mut out = Map::with_capacity(4);
    out.insert("status".into(), Value::from(response.status.as_u16()));
    out.insert("headers".into(), Value::Object(headers_view(&response.headers)));
    out.insert("body".into(), body);
    out.insert("bodyKind".into(), Value::from(kind));
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

/// A response JavaScript built: status, header pairs and one body.
#[napi_derive::napi(object)]
pub struct ResponseInit {
    pub status: u32,
    /// `[name, value]` pairs, in order (a repeated name sends several values).
    pub headers: Vec<Vec<String>>,
    /// `json` (`text` holds the JSON), `text`, `bytes`, `empty`, `keep` (a response
    /// hook's response keeps the body it was shown), `stream` or `sse` (`stream` holds the
    /// iterator's handle).
    pub kind: String,
    pub text: Option<String>,
    pub bytes: Option<napi::bindgen_prelude::Buffer>,
    /// The handle of the (async) iterator of a streamed body or an event stream.
    pub stream: Option<u32>,
    /// For an event stream: a keep-alive comment after this many seconds of silence.
    pub keep_alive: Option<f64>,
}

/// A JSON result, as the JSON text `JSON.stringify` made of it (one pass from the
/// language's objects to the response bytes): a 200 JSON response, go-on for a request
/// hook's `null`, a dependency's value.
pub fn from_json(expect: Expect, json: String) -> Result<Returned, ForeignError> {
    Ok(match expect {
        Expect::Unit => Returned::Nothing,
        Expect::Flow if json == "null" => Returned::Nothing,
        Expect::Dependency => Returned::Value(Resolved::json(parse(&json)?)),
        _ => Returned::Response(HandlerResponse::new(
            StatusCode::OK,
            ResponseBody::JsonBytes(Bytes::from(json)),
        )),
    })
}

fn parse(json: &str) -> Result<Value, ForeignError> {
    serde_json::from_str(json).map_err(|e| SpikardError::Internal(format!("result is not JSON: {e}")).into())
}

/// What a call did to the request object it was given.
#[napi_derive::napi(object)]
pub struct Effects {
    /// The request's `state` as JSON text, when it is not empty.
    pub state: Option<String>,
    /// Headers to add to the response (`req.replyHeader`), `[name, value]` pairs.
    pub headers: Option<Vec<Vec<String>>>,
    /// Handles of background tasks to run (`req.addTask`).
    pub tasks: Option<Vec<u32>>,
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
            _ => return Err(SpikardError::Internal("request state must be an object".into()).into()),
        }
    }
    for pair in effects.headers.iter().flatten() {
        let (name, value) = header(pair)?;
        outcome.reply_headers.push((name, value));
    }
    Ok(outcome)
}

fn header(pair: &[String]) -> Result<(HeaderName, HeaderValue), ForeignError> {
    let [name, value] = pair else {
        return Err(SpikardError::Internal("a header is not a [name, value] pair".into()).into());
    };
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| SpikardError::Internal(format!("invalid header name '{name}': {e}")))?;
    let value = HeaderValue::from_str(value)
        .map_err(|e| SpikardError::Internal(format!("invalid value for header '{name}': {e}")))?;
    Ok((name, value))
}

/// A response JavaScript built (a `Response`, or a string or bytes returned; for a
/// response hook, the response it was `shown` as it left it).
pub fn from_init(
    init: ResponseInit,
    shown: Option<HandlerResponse>,
    dispatcher: &Arc<Dispatcher>,
) -> Result<Returned, ForeignError> {
    let status = u16::try_from(init.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| SpikardError::Internal(format!("invalid response status {}", init.status)))?;
    let mut response = match init.kind.as_str() {
        "json" => HandlerResponse::new(
            status,
            ResponseBody::JsonBytes(Bytes::from(init.text.unwrap_or_else(|| "null".into()))),
        ),
        "text" => HandlerResponse::new(status, ResponseBody::Bytes(Bytes::from(init.text.unwrap_or_default()))),
        "bytes" => HandlerResponse::new(
            status,
            ResponseBody::Bytes(init.bytes.map(|b| Bytes::copy_from_slice(&b)).unwrap_or_default()),
        ),
        "stream" | "sse" => {
            let handle = init
                .stream
                .ok_or_else(|| SpikardError::Internal("a streamed response without its iterator".into()))?;
            let iterator = JsValue::new(handle, Some(dispatcher));
            let close: Arc<dyn ForeignFn> = Arc::new(JsFn::bound(dispatcher, CLOSE, iterator.alias(), "stream close"));
            if init.kind == "stream" {
                let next = Arc::new(JsFn::bound(dispatcher, NEXT_CHUNK, iterator, "stream"));
                HandlerResponse::new(status, ResponseBody::Stream(items::body(next, Some(close))))
            } else {
                let next = Arc::new(JsFn::bound(dispatcher, NEXT_EVENT, iterator, "event stream"));
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
    for pair in &init.headers {
        let (name, value) = header(pair)?;
        response.headers.append(name, value);
    }
    Ok(Returned::Response(response))
}

/// A thrown error: an `HttpError` (described as `status_code`, `detail`, `headers`,
/// `extra`) keeps its status, headers and members; anything else is logged and answered
/// with the generic 500 problem.
pub fn from_thrown(name: &str, described: &Value) -> ForeignError {
    if described.get("status_code").is_some() {
        match HttpProblem::from_json(described) {
            Ok(err) => return ForeignError::new(err),
            Err(e) => {
                return ForeignError::new(SpikardError::Internal(format!(
                    "{name} threw an invalid HttpError: {e}"
                )))
            }
        }
    }
    let message = described.get("message").and_then(Value::as_str).unwrap_or("an error");
    let stack = described.get("stack").and_then(Value::as_str).unwrap_or("");
    tracing::error!(handler = name, error = message, stack, "handler threw");
    ForeignError::new(SpikardError::Internal(format!("{name} threw {message}")))
}

/// A streamed body's next chunk (`None`: the end).
pub fn chunk(bytes: Option<Bytes>) -> Returned {
    bytes.map_or(Returned::Nothing, |b| Returned::Value(Resolved::new(b)))
}

/// An event stream's next event, described as JSON text (`None`: the end).
pub fn event(json: Option<String>) -> Result<Returned, ForeignError> {
    let Some(json) = json else {
        return Ok(Returned::Nothing);
    };
    let event = event_from_json(parse(&json)?).map_err(SpikardError::Internal)?;
    Ok(Returned::Value(Resolved::new(event)))
}
