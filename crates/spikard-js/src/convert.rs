//! Values between JavaScript and the core: the request as a plain object (a
//! `serde_json::Value` the binding hands over as it likes), and what a call is settled
//! with, as plain structs each binding reads from its objects (the core's
//! `foreign::described` turns them into its values).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};
use spikard_core::SpikardError;
use spikard_http::foreign::described::{self, Body};
use spikard_http::foreign::{items, ForeignError, ForeignFn, Outcome, RequestView, Returned};
use spikard_http::handler::RequestData;
use spikard_http::response::HandlerResponse;

use crate::call::{JsFn, JsValue, CLOSE, NEXT_CHUNK, NEXT_EVENT};
use crate::dispatch::Dispatcher;

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

/// A response JavaScript built: status, header pairs and one body.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseInit {
    pub status: u32,
    /// `[name, value]` pairs, in order (a repeated name sends several values).
    pub headers: Vec<Vec<String>>,
    /// `json` (`text` holds the JSON), `text`, `bytes`, `empty`, `keep` (a response
    /// hook's response keeps the body it was shown), `file` (`text` describes it as
    /// `described::file` reads, `bytes` are an in-memory file's), `stream` or `sse`
    /// (`stream` holds the iterator's handle).
    pub kind: String,
    pub text: Option<String>,
    #[serde(default)]
    pub bytes: Option<Bytes>,
    /// The handle of the (async) iterator of a streamed body or an event stream.
    pub stream: Option<u32>,
    /// For an event stream: a keep-alive comment after this many seconds of silence.
    pub keep_alive: Option<f64>,
}

/// What a call did to the request object it was given.
#[derive(Debug, Default, serde::Deserialize)]
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
    let state = effects.and_then(|e| e.state.as_deref()).map(str::as_bytes);
    let headers: Vec<(String, String)> = effects
        .and_then(|e| e.headers.as_ref())
        .map(|pairs| pairs.iter().map(|p| pair(p)).collect::<Result<_, _>>())
        .transpose()?
        .unwrap_or_default();
    described::outcome(returned, state, &headers)
}

fn pair(pair: &[String]) -> Result<(String, String), ForeignError> {
    match pair {
        [name, value] => Ok((name.clone(), value.clone())),
        _ => Err(SpikardError::Internal("a header is not a [name, value] pair".into()).into()),
    }
}

/// A response JavaScript built (a `Response`, or a string or bytes returned; for a
/// response hook, the response it was `shown` as it left it).
pub fn from_init(
    init: ResponseInit,
    shown: Option<HandlerResponse>,
    dispatcher: &Arc<Dispatcher>,
) -> Result<Returned, ForeignError> {
    let body = match init.kind.as_str() {
        "json" => Body::Json(Bytes::from(init.text.unwrap_or_else(|| "null".into()))),
        "text" => Body::Bytes(Bytes::from(init.text.unwrap_or_default())),
        "bytes" => Body::Bytes(init.bytes.unwrap_or_default()),
        "keep" => Body::Keep,
        // `text` describes the file (`described::file`), `bytes` hold an in-memory one.
        "file" => described::file(init.text.unwrap_or_default().as_bytes(), init.bytes)?,
        "stream" | "sse" => {
            let handle = init
                .stream
                .ok_or_else(|| SpikardError::Internal("a streamed response without its iterator".into()))?;
            let iterator = JsValue::new(handle, Some(dispatcher));
            let close: Arc<dyn ForeignFn> = Arc::new(JsFn::bound(dispatcher, CLOSE, iterator.alias(), "stream close"));
            if init.kind == "stream" {
                let next = Arc::new(JsFn::bound(dispatcher, NEXT_CHUNK, iterator, "stream"));
                Body::Stream(items::body(next, Some(close)))
            } else {
                let next = Arc::new(JsFn::bound(dispatcher, NEXT_EVENT, iterator, "event stream"));
                let mut events = items::events(next, Some(close));
                if let Some(seconds) = init.keep_alive.filter(|s| s.is_finite() && *s > 0.0) {
                    events = events.keep_alive(Duration::from_secs_f64(seconds));
                }
                Body::Events(events)
            }
        }
        _ => Body::Empty,
    };
    let headers: Vec<(String, String)> = init.headers.iter().map(|p| pair(p)).collect::<Result<_, _>>()?;
    described::response(i64::from(init.status), &headers, body, shown)
}

/// A thrown error: an `HttpError` (described as `status_code`, `detail`, `headers`,
/// `extra`) keeps its status, headers and members; anything else (`message`, `stack`) is
/// logged and answered with the generic 500 problem.
pub fn from_thrown(name: &str, described: &Value) -> ForeignError {
    described::from_raised(name, described)
}
