//! `App`: register routes, then run the server or get a test client.

use spikard_http::{
    AppLayer, DependencyRegistry, LifecycleHooks, Pipeline, PipelineBuilder, ResponseModelCheck, ServerConfig,
    TestClient,
};

use crate::error::Error;
use crate::route::Route;

/// A Spikard application.
pub struct App {
    builder: PipelineBuilder,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    pub fn new() -> Self {
        Self::with_config(ServerConfig::default())
    }

    /// An app with server-wide limits set up front (they apply to routes registered after).
    pub fn with_config(config: ServerConfig) -> Self {
        Self {
            builder: PipelineBuilder::new(config),
        }
    }

    /// Register a route. A conflicting route or an invalid schema (a response model's
    /// included) is an error naming the route.
    pub fn route(&mut self, route: Route) -> Result<&mut Self, Error> {
        let Route {
            mut spec,
            handler,
            hooks,
            di,
            response_model,
        } = route;
        let handler = match &response_model {
            Some(schema) => ResponseModelCheck::for_route(&mut spec, schema)?.around(handler),
            None => handler,
        };
        self.builder.route_with(spec, handler, &hooks, *di)?;
        Ok(self)
    }

    /// Register a WebSocket route (see [`crate::ws::websocket`]).
    pub fn websocket(&mut self, route: crate::ws::WsRoute) -> Result<&mut Self, Error> {
        self.builder.websocket(route.spec, route.handler)?;
        Ok(self)
    }

    /// Put a tower [`Layer`](https://docs.rs/tower/latest/tower/trait.Layer.html) around the
    /// whole app: tower-http's `TraceLayer`, `SetResponseHeaderLayer`, `CompressionLayer`, ...,
    /// or one of your own. Any `Layer<`[`AppService`](crate::AppService)`>` whose service is
    /// `Clone + Send + Sync` fits (its response body may be of any type with `Bytes` data; an
    /// error it returns is answered as a 500 problem). The layer added last is the outermost.
    /// Layers see every request before Spikard's routing, validation and built-in middleware,
    /// and every response after them (404/405 and problems included); the server and
    /// [`App::test_client`] both serve through them. Without layers requests are served
    /// directly, at no cost.
    ///
    /// ```
    /// use http::HeaderValue;
    /// use spikard::{get, App, Ctx};
    /// use tower_http::set_header::SetResponseHeaderLayer;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut app = App::new();
    /// app.route(get("/").handler(|_ctx: Ctx| async move { "hi" })).unwrap();
    /// app.layer(SetResponseHeaderLayer::if_not_present(
    ///     http::header::CACHE_CONTROL,
    ///     HeaderValue::from_static("no-store"),
    /// ));
    /// let client = app.test_client();
    /// let res = client.get("/").send().await;
    /// assert_eq!(res.header("cache-control"), Some("no-store"));
    /// // Answers Spikard gives before any handler pass through the layer too.
    /// assert_eq!(client.get("/nope").send().await.header("cache-control"), Some("no-store"));
    /// # });
    /// ```
    pub fn layer(&mut self, layer: impl AppLayer) -> &mut Self {
        self.builder.layer(layer);
        self
    }

    /// Mount any tower service (an axum `Router`, a tower-http `ServeDir`...) at `prefix`:
    /// requests under it that no route of this app matches go to it, through the
    /// server-wide middleware (see `spikard_http::mount`); the service sees the path
    /// unchanged. Routes win, so a service mounted at `/` can be replaced route by route.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use spikard::{get, App, Ctx};
    /// let legacy = axum::Router::new().route("/legacy/hello", axum::routing::get(|| async { "from axum" }));
    /// let mut app = App::new();
    /// app.route(get("/legacy/new").handler(|_ctx: Ctx| async { "native" })).unwrap();
    /// app.mount_service("/legacy", legacy).unwrap();
    /// let client = app.test_client();
    /// assert_eq!(client.get("/legacy/hello").send().await.text(), "from axum");
    /// assert_eq!(client.get("/legacy/new").send().await.text(), "native");
    /// assert_eq!(client.get("/elsewhere").send().await.status, 404);
    /// # });
    /// ```
    pub fn mount_service<S, B>(&mut self, prefix: &str, service: S) -> Result<&mut Self, Error>
    where
        S: tower::Service<http::Request<axum::body::Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<spikard_http::BoxError>,
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<spikard_http::BoxError>,
    {
        self.builder
            .mount_service(prefix, spikard_http::layer::app_service(service))?;
        Ok(self)
    }

    pub(crate) fn builder_mut(&mut self) -> &mut PipelineBuilder {
        &mut self.builder
    }

    /// App-wide lifecycle hooks (they apply to routes registered afterwards, and to 404/405 answers).
    pub fn hooks_mut(&mut self) -> &mut LifecycleHooks {
        self.builder.hooks_mut()
    }

    /// App-level dependencies (see [`crate::di`]); routes' graphs are checked when the app is built.
    pub fn dependencies_mut(&mut self) -> &mut DependencyRegistry {
        self.builder.dependencies_mut()
    }

    pub fn config(&self) -> &ServerConfig {
        self.builder.config()
    }

    /// Finish the app; an invalid server-wide setting is an error naming it.
    pub fn into_pipeline(self) -> Result<Pipeline, Error> {
        Ok(self.builder.build()?)
    }

    /// An in-memory client driving the same pipeline as the server.
    pub fn try_test_client(self) -> Result<TestClient, Error> {
        Ok(TestClient::new(self.into_pipeline()?))
    }

    /// An in-memory client driving the same pipeline as the server.
    ///
    /// # Panics
    /// When the server configuration is invalid (use [`App::try_test_client`] to get the error).
    pub fn test_client(self) -> TestClient {
        match self.try_test_client() {
            Ok(client) => client,
            Err(e) => panic!("invalid Spikard app: {e}"),
        }
    }

    /// Serve on `host:port` from the app's config until SIGINT/SIGTERM.
    pub async fn serve(self) -> std::io::Result<()> {
        let pipeline = self
            .into_pipeline()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        spikard_http::server::serve(pipeline).await
    }

    /// Serve with this host and port (other settings from the app's config).
    pub async fn run(mut self, host: &str, port: u16) -> std::io::Result<()> {
        let config = self.builder.config_mut();
        config.host = host.to_owned();
        config.port = port;
        self.serve().await
    }
}
