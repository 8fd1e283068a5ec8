//! The application core: routes registered from Python, pipelines built from them.
//!
//! Each route is compiled when it is added, so a conflict or an invalid schema
//! raises at the decorator. Pipelines (for the server or a test client) are
//! built from the registered routes on demand, so routes may be added after a
//! test client was made.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikard_http::di::{DependencyRegistry, RouteDependencies};
use spikard_http::{Handler, LifecycleHooks, Pipeline, PipelineBuilder, RouteSpec, ServerConfig};

use crate::config::config_from;
use crate::convert::{json_to_py, py_to_json};
use crate::errors;
use crate::handler::{Binding, PyHandler};
use crate::websocket::PyWebSocketHandler;
use spikard_http::websocket::WebSocketHandler;

/// A registered route: its spec, handler, own hooks and dependencies.
struct RouteEntry {
    spec: RouteSpec,
    handler: Arc<dyn Handler>,
    hooks: LifecycleHooks,
    dependencies: RouteDependencies,
}

/// Routes and server config, owned by the Python `Spikard` app.
#[pyclass(module = "spikard._spikard")]
pub struct App {
    config: ServerConfig,
    /// App-wide lifecycle hooks (every route, and 404/405 answers for the response phases).
    hooks: LifecycleHooks,
    /// App-level dependencies (see [`crate::di`]).
    dependencies: DependencyRegistry,
    routes: Vec<RouteEntry>,
    websockets: Vec<(RouteSpec, Arc<dyn WebSocketHandler>)>,
    /// Every route so far, compiled: catches conflicts at registration.
    check: PipelineBuilder,
}

#[pymethods]
impl App {
    #[new]
    #[pyo3(signature = (config = None))]
    fn py_new(config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let config = config_from(config)?;
        Ok(Self {
            check: PipelineBuilder::new(config.clone()),
            config,
            hooks: LifecycleHooks::default(),
            dependencies: DependencyRegistry::default(),
            routes: Vec::new(),
            websockets: Vec::new(),
        })
    }

    /// Replace the server config (applies to every route, including those already added).
    fn configure(&mut self, config: &Bound<'_, PyDict>) -> PyResult<()> {
        self.config = config_from(Some(config))?;
        Ok(())
    }

