//! The pipeline as a tower [`Service`], and tower [`Layer`](tower::Layer)s around the whole app.
//!
//! - [`Pipeline`] is a `Service<http::Request<B>>` for any request body `B` whose data is
//!   [`Bytes`] (hyper's `Incoming`, axum's `Body`, `Full<Bytes>`, ...), answering
//!   `Response<axum::body::Body>` and never failing: mount it in any tower or hyper stack.
//! - [`PipelineBuilder::layer`](crate::PipelineBuilder::layer) puts a tower [`Layer`](tower::Layer) around the app: tower-http's
//!   `TraceLayer`, `CompressionLayer`, `SetResponseHeaderLayer`, or one of your own. Any layer
//!   that wraps an [`AppService`](crate::AppService) fits ([`AppLayer`](crate::AppLayer) lists the bounds): its response body may
//!   be of any type (it is boxed back into axum's `Body`), and an error it returns becomes a
//!   500 problem (logged). The layer added last is the outermost, as with axum's
//!   `Router::layer`.
//! - Layers see every request before Spikard's limits, routing and built-in middleware, and
//!   every response after them (404/405, problems and static files included). The server and
//!   the in-memory test client both serve through them ([`Pipeline::handle`]).
//! - Without layers nothing changes: [`Pipeline::handle`] serves directly, with no boxing and
//!   no allocation of its own. With layers the stack is built once, in
//!   [`PipelineBuilder::build`](crate::PipelineBuilder::build); each request then costs one clone of the boxed stack.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, RouteSpec, TestClient};
//! use tower::ServiceExt;
//!
//! struct Hello;
//! impl Handler for Hello {
//!     fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
//!         Box::pin(async { Ok(HandlerResponse::text("hi")) })
//!     }
//! }
//! let mut builder = PipelineBuilder::new(Default::default());
//! builder.route(RouteSpec::new("GET", "/"), Arc::new(Hello)).unwrap();
//! // Any tower layer; this one adds a header to every response.
//! builder.layer(tower::util::MapResponseLayer::new(|mut res: http::Response<axum::body::Body>| {
//!     res.headers_mut().insert("x-layer", http::HeaderValue::from_static("yes"));
//!     res
//! }));
//! let pipeline = builder.build().unwrap();
//! // The test client serves through the layers ...
//! let res = TestClient::new(pipeline.clone()).get("/missing").send().await;
//! assert_eq!((res.status, res.header("x-layer")), (404, Some("yes")));
//! // ... and so does the pipeline used as a tower service.
//! let req = http::Request::get("/").body(http_body_util::Full::new(bytes::Bytes::new())).unwrap();
//! let res = pipeline.oneshot(req).await.unwrap();
//! assert_eq!(res.headers()["x-layer"], "yes");
//! # });
//! ```

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use tower::Service;

use crate::handler::BoxFuture;
use crate::layer::BoxError;
use crate::pipeline::Pipeline;

/// The pipeline as a tower service (through its layers, if it has any).
impl<B> Service<Request<B>> for Pipeline
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let pipeline = self.clone();
        Box::pin(async move { Ok(pipeline.handle(request.map(Body::new)).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::AppService;
    use crate::{HandlerResponse, HandlerResult, PipelineBuilder, RequestData, RouteSpec, TestClient};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tower::ServiceExt;

    struct Hello;
    impl crate::Handler for Hello {
        fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
            Box::pin(async { Ok(HandlerResponse::text("hi")) })
        }
    }

    fn builder() -> PipelineBuilder {
        let mut b = PipelineBuilder::new(Default::default());
        b.route(RouteSpec::new("GET", "/"), Arc::new(Hello)).unwrap();
        b
    }

    fn tag(name: &'static str) -> tower::util::MapResponseLayer<impl Fn(Response<Body>) -> Response<Body> + Clone> {
        tower::util::MapResponseLayer::new(move |mut res: Response<Body>| {
            res.headers_mut()
                .append("x-order", http::HeaderValue::from_static(name));
            res
        })
    }

    #[tokio::test]
    async fn the_layer_added_last_is_the_outermost() {
        let mut b = builder();
        b.layer(tag("inner")).layer(tag("outer"));
        let res = TestClient::new(b.build().unwrap()).get("/").send().await;
        let order: Vec<_> = res.headers.get_all("x-order").iter().collect();
        assert_eq!(order, ["inner", "outer"]);
        assert_eq!(res.text(), "hi");
    }

    #[tokio::test]
    async fn a_layer_may_answer_and_its_errors_are_500_problems() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let mut b = builder();
        b.layer(tower::layer::layer_fn(move |inner: AppService| {
            let seen = seen.clone();
            tower::service_fn(move |req: Request<Body>| {
                seen.fetch_add(1, Ordering::Relaxed);
                let inner = inner.clone();
                async move {
                    if req.uri().path() == "/fail" {
                        return Err::<Response<Body>, BoxError>("refused".into());
                    }
                    inner.oneshot(req).await.map_err(|e| match e {})
                }
            })
        }));
        let client = TestClient::new(b.build().unwrap());
        assert_eq!(client.get("/").send().await.text(), "hi");
        let failed = client.get("/fail").send().await;
        assert_eq!(failed.status, 500);
        assert_eq!(failed.header("content-type"), Some("application/problem+json"));
        assert_eq!(calls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn the_pipeline_is_a_service_for_any_body() {
        let pipeline = builder().build().unwrap();
        let req = Request::get("/")
            .body(http_body_util::Full::new(Bytes::from_static(b"")))
            .unwrap();
        let res = pipeline.oneshot(req).await.unwrap();
        assert_eq!(res.status(), 200);
    }
}
