//! AsyncAPI 3.0 document for WebSocket and SSE routes.
//!
//! Each route is a channel at its address; what the client sends over a
//! WebSocket is a `receive` operation of the application, what the server
//! sends (WebSocket messages, SSE events) a `send` operation. Payload schemas
//! go through the same `$defs` hoisting as the OpenAPI document.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::config::OpenApiConfig;
//! use spikard_core::openapi::{asyncapi_document, ChannelDoc, ChannelKind};
//! let mut chat = ChannelDoc::new(ChannelKind::WebSocket, "/ws/{room}");
//! chat.receive_schema = Some(json!({"type": "object", "properties": {"text": {"type": "string"}}}));
//! let doc = asyncapi_document(&OpenApiConfig::default(), &[chat]);
//! assert_eq!(doc["asyncapi"], "3.0.0");
//! assert_eq!(doc["channels"]["ws_room"]["address"], "/ws/{room}");
//! assert_eq!(doc["operations"]["ws_room_receive"]["action"], "receive");
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::schema::SchemaRegistry;
use super::{openapi_path, title_or_none};
use crate::config::OpenApiConfig;
use crate::route_pattern::RoutePattern;

/// The transport of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    #[serde(alias = "ws")]
    WebSocket,
    Sse,
}

/// What the generator needs to know about a WebSocket or SSE route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelDoc {
    pub kind: ChannelKind,
    /// Route pattern such as `/ws/{room}`.
    pub path: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Schema of the messages clients send (WebSocket only).
    #[serde(default)]
    pub receive_schema: Option<Value>,
    /// Schema of the messages or events the server sends.
    #[serde(default)]
    pub send_schema: Option<Value>,
}

impl ChannelDoc {
    pub fn new(kind: ChannelKind, path: &str) -> Self {
        Self {
            kind,
            path: path.to_owned(),
            summary: None,
            description: None,
            tags: Vec::new(),
            receive_schema: None,
            send_schema: None,
        }
    }
}

/// `/ws/{room:int}/feed` → `ws_room_feed`.
fn channel_id(path: &str) -> String {
    let id: Vec<String> = openapi_path(path)
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.chars()
                .filter(|c| *c != '{' && *c != '}')
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .collect();
    if id.is_empty() {
        "root".into()
    } else {
        id.join("_")
    }
}

fn message(registry: &mut SchemaRegistry, name: &str, schema: Option<&Value>, kind: ChannelKind) -> Value {
    let mut m = json!({"name": name, "contentType": "application/json"});
    if kind == ChannelKind::Sse {
        m["summary"] = json!("The `data` of an SSE event");
    }
    if let Some(s) = schema {
        m["payload"] = registry.add(s.clone(), true);
    }
    m
}

