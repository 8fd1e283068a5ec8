//! A route's dependency graph, checked and unfolded once at registration into
//! instances to create per request, batched by depth.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use spikard_core::SpikardError;

use super::errors::{circular_error, dependency_error, missing_error};
use super::registry::{Dependency, DependencyRegistry, Lifetime, RouteDependencies};

/// One value to obtain per request.
pub(crate) struct Instance {
    pub name: Arc<str>,
    pub dependency: Dependency,
    /// Instances whose values this one's factory receives.
    pub inputs: Vec<usize>,
}

/// The compiled graph of one route.
pub struct Plan {
    pub(crate) instances: Vec<Instance>,
    /// Instance indices by depth: a batch only depends on earlier batches.
    pub(crate) batches: Vec<Vec<usize>>,
    /// `(name, instance)` handed to the handler and hooks.
    pub(crate) exposed: Vec<(Arc<str>, usize)>,
    /// `(exposed index, expected JSON type)`.
    pub(crate) expected_types: Vec<(usize, String)>,
    /// Whether some singleton factory has inputs (so a created singleton lets them be skipped).
    pub(crate) singleton_inputs: bool,
}

struct Unfold<'a> {
    app: &'a DependencyRegistry,
    route: &'a DependencyRegistry,
    instances: Vec<Instance>,
    shared: HashMap<String, usize>,
    stack: Vec<String>,
    errors: Vec<Value>,
}

impl Unfold<'_> {
    fn lookup(&self, name: &str) -> Option<&Dependency> {
        self.route.get(name).or_else(|| self.app.get(name))
    }

    fn instance(&mut self, name: &str) -> Option<usize> {
        if let Some(pos) = self.stack.iter().position(|n| n == name) {
            let mut cycle = self.stack[pos..].to_vec();
            cycle.push(name.to_owned());
            let entry = circular_error(&cycle);
            if !self.errors.contains(&entry) {
                self.errors.push(entry);
            }
            return None;
        }
        let Some(dependency) = self.lookup(name).cloned() else {
            let entry = missing_error(name);
            if !self.errors.contains(&entry) {
                self.errors.push(entry);
            }
            return None;
        };
        if let Some(&idx) = self.shared.get(name) {
            return Some(idx);
        }
        self.stack.push(name.to_owned());
        let mut inputs = Vec::with_capacity(dependency.depends_on.len());
        for input in &dependency.depends_on {
            if let Some(i) = self.instance(input) {
                inputs.push(i);
            }
        }
        self.stack.pop();
        let shared = dependency.is_shared();
        self.instances.push(Instance {
            name: Arc::from(name),
            dependency,
            inputs,
        });
        let idx = self.instances.len() - 1;
        if shared {
            self.shared.insert(name.to_owned(), idx);
        }
        Some(idx)
    }
}

