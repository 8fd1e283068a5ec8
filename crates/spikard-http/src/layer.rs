//! Tower layers around the whole app: the service a layer wraps ([`AppService`]) and the
//! bound a layer must meet ([`AppLayer`]). A layer's response body is boxed back into axum's
//! `Body` and its errors become 500 problems, so the server and the test client see one type
//! whatever the layers are. The pipeline builds the stack once, from the layers given to its
//! builder; the `service` module has the whole story and an example.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use futures_util::future::{Either, Map, Ready};
use futures_util::FutureExt;
use http::{Request, Response};
use spikard_core::SpikardError;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service};

use crate::response::error_response;

/// An error a tower layer may return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The app as the layers around it see it: a cloneable, thread-safe boxed service from
/// `Request<Body>` to `Response<Body>` that never fails. A layer given to
/// [`PipelineBuilder::layer`](crate::PipelineBuilder::layer) wraps one of these.
pub type AppService = BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>;

/// A tower [`Layer`] that can go around the app. Implemented for every
/// `L: Layer<AppService>` whose service takes `Request<Body>`, is `Clone + Send + Sync`,
/// has a `Send` future, an error convertible to a [`BoxError`] and a response body with
/// `Bytes` data; there is nothing to implement by hand.
pub trait AppLayer: Send + Sync + 'static {
    /// Wrap the app (or the layers added before this one).
    fn wrap(&self, inner: AppService) -> AppService;
}

impl<L, S, B> AppLayer for L
where
    L: Layer<AppService, Service = S> + Send + Sync + 'static,
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    fn wrap(&self, inner: AppService) -> AppService {
        AppService::new(Normalize {
            inner: self.layer(inner),
            not_ready: None,
        })
    }
}

/// Any tower service over `Request<Body>` as an [`AppService`]: its response body boxed into
/// axum's `Body`, its errors (and readiness errors) answered with a 500 problem. What
/// [`PipelineBuilder::mount_service`](crate::PipelineBuilder::mount_service) takes: an axum
/// `Router`, a tower-http service, a binding's bridge.
pub fn app_service<S, B>(service: S) -> AppService
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    AppService::new(Normalize {
        inner: service,
        not_ready: None,
    })
}

/// A layer's service brought back to `Response<Body>` and `Infallible`.
#[derive(Clone)]
struct Normalize<S> {
    inner: S,
    /// A readiness error, answered by the next call (an `Infallible` service cannot return it).
    not_ready: Option<std::sync::Arc<BoxError>>,
}

type Normalized<B, E> = fn(Result<Response<B>, E>) -> Result<Response<Body>, Infallible>;

fn normalized<B, E>(result: Result<Response<B>, E>) -> Result<Response<Body>, Infallible>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    E: Into<BoxError>,
{
    Ok(match result {
        Ok(response) => response.map(Body::new),
        Err(e) => failure(&e.into()),
    })
}

/// The 500 problem answering a layer's error.
fn failure(error: &BoxError) -> Response<Body> {
    tracing::error!(error = %error, "a tower layer around the app failed");
    error_response(&SpikardError::Internal(format!("tower layer: {error}"))).into_http(false)
}

impl<S, B> Service<Request<Body>> for Normalize<S>
where
    S: Service<Request<Body>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Either<Map<S::Future, Normalized<B, S::Error>>, Ready<Result<Response<Body>, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.not_ready = Some(std::sync::Arc::new(e.into()));
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        match self.not_ready.take() {
            Some(error) => Either::Right(futures_util::future::ready(Ok(failure(&error)))),
            None => Either::Left(
                self.inner
                    .call(request)
                    .map(normalized::<B, S::Error> as Normalized<B, S::Error>),
            ),
        }
    }
}
