//! SSE and WebSocket message fixtures (`channel`, `protocol`, `schema`,
//! `examples`, `operations`; no request). The runner registers the channel on
//! the real API and drives it with the test client:
//!
//! - SSE: a route (with `schema` as its `event_schema`) emitting every example as an
//!   event (JSON data); each received event's data must equal its example and
//!   validate against `schema`. The framework ends the stream at the first example
//!   that breaks the schema, so only the examples before it may arrive.
//!   Project extension: `sse_events` (events to emit: `event`, `id`, `data` (string
//!   or JSON), `retry`, `comment`) with `expected_body` (the exact stream), and
//!   `keep_alive_ms` (after the events, a keep-alive comment must follow).
//! - WebSocket: a route validating incoming messages against `schema` and echoing
//!   valid ones. Each example is sent: one that validates must come back, one that
//!   does not must get the validation error frame. A message derived from the
//!   schema (a required field dropped, or a value of the wrong type) must get the
//!   error frame too, and the connection must stay open. Project extension:
//!   `exchanges` (`send` JSON / `send_text` / `send_binary_base64`, then `expect`
//!   JSON reply, `expect_text`, `expect_binary_base64` or `expect_close` code) and
//!   `max_message_size`.

use base64::Engine;
use futures_util::future::BoxFuture;
use serde_json::{json, Value};
use spikard::ws::{close_code, websocket, WsConnection, WsMessage};
use spikard::{get, App, Ctx, IntoResponse, Response, SseEvent, TestClient, WsFrame};
use spikard_core::validation::SchemaValidator;
use spikard_http::testing::SseMessage;
use spikard_http::HandlerResponse;

use crate::fixture::Fixture;
use crate::play::{is_problem, Outcome};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Sse,
    WebSocket,
}

fn protocol(f: &Fixture) -> Option<Protocol> {
    if f.json.get("request").is_some() {
        return None;
    }
    let named = f.json.get("protocol").and_then(Value::as_str).unwrap_or(&f.category);
    match named.to_ascii_lowercase().as_str() {
        "sse" | "server-sent-events" => Some(Protocol::Sse),
        "websocket" | "websockets" | "ws" | "wss" => Some(Protocol::WebSocket),
        _ => None,
    }
}

/// Play a message fixture, or `None` when the fixture is not one.
pub fn play(f: &Fixture) -> Option<BoxFuture<'static, Outcome>> {
    let protocol = protocol(f)?;
    let f = f.clone();
    Some(Box::pin(async move {
        let problems = match protocol {
            Protocol::Sse => play_sse(&f).await,
            Protocol::WebSocket => play_websocket(&f).await,
        };
        if problems.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(problems)
        }
    }))
}

/// The channel as a route pattern and as a concrete path (`{param}` filled in).
fn channel(f: &Fixture, default: &str) -> (String, String) {
    let pattern = f
        .json
        .get("channel")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map_or_else(
            || default.to_owned(),
            |c| {
                if c.starts_with('/') {
                    c.to_owned()
                } else {
                    format!("/{c}")
                }
            },
        );
    let mut path = String::new();
    let mut rest = pattern.as_str();
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else { break };
        path.push_str(&rest[..start]);
        path.push_str("sample");
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    (pattern, path)
}

fn examples(f: &Fixture) -> Vec<Value> {
    f.json
        .get("examples")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn validator(f: &Fixture) -> Result<Option<SchemaValidator>, String> {
    f.json
        .get("schema")
        .map(|s| SchemaValidator::compile(s).map_err(|e| format!("fixture schema: {e}")))
        .transpose()
}

fn event_of(spec: &Value) -> SseEvent {
    let text = |k: &str| spec.get(k).and_then(Value::as_str).map(str::to_owned);
    SseEvent {
        event: text("event"),
        id: text("id"),
        data: spec
            .get("data")
            .map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_owned)),
        retry: spec.get("retry").and_then(Value::as_u64),
        comment: text("comment"),
    }
}

/// Whether the fixture is an SSE message fixture.
pub fn is_sse(f: &Fixture) -> bool {
    protocol(f) == Some(Protocol::Sse)
}

/// Whether the fixture is a WebSocket message fixture.
pub fn is_websocket(f: &Fixture) -> bool {
    protocol(f) == Some(Protocol::WebSocket)
}