impl Plan {
    /// Check and unfold the graph of a route needing `route.needs` plus `hook_needs`.
    /// A cycle or a missing dependency is a `SpikardError::Dependency` naming them.
    pub fn compile<'a>(
        app: &DependencyRegistry,
        route: &RouteDependencies,
        hook_needs: impl Iterator<Item = &'a String>,
    ) -> Result<Plan, SpikardError> {
        let mut unfold = Unfold {
            app,
            route: &route.overrides,
            instances: Vec::new(),
            shared: HashMap::new(),
            stack: Vec::new(),
            errors: Vec::new(),
        };
        let mut exposed: Vec<(Arc<str>, usize)> = Vec::new();
        let names: Vec<String> = route.needs.iter().cloned().chain(hook_needs.cloned()).collect();
        for name in &names {
            if exposed.iter().any(|(n, _)| **n == **name) {
                continue;
            }
            if let Some(idx) = unfold.instance(name) {
                exposed.push((unfold.instances[idx].name.clone(), idx));
            }
        }
        if !unfold.errors.is_empty() {
            return Err(dependency_error(unfold.errors));
        }
        let instances = unfold.instances;
        // Instances are created after their inputs (post-order), so depths settle in one pass.
        let mut depth = vec![0usize; instances.len()];
        for (i, inst) in instances.iter().enumerate() {
            depth[i] = inst.inputs.iter().map(|&j| depth[j] + 1).max().unwrap_or(0);
        }
        let mut batches: Vec<Vec<usize>> = Vec::new();
        for (i, &d) in depth.iter().enumerate() {
            if batches.len() <= d {
                batches.resize_with(d + 1, Vec::new);
            }
            batches[d].push(i);
        }
        let expected_types = route
            .expected_types
            .iter()
            .filter_map(|(name, ty)| exposed.iter().position(|(n, _)| **n == **name).map(|i| (i, ty.clone())))
            .collect();
        let singleton_inputs = instances
            .iter()
            .any(|i| i.dependency.lifetime == Lifetime::Singleton && !i.inputs.is_empty());
        Ok(Plan {
            instances,
            batches,
            exposed,
            expected_types,
            singleton_inputs,
        })
    }

    /// The names handed to the handler and hooks, in order.
    pub fn exposed_names(&self) -> impl Iterator<Item = &str> {
        self.exposed.iter().map(|(n, _)| &**n)
    }

    /// How many values a request creates or looks up.
    pub fn instance_count(&self) -> usize {
        self.instances.len()
    }

    /// The depth batches as names (batches resolve concurrently within themselves).
    pub fn batch_names(&self) -> Vec<Vec<&str>> {
        self.batches
            .iter()
            .map(|b| b.iter().map(|&i| &*self.instances[i].name).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::di::Resolved;
    use serde_json::json;

    fn value(v: Value) -> Dependency {
        Dependency::value(Resolved::json(v))
    }

    fn errors_of(err: SpikardError) -> (String, Vec<Value>) {
        match err {
            SpikardError::Dependency { detail, errors } => (detail, errors),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn nested_graph_is_batched_by_depth() {
        let mut app = DependencyRegistry::default();
        app.insert("config", value(json!({})));
        app.insert("db", value(json!(1)).depends_on(["config"]));
        app.insert("cache", value(json!(2)).depends_on(["config"]));
        app.insert("auth", value(json!(3)).depends_on(["db", "cache"]));
        let plan = Plan::compile(&app, &RouteDependencies::needing(["auth"]), std::iter::empty()).unwrap();
        assert_eq!(
            plan.batch_names(),
            vec![vec!["config"], vec!["db", "cache"], vec!["auth"]]
        );
    }

    #[test]
    fn a_cycle_is_reported_with_its_path() {
        let mut app = DependencyRegistry::default();
        app.insert("a", value(json!(1)).depends_on(["b"]));
        app.insert("b", value(json!(1)).depends_on(["a"]));
        let err = Plan::compile(&app, &RouteDependencies::needing(["a"]), std::iter::empty())
            .err()
            .unwrap();
        let (detail, errors) = errors_of(err);
        assert_eq!(detail, "Circular dependency detected");
        assert_eq!(errors[0]["cycle"], json!(["a", "b", "a"]));
    }

    #[test]
    fn a_missing_dependency_is_named_and_overrides_apply() {
        let app = DependencyRegistry::default();
        let mut route = RouteDependencies::needing(["db"]);
        let err = Plan::compile(&app, &route, std::iter::empty()).err().unwrap();
        let (detail, errors) = errors_of(err);
        assert_eq!(detail, "Required dependency not found");
        assert_eq!(errors[0]["dependency_key"], "db");
        route.overrides.insert("db", value(json!("test")));
        assert!(Plan::compile(&app, &route, std::iter::empty()).is_ok());
    }

    #[test]
    fn per_use_factories_are_unfolded_per_dependent() {
        let mut app = DependencyRegistry::default();
        let f = crate::di::resolve::tests::counter_factory();
        app.insert("clock", Dependency::factory(f.clone()));
        app.insert("a", Dependency::factory(f.clone()).depends_on(["clock"]).cacheable());
        app.insert("b", Dependency::factory(f).depends_on(["clock"]).cacheable());
        let plan = Plan::compile(
            &app,
            &RouteDependencies::needing(["a", "b", "clock"]),
            std::iter::empty(),
        )
        .unwrap();
        assert_eq!(plan.instance_count(), 5);
    }
}
