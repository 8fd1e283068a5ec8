//! The Python `Spikard` app's core: the core's [`ForeignApp`], fed one plain dict per
//! registration (`RouteDecl`, `HookDecl`, `DependencyDecl`) and the objects it refers to.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use spikard_core::route_pattern::RoutePattern;
use spikard_core::SpikardError;
use spikard_http::foreign::{decl, DependencyDecl, ForeignApp, ForeignWebSocket, HookDecl, RouteDecl};
use spikard_http::{Pipeline, RouteSpec};

use crate::call::PyBinding;
use crate::config::config_from;
use crate::convert::{json_to_py, py_to_json};
use crate::errors::to_py;
use crate::websocket::PySessions;

/// Routes, hooks, dependencies and server config, owned by the Python `Spikard` app.
#[pyclass(module = "spikard._spikard")]
pub struct App {
    app: ForeignApp,
}

#[pymethods]
impl App {
    #[new]
    #[pyo3(signature = (config = None))]
    fn py_new(config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(Self {
            app: ForeignApp::new(config_from(config)?),
        })
    }

    /// Replace the server config (applies to every route, including those already added).
    fn configure(&mut self, config: &Bound<'_, PyDict>) -> PyResult<()> {
        self.app.configure(config_from(Some(config))?);
        Ok(())
    }

    /// The current server config as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::to_value(self.app.config()).map_err(|e| to_py(&decl::config_error("config", e)))?;
        json_to_py(py, &value)
    }

    /// Register a route: `decl` is a `RouteDecl` (route spec, handler with its argument
    /// plan, hooks, dependencies), `objects` the Python objects it refers to by index.
    fn add_route(&mut self, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let decl = RouteDecl::from_json(py_to_json(decl.as_any())?).map_err(|e| to_py(&e))?;
        self.app.add_route(&PyBinding, decl, &objects).map_err(|e| to_py(&e))
    }

    /// Add an app-wide hook (a `HookDecl`); hooks of a phase run in the order they were added.
    fn add_hook(&mut self, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let decl: HookDecl = decl::read("hook", py_to_json(decl.as_any())?).map_err(|e| to_py(&e))?;
        self.app.add_hook(&PyBinding, decl, &objects).map_err(|e| to_py(&e))
    }

    /// Register an app-level dependency from a `DependencyDecl`; a later registration of the
    /// same name replaces it.
    fn provide(&mut self, name: &str, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let what = format!("dependency {name}");
        let decl: DependencyDecl = decl::read(&what, py_to_json(decl.as_any())?).map_err(|e| to_py(&e))?;
        self.app
            .provide(&PyBinding, name, decl, &objects)
            .map_err(|e| to_py(&e))
    }

    /// Register a WebSocket route: `spec` a route spec (method forced to `GET`, with an
    /// optional `message_schema` and `max_message_size`); `factory(connection)` makes each
    /// connection's session (see [`crate::websocket`]).
    fn add_websocket(&mut self, spec: &Bound<'_, PyDict>, factory: Py<PyAny>) -> PyResult<()> {
        let spec: RouteSpec = decl::read("websocket route", py_to_json(spec.as_any())?).map_err(|e| to_py(&e))?;
        let name = spec.handler_name.clone().unwrap_or_else(|| format!("WS {}", spec.path));
        let sessions = PySessions {
            factory,
            name: name.into(),
        };
        let handler = std::sync::Arc::new(ForeignWebSocket::new(sessions));
        self.app.add_websocket(spec, handler).map_err(|e| to_py(&e))
    }

    /// Number of registered routes.
    fn __len__(&self) -> usize {
        self.app.len()
    }

    /// Serve on the calling thread until SIGINT/SIGTERM (then drain), GIL released;
    /// `workers > 1` makes this process the supervisor of that many worker processes sharing
    /// the port (`spikard_http::workers`).
    #[pyo3(signature = (workers = 1))]
    fn serve(&self, py: Python<'_>, workers: usize) -> PyResult<()> {
        let pipeline = self.pipeline()?;
        py.detach(move || spikard_http::workers::serve(pipeline, workers))
            .map_err(|e| crate::errors::server_error(&e))
    }

    /// An in-memory client over a pipeline of the routes registered so far.
    fn test_client(&self) -> PyResult<crate::testing::TestClient> {
        crate::testing::TestClient::new(self.pipeline()?)
    }
}

/// The parameter names of a route pattern, in order (the core's parser: the package never
/// re-parses patterns); an invalid pattern raises `RouteError`.
#[pyfunction]
pub fn route_params(pattern: &str) -> PyResult<Vec<String>> {
    let parsed = RoutePattern::parse(pattern).map_err(|e| to_py(&SpikardError::InvalidRoute(e)))?;
    Ok(parsed.param_names().into_iter().map(str::to_owned).collect())
}

impl App {
    /// A pipeline of every registered route under the current config.
    pub fn pipeline(&self) -> PyResult<Pipeline> {
        self.app.pipeline().map_err(|e| to_py(&e))
    }
}
