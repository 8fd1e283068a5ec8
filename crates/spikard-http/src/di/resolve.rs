//! Per-request resolution of a route's compiled plan.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use futures_util::future::join_all;
use futures_util::FutureExt;
use spikard_core::SpikardError;

use super::cleanup::Cleanups;
use super::errors::{dependency_error, type_matches, type_mismatch_error};
use super::plan::Plan;
use super::registry::{
    Dependencies, DependencyFactory, DependencyRegistry, Lifetime, Provided, Provider, Resolved, RouteDependencies,
};
use crate::handler::{BoxFuture, RequestData};
use crate::hooks::LifecycleHooks;

/// A route's dependencies: what it needs, when they resolve, and (once the
/// pipeline is built) its plan or its deferred graph error.
pub struct RouteDi {
    spec: RouteDependencies,
    hook_needs: Vec<String>,
    /// Resolve before this request phase: 0 on_request, 1 pre_validation, 2 pre_handler.
    pub stage: u8,
    plan: OnceLock<Result<Plan, SpikardError>>,
}

impl RouteDi {
    /// `None` when neither the route nor its hooks need dependencies.
    pub fn new(spec: RouteDependencies, hooks: &LifecycleHooks) -> Option<Self> {
        let hook_needs: Vec<String> = hooks.dependencies_before(3).cloned().collect();
        if spec.is_empty() && hook_needs.is_empty() {
            return None;
        }
        let stage = if hooks.dependencies_before(1).next().is_some() {
            0
        } else if hooks.dependencies_before(2).next().is_some() {
            1
        } else {
            2
        };
        Some(Self {
            spec,
            hook_needs,
            stage,
            plan: OnceLock::new(),
        })
    }

    /// Compile against the app's registry. A broken graph is an error unless deferred.
    pub fn compile(&self, app: &DependencyRegistry) -> Result<(), SpikardError> {
        let plan = Plan::compile(app, &self.spec, self.hook_needs.iter());
        if let Err(e) = &plan {
            if !self.spec.defer_errors {
                return Err(e.clone());
            }
        }
        let _ = self.plan.set(plan);
        Ok(())
    }

    /// Resolve for one request; cleanups of what was created go to `cleanups`.
    pub async fn resolve(&self, request: &RequestData, cleanups: &mut Cleanups) -> Result<Dependencies, SpikardError> {
        match self.plan.get() {
            Some(Ok(plan)) => resolve(plan, request, cleanups).await,
            Some(Err(e)) => Err(e.clone()),
            None => Err(SpikardError::Internal(
                "dependency plan used before the pipeline was built".into(),
            )),
        }
    }
}

fn start(
    factory: &dyn DependencyFactory,
    deps: &Dependencies,
    request: &RequestData,
) -> BoxFuture<Result<Provided, SpikardError>> {
    let panicked = |p: Box<dyn std::any::Any + Send>| {
        SpikardError::Internal(format!(
            "dependency factory panicked: {}",
            crate::hooks::panic_message(&p)
        ))
    };
    match std::panic::catch_unwind(AssertUnwindSafe(|| factory.create(deps, request))) {
        Ok(future) => Box::pin(async move {
            AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .unwrap_or_else(|p| Err(panicked(p)))
        }),
        Err(p) => {
            let err = panicked(p);
            Box::pin(async move { Err(err) })
        }
    }
}

/// Which instances this request must obtain: all, except inputs of singletons already created.
fn needed(plan: &Plan) -> Option<Vec<bool>> {
    if !plan.singleton_inputs {
        return None;
    }
    let mut needed = vec![false; plan.instances.len()];
    for &(_, i) in &plan.exposed {
        needed[i] = true;
    }
    for i in (0..plan.instances.len()).rev() {
        let inst = &plan.instances[i];
        let created = inst.dependency.lifetime == Lifetime::Singleton && inst.dependency.cell.initialized();
        if needed[i] && !created {
            for &j in &inst.inputs {
                needed[j] = true;
            }
        }
    }
    Some(needed)
}

