//! Dependency providers, their registry, a route's needs, and resolved values.

use std::any::Any;
use std::sync::Arc;

use serde_json::{Map, Value};
use spikard_core::SpikardError;
use tokio::sync::OnceCell;

use super::cleanup::Cleanup;
use crate::handler::{BoxFuture, RequestData};

/// A resolved dependency: any value a binding stores (its own objects), and
/// optionally a JSON view of it for binding-neutral use (type checks, JSON handlers)
/// or just the JSON type name it stands for (for a route's expected types).
#[derive(Clone)]
pub struct Resolved {
    value: Arc<dyn Any + Send + Sync>,
    json: Option<Arc<Value>>,
    type_name: Option<&'static str>,
    /// Where the handler's failure is left for the cleanup of a generator-like dependency.
    failure: Option<FailureSlot>,
}

/// Why the request that used a dependency did not finish normally; a generator-like
/// dependency's cleanup gets it at its `yield` (rollback instead of commit).
#[derive(Clone)]
pub enum Failure {
    /// The handler raised this language exception (the binding's own object).
    Raised(Arc<dyn Any + Send + Sync>),
    /// The handler was cancelled: the client went away or the deadline passed.
    Cancelled,
    /// The request failed without a language exception: a later dependency, a hook, a
    /// validation step (the binding raises its own exception for it).
    Error(SpikardError),
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Raised(_) => f.write_str("Raised(..)"),
            Self::Cancelled => f.write_str("Cancelled"),
            Self::Error(e) => f.debug_tuple("Error").field(e).finish(),
        }
    }
}

/// A shared slot for the [`Failure`] of the request a dependency served.
#[derive(Clone, Default)]
pub struct FailureSlot(Arc<std::sync::Mutex<Option<Failure>>>);

impl FailureSlot {
    /// Record `failure` (the first one recorded wins).
    pub fn set(&self, failure: Failure) {
        if let Ok(mut slot) = self.0.lock() {
            slot.get_or_insert(failure);
        }
    }

    /// The recorded failure, taken.
    pub fn take(&self) -> Option<Failure> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl Resolved {
    /// Any value (no JSON view).
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self::from_arc(Arc::new(value))
    }

    pub fn from_arc(value: Arc<dyn Any + Send + Sync>) -> Self {
        Self {
            value,
            json: None,
            type_name: None,
            failure: None,
        }
    }

    /// A JSON value: stored as a `serde_json::Value` that is also its JSON view.
    pub fn json(value: Value) -> Self {
        let json = Arc::new(value);
        Self {
            type_name: Some(super::json_type_name(&json)),
            value: json.clone(),
            json: Some(json),
            failure: None,
        }
    }

    /// Attach a JSON view to a value.
    pub fn with_json(mut self, json: Value) -> Self {
        self.type_name = Some(super::json_type_name(&json));
        self.json = Some(Arc::new(json));
        self
    }

    /// Declare which JSON type the value stands for (`object`, `integer`, ...; see
    /// [`super::json_type_name`]) without a JSON view: a binding's own objects can then
    /// be checked against a route's expected types without converting them.
    pub fn with_type_name(mut self, name: &'static str) -> Self {
        self.type_name = Some(name);
        self
    }

    /// The JSON type the value stands for, when known.
    pub fn type_name(&self) -> Option<&'static str> {
        self.type_name
    }

    /// The value as `T`, if it is one (a JSON value is a `serde_json::Value`).
    pub fn downcast<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.value.clone().downcast::<T>().ok()
    }

    pub fn value(&self) -> &Arc<dyn Any + Send + Sync> {
        &self.value
    }

    pub fn as_json(&self) -> Option<&Value> {
        self.json.as_deref()
    }

    /// The slot where the failure of the request that used the value is left, if any.
    pub fn failure_slot(&self) -> Option<&FailureSlot> {
        self.failure.as_ref()
    }

    /// Attach the slot where the failure of the request that used the value is left.
    pub fn with_failure_slot(mut self, slot: FailureSlot) -> Self {
        self.failure = Some(slot);
        self
    }
}

/// What a factory produced: the value and an optional cleanup to run after the response.
pub struct Provided {
    pub value: Resolved,
    pub cleanup: Option<Cleanup>,
}

impl From<Resolved> for Provided {
    fn from(value: Resolved) -> Self {
        Self { value, cleanup: None }
    }
}

/// Creates a dependency from the dependencies it depends on and the request.
pub trait DependencyFactory: Send + Sync + 'static {
    fn create(&self, dependencies: &Dependencies, request: &RequestData) -> BoxFuture<Result<Provided, SpikardError>>;

    /// Whether the factory may run at the same time as the others of its batch (the
    /// default). A batch holding one that may not (a binding's sync function) creates its
    /// values one after the other, in declaration order, each started once the previous
    /// one is done: what a sync function's caller expects.
    fn concurrent(&self) -> bool {
        true
    }
}

/// How long a created dependency lives (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifetime {
    #[default]
    PerUse,
    PerRequest,
    Singleton,
}

#[derive(Clone)]
pub enum Provider {
    Value(Resolved),
    Factory(Arc<dyn DependencyFactory>),
}

