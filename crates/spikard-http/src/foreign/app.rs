//! A binding's app: routes, hooks and dependencies registered as declarations, turned
//! into the core's handlers through the binding's [`Binding`] implementation, and
//! pipelines built from them for the server and the test client.
//!
//! Each route is compiled when it is added, so a conflict or an invalid schema fails
//! the registration call. The pipeline is built once from everything registered so far
//! (app-wide hooks and dependencies added later apply to earlier routes too) and shared
//! by the server and every test client; registering anything or changing the config
//! afterwards builds a new one for the next caller (clients made before keep theirs).

use std::sync::{Arc, Mutex};

use spikard_core::SpikardError;

use super::adapters::{ForeignFactory, ForeignHandler, ForeignRequestHook, ForeignResponseHook};
use super::args::ArgPlan;
use super::call::ForeignFn;
use super::decl::{config_error, DependencyDecl, DependencyKind, FunctionDecl, HookDecl, RouteDecl};
use crate::di::{Dependency, DependencyRegistry, RequestInputs, Resolved, RouteDependencies};
use crate::handler::Handler;
use crate::hooks::LifecycleHooks;
use crate::pipeline::{Pipeline, PipelineBuilder};
use crate::response_model::ResponseModelCheck;
use crate::route::RouteSpec;
use crate::websocket::WebSocketHandler;
use crate::ServerConfig;

/// What a declared function is for (a binding may call each differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Handler,
    RequestHook,
    /// Called with the response (and the request summary when it asks for it).
    ResponseHook {
        with_request: bool,
    },
    Factory,
    /// Its first value is the dependency; it is resumed after the response.
    Generator,
}

/// How to call one declared function.
#[derive(Debug)]
pub struct FunctionInfo<'a> {
    /// For logs and problems.
    pub name: &'a str,
    pub is_async: bool,
    pub role: Role,
    pub plan: &'a ArgPlan,
    /// Declared as never blocking ([`FunctionDecl::inline`]): call it in place.
    pub inline: bool,
}

/// What a binding supplies to register declarations: its functions as [`ForeignFn`]s
/// and its plain values as dependencies.
pub trait Binding {
    /// The language's object (a function, a converter, a value).
    type Object;

    /// `function` as a [`ForeignFn`] called as `info` says; argument converters are
    /// indexes into `objects`.
    fn function(
        &self,
        function: &Self::Object,
        info: &FunctionInfo<'_>,
        objects: &[Self::Object],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError>;

    /// A plain value as a dependency shared by every request.
    fn value(&self, value: &Self::Object) -> Resolved;
}

/// `objects[index]`, or an error naming what referred to it.
pub fn object<'a, O>(objects: &'a [O], index: usize, what: &str) -> Result<&'a O, SpikardError> {
    objects.get(index).ok_or_else(|| {
        config_error(
            what,
            format!("object {index} is out of range ({} given)", objects.len()),
        )
    })
}

struct RouteEntry {
    spec: RouteSpec,
    handler: Arc<dyn Handler>,
    hooks: LifecycleHooks,
    dependencies: RouteDependencies,
}

/// Routes, app-wide hooks and dependencies, and the server config of one app.
pub struct ForeignApp {
    config: ServerConfig,
    hooks: LifecycleHooks,
    dependencies: DependencyRegistry,
    routes: Vec<RouteEntry>,
    websockets: Vec<(RouteSpec, Arc<dyn WebSocketHandler>)>,
    /// Services mounted under a prefix (a binding's bridge to another framework).
    mounts: crate::mount::Mounts,
    /// Every route so far, compiled: catches conflicts at registration.
    check: PipelineBuilder,
    /// The pipeline of everything registered so far, once built.
    built: Mutex<Option<Pipeline>>,
}

fn plan(what: &str, decl: &FunctionDecl) -> Result<ArgPlan, SpikardError> {
    ArgPlan::compile(decl.args.clone()).map_err(|e| config_error(what, e))
}