/// An SSE fixture's channel: its route, and the events its handler emits.
pub struct SseChannel {
    /// The route pattern and the path requested.
    pub pattern: String,
    pub path: String,
    /// The route's `event_schema`.
    pub schema: Option<Value>,
    pub events: Vec<SseEvent>,
    /// After the events, the stream stays open with keep-alive comments this often.
    pub keep_alive_ms: Option<u64>,
}

/// The channel an SSE fixture describes.
pub fn sse_channel(f: &Fixture) -> SseChannel {
    let name = f.json.get("name").and_then(Value::as_str).map(str::to_owned);
    let events: Vec<SseEvent> = match f.json.get("sse_events").and_then(Value::as_array) {
        Some(specs) => specs.iter().map(event_of).collect(),
        None => examples(f)
            .iter()
            .map(|e| {
                let ev = SseEvent::data(e.to_string());
                match &name {
                    Some(n) => ev.event(n.clone()),
                    None => ev,
                }
            })
            .collect(),
    };
    let (pattern, path) = channel(f, "/events");
    SseChannel {
        pattern,
        path,
        schema: f.json.get("schema").cloned(),
        events,
        keep_alive_ms: f.json.get("keep_alive_ms").and_then(Value::as_u64),
    }
}

impl SseChannel {
    /// The handler's answer: every event (then, with a keep-alive, an open stream).
    pub fn response(&self) -> Result<HandlerResponse, spikard::Error> {
        let items: Vec<Result<SseEvent, std::io::Error>> = self.events.iter().cloned().map(Ok).collect();
        let events = futures_util::stream::iter(items);
        match self.keep_alive_ms {
            Some(ms) => {
                use futures_util::StreamExt;
                Response::sse(events.chain(futures_util::stream::pending()))
                    .keep_alive(std::time::Duration::from_millis(ms))
                    .into_response()
            }
            None => Response::sse(events).into_response(),
        }
    }
}

async fn play_sse(f: &Fixture) -> Vec<String> {
    let channel = std::sync::Arc::new(sse_channel(f));
    let mut app = App::new();
    let mut route = get(&channel.pattern);
    if let Some(schema) = &channel.schema {
        route = route.sse_events(schema.clone());
    } else {
        route = route.sse();
    }
    let emitted = channel.clone();
    let registered = app.route(route.handler(move |_ctx: Ctx| {
        let response = emitted.response();
        async move { response }
    }));
    if let Err(e) = registered {
        return vec![format!("SSE route {}: {e}", channel.pattern)];
    }
    let client = match app.try_test_client() {
        Ok(c) => c,
        Err(e) => return vec![format!("app did not build: {e}")],
    };
    check_sse(f, &channel, &client).await
}

/// Read the channel's stream with `client` and compare it with the fixture.
pub async fn check_sse(f: &Fixture, channel: &SseChannel, client: &TestClient) -> Vec<String> {
    let mut out = Vec::new();
    let validator = match validator(f) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let examples = examples(f);
    let (path, events, keep_alive) = (&channel.path, &channel.events, channel.keep_alive_ms);
    let mut res = client.get(path).send_streaming().await;
    if res.status != 200 {
        return vec![format!("GET {path}: status {}", res.status)];
    }
    for (h, want) in [("content-type", "text/event-stream"), ("cache-control", "no-cache")] {
        if res.header(h) != Some(want) {
            out.push(format!("header {h}: {:?}, expected {want:?}", res.header(h)));
        }
    }
    // The route declares the schema, so the framework stops at the first example that
    // breaks it: only the examples before it may arrive, then the stream ends.
    let deliverable = match (&validator, f.json.get("sse_events")) {
        (Some(v), None) => examples.iter().take_while(|e| v.is_valid(e)).count(),
        _ => events.len(),
    };
    let mut received = Vec::new();
    let mut body = String::new();
    while received.len() < deliverable {
        let Some(block) = res.next_event_text().await else {
            break;
        };
        received.push(SseMessage::parse_all(&block).pop().unwrap_or_default());
        body.push_str(&block);
    }
    if received.len() != deliverable {
        out.push(format!("received {} events, expected {deliverable}", received.len()));
    }
    if deliverable < events.len() {
        if let Some(extra) = res.next_event_text().await {
            out.push(format!(
                "example {deliverable} breaks the schema, yet the stream went on: {extra:?}"
            ));
        }
    }
    if let Some(ms) = keep_alive {
        match res.next_event().await {
            Some(b) if b.comments == ["keep-alive"] && b.data.is_none() => {}
            other => out.push(format!("expected a keep-alive comment after {ms} ms, got {other:?}")),
        }
    }
    if let Some(want) = f.json.get("expected_body").and_then(Value::as_str) {
        if body != want {
            out.push(format!("event stream {body:?} != expected {want:?}"));
        }
    }
    if f.json.get("sse_events").is_none() {
        for (i, (block, example)) in received.iter().zip(&examples).enumerate() {
            let Some(data) = block.json() else {
                out.push(format!("event {i}: data {:?} is not JSON", block.data));
                continue;
            };
            if data != *example {
                out.push(format!("event {i}: data {data} != example {example}"));
            }
            if let Some(v) = &validator {
                let errors = v.validate(&data, &[]);
                if !errors.is_empty() {
                    out.push(format!(
                        "event {i}: data does not validate against the schema: {errors:?}"
                    ));
                }
            }
        }
    }
    out
}

