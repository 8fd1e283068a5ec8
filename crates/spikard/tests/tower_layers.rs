//! Tower layers around the whole app: tower-http's and a hand-written one, together,
//! through the in-memory test client.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response};
use serde_json::json;
use spikard::{get, App, Ctx, Json};
use tower::{Layer, Service};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// A hand-written layer: counts requests, stamps each one with a request header the
/// handler can read, and answers `/blocked` itself with a 403 (the app never sees it).
#[derive(Clone, Default)]
struct StampLayer {
    seen: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Stamp<S> {
    inner: S,
    seen: Arc<AtomicUsize>,
}

impl<S> Layer<S> for StampLayer {
    type Service = Stamp<S>;

    fn layer(&self, inner: S) -> Stamp<S> {
        Stamp {
            inner,
            seen: self.seen.clone(),
        }
    }
}

impl<S, B, ResBody> Service<Request<B>> for Stamp<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: From<&'static str> + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        if request.uri().path() == "/blocked" {
            let mut refused = Response::new(ResBody::from("blocked by a layer"));
            *refused.status_mut() = http::StatusCode::FORBIDDEN;
            return Box::pin(async move { Ok(refused) });
        }
        request.headers_mut().insert("x-stamp", HeaderValue::from(n));
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?;
            response.headers_mut().insert("x-stamped", HeaderValue::from(n));
            Ok(response)
        })
    }
}

fn app(stamp: &StampLayer) -> App {
    let mut app = App::new();
    app.route(get("/data").handler(|ctx: Ctx| async move {
        Json(json!({
            "stamp": ctx.header("x-stamp"),
            "payload": "spikard ".repeat(64),
        }))
    }))
    .unwrap();
    app.layer(stamp.clone())
        .layer(CompressionLayer::new().gzip(true))
        .layer(SetResponseHeaderLayer::overriding(
            http::header::SERVER,
            HeaderValue::from_static("spikard"),
        ));
    app
}

#[tokio::test]
async fn tower_http_and_hand_written_layers_wrap_the_app() {
    let stamp = StampLayer::default();
    let client = app(&stamp).test_client();

    let res = client.get("/data").header("accept-encoding", "gzip").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("server"), Some("spikard"));
    assert_eq!(res.header("content-encoding"), Some("gzip"));
    assert_eq!(res.header("x-stamped"), Some("1"));
    assert!(res.raw_body.len() < res.body.len(), "the body was compressed");
    assert_eq!(res.json()["stamp"], "1", "the handler saw the layer's request header");

    // A 404 problem from Spikard goes through every layer too.
    let missing = client.get("/missing").send().await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), Some("application/problem+json"));
    assert_eq!(missing.header("server"), Some("spikard"));
    assert_eq!(missing.header("x-stamped"), Some("2"));

    // The hand-written layer answers on its own; the outer tower-http layers still apply.
    let blocked = client.get("/blocked").header("accept-encoding", "gzip").send().await;
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.text(), "blocked by a layer");
    assert_eq!(blocked.header("server"), Some("spikard"));
    assert_eq!(stamp.seen.load(Ordering::Relaxed), 3);
}
