//! The Python `Spikard` app's core: the core's [`ForeignApp`], fed one plain dict per
//! registration and the objects it refers to (`docs/bindings.md`).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use spikard_core::route_pattern::RoutePattern;
use spikard_http::foreign::{decl, ForeignApp, ForeignWebSocket, RouteDecl};
use spikard_http::{Pipeline, RouteSpec};

use crate::call::PyBinding;
use crate::config::config_from;
use crate::convert::{json_to_py, py_to_json};
use crate::errors::to_py;
use crate::websocket::PySessions;

#[pyclass(module = "spikard._spikard")]
pub struct App {
    app: ForeignApp,
}

/// A declaration from a dict; a failure names `what` and the field.
fn read<T: DeserializeOwned>(what: &str, dict: &Bound<'_, PyDict>) -> PyResult<T> {
    decl::read(what, py_to_json(dict.as_any())?).map_err(|e| to_py(&e))
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

    /// Replace the server config (applies to the routes already added too).
    fn configure(&mut self, config: &Bound<'_, PyDict>) -> PyResult<()> {
        self.app.configure(config_from(Some(config))?);
        Ok(())
    }

    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::to_value(self.app.config()).map_err(|e| to_py(&decl::config_error("config", e)))?;
        json_to_py(py, &value)
    }

    fn add_route(&mut self, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let decl = RouteDecl::from_json(py_to_json(decl.as_any())?).map_err(|e| to_py(&e))?;
        self.app.add_route(&PyBinding, decl, &objects).map_err(|e| to_py(&e))
    }

    fn add_hook(&mut self, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let decl = read("hook", decl)?;
        self.app.add_hook(&PyBinding, decl, &objects).map_err(|e| to_py(&e))
    }

    fn provide(&mut self, name: &str, decl: &Bound<'_, PyDict>, objects: Vec<Py<PyAny>>) -> PyResult<()> {
        let decl = read(&format!("dependency {name}"), decl)?;
        self.app
            .provide(&PyBinding, name, decl, &objects)
            .map_err(|e| to_py(&e))
    }

    /// A WebSocket route: `spec` a route spec (with an optional `message_schema` and
    /// `max_message_size`); `factory(connection)` makes each connection's session.
    fn add_websocket(&mut self, spec: &Bound<'_, PyDict>, factory: Py<PyAny>) -> PyResult<()> {
        let spec: RouteSpec = read("websocket route", spec)?;
        let name = spec.handler_name.clone().unwrap_or_else(|| format!("WS {}", spec.path));
        let sessions = PySessions {
            factory,
            name: name.into(),
        };
        let handler = std::sync::Arc::new(ForeignWebSocket::new(sessions));
        self.app.add_websocket(spec, handler).map_err(|e| to_py(&e))
    }

    /// Mount an ASGI app at `prefix` (`crate::asgi`): `runner(scope, channel)` runs it,
    /// `wake(future, value)` resolves the loop's futures, `state` is the lifespan state.
    #[pyo3(signature = (prefix, runner, wake, state = None, root_path = String::new(), start_timeout = 30.0))]
    fn mount_asgi(
        &mut self,
        prefix: &str,
        runner: Py<PyAny>,
        wake: Py<PyAny>,
        state: Option<Py<PyDict>>,
        root_path: String,
        start_timeout: f64,
    ) -> PyResult<()> {
        if !(start_timeout.is_finite() && start_timeout > 0.0) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "start_timeout must be a positive number of seconds",
            ));
        }
        let app = crate::asgi::AsgiApp {
            runner,
            wake,
            state,
            root_path: root_path.trim_end_matches('/').to_owned(),
            max_body_size: self.app.config().max_body_size,
            start_timeout: std::time::Duration::from_secs_f64(start_timeout),
        };
        let service = spikard_http::layer::app_service(crate::asgi::AsgiService(std::sync::Arc::new(app)));
        self.app.mount(prefix, service).map_err(|e| to_py(&e))
    }

    fn __len__(&self) -> usize {
        self.app.len()
    }

    /// Serve until SIGINT/SIGTERM, GIL released; `workers > 1` supervises that many worker
    /// processes sharing the port.
    #[pyo3(signature = (workers = 1))]
    fn serve(&self, py: Python<'_>, workers: usize) -> PyResult<()> {
        let pipeline = self.pipeline()?;
        py.detach(move || spikard_http::workers::serve(pipeline, workers))
            .map_err(|e| crate::errors::server_error(&e))
    }

    fn test_client(&self) -> PyResult<crate::testing::TestClient> {
        crate::testing::TestClient::new(self.pipeline()?)
    }
}

/// The parameter names of a route pattern, parsed by the core (the package never re-parses
/// patterns); an invalid pattern raises `RouteError`, an unknown segment type `ConfigError`.
#[pyfunction]
pub fn route_params(pattern: &str) -> PyResult<Vec<String>> {
    let parsed = RoutePattern::parse(pattern).map_err(|e| to_py(&e))?;
    Ok(parsed.param_names().into_iter().map(str::to_owned).collect())
}

impl App {
    /// The pipeline of everything registered, with the process's pool of threads for sync
    /// functions sized by this app's config.
    pub fn pipeline(&self) -> PyResult<Pipeline> {
        crate::bridge::size_pool(self.app.config());
        self.app.pipeline().map_err(|e| to_py(&e))
    }
}