/// Create (or look up) every value of `plan` for `request`, batch by batch.
pub async fn resolve(
    plan: &Plan,
    request: &RequestData,
    cleanups: &mut Cleanups,
) -> Result<Dependencies, SpikardError> {
    let mut slots: Vec<Option<Resolved>> = vec![None; plan.instances.len()];
    let needed = needed(plan);
    for batch in &plan.batches {
        let mut pending = Vec::new();
        for &i in batch {
            if needed.as_ref().is_some_and(|n| !n[i]) {
                continue;
            }
            let inst = &plan.instances[i];
            let factory = match &inst.dependency.provider {
                Provider::Value(v) => {
                    slots[i] = Some(v.clone());
                    continue;
                }
                Provider::Factory(f) => f,
            };
            if inst.dependency.lifetime == Lifetime::Singleton {
                if let Some(v) = inst.dependency.cell.get() {
                    slots[i] = Some(v.clone());
                    continue;
                }
            }
            let inputs = inst
                .inputs
                .iter()
                .filter_map(|&j| slots[j].clone().map(|v| (plan.instances[j].name.clone(), v)))
                .collect();
            pending.push((i, Arc::clone(factory), Dependencies::from_entries(inputs)));
        }
        let in_order = pending.len() > 1 && pending.iter().any(|(_, f, _)| !f.concurrent());
        let mut indices = Vec::with_capacity(pending.len());
        let mut results = Vec::with_capacity(pending.len());
        if in_order {
            for (i, factory, inputs) in pending {
                indices.push(i);
                results.push(start(factory.as_ref(), &inputs, request).await);
            }
        } else {
            let mut futures = Vec::with_capacity(pending.len());
            for (i, factory, inputs) in &pending {
                indices.push(*i);
                futures.push(start(factory.as_ref(), inputs, request));
            }
            results = join_all(futures).await;
        }
        let mut failure = None;
        for (i, result) in indices.into_iter().zip(results) {
            match result {
                Ok(provided) => {
                    let dependency = &plan.instances[i].dependency;
                    let value = if dependency.lifetime == Lifetime::Singleton {
                        // Lives as long as the app: its cleanup is not run per request.
                        let value = provided.value;
                        dependency.cell.get_or_init(|| async { value }).await.clone()
                    } else {
                        if let Some(c) = provided.cleanup {
                            cleanups.push(c);
                        }
                        if let Some(slot) = provided.value.failure_slot() {
                            cleanups.watch(slot.clone());
                        }
                        provided.value
                    };
                    slots[i] = Some(value);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
    }
    let mut mismatches = Vec::new();
    for (ei, expected) in &plan.expected_types {
        let (name, i) = &plan.exposed[*ei];
        let actual = slots[*i].as_ref().and_then(Resolved::type_name);
        if let Some(actual) = actual.filter(|a| !type_matches(expected, a)) {
            mismatches.push(type_mismatch_error(name, expected, actual));
        }
    }
    if !mismatches.is_empty() {
        return Err(dependency_error(mismatches));
    }
    let exposed = plan
        .exposed
        .iter()
        .filter_map(|(name, i)| slots[*i].clone().map(|v| (name.clone(), v)))
        .collect();
    Ok(Dependencies::from_entries(exposed))
}

/// Convenience for tests and bindings: compile and resolve once.
pub async fn resolve_once(
    app: &DependencyRegistry,
    route: &RouteDependencies,
    request: &RequestData,
) -> Result<(Dependencies, Cleanups), SpikardError> {
    let plan = Plan::compile(app, route, std::iter::empty())?;
    let mut cleanups = Cleanups::default();
    let deps = resolve(&plan, request, &mut cleanups).await?;
    Ok((deps, cleanups))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::di::Dependency;
    use http::{HeaderMap, Method};
    use serde_json::json;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    /// A factory counting its calls; the value is the call number.
    pub(crate) struct Counter(pub AtomicU64);

    impl DependencyFactory for Counter {
        fn create(&self, deps: &Dependencies, _r: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            let inputs = deps.len();
            Box::pin(async move { Ok(Resolved::json(json!({"n": n, "inputs": inputs})).into()) })
        }
    }

    pub(crate) fn counter_factory() -> Arc<dyn DependencyFactory> {
        Arc::new(Counter(AtomicU64::new(0)))
    }

    fn req() -> RequestData {
        RequestData::new(Method::GET, "/".into(), HeaderMap::new())
    }

    /// A factory that logs its start and, after yielding to the runtime, its end.
    struct Logged {
        name: &'static str,
        log: Arc<std::sync::Mutex<Vec<String>>>,
        concurrent: bool,
    }

    impl DependencyFactory for Logged {
        fn concurrent(&self) -> bool {
            self.concurrent
        }

        fn create(&self, _d: &Dependencies, _r: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
            let (name, log) = (self.name, Arc::clone(&self.log));
            log.lock().unwrap().push(format!("start {name}"));
            Box::pin(async move {
                tokio::task::yield_now().await;
                log.lock().unwrap().push(format!("end {name}"));
                Ok(Resolved::json(json!(name)).into())
            })
        }
    }

    /// Independent factories of one batch start together, unless one of them is sync: then
    /// each starts once the previous one is done, in declaration order.
    #[tokio::test]
    async fn sync_factories_of_a_batch_run_in_order() {
        for (concurrent, expected) in [
            (true, ["start a", "start b", "end a", "end b"]),
            (false, ["start a", "end a", "start b", "end b"]),
        ] {
            let log = Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut app = DependencyRegistry::default();
            for name in ["a", "b"] {
                let f = Logged {
                    name,
                    log: Arc::clone(&log),
                    concurrent,
                };
                app.insert(name, Dependency::factory(Arc::new(f)));
            }
            let plan = Plan::compile(&app, &RouteDependencies::needing(["a", "b"]), std::iter::empty()).unwrap();
            resolve(&plan, &req(), &mut Cleanups::default()).await.unwrap();
            assert_eq!(*log.lock().unwrap(), expected, "concurrent: {concurrent}");
        }
    }

    #[tokio::test]
    async fn lifetimes() {
        let mut app = DependencyRegistry::default();
        app.insert("per_use", Dependency::factory(counter_factory()));
        app.insert("per_request", Dependency::factory(counter_factory()).cacheable());
        app.insert("single", Dependency::factory(counter_factory()).singleton());
        app.insert(
            "user",
            Dependency::factory(counter_factory()).depends_on(["per_use", "per_request", "single"]),
        );
        let route = RouteDependencies::needing(["per_use", "per_request", "single", "user"]);
        let plan = Plan::compile(&app, &route, std::iter::empty()).unwrap();
        let mut cleanups = Cleanups::default();
        let first = resolve(&plan, &req(), &mut cleanups).await.unwrap();
        let second = resolve(&plan, &req(), &mut cleanups).await.unwrap();
        // per_use: created for the handler and for `user` (2 per request): the handler's
        // instance is the 3rd creation in the second request.
        assert_eq!(first.json("per_use").unwrap()["n"], json!(1));
        assert_eq!(second.json("per_use").unwrap()["n"], json!(3));
        // per_request: once per request.
        assert_eq!(second.json("per_request").unwrap()["n"], json!(2));
        // singleton: once per app.
        assert_eq!(first.json("single"), second.json("single"));
        assert_eq!(second.json("user").unwrap()["inputs"], json!(3));
    }

    #[tokio::test]
    async fn type_mismatch_is_reported_at_resolution() {
        let mut app = DependencyRegistry::default();
        app.insert("config", Dependency::value(Resolved::json(json!("text"))));
        let mut route = RouteDependencies::needing(["config"]);
        route.expected_types.push(("config".into(), "object".into()));
        let err = resolve_once(&app, &route, &req()).await.err().unwrap();
        let problem = err.to_problem();
        assert_eq!(problem.detail, "Dependency type mismatch");
        assert_eq!(problem.extensions["errors"][0]["actual_type"], "string");
    }

    #[tokio::test]
    async fn a_declared_type_name_is_checked_without_a_json_view() {
        struct Opaque;
        let mut app = DependencyRegistry::default();
        app.insert(
            "pool",
            Dependency::value(Resolved::new(Opaque).with_type_name("integer")),
        );
        app.insert(
            "ratio",
            Dependency::value(Resolved::new(Opaque).with_type_name("integer")),
        );
        app.insert("untyped", Dependency::value(Resolved::new(Opaque)));
        let mut route = RouteDependencies::needing(["pool", "ratio", "untyped"]);
        route.expected_types.push(("pool".into(), "object".into()));
        route.expected_types.push(("ratio".into(), "number".into()));
        route.expected_types.push(("untyped".into(), "object".into()));
        let err = resolve_once(&app, &route, &req()).await.err().unwrap();
        let errors = err.to_problem().extensions["errors"].clone();
        // Only `pool` is wrong: `number` accepts an integer, an untyped value is not judged.
        assert_eq!(errors.as_array().map(Vec::len), Some(1));
        assert_eq!(errors[0]["dependency_key"], "pool");
        assert_eq!(errors[0]["actual_type"], "integer");
    }

    #[tokio::test]
    async fn a_panicking_factory_is_an_internal_error() {
        struct Boom;
        impl DependencyFactory for Boom {
            fn create(&self, _d: &Dependencies, _r: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
                panic!("no factory today")
            }
        }
        let mut app = DependencyRegistry::default();
        app.insert("boom", Dependency::factory(Arc::new(Boom)));
        let err = resolve_once(&app, &RouteDependencies::needing(["boom"]), &req())
            .await
            .err()
            .unwrap();
        assert_eq!(err.status(), 500);
        assert!(err.to_string().contains("no factory today"));
    }
}