/// One registered dependency.
#[derive(Clone)]
pub struct Dependency {
    pub provider: Provider,
    /// Names of the dependencies the factory receives.
    pub depends_on: Vec<String>,
    pub lifetime: Lifetime,
    /// What the factory reads from the request (parameters, body): merged into the
    /// schemas of every route using it, so it is validated and documented as the
    /// route's own ([`super::inputs`]).
    pub inputs: RequestInputs,
    /// The singleton's value once created (shared by every clone of this registration).
    pub(crate) cell: Arc<OnceCell<Resolved>>,
}

/// The request parameters and body a dependency reads, as a route declares its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInputs {
    pub parameters: crate::route::ParameterSpecs,
    pub body_schema: Option<serde_json::Value>,
}

impl RequestInputs {
    pub fn is_empty(&self) -> bool {
        self.body_schema.is_none() && self.parameters == crate::route::ParameterSpecs::default()
    }
}

impl Dependency {
    /// A fixed value (shared: its lifetime is [`Lifetime::Singleton`]).
    pub fn value(value: Resolved) -> Self {
        Self {
            provider: Provider::Value(value),
            depends_on: Vec::new(),
            lifetime: Lifetime::Singleton,
            inputs: RequestInputs::default(),
            cell: Arc::default(),
        }
    }

    /// A factory, created per use unless made [`Self::cacheable`] or [`Self::singleton`].
    pub fn factory(factory: Arc<dyn DependencyFactory>) -> Self {
        Self {
            provider: Provider::Factory(factory),
            depends_on: Vec::new(),
            lifetime: Lifetime::PerUse,
            inputs: RequestInputs::default(),
            cell: Arc::default(),
        }
    }

    pub fn depends_on<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.depends_on = names.into_iter().map(Into::into).collect();
        self
    }

    /// Declare what the factory reads from the request (see [`RequestInputs`]).
    pub fn with_inputs(mut self, inputs: RequestInputs) -> Self {
        self.inputs = inputs;
        self
    }

    pub fn with_lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Created once per request and shared within it.
    pub fn cacheable(self) -> Self {
        self.with_lifetime(Lifetime::PerRequest)
    }

    /// Created once per app.
    pub fn singleton(self) -> Self {
        self.with_lifetime(Lifetime::Singleton)
    }

    pub(crate) fn is_shared(&self) -> bool {
        self.lifetime != Lifetime::PerUse || matches!(self.provider, Provider::Value(_))
    }
}

/// Dependencies by name, in registration order (a name registered again replaces the first).
#[derive(Clone, Default)]
pub struct DependencyRegistry {
    entries: Vec<(String, Dependency)>,
}

impl DependencyRegistry {
    pub fn insert(&mut self, name: impl Into<String>, dependency: Dependency) -> &mut Dependency {
        let name = name.into();
        let idx = match self.entries.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                self.entries[i].1 = dependency;
                i
            }
            None => {
                self.entries.push((name, dependency));
                self.entries.len() - 1
            }
        };
        &mut self.entries[idx].1
    }

    pub fn get(&self, name: &str) -> Option<&Dependency> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Dependency> {
        self.entries.iter_mut().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }
}

/// What a route needs: the handler's dependencies, route-level overrides of
/// app-level ones, JSON types the handler expects, and how graph errors are reported.
#[derive(Clone, Default)]
pub struct RouteDependencies {
    /// Names the handler reads (a name listed twice is resolved once).
    pub needs: Vec<String>,
    /// Registrations replacing the app's for this route (their singletons are the route's own).
    pub overrides: DependencyRegistry,
    /// `(name, JSON type)`: the resolved value's JSON view must have this type
    /// (`string`, `integer`, `number`, `boolean`, `object`, `array`, `null`).
    pub expected_types: Vec<(String, String)>,
    /// Answer requests with the dependency problem instead of failing the build.
    pub defer_errors: bool,
}

impl RouteDependencies {
    pub fn needing<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        Self {
            needs: names.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needs.is_empty() && self.overrides.is_empty() && self.expected_types.is_empty()
    }
}

/// The dependencies resolved for a request (or handed to a factory), by name.
#[derive(Clone, Default)]
pub struct Dependencies {
    entries: Arc<[(Arc<str>, Resolved)]>,
}

impl std::fmt::Debug for Dependencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.entries.iter().map(|(k, v)| (k, v))).finish()
    }
}

impl Dependencies {
    pub fn from_entries(entries: Vec<(Arc<str>, Resolved)>) -> Self {
        Self {
            entries: entries.into(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Resolved> {
        self.entries.iter().find(|(k, _)| &**k == name).map(|(_, v)| v)
    }

    /// The value named `name` as a `T`.
    pub fn get_as<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        self.get(name).and_then(Resolved::downcast)
    }

    /// The JSON view of the value named `name`.
    pub fn json(&self, name: &str) -> Option<&Value> {
        self.get(name).and_then(Resolved::as_json)
    }

    /// Every value with a JSON view, as one object.
    pub fn to_json(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .filter_map(|(k, v)| v.as_json().map(|j| (k.to_string(), j.clone())))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Resolved)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Leave `failure` to every value that has a failure slot (generator-like dependencies).
    pub fn record_failure(&self, failure: &Failure) {
        for (_, value) in self.entries.iter() {
            if let Some(slot) = &value.failure {
                slot.set(failure.clone());
            }
        }
    }
}