/// Generate the AsyncAPI 3.0 document for `channels`.
pub fn asyncapi_document(config: &OpenApiConfig, channels: &[ChannelDoc]) -> Value {
    let mut registry = SchemaRegistry::default();
    let mut channels_out = Map::new();
    let mut operations = Map::new();
    let mut sorted: Vec<&ChannelDoc> = channels.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for ch in sorted {
        let mut id = channel_id(&ch.path);
        let base = id.clone();
        let mut n = 2;
        while channels_out.contains_key(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        let mut channel = Map::new();
        channel.insert("address".into(), json!(openapi_path(&ch.path)));
        if let Some(s) = title_or_none(&ch.summary) {
            channel.insert("summary".into(), json!(s));
        }
        let description = ch.description.clone().unwrap_or_else(|| {
            match ch.kind {
                ChannelKind::WebSocket => "WebSocket",
                ChannelKind::Sse => "Server-Sent Events (`text/event-stream`)",
            }
            .into()
        });
        channel.insert("description".into(), json!(description));
        if let Ok(pattern) = RoutePattern::parse(&ch.path) {
            let params: Map<String, Value> = pattern
                .params()
                .map(|(name, _)| {
                    (
                        name.to_owned(),
                        json!({"description": format!("Path segment `{name}`.")}),
                    )
                })
                .collect();
            if !params.is_empty() {
                channel.insert("parameters".into(), Value::Object(params));
            }
        }
        let mut messages = Map::new();
        let mut ops: Vec<(&str, &str)> = Vec::new();
        if ch.kind == ChannelKind::WebSocket {
            messages.insert(
                "received".into(),
                message(&mut registry, "received", ch.receive_schema.as_ref(), ch.kind),
            );
            ops.push(("receive", "received"));
        }
        let sent = if ch.kind == ChannelKind::Sse { "event" } else { "sent" };
        if ch.kind == ChannelKind::Sse || ch.send_schema.is_some() {
            messages.insert(
                sent.into(),
                message(&mut registry, sent, ch.send_schema.as_ref(), ch.kind),
            );
            ops.push(("send", sent));
        }
        channel.insert("messages".into(), Value::Object(messages));
        if ch.kind == ChannelKind::WebSocket {
            channel.insert(
                "bindings".into(),
                json!({"ws": {"method": "GET", "bindingVersion": "0.1.0"}}),
            );
        }
        for (action, msg) in ops {
            let mut op = json!({
                "action": action,
                "channel": {"$ref": format!("#/channels/{id}")},
                "messages": [{"$ref": format!("#/channels/{id}/messages/{msg}")}]
            });
            if !ch.tags.is_empty() {
                op["tags"] = Value::Array(ch.tags.iter().map(|t| json!({"name": t})).collect());
            }
            operations.insert(format!("{id}_{action}"), op);
        }
        channels_out.insert(id, Value::Object(channel));
    }
    let mut info = json!({"title": config.title, "version": config.version});
    if let Some(d) = &config.description {
        info["description"] = json!(d);
    }
    let mut doc = json!({
        "asyncapi": "3.0.0",
        "info": info,
        "defaultContentType": "application/json",
        "channels": channels_out,
        "operations": operations,
    });
    let schemas = registry.into_schemas();
    if !schemas.is_empty() {
        doc["components"] = json!({"schemas": schemas});
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_and_sse_channels() {
        let mut ws = ChannelDoc::new(ChannelKind::WebSocket, "/ws/{room:int}");
        ws.receive_schema = Some(
            json!({"title": "Chat", "type": "object", "properties": {"kind": {"$ref": "#/$defs/Kind"}},
                                      "$defs": {"Kind": {"enum": ["text", "join"]}}}),
        );
        ws.send_schema = Some(json!({"type": "string"}));
        let sse = ChannelDoc::new(ChannelKind::Sse, "/events");
        let doc = asyncapi_document(&OpenApiConfig::default(), &[ws, sse]);
        assert_eq!(
            doc["channels"]["ws_room"],
            json!({
                "address": "/ws/{room}",
                "description": "WebSocket",
                "parameters": {"room": {"description": "Path segment `room`."}},
                "messages": {
                    "received": {"name": "received", "contentType": "application/json",
                                 "payload": {"$ref": "#/components/schemas/Chat"}},
                    "sent": {"name": "sent", "contentType": "application/json", "payload": {"type": "string"}}
                },
                "bindings": {"ws": {"method": "GET", "bindingVersion": "0.1.0"}}
            })
        );
        assert_eq!(
            doc["operations"]["ws_room_receive"],
            json!({"action": "receive", "channel": {"$ref": "#/channels/ws_room"},
                   "messages": [{"$ref": "#/channels/ws_room/messages/received"}]})
        );
        assert_eq!(doc["operations"]["ws_room_send"]["action"], "send");
        assert_eq!(
            doc["operations"]["events_send"]["messages"][0]["$ref"],
            "#/channels/events/messages/event"
        );
        assert_eq!(
            doc["components"]["schemas"]["Kind"],
            json!({"enum": ["text", "join"], "type": "string"})
        );
        assert_eq!(
            doc["components"]["schemas"]["Chat"]["properties"]["kind"],
            json!({"$ref": "#/components/schemas/Kind"})
        );
    }

    #[test]
    fn no_channels_is_still_a_document() {
        let doc = asyncapi_document(&OpenApiConfig::default(), &[]);
        assert_eq!(doc["channels"], json!({}));
        assert_eq!(doc["operations"], json!({}));
        assert!(doc.get("components").is_none());
    }
}