/// A message the schema refuses, derived from it: an example without a required
/// field, or a value of another type. With the field name when one was dropped.
fn invalid_message(schema: &Value, example: Option<&Value>) -> Option<(Value, Option<String>)> {
    let required = schema.get("required").and_then(Value::as_array);
    if let (Some(Value::Object(obj)), Some(required)) = (example, required) {
        if let Some(field) = required.iter().filter_map(Value::as_str).find(|r| obj.contains_key(*r)) {
            let mut m = obj.clone();
            m.remove(field);
            return Some((Value::Object(m), Some(field.to_owned())));
        }
    }
    let wrong = match schema.get("type").and_then(Value::as_str)? {
        "object" => json!([]),
        "array" => json!({}),
        "string" => json!(0),
        "integer" | "number" | "boolean" | "null" => json!("not of the schema's type"),
        _ => return None,
    };
    Some((wrong, None))
}

/// Whether a frame is the validation error frame (with a `missing` entry for `field`).
fn is_validation_frame(frame: &Value, field: Option<&str>) -> bool {
    let typed =
        is_problem(frame) && frame["type"] == "https://spikard.dev/errors/validation-error" && frame["status"] == 422;
    let names_field = field.is_none_or(|name| {
        frame["errors"].as_array().is_some_and(|errs| {
            errs.iter()
                .any(|e| e["type"] == "missing" && e["loc"] == json!(["body", name]))
        })
    });
    typed && names_field
}

/// A WebSocket fixture's channel: its route pattern, the path requested, the schema incoming
/// messages must follow and the size limit.
pub struct WsChannel {
    pub pattern: String,
    pub path: String,
    pub schema: Option<Value>,
    pub max_message_size: Option<usize>,
}

/// The channel a WebSocket fixture describes.
pub fn ws_channel(f: &Fixture) -> WsChannel {
    let (pattern, path) = channel(f, "/ws");
    WsChannel {
        pattern,
        path,
        schema: f.json.get("schema").cloned(),
        max_message_size: f
            .json
            .get("max_message_size")
            .and_then(Value::as_u64)
            .map(|max| usize::try_from(max).unwrap_or(usize::MAX)),
    }
}

async fn play_websocket(f: &Fixture) -> Vec<String> {
    let channel = ws_channel(f);
    let mut route = websocket(&channel.pattern);
    if let Some(schema) = &channel.schema {
        route = route.message_schema(schema.clone());
    }
    if let Some(max) = channel.max_message_size {
        route = route.max_message_size(max);
    }
    let mut app = App::new();
    let echo = route.on_message(|conn: WsConnection, message: WsMessage| async move {
        let _ = conn.send(message).await;
        Ok(())
    });
    if let Err(e) = app.websocket(echo) {
        return vec![format!("WebSocket route {}: {e}", channel.pattern)];
    }
    let client: TestClient = match app.try_test_client() {
        Ok(c) => c,
        Err(e) => return vec![format!("app did not build: {e}")],
    };
    check_websocket(f, &channel, &client).await
}

