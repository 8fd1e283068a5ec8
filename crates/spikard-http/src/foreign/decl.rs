//! The registration protocol: what a binding declares, as plain data.
//!
//! A binding passes one plain object (a dict, a JS object, a Ruby hash) converted to
//! JSON, plus the list of its own objects (functions, converters, dependency values)
//! that the declaration refers to by index. No positional tuples: every field is
//! named, and a declaration that does not read is a [`SpikardError::Config`] naming
//! the route or item and the field.
//!
//! ```
//! use spikard_http::foreign::RouteDecl;
//! let decl = RouteDecl::from_json(serde_json::json!({
//!     "route": {"method": "GET", "path": "/users/{id:int}"},
//!     "handler": {"function": 0, "args": [{"name": "id", "source": "path"}]},
//!     "hooks": [{"phase": "on_request", "function": 1, "args": [{"name": "request", "source": "request", "positional": true}]}],
//!     "dependencies": {"db": {"kind": "generator", "function": 2, "is_async": true}},
//! })).unwrap();
//! assert_eq!(decl.route.path, "/users/{id:int}");
//! assert!(decl.response_model.is_none()); // results are sent unchecked
//! let bad = RouteDecl::from_json(serde_json::json!({"route": {"method": "GET", "path": "/x"}, "handler": {"function": "f"}}));
//! assert!(bad.unwrap_err().to_string().starts_with("route GET /x: handler.function:"));
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use spikard_core::SpikardError;

use super::args::ArgSpec;
use crate::di::Lifetime;
use crate::route::{ParameterSpecs, RouteSpec};

/// A foreign function and how it is called.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionDecl {
    /// Index of the function in the declaration's objects.
    pub function: usize,
    /// Name for logs and problems (default: the route or item name).
    #[serde(default)]
    pub name: Option<String>,
    /// The call returns something the language's event loop completes (a coroutine, a
    /// promise) rather than the result.
    #[serde(default)]
    pub is_async: bool,
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// A sync function that never blocks: a binding that runs sync functions on its
    /// [`BlockingPool`](super::BlockingPool) calls it in place instead, saving the hop to
    /// another thread (Python's `sync_to_thread=False`). Ignored for async functions.
    #[serde(default)]
    pub inline: bool,
}

/// The five hook phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookPhase {
    OnRequest,
    PreValidation,
    PreHandler,
    OnResponse,
    OnError,
}

impl HookPhase {
    /// `on_response` and `on_error` see responses; the others see requests.
    pub fn is_response_phase(self) -> bool {
        matches!(self, Self::OnResponse | Self::OnError)
    }
}

/// A lifecycle hook: a request hook is called with its args (typically the request,
/// positionally, and dependencies); a response hook with the response, and the request
/// summary when `with_request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookDecl {
    pub phase: HookPhase,
    pub function: usize,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_async: bool,
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    #[serde(default)]
    pub with_request: bool,
}

impl HookDecl {
    pub fn function(&self) -> FunctionDecl {
        FunctionDecl {
            function: self.function,
            name: self.name.clone(),
            is_async: self.is_async,
            args: self.args.clone(),
            inline: false,
        }
    }
}

/// How a dependency is provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencyKind {
    /// The object itself, shared by every request.
    Value,
    /// A function whose result is the value.
    Factory,
    /// A generator whose first value is the value; resumed after the response (cleanup).
    Generator,
}

/// A dependency: a value or a function creating it (whose args name the dependencies
/// it depends on and where it reads the request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyDecl {
    pub kind: DependencyKind,
    /// Index of the value or the function in the declaration's objects.
    pub function: usize,
    #[serde(default)]
    pub is_async: bool,
    #[serde(default)]
    pub args: Vec<ArgSpec>,
    /// `per_use` (the default, as in the Rust API: a new value for each dependent),
    /// `per_request` or `singleton`.
    #[serde(default)]
    pub lifetime: Lifetime,
    /// Schemas of the request parameters its args read (`path`, `query`, `headers`,
    /// `cookies`, as a route's): they join the parameters of every route using the
    /// dependency, validated and documented there.
    #[serde(default)]
    pub parameters: ParameterSpecs,
    /// Schema of the body its args read, which becomes the route's when it has none.
    #[serde(default)]
    pub body_schema: Option<Value>,
}