fn function<B: Binding>(
    binding: &B,
    objects: &[B::Object],
    what: &str,
    decl: &FunctionDecl,
    role: Role,
) -> Result<(Arc<dyn ForeignFn>, ArgPlan, String), SpikardError> {
    let plan = plan(what, decl)?;
    let name = decl.name.clone().unwrap_or_else(|| what.to_owned());
    let target = object(objects, decl.function, &format!("{what}: function"))?;
    let info = FunctionInfo {
        name: &name,
        is_async: decl.is_async,
        role,
        plan: &plan,
        inline: decl.inline,
    };
    let f = binding.function(target, &info, objects).map_err(|e| match e {
        SpikardError::Config(m) => SpikardError::Config(format!("{what}: {m}")),
        other => other,
    })?;
    Ok((f, plan, name))
}

/// Add one declared hook to `hooks`.
fn add_hook<B: Binding>(
    binding: &B,
    objects: &[B::Object],
    hooks: &mut LifecycleHooks,
    what: &str,
    decl: &HookDecl,
) -> Result<(), SpikardError> {
    use super::decl::HookPhase::*;
    if decl.phase.is_response_phase() && !decl.args.is_empty() {
        return Err(config_error(
            what,
            "args: a response hook is called with the response (and the request summary with `with_request`), not with arguments",
        ));
    }
    let role = if decl.phase.is_response_phase() {
        Role::ResponseHook {
            with_request: decl.with_request,
        }
    } else {
        Role::RequestHook
    };
    let (f, plan, name) = function(binding, objects, what, &decl.function(), role)?;
    let request = || Arc::new(ForeignRequestHook::new(f.clone(), plan.clone(), name.as_str()));
    let response = || Arc::new(ForeignResponseHook::new(f.clone(), name.as_str(), decl.with_request));
    match decl.phase {
        OnRequest => hooks.on_request.push(request()),
        PreValidation => hooks.pre_validation.push(request()),
        PreHandler => hooks.pre_handler.push(request()),
        OnResponse => hooks.on_response.push(response()),
        OnError => hooks.on_error.push(response()),
    }
    Ok(())
}

/// One declared dependency.
fn dependency<B: Binding>(
    binding: &B,
    objects: &[B::Object],
    what: &str,
    decl: &DependencyDecl,
) -> Result<Dependency, SpikardError> {
    let inputs = RequestInputs {
        parameters: decl.parameters.clone(),
        body_schema: decl.body_schema.clone(),
    };
    if decl.kind == DependencyKind::Value && !inputs.is_empty() {
        return Err(config_error(
            what,
            "parameters: a value dependency reads nothing from the request",
        ));
    }
    let role = match decl.kind {
        DependencyKind::Value => {
            let value = object(objects, decl.function, &format!("{what}: function"))?;
            return Ok(Dependency::value(binding.value(value)));
        }
        DependencyKind::Factory => Role::Factory,
        DependencyKind::Generator => Role::Generator,
    };
    let fdecl = FunctionDecl {
        function: decl.function,
        name: None,
        is_async: decl.is_async,
        args: decl.args.clone(),
        inline: false,
    };
    let (f, plan, name) = function(binding, objects, what, &fdecl, role)?;
    let depends_on = plan.dependencies();
    Ok(
        Dependency::factory(Arc::new(ForeignFactory::new(f, plan, name).sync(!decl.is_async)))
            .depends_on(depends_on)
            .with_lifetime(decl.lifetime)
            .with_inputs(inputs),
    )
}