/// Connect to the channel (whose route echoes valid messages) with `client` and play the
/// fixture's messages.
pub async fn check_websocket(f: &Fixture, channel: &WsChannel, client: &TestClient) -> Vec<String> {
    let validator = match validator(f) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let path = &channel.path;
    let mut ws = match client.websocket(path).connect().await {
        Ok(ws) => ws,
        Err(res) => return vec![format!("upgrade of {path} refused: {} {}", res.status, res.text())],
    };
    let mut out = Vec::new();
    let examples = examples(f);
    for (i, example) in examples.iter().enumerate() {
        if ws.send_json(example).await.is_err() {
            out.push(format!("example {i}: could not send"));
            return out;
        }
        let reply = ws.recv().await;
        let valid = validator.as_ref().is_none_or(|v| v.is_valid(example));
        let got = reply.as_ref().and_then(WsFrame::json);
        if valid && got.as_ref() != Some(example) {
            out.push(format!("example {i}: reply {reply:?}, expected the message back"));
        }
        if !valid && !got.as_ref().is_some_and(|g| is_validation_frame(g, None)) {
            out.push(format!(
                "example {i} does not validate against the schema: expected the error frame, got {reply:?}"
            ));
        }
    }
    if let Some(schema) = f.json.get("schema") {
        let first_valid = examples
            .iter()
            .find(|e| validator.as_ref().is_none_or(|v| v.is_valid(e)));
        if let Some((message, field)) = invalid_message(schema, first_valid.or(examples.first())) {
            if validator.as_ref().is_some_and(|v| !v.is_valid(&message)) {
                let _ = ws.send_json(&message).await;
                let reply = ws.recv().await;
                if !reply
                    .as_ref()
                    .and_then(WsFrame::json)
                    .is_some_and(|g| is_validation_frame(&g, field.as_deref()))
                {
                    out.push(format!(
                        "invalid message {message}: expected the error frame, got {reply:?}"
                    ));
                }
                if let Some(valid) = first_valid {
                    let _ = ws.send_json(valid).await;
                    if ws.recv().await.as_ref().and_then(WsFrame::json).as_ref() != Some(valid) {
                        out.push("the connection did not stay usable after the error frame".into());
                    }
                }
            }
        }
    }
    out.extend(exchanges(f, &mut ws).await);
    if out.is_empty()
        && !matches!(f.json.get("exchanges"), Some(Value::Array(x)) if x.iter().any(|e| e.get("expect_close").is_some()))
    {
        let _ = ws.close(close_code::NORMAL, "done").await;
        match ws.recv().await {
            Some(WsFrame::Close(1000, _)) => {}
            other => out.push(format!("closing: expected the close reply 1000, got {other:?}")),
        }
    }
    out
}

async fn exchanges(f: &Fixture, ws: &mut spikard::TestWebSocket) -> Vec<String> {
    let mut out = Vec::new();
    let Some(list) = f.json.get("exchanges").and_then(Value::as_array) else {
        return out;
    };
    for (i, x) in list.iter().enumerate() {
        let sent = if let Some(v) = x.get("send") {
            ws.send_json(v).await
        } else if let Some(t) = x.get("send_text").and_then(Value::as_str) {
            ws.send_text(t).await
        } else if let Some(b) = x.get("send_binary_base64").and_then(Value::as_str) {
            match base64::engine::general_purpose::STANDARD.decode(b) {
                Ok(bytes) => ws.send_binary(bytes).await,
                Err(e) => Err(format!("invalid base64: {e}")),
            }
        } else {
            Err("nothing to send".into())
        };
        if let Err(e) = sent {
            out.push(format!("exchange {i}: {e}"));
            break;
        }
        let reply = ws.recv().await;
        if let Some(code) = x.get("expect_close").and_then(Value::as_u64) {
            match &reply {
                Some(WsFrame::Close(c, _)) if u64::from(*c) == code => {}
                other => out.push(format!("exchange {i}: expected close {code}, got {other:?}")),
            }
        } else if let Some(want) = x.get("expect_text").and_then(Value::as_str) {
            if reply != Some(WsFrame::Text(want.to_owned())) {
                out.push(format!("exchange {i}: reply {reply:?} != expected text {want:?}"));
            }
        } else if let Some(want) = x.get("expect_binary_base64").and_then(Value::as_str) {
            let want = base64::engine::general_purpose::STANDARD
                .decode(want)
                .unwrap_or_default();
            if reply != Some(WsFrame::Binary(want.clone().into())) {
                out.push(format!("exchange {i}: reply {reply:?} != expected bytes {want:?}"));
            }
        } else if let Some(want) = x.get("expect") {
            if reply.as_ref().and_then(WsFrame::json).as_ref() != Some(want) {
                out.push(format!("exchange {i}: reply {reply:?} != expected {want}"));
            }
        }
    }
    out
}
