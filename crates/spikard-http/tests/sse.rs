//! Server-sent events: wire format, headers, `Last-Event-ID`, keep-alives.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{builder, spec};
use serde_json::json;
use spikard_http::sse::{last_event_id, SseEvent, SseStream};
use spikard_http::testing::SseMessage;
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, RequestData, ResponseBody, TestClient};

/// Three events, the first echoing the client's `Last-Event-ID`.
struct Feed;

impl Handler for Feed {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        let resumed = last_event_id(&r).unwrap_or("none").to_owned();
        Box::pin(async move {
            let events = vec![
                SseEvent::data(format!("resumed after {resumed}")).event("hello"),
                SseEvent::data("line 1\nline 2").id("2").retry(2500),
                SseEvent::json(&json!({"n": 3})).unwrap().event("count").id("3"),
            ];
            let stream = futures_util::stream::iter(events.into_iter().map(Ok::<_, std::io::Error>));
            Ok(HandlerResponse::new(
                http::StatusCode::OK,
                ResponseBody::Sse(SseStream::new(stream)),
            ))
        })
    }
}

/// Never sends an event: only keep-alive comments go out.
struct Quiet;

impl Handler for Quiet {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move {
            let stream = futures_util::stream::pending::<Result<SseEvent, std::io::Error>>();
            Ok(HandlerResponse::new(
                http::StatusCode::OK,
                ResponseBody::Sse(SseStream::new(stream).keep_alive(Duration::from_millis(20))),
            ))
        })
    }
}

fn client() -> TestClient {
    let mut b = builder();
    b.route(
        spec(json!({"method": "GET", "path": "/events", "kind": "sse"})),
        Arc::new(Feed),
    )
    .unwrap();
    b.route(
        spec(json!({"method": "GET", "path": "/quiet", "kind": "sse"})),
        Arc::new(Quiet),
    )
    .unwrap();
    TestClient::new(b.build().unwrap())
}

#[tokio::test]
async fn events_use_the_event_stream_format() {
    let res = client().get("/events").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    assert_eq!(res.header("cache-control"), Some("no-cache"));
    assert_eq!(
        res.text(),
        "event: hello\ndata: resumed after none\n\n\
         id: 2\nretry: 2500\ndata: line 1\ndata: line 2\n\n\
         event: count\nid: 3\ndata: {\"n\":3}\n\n"
    );
    let events = res.sse_events();
    assert_eq!(events[1].data.as_deref(), Some("line 1\nline 2"));
    assert_eq!(events[2].json(), Some(json!({"n": 3})));
}

#[tokio::test]
async fn the_handler_sees_last_event_id() {
    let res = client().get("/events").header("Last-Event-ID", "41").send().await;
    assert_eq!(
        res.sse_events()[0],
        SseMessage {
            event: Some("hello".into()),
            data: Some("resumed after 41".into()),
            ..Default::default()
        }
    );
}

#[tokio::test]
async fn quiet_streams_send_keep_alive_comments() {
    let mut res = client().get("/quiet").send_streaming().await;
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    for _ in 0..2 {
        let block = res.next_event().await.expect("a keep-alive");
        assert_eq!(block.comments, vec!["keep-alive".to_owned()]);
        assert_eq!(block.data, None);
    }
}

#[tokio::test]
async fn sse_is_never_compressed() {
    let config = spikard_http::ServerConfig {
        compression: Some(spikard_core::config::CompressionConfig {
            min_size: 0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut b = spikard_http::PipelineBuilder::new(config);
    b.route(
        spec(json!({"method": "GET", "path": "/events", "kind": "sse"})),
        Arc::new(Feed),
    )
    .unwrap();
    let res = TestClient::new(b.build().unwrap())
        .get("/events")
        .header("accept-encoding", "gzip, br")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.sse_events().len(), 3);
    assert!(res.text().starts_with("event: hello\n"));
}

/// Emits a valid event, one breaking the route's schema, then another valid one.
struct Mixed;

impl Handler for Mixed {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move {
            let events = [json!({"n": 1}), json!({"n": "two"}), json!({"n": 3})]
                .map(|v| SseEvent::json(&v).map_err(std::io::Error::other));
            Ok(HandlerResponse::new(
                http::StatusCode::OK,
                ResponseBody::Sse(SseStream::new(futures_util::stream::iter(events))),
            ))
        })
    }
}

#[tokio::test]
async fn an_event_breaking_the_event_schema_ends_the_stream() {
    let mut b = builder();
    b.route(
        spec(json!({"method": "GET", "path": "/typed", "kind": "sse",
                    "event_schema": {"type": "object", "properties": {"n": {"type": "integer"}}}})),
        Arc::new(Mixed),
    )
    .unwrap();
    b.route(
        spec(json!({"method": "GET", "path": "/untyped", "kind": "sse"})),
        Arc::new(Mixed),
    )
    .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let mut res = client.get("/typed").send_streaming().await;
    assert_eq!(res.next_event_text().await.as_deref(), Some("data: {\"n\":1}\n\n"));
    assert_eq!(res.next_event_text().await, None);
    // Without a schema every event goes out.
    assert_eq!(client.get("/untyped").send().await.sse_events().len(), 3);
}

#[tokio::test]
async fn an_invalid_event_schema_is_a_registration_error() {
    let mut b = builder();
    let err = b
        .route(
            spec(json!({"method": "GET", "path": "/bad", "kind": "sse", "event_schema": {"type": 12}})),
            Arc::new(Mixed),
        )
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("GET /bad: event_schema: invalid JSON Schema"),
        "{err}"
    );
}