impl ForeignApp {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            check: PipelineBuilder::new(config.clone()),
            config,
            hooks: LifecycleHooks::default(),
            dependencies: DependencyRegistry::default(),
            routes: Vec::new(),
            websockets: Vec::new(),
            mounts: crate::mount::Mounts::default(),
            built: Mutex::new(None),
        }
    }

    /// Forget the built pipeline (something was registered or changed).
    fn changed(&mut self) {
        *self.built.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Replace the server config (it applies to every route, including those already added).
    pub fn configure(&mut self, config: ServerConfig) {
        self.config = config;
        self.changed();
    }

    /// Register a route from its declaration; the route is compiled now.
    pub fn add_route<B: Binding>(
        &mut self,
        binding: &B,
        decl: RouteDecl,
        objects: &[B::Object],
    ) -> Result<(), SpikardError> {
        let route = decl.what();
        let (f, plan, _) = function(
            binding,
            objects,
            &format!("{route}: handler"),
            &decl.handler,
            Role::Handler,
        )?;
        let handler = ForeignHandler::new(f, plan, decl.name());
        let mut spec = decl.route.clone();
        let response_model = match &decl.response_model {
            Some(schema) => Some(ResponseModelCheck::for_route(&mut spec, schema)?),
            None => None,
        };
        let mut overrides = DependencyRegistry::default();
        for (name, d) in decl.dependency_decls()? {
            let what = format!("{route}: dependencies.{name}");
            overrides.insert(name, dependency(binding, objects, &what, &d)?);
        }
        let dependencies = RouteDependencies {
            needs: handler
                .dependencies()
                .into_iter()
                .chain(decl.run_dependencies.iter().cloned())
                .collect(),
            overrides,
            expected_types: decl.expected_type_pairs()?,
            defer_errors: decl.defer_dependency_errors,
        };
        let mut hooks = LifecycleHooks::default();
        for (i, h) in decl.hooks.iter().enumerate() {
            add_hook(binding, objects, &mut hooks, &format!("{route}: hooks[{i}]"), h)?;
        }
        let handler: Arc<dyn Handler> = Arc::new(handler);
        let handler = match response_model {
            Some(check) => check.around(handler),
            None => handler,
        };
        self.check
            .route_with(spec.clone(), handler.clone(), &hooks, dependencies.clone())?;
        self.routes.push(RouteEntry {
            spec,
            handler,
            hooks,
            dependencies,
        });
        self.changed();
        Ok(())
    }

    /// Add an app-wide hook (hooks of a phase run in the order they were added).
    pub fn add_hook<B: Binding>(
        &mut self,
        binding: &B,
        decl: HookDecl,
        objects: &[B::Object],
    ) -> Result<(), SpikardError> {
        let what = format!("hook {}", decl.name.as_deref().unwrap_or("(unnamed)"));
        add_hook(binding, objects, &mut self.hooks, &what, &decl)?;
        self.changed();
        Ok(())
    }

    /// Register an app-level dependency; a later registration of the same name replaces it.
    pub fn provide<B: Binding>(
        &mut self,
        binding: &B,
        name: &str,
        decl: DependencyDecl,
        objects: &[B::Object],
    ) -> Result<(), SpikardError> {
        let dependency = dependency(binding, objects, &format!("dependency {name}"), &decl)?;
        // Routes added from now on are checked against it (their inputs merged) at once.
        self.check.dependencies_mut().insert(name, dependency.clone());
        self.dependencies.insert(name, dependency);
        self.changed();
        Ok(())
    }

    /// Register a WebSocket route (`GET`, kind `websocket`).
    pub fn add_websocket(&mut self, spec: RouteSpec, handler: Arc<dyn WebSocketHandler>) -> Result<(), SpikardError> {
        self.check.websocket(spec.clone(), handler.clone())?;
        self.websockets.push((spec, handler));
        self.changed();
        Ok(())
    }

    /// Number of registered routes (HTTP and WebSocket).
    pub fn len(&self) -> usize {
        self.routes.len() + self.websockets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pipeline of every registered route under the current config: built by the
    /// first call after a change, then shared (cheap to clone).
    pub fn pipeline(&self) -> Result<Pipeline, SpikardError> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pipeline) = built.as_ref() {
            return Ok(pipeline.clone());
        }
        let pipeline = self.build()?;
        *built = Some(pipeline.clone());
        Ok(pipeline)
    }

    fn build(&self) -> Result<Pipeline, SpikardError> {
        let mut builder = PipelineBuilder::new(self.config.clone());
        *builder.hooks_mut() = self.hooks.clone();
        *builder.dependencies_mut() = self.dependencies.clone();
        for r in &self.routes {
            builder.route_with(r.spec.clone(), r.handler.clone(), &r.hooks, r.dependencies.clone())?;
        }
        for (spec, handler) in &self.websockets {
            builder.websocket(spec.clone(), handler.clone())?;
        }
        *builder.mounts_mut() = self.mounts.clone();
        builder.build()
    }

    /// Mount `service` at `prefix` (see [`crate::mount`]): requests under it that no route
    /// matches go to it.
    pub fn mount(&mut self, prefix: &str, service: crate::layer::AppService) -> Result<(), SpikardError> {
        self.mounts.add(prefix, service)?;
        self.changed();
        Ok(())
    }
}
