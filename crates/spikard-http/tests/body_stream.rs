//! Routes declared `stream_body`: the handler pulls the body itself, under the route's limit.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{arc, builder, spec};
use futures_util::StreamExt;
use serde_json::json;
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, RequestData, StreamedBody, TestClient};

/// Reads the body chunk by chunk (optionally under a lower limit) and reports what it saw.
struct Counts {
    calls: Arc<AtomicUsize>,
    lower_to: Option<usize>,
}

impl Handler for Counts {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let lower_to = self.lower_to;
        Box::pin(async move {
            let mut stream = r
                .extensions
                .get::<StreamedBody>()
                .and_then(StreamedBody::take)
                .expect("a stream_body route carries its body");
            if let Some(limit) = lower_to {
                stream = stream.limited_to(limit);
            }
            let mut bytes = 0;
            while let Some(chunk) = stream.next().await {
                bytes += chunk?.len();
            }
            Ok(HandlerResponse::json(json!({
                "bytes": bytes, "buffered": r.raw_body.len(), "decoded": r.body,
            })))
        })
    }
}

fn client(lower_to: Option<usize>) -> (TestClient, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut b = builder();
    b.route(
        spec(json!({"method": "POST", "path": "/upload", "stream_body": true, "max_body_size": 8})),
        arc(Counts {
            calls: calls.clone(),
            lower_to,
        }),
    )
    .unwrap();
    (TestClient::new(b.build().unwrap()), calls)
}

#[tokio::test]
async fn the_handler_reads_the_body_itself_undecoded() {
    let (c, calls) = client(None);
    let res = c
        .post("/upload")
        .header("content-type", "application/json")
        .body("{\"a\":1}")
        .send()
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), json!({"bytes": 7, "buffered": 0, "decoded": null}));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_handler() {
    let (c, calls) = client(None);
    let res = c
        .post("/upload")
        .header("content-length", "9")
        .body("123456789")
        .send()
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_body_past_a_lowered_limit_fails_the_read_with_413() {
    let (c, calls) = client(Some(3));
    let res = c.post("/upload").body("12345").send().await;
    assert_eq!(res.status, 413);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_streamed_body_declares_no_schema() {
    let mut b = builder();
    let err = b
        .route(
            spec(json!({"method": "POST", "path": "/x", "stream_body": true, "body_schema": {"type": "object"}})),
            arc(Counts {
                calls: Arc::default(),
                lower_to: None,
            }),
        )
        .err()
        .unwrap();
    assert!(err.to_string().contains("stream_body"), "{err}");
}
