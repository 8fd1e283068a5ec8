//! Generated AsyncAPI documents validate against the official AsyncAPI 3.0.0 JSON Schema
//! (vendored in `tests/data/asyncapi-3.0.0-schema.json`).

use serde_json::{json, Value};
use spikard_core::config::OpenApiConfig;
use spikard_core::openapi::{asyncapi_document, ChannelDoc, ChannelKind};

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("data/asyncapi-3.0.0-schema.json")).expect("vendored schema is JSON");
    jsonschema::validator_for(&schema).expect("the AsyncAPI 3.0.0 schema compiles")
}

fn assert_valid(doc: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid AsyncAPI document: {errors:#?}\n{doc:#}");
}

#[test]
fn the_vendored_schema_rejects_invalid_documents() {
    let v = validator();
    assert!(!v.is_valid(&json!({"asyncapi": "3.0.0"})), "info is required");
    let bad_action = json!({"asyncapi": "3.0.0", "info": {"title": "t", "version": "1"},
        "channels": {"c": {"address": "/c"}},
        "operations": {"o": {"action": "publish", "channel": {"$ref": "#/channels/c"}}}});
    assert!(!v.is_valid(&bad_action));
}

#[test]
fn a_chat_and_feed_app_is_valid() {
    let mut chat = ChannelDoc::new(ChannelKind::WebSocket, "/ws/rooms/{room:int}");
    chat.summary = Some("Chat room".into());
    chat.tags = vec!["chat".into()];
    chat.receive_schema = Some(json!({
        "title": "ChatMessage", "type": "object", "required": ["text"],
        "properties": {"text": {"type": "string", "maxLength": 500}, "kind": {"$ref": "#/$defs/Kind"}},
        "$defs": {"Kind": {"type": "string", "enum": ["say", "emote"]}}
    }));
    chat.send_schema =
        Some(json!({"type": "object", "properties": {"from": {"type": "string"}, "text": {"type": "string"}}}));
    let mut feed = ChannelDoc::new(ChannelKind::Sse, "/feed");
    feed.description = Some("Price updates".into());
    feed.send_schema = Some(json!({"type": "object", "properties": {"price": {"type": "number"}}}));
    let echo = ChannelDoc::new(ChannelKind::WebSocket, "/echo");
    let config = OpenApiConfig {
        description: Some("Realtime".into()),
        ..Default::default()
    };
    let doc = asyncapi_document(&config, &[chat, feed, echo]);
    assert_valid(&doc);
    assert_eq!(doc["components"]["schemas"]["Kind"]["enum"], json!(["say", "emote"]));
}

#[test]
fn an_app_without_channels_is_valid() {
    assert_valid(&asyncapi_document(&OpenApiConfig::default(), &[]));
}
