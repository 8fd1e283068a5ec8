//! Dependency injection, binding-neutral.
//!
//! A [`DependencyRegistry`] maps names to [`Dependency`] providers: a fixed
//! value, or a [`DependencyFactory`] (a trait object, so every binding can
//! supply factories written in its language) that receives the dependencies it
//! depends on and the request, and may return a cleanup future. Each dependency
//! has a [`Lifetime`]:
//!
//! - [`Lifetime::PerUse`] (the default, "not cacheable"): created for each
//!   dependent that asks for it (the handler and two factories depending on it
//!   get three instances);
//! - [`Lifetime::PerRequest`] ("cacheable"): created once per request, shared by
//!   every dependent in that request;
//! - [`Lifetime::Singleton`]: created once per app, lazily on first use, shared
//!   by all requests (values are always shared).
//!
//! A route declares the dependencies its handler (and its hooks, through
//! [`crate::RequestHook::dependencies`]) need, and may override app-level
//! dependencies with its own ([`RouteDependencies`]). The graph of each route is
//! checked when the pipeline is built: a cycle or a missing dependency is an
//! error naming them (`SpikardError::Dependency`, the same problem the request
//! would get). A route registered with [`RouteDependencies::defer_errors`]
//! instead answers every request with that 500 problem (used by the fixture
//! runner, and by bindings that prefer starting with a broken route).
//!
//! A factory may read the request like a handler: its [`RequestInputs`] (parameter
//! schemas, body schema) join the schemas of every route using it ([`merge_inputs`]), so
//! they are validated (422 problems), coerced and documented as the route's own.
//!
//! Resolution runs once per request, before the first hook phase whose hooks
//! read dependencies, else after validation (factories then see the validated
//! parameters and body). Independent dependencies are created concurrently, a
//! batch per depth. The handler finds them as [`Dependencies`] in
//! `RequestData::extensions`. Cleanups run in reverse creation order once the
//! response body has been sent, or when the request ends otherwise (error,
//! timeout, disconnect).
//!
//! ```
//! use spikard_http::di::{Dependency, DependencyRegistry, Resolved, RouteDependencies, Lifetime};
//! let mut registry = DependencyRegistry::default();
//! registry.insert("app_name", Dependency::value(Resolved::json("Spikard".into())));
//! let route = RouteDependencies::needing(["app_name"]);
//! let plan = spikard_http::di::Plan::compile(&registry, &route, std::iter::empty()).unwrap();
//! assert_eq!(plan.exposed_names().collect::<Vec<_>>(), ["app_name"]);
//! assert_eq!(Dependency::value(Resolved::json(1.into())).lifetime, Lifetime::Singleton);
//! ```

mod cleanup;
mod errors;
mod inputs;
mod plan;
mod registry;
mod resolve;

pub use cleanup::{Cleanup, Cleanups};
pub use errors::{circular_error, json_type_name, missing_error, type_mismatch_error};
pub use inputs::merge_inputs;
pub use plan::Plan;
pub use registry::{
    Dependencies, Dependency, DependencyFactory, DependencyRegistry, Failure, FailureSlot, Lifetime, Provided,
    Provider, RequestInputs, Resolved, RouteDependencies,
};
pub use resolve::{resolve, resolve_once, RouteDi};
