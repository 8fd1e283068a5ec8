//! `App`: register routes, then run the server or get a test client.

use spikard_http::{Pipeline, PipelineBuilder, ServerConfig, TestClient};

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

    /// Register a route. A conflicting route or an invalid schema is an error naming the route.
    pub fn route(&mut self, route: Route) -> Result<&mut Self, Error> {
        self.builder.route(route.spec, route.handler)?;
        Ok(self)
    }

    pub fn config(&self) -> &ServerConfig {
        self.builder.config()
    }

    pub fn into_pipeline(self) -> Pipeline {
        self.builder.build()
    }

    /// An in-memory client driving the same pipeline as the server.
    pub fn test_client(self) -> TestClient {
        TestClient::new(self.into_pipeline())
    }

    /// Serve on `host:port` from the app's config until SIGINT/SIGTERM.
    pub async fn serve(self) -> std::io::Result<()> {
        spikard_http::server::serve(self.into_pipeline()).await
    }

    /// Serve with this host and port (other settings from the app's config).
    pub async fn run(mut self, host: &str, port: u16) -> std::io::Result<()> {
        let config = self.builder.config_mut();
        config.host = host.to_owned();
        config.port = port;
        self.serve().await
    }
}