/// Everything a binding registers for one HTTP route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDecl {
    pub route: RouteSpec,
    pub handler: FunctionDecl,
    /// The route's own hooks (run after the app-wide ones of their phase).
    #[serde(default)]
    pub hooks: Vec<HookDecl>,
    /// Dependencies replacing the app's of the same name for this route.
    #[serde(default)]
    pub dependencies: Map<String, Value>,
    /// Dependencies resolved for every request though the handler does not take them
    /// (FastAPI's `dependencies=[Depends(check)]`): run for their effect (a refusal answers
    /// the request; their parameters are read, validated and documented as the route's).
    #[serde(default)]
    pub run_dependencies: Vec<String>,
    /// JSON types (`object`, `integer`, ...) the resolved dependencies must have, by name.
    #[serde(default)]
    pub expected_types: Map<String, Value>,
    /// Answer requests with the dependency problem instead of failing when the app is built.
    #[serde(default)]
    pub defer_dependency_errors: bool,
    /// JSON Schema the handler's results are checked against (FastAPI's `response_model`):
    /// compiled at registration; a JSON result of status 200 loses the fields the schema
    /// does not declare, and one that breaks it is a logged 500 that shows nothing of it
    /// ([`spikard_core::response_model`]). It documents the response too, unless
    /// `route.response_schema` is given: that one only documents.
    #[serde(default)]
    pub response_model: Option<Value>,
}

/// `what: message` as a config error.
pub fn config_error(what: &str, message: impl std::fmt::Display) -> SpikardError {
    SpikardError::Config(format!("{what}: {message}"))
}

/// Read `value` as `T`; a failure names `what` and the path of the field at fault.
pub fn read<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> Result<T, SpikardError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            config_error(what, inner)
        } else {
            config_error(&format!("{what}: {path}"), inner)
        }
    })
}

impl RouteDecl {
    /// A declaration from JSON; errors name the route (when its method and path read) and the field.
    pub fn from_json(value: Value) -> Result<Self, SpikardError> {
        let route = value.get("route");
        let text = |k: &str| route.and_then(|r| r.get(k)).and_then(Value::as_str).unwrap_or("?");
        let what = format!("route {} {}", text("method").to_ascii_uppercase(), text("path"));
        read(&what, value)
    }

    /// `route METHOD /path`, as errors name the route.
    pub fn what(&self) -> String {
        format!("route {} {}", self.route.method.to_ascii_uppercase(), self.route.path)
    }

    /// The route's name for logs and problems.
    pub fn name(&self) -> String {
        self.route
            .handler_name
            .clone()
            .or_else(|| self.handler.name.clone())
            .unwrap_or_else(|| format!("{} {}", self.route.method, self.route.path))
    }

    /// The dependencies declared for the route, each read (errors name the dependency).
    pub fn dependency_decls(&self) -> Result<Vec<(String, DependencyDecl)>, SpikardError> {
        self.dependencies
            .iter()
            .map(|(name, v)| {
                let what = format!("{}: dependencies.{name}", self.what());
                read(&what, v.clone()).map(|d| (name.clone(), d))
            })
            .collect()
    }

    /// `(name, JSON type)` pairs the resolved dependencies must match.
    pub fn expected_type_pairs(&self) -> Result<Vec<(String, String)>, SpikardError> {
        self.expected_types
            .iter()
            .map(|(name, t)| match t.as_str() {
                Some(t) => Ok((name.clone(), t.to_owned())),
                None => Err(config_error(
                    &format!("{}: expected_types.{name}", self.what()),
                    "must be a JSON type name",
                )),
            })
            .collect()
    }
}