    /// The current server config as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::to_value(&self.config).map_err(|e| errors::config_error("ServerConfig", e))?;
        json_to_py(py, &value)
    }

    /// Register a route: `spec` is a `RouteSpec` as a dict (method, path, parameters,
    /// body_schema, content_type, max_body_size, max_nesting_depth, handler_name);
    /// `bindings` are `(kwarg, source, key, converter, none_if_absent)` tuples; `hooks`
    /// the route's own hooks (as for `add_hook`, after the app-wide ones); `dependencies`
    /// route-level dependencies replacing the app's (`{name: description}`, see
    /// [`crate::di`]); `expected_types` `(name, JSON type)` pairs the resolved
    /// dependencies must match; `defer_dependency_errors` answers requests with the
    /// dependency problem instead of failing when the app is built.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (spec, function, bindings, is_async, hooks = Vec::new(), dependencies = None, expected_types = Vec::new(), defer_dependency_errors = false))]
    fn add_route(
        &mut self,
        spec: &Bound<'_, PyDict>,
        function: Py<PyAny>,
        bindings: Vec<Bound<'_, PyAny>>,
        is_async: bool,
        hooks: Vec<Bound<'_, PyAny>>,
        dependencies: Option<&Bound<'_, PyDict>>,
        expected_types: Vec<(String, String)>,
        defer_dependency_errors: bool,
    ) -> PyResult<()> {
        let spec: RouteSpec =
            serde_json::from_value(py_to_json(spec.as_any())?).map_err(|e| errors::config_error("route spec", e))?;
        let bindings = bindings.iter().map(Binding::from_tuple).collect::<PyResult<Vec<_>>>()?;
        let name = spec
            .handler_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", spec.method, spec.path));
        let handler = PyHandler::new(function, name, bindings, is_async);
        let dependencies = RouteDependencies {
            needs: handler.dependencies(),
            overrides: crate::di::registry_from(dependencies)?,
            expected_types,
            defer_errors: defer_dependency_errors,
        };
        let mut route_hooks = LifecycleHooks::default();
        for hook in &hooks {
            crate::hooks::add(&mut route_hooks, hook)?;
        }
        let handler: Arc<dyn Handler> = Arc::new(handler);
        self.check
            .route_with(spec.clone(), handler.clone(), &route_hooks, dependencies.clone())
            .map_err(|e| errors::to_py(&e))?;
        self.routes.push(RouteEntry {
            spec,
            handler,
            hooks: route_hooks,
            dependencies,
        });
        Ok(())
    }

    /// Register an app-level dependency `name` from its description (see [`crate::di`]);
    /// a later registration of the same name replaces it.
    fn provide(&mut self, name: String, spec: &Bound<'_, PyAny>) -> PyResult<()> {
        let dependency = crate::di::dependency_from(&name, spec)?;
        self.dependencies.insert(name, dependency);
        Ok(())
    }

    /// Register a WebSocket route: `spec` as for `add_route` (method forced to `GET`, with an
    /// optional `message_schema` and `max_message_size`); `factory(connection)` makes each
    /// connection's session (see [`crate::websocket`]).
    fn add_websocket(&mut self, spec: &Bound<'_, PyDict>, factory: Py<PyAny>) -> PyResult<()> {
        let spec: RouteSpec =
            serde_json::from_value(py_to_json(spec.as_any())?).map_err(|e| errors::config_error("route spec", e))?;
        let name = spec.handler_name.clone().unwrap_or_else(|| format!("WS {}", spec.path));
        let handler: Arc<dyn WebSocketHandler> = Arc::new(PyWebSocketHandler::new(factory, name));
        self.check
            .websocket(spec.clone(), handler.clone())
            .map_err(|e| errors::to_py(&e))?;
        self.websockets.push((spec, handler));
        Ok(())
    }

    /// Add an app-wide hook: `(phase, function, name, is_async, dependencies, with_request)`
    /// with `phase` one of `on_request`, `pre_validation`, `pre_handler`, `on_response`,
    /// `on_error`; hooks of a phase run in the order they were added.
    fn add_hook(&mut self, spec: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::hooks::add(&mut self.hooks, spec)
    }

    /// Number of registered routes.
    fn __len__(&self) -> usize {
        self.routes.len() + self.websockets.len()
    }

    /// Serve until SIGINT/SIGTERM (see [`crate::server`]).
    #[pyo3(signature = (reuse_port = false))]
    fn serve(&self, py: Python<'_>, reuse_port: bool) -> PyResult<()> {
        let pipeline = self.pipeline()?;
        crate::server::serve(py, pipeline, reuse_port)
    }

    /// An in-memory client over a pipeline of the routes registered so far.
    fn test_client(&self) -> PyResult<crate::testing::TestClient> {
        crate::testing::TestClient::new(self.pipeline()?)
    }
}

impl App {
    /// A pipeline of every registered route under the current config.
    pub fn pipeline(&self) -> PyResult<Pipeline> {
        let mut builder = PipelineBuilder::new(self.config.clone());
        *builder.hooks_mut() = self.hooks.clone();
        *builder.dependencies_mut() = self.dependencies.clone();
        for r in &self.routes {
            builder
                .route_with(r.spec.clone(), r.handler.clone(), &r.hooks, r.dependencies.clone())
                .map_err(|e| errors::to_py(&e))?;
        }
        for (spec, handler) in &self.websockets {
            builder
                .websocket(spec.clone(), handler.clone())
                .map_err(|e| errors::to_py(&e))?;
        }
        builder.build().map_err(|e| errors::to_py(&e))
    }
}
