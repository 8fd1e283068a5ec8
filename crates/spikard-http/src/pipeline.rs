//! The request pipeline: limits, routing, middleware, lifecycle hooks,
//! parameter and body validation, the handler call (panics caught, deadline
//! enforced), and problem responses. The server and the in-memory test client
//! both drive exactly this, through the tower layers around the app when it has
//! some ([`crate::service`]).
//!
//! The request deadline (`request_timeout`) is applied here, per route, around
//! everything after the middleware. Why hand-written, not tower-http's `TimeoutLayer`:
//! it is set per route and answers a 408 problem that still passes through the
//! route's middleware (tower-http answers an empty 408); see `docs/middleware.md`.

use std::sync::Arc;

use axum::body::Body;
use http::{header, Method, Request, Response};
use spikard_core::body::urlencoded::parse_pairs;
use spikard_core::config::ServerConfig;
use spikard_core::params::RawParams;
use spikard_core::request_body::{is_structured, DecodedBody};
use spikard_core::router::Router;
use spikard_core::SpikardError;

use crate::background::BackgroundTasks;
use crate::body_stream::{BodyStream, StreamedBody};
use crate::client_ip::{peer_ip, TrustedProxies};
use crate::di::{merge_inputs, Cleanups, DependencyRegistry, Failure, RouteDependencies, RouteDi};
use crate::handler::{Handler, RawTarget, RequestData};
use crate::hooks::{
    guarded, run_request_hooks, run_response_hooks, HookFlow, HookRequest, LifecycleHooks, ReplyHeaders,
};
use crate::layer::{AppLayer, AppService};
use crate::limits::{check_head, read_body};
use crate::middleware::static_files::StaticMounts;
use crate::middleware::{Chain, Context};
use crate::mount::{LocalAddr, MountPrefix, Mounts};
use crate::response::{error_response, HandlerResponse, ResponseBody};
#[cfg(feature = "server")]
use crate::route::RouteKind;
use crate::route::{CompiledRoute, RouteSpec};
use crate::websocket::WebSocketHandler;
#[cfg(feature = "server")]
use crate::websocket::{Handshake, WebSocketRoute};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub use crate::limits::decode_path;

/// Routes plus server-wide settings. Cheap to clone (shared).
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
    /// The tower layers around the app, built once (`None`: none, requests are served directly).
    layered: Option<Arc<AppService>>,
}

struct Inner {
    router: Router<CompiledRoute>,
    config: ServerConfig,
    /// The server-wide middleware chain, for responses that belong to no route.
    chain: Chain,
    /// App-wide hooks, for responses that belong to no route.
    hooks: LifecycleHooks,
    trusted_proxies: TrustedProxies,
    background: BackgroundTasks,
    /// Cancelled on shutdown: WebSocket sessions close with 1001.
    sessions: CancellationToken,
    /// Static file mounts (server-wide and declared next to routes), served before routing.
    statics: StaticMounts,
    /// Services mounted under a prefix, for requests no route matches.
    mounts: Mounts,
    /// The address the server bound (set when it starts).
    local_addr: std::sync::OnceLock<std::net::SocketAddr>,
}

/// Collects routes, rejecting conflicts at registration.
pub struct PipelineBuilder {
    router: Router<CompiledRoute>,
    config: ServerConfig,
    hooks: LifecycleHooks,
    dependencies: DependencyRegistry,
    /// `(route name, its dependencies)`, compiled against the app's registry at `build`.
    di_routes: Vec<(String, Arc<RouteDi>)>,
    background: Option<BackgroundTasks>,
    sessions: CancellationToken,
    /// Static mounts declared next to routes.
    route_mounts: Vec<spikard_core::config::StaticFilesConfig>,
    /// The server-wide rate limiter, shared by every route that does not set its own.
    shared_limit: Option<Arc<dyn crate::middleware::Middleware>>,
    /// Registered specs, in order (for the OpenAPI/AsyncAPI documents).
    specs: Vec<RouteSpec>,
    /// Tower layers around the whole app, innermost first.
    layers: Vec<Box<dyn AppLayer>>,
    /// Services mounted under a prefix.
    mounts: Mounts,
    /// Routes with dependencies, recompiled at `build` when dependencies registered since
    /// add request inputs (parameters, body) to them.
    with_dependencies: Vec<DependentRoute>,
}

/// A route with dependencies as registered, to merge their request inputs again at `build`.
struct DependentRoute {
    /// The spec as registered, without its dependencies' inputs.
    spec: RouteSpec,
    /// The spec it was compiled with.
    merged: RouteSpec,
    handler: Arc<dyn Handler>,
    hooks: LifecycleHooks,
    dependencies: RouteDependencies,
    di: Arc<RouteDi>,
    /// Its position in `specs`.
    index: usize,
}

impl PipelineBuilder {
    pub fn new(config: ServerConfig) -> Self {
        Self {
            router: Router::new(),
            config,
            hooks: LifecycleHooks::default(),
            dependencies: DependencyRegistry::default(),
            di_routes: Vec::new(),
            background: None,
            sessions: CancellationToken::new(),
            route_mounts: Vec::new(),
            shared_limit: None,
            specs: Vec::new(),
            layers: Vec::new(),
            mounts: Mounts::default(),
            with_dependencies: Vec::new(),
        }
    }

    /// The services mounted so far (to carry them over to a rebuilt builder).
    pub fn mounts_mut(&mut self) -> &mut Mounts {
        &mut self.mounts
    }

    /// Mount a service (an axum `Router`, any tower service through
    /// [`app_service`](crate::layer::app_service), a binding's bridge) at `prefix`: requests
    /// under it that no route matches go to it, through the server-wide middleware (see
    /// [`crate::mount`]). A prefix without a leading `/` or mounted twice is refused.
    pub fn mount_service(&mut self, prefix: &str, service: AppService) -> Result<&mut Self, SpikardError> {
        self.mounts.add(prefix, service)?;
        Ok(self)
    }

    /// Put a tower [`Layer`](tower::Layer) around the whole app (tower-http's `TraceLayer`,
    /// `CompressionLayer`, ..., or your own; see [`crate::service`]). The layer added last is
    /// the outermost. Layers see every request before Spikard's routing and middleware and
    /// every response after them; the server and the test client both serve through them.
    pub fn layer(&mut self, layer: impl AppLayer) -> &mut Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// The app's background task runner (from `config.background`), for handlers to capture.
    pub fn background(&mut self) -> BackgroundTasks {
        self.background
            .get_or_insert_with(|| BackgroundTasks::new(&self.config.background))
            .clone()
    }

    /// Register a WebSocket route: `GET`, kind `websocket`, incoming messages validated
    /// against `spec.message_schema` (compiled now).
    #[cfg(feature = "server")]
    pub fn websocket(
        &mut self,
        mut spec: RouteSpec,
        handler: Arc<dyn WebSocketHandler>,
    ) -> Result<&mut Self, SpikardError> {
        spec.method = "GET".into();
        spec.kind = RouteKind::WebSocket;
        let max = spec.max_message_size.unwrap_or(self.config.max_body_size);
        let route = WebSocketRoute::new(handler, spec.message_schema.as_ref(), max, self.sessions.clone())
            .map_err(|e| SpikardError::InvalidRoute(format!("GET {}: message_schema: {e}", spec.path)))?;
        self.route(spec, Arc::new(route))
    }

    /// Without the `server` feature (an edge worker) a WebSocket route is refused: the
    /// host's fetch handler serves requests, and upgrades belong to the runtime's own API.
    #[cfg(not(feature = "server"))]
    pub fn websocket(
        &mut self,
        spec: RouteSpec,
        _handler: Arc<dyn WebSocketHandler>,
    ) -> Result<&mut Self, SpikardError> {
        Err(SpikardError::InvalidRoute(format!(
            "GET {}: WebSocket routes need Spikard's server; in a worker use the runtime's own \
             WebSocket API",
            spec.path
        )))
    }

    /// Compile and register a route. Conflicts and invalid schemas are errors naming the route.
    pub fn route(&mut self, spec: RouteSpec, handler: Arc<dyn Handler>) -> Result<&mut Self, SpikardError> {
        self.route_with_hooks(spec, handler, &LifecycleHooks::default())
    }

    /// Register a route with hooks of its own (run after the app-wide ones).
    pub fn route_with_hooks(
        &mut self,
        spec: RouteSpec,
        handler: Arc<dyn Handler>,
        hooks: &LifecycleHooks,
    ) -> Result<&mut Self, SpikardError> {
        self.route_with(spec, handler, hooks, RouteDependencies::default())
    }

    /// Register a route with its own hooks and dependencies. The dependency graph is
    /// checked at [`Self::build`] (app-level dependencies may be registered after routes).
    pub fn route_with(
        &mut self,
        spec: RouteSpec,
        handler: Arc<dyn Handler>,
        hooks: &LifecycleHooks,
        dependencies: RouteDependencies,
    ) -> Result<&mut Self, SpikardError> {
        let method = spec.method.to_ascii_uppercase();
        let path = spec.path.clone();
        let handler = crate::sse::validating(&spec, handler)?;
        for mount in &spec.middleware.static_files {
            if !self.route_mounts.contains(mount) {
                self.route_mounts.push(mount.clone());
            }
        }
        let hooks = self.hooks.merged(hooks);
        let hook_needs: Vec<String> = hooks.dependencies_before(3).cloned().collect();
        // What the dependencies known so far read from the request is the route's input too.
        let merged = merge_inputs(&spec, &dependencies, &hook_needs, &self.dependencies)?;
        let mut compiled = self.compile(merged.clone(), handler.clone(), hooks.clone())?;
        let record = RouteDi::new(dependencies.clone(), &compiled.hooks).map(|di| {
            let di = Arc::new(di);
            self.di_routes.push((format!("{method} {path}"), di.clone()));
            compiled.di = Some(di.clone());
            DependentRoute {
                spec,
                merged,
                handler,
                hooks,
                dependencies,
                di,
                index: self.specs.len(),
            }
        });
        let spec = compiled.spec.clone();
        self.router.insert(&method, &path, compiled)?;
        self.specs.push(spec);
        self.with_dependencies.extend(record);
        Ok(self)
    }

    fn compile(
        &mut self,
        spec: RouteSpec,
        handler: Arc<dyn Handler>,
        hooks: LifecycleHooks,
    ) -> Result<CompiledRoute, SpikardError> {
        let mut compiled = CompiledRoute::compile(spec, handler, &self.config, hooks)?;
        if compiled.spec.middleware.rate_limit.is_none() {
            if let Some(shared) = self.shared_limit()? {
                compiled.chain.share(&shared);
            }
        }
        Ok(compiled)
    }

    /// Recompile the routes whose dependencies, as finally registered, read more of the
    /// request than those known when the route was added.
    fn merge_dependency_inputs(&mut self) -> Result<(), SpikardError> {
        for route in std::mem::take(&mut self.with_dependencies) {
            let hook_needs: Vec<String> = route.hooks.dependencies_before(3).cloned().collect();
            let merged = merge_inputs(&route.spec, &route.dependencies, &hook_needs, &self.dependencies)?;
            if merged == route.merged {
                continue;
            }
            let mut compiled = self.compile(merged, route.handler, route.hooks)?;
            compiled.di = Some(route.di);
            self.specs[route.index] = compiled.spec.clone();
            if let Some(slot) = self.router.get_mut(&route.spec.method, &route.spec.path) {
                *slot = compiled;
            }
        }
        Ok(())
    }

    /// The server-wide rate limiter, built on first use.
    fn shared_limit(&mut self) -> Result<Option<Arc<dyn crate::middleware::Middleware>>, SpikardError> {
        if self.shared_limit.is_none() {
            if let Some(config) = &self.config.rate_limit {
                self.shared_limit = Some(Arc::new(crate::middleware::rate_limit::RateLimit::new(config)?));
            }
        }
        Ok(self.shared_limit.clone())
    }

    /// The specs of the routes registered so far, in registration order.
    pub fn route_specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// App-wide hooks; they apply to routes registered afterwards and to 404/405 answers.
    pub fn hooks_mut(&mut self) -> &mut LifecycleHooks {
        &mut self.hooks
    }

    /// App-level dependencies (checked against every route at [`Self::build`]).
    pub fn dependencies_mut(&mut self) -> &mut DependencyRegistry {
        &mut self.dependencies
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Settings that only affect serving (host, port, shutdown) may change after routes are added.
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.config
    }

    /// Finish: the server-wide chain is compiled here, so a bad setting is reported by name.
    pub fn build(mut self) -> Result<Pipeline, SpikardError> {
        self.merge_dependency_inputs()?;
        crate::docs::mount(&mut self)?;
        for (name, di) in &self.di_routes {
            di.compile(&self.dependencies).map_err(|e| match e {
                SpikardError::Dependency { detail, errors } => SpikardError::Dependency {
                    detail: format!("{name}: {detail} ({})", describe(&errors)),
                    errors,
                },
                other => other,
            })?;
        }
        let mut chain = Chain::compile(&self.config, None)?;
        if let Some(shared) = self.shared_limit()? {
            chain.share(&shared);
        }
        let trusted_proxies =
            TrustedProxies::parse(&self.config.trusted_proxies).map_err(SpikardError::InvalidRoute)?;
        let background = self
            .background
            .unwrap_or_else(|| BackgroundTasks::new(&self.config.background));
        let statics = StaticMounts::compile(self.config.static_files.iter().chain(&self.route_mounts))?;
        let pipeline = Pipeline {
            inner: Arc::new(Inner {
                background,
                sessions: self.sessions,
                router: self.router,
                config: self.config,
                chain,
                hooks: self.hooks,
                trusted_proxies,
                statics,
                mounts: self.mounts,
                local_addr: std::sync::OnceLock::new(),
            }),
            layered: None,
        };
        if self.layers.is_empty() {
            return Ok(pipeline);
        }
        // The innermost service is the pipeline without layers, so it serves directly.
        let mut service = AppService::new(pipeline.clone());
        for layer in &self.layers {
            service = layer.wrap(service);
        }
        Ok(Pipeline {
            layered: Some(Arc::new(service)),
            ..pipeline
        })
    }
}

/// The names in dependency errors, for a build-time message (`a -> b -> a`, `'db' missing`).
fn describe(errors: &[serde_json::Value]) -> String {
    errors
        .iter()
        .map(|e| match e.get("cycle").and_then(|c| c.as_array()) {
            Some(cycle) => cycle.iter().filter_map(|n| n.as_str()).collect::<Vec<_>>().join(" -> "),
            None => e["msg"].as_str().unwrap_or_default().to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A CORS preflight asks about another method: the route (and chain) of that method answers it.
fn preflight_method(parts: &http::request::Parts) -> Option<&str> {
    if parts.method != Method::OPTIONS || !parts.headers.contains_key(header::ORIGIN) {
        return None;
    }
    parts
        .headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
}

impl Pipeline {
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The app's background task runner (drained by the server on shutdown).
    pub fn background(&self) -> &BackgroundTasks {
        &self.inner.background
    }

    /// Record the address the server bound (mounted services see it as [`LocalAddr`]).
    pub fn set_local_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.inner.local_addr.set(addr);
    }

    /// Close every open WebSocket session with 1001 (going away); called on shutdown.
    pub fn close_websockets(&self) {
        self.inner.sessions.cancel();
    }

    /// Whether tower layers are around the app.
    pub fn has_layers(&self) -> bool {
        self.layered.is_some()
    }

    /// Serve one request, through the app's tower layers when it has some.
    pub async fn handle(&self, request: Request<Body>) -> Response<Body> {
        match &self.layered {
            None => self.serve(request).await,
            Some(stack) => {
                let service = AppService::clone(stack);
                match service.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
    }

    /// Serve one request: everything inside the layers.
    async fn serve(&self, request: Request<Body>) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        let inner = &*self.inner;
        let client_ip = inner.trusted_proxies.client_ip(peer_ip(&parts), &parts.headers);
        let mut ctx = Context::new(parts.method.clone(), client_ip);
        let head_only = parts.method == Method::HEAD;

        let path = match check_head(&parts, &inner.config).and_then(|()| decode_path(parts.uri.path())) {
            Ok(path) => path,
            Err(err) => {
                let path = parts.uri.path().to_owned();
                let response = error_response(&err).into_http(head_only);
                return self.without_route(parts, path, ctx, response);
            }
        };
        if !inner.statics.is_empty() {
            if let Some(response) = inner.statics.serve(&parts.method, &parts.headers, &path).await {
                return self.without_route(parts, path, ctx, response);
            }
        }
        let found = match preflight_method(&parts) {
            // A preflight goes to the route of the method it asks about when that route answers CORS
            // (when the path lacks that method, to one of its routes that does, whose CORS settings
            // then judge the method); otherwise it is an ordinary OPTIONS request.
            Some(method) => match inner.router.resolve(method, &path) {
                Ok(found) if found.0.chain.handles_preflight() => Ok(found),
                Err(SpikardError::MethodNotAllowed { allow, .. }) => allow
                    .iter()
                    .filter_map(|m| inner.router.resolve(m, &path).ok())
                    .find(|found| found.0.chain.handles_preflight())
                    .map_or_else(|| inner.router.resolve(parts.method.as_str(), &path), Ok),
                _ => inner.router.resolve(parts.method.as_str(), &path),
            },
            None => inner.router.resolve(parts.method.as_str(), &path),
        };
        if !inner.mounts.is_empty() && found.is_err() {
            if let Some((prefix, service)) = inner.mounts.find(&path) {
                let (prefix, service) = (prefix.to_owned(), service.clone());
                return self.serve_mounted(parts, body, path, ctx, prefix, service).await;
            }
        }
        let (route, path_values, routing_error) = match found {
            Ok((route, values)) => (Some(route), values, None),
            Err(err) => (None, Vec::new(), Some(err)),
        };
        let (chain, hooks) = match route {
            Some(r) => {
                ctx.route = Some(r.pattern.clone());
                (&r.chain, &r.hooks)
            }
            None => (&inner.chain, &inner.hooks),
        };

        let mut data = RequestData::new(parts.method.clone(), path, std::mem::take(&mut parts.headers));
        data.client_ip = client_ip;
        let conditions = crate::file::Conditions::of(&data.headers);
        // Parsed before the middleware (authentication may read an API key from it); a malformed
        // query is reported after the middleware, by `serve_route`.
        if let Some(Ok(pairs)) = parts
            .uri
            .query()
            .filter(|q| !q.is_empty())
            .map(|q| parse_pairs(q.as_bytes()))
        {
            data.raw_query = pairs;
        }
        let mut carry = Carry {
            view: hooks.needs_request_view().then(|| HookRequest {
                method: data.method.clone(),
                path: data.path.clone(),
                received: crate::rt::Instant::now(),
                state: serde_json::Map::new(),
            }),
            reply_headers: None,
            cleanups: Cleanups::default(),
        };
        let ran = match chain.on_request(&mut data, &mut ctx) {
            Ok(()) => chain.len(),
            Err((mut response, ran)) => {
                chain.on_response(ran, &ctx, &mut response);
                return *response;
            }
        };
        let outcome = match (route, routing_error) {
            (Some(route), _) => {
                let future = self.serve_route(route, data, parts, body, path_values, &mut carry);
                match route.timeout {
                    Some(limit) => crate::rt::timeout(limit, future).await.unwrap_or_else(|_| {
                        Err(SpikardError::RequestTimeout {
                            seconds: limit.as_secs_f64(),
                        })
                    }),
                    None => future.await,
                }
            }
            (None, Some(err)) => Err(err),
            (None, None) => Err(SpikardError::Internal(
                "routing produced neither a route nor an error".into(),
            )),
        };
        if let Err(err) = &outcome {
            carry.cleanups.fail(&match err {
                SpikardError::RequestTimeout { .. } => Failure::Cancelled,
                other => Failure::Error(other.clone()),
            });
        }
        let mut response = outcome.unwrap_or_else(|err| error_response(&err));
        if matches!(response.body, ResponseBody::File(_)) {
            response = crate::file::answer(response, &conditions).await;
        }
        if let Some(extra) = carry.reply_headers.take() {
            for (name, value) in extra.iter() {
                if !response.headers.contains_key(name) {
                    response.headers.append(name.clone(), value.clone());
                }
            }
        }
        if let Some(view) = &carry.view {
            response = match run_response_hooks(hooks, response, view).await {
                Ok(r) => r,
                Err(err) => error_response(&err),
            };
        }
        let mut response = response.into_http(head_only);
        chain.on_response(ran, &ctx, &mut response);
        std::mem::take(&mut carry.cleanups).attach(response)
    }

    /// A response decided before routing (a refused request line, a static file),
    /// passed through the server-wide chain (which may still answer first, e.g. a rate limit).
    fn without_route(
        &self,
        mut parts: http::request::Parts,
        path: String,
        mut ctx: Context,
        mut response: Response<Body>,
    ) -> Response<Body> {
        let chain = &self.inner.chain;
        let mut data = RequestData::new(parts.method.clone(), path, std::mem::take(&mut parts.headers));
        data.client_ip = ctx.client_ip;
        let ran = match chain.on_request(&mut data, &mut ctx) {
            Ok(()) => chain.len(),
            Err((early, ran)) => {
                response = *early;
                ran
            }
        };
        chain.on_response(ran, &ctx, &mut response);
        response
    }

    /// A request for a mounted service, through the server-wide chain (which may answer
    /// first: a preflight, a rate limit); the service sees the headers as the chain left them.
    async fn serve_mounted(
        &self,
        mut parts: http::request::Parts,
        body: Body,
        path: String,
        mut ctx: Context,
        prefix: String,
        service: AppService,
    ) -> Response<Body> {
        let chain = &self.inner.chain;
        let mut data = RequestData::new(parts.method.clone(), path, std::mem::take(&mut parts.headers));
        data.client_ip = ctx.client_ip;
        if let Err((early, ran)) = chain.on_request(&mut data, &mut ctx) {
            let mut response = *early;
            chain.on_response(ran, &ctx, &mut response);
            return response;
        }
        parts.headers = std::mem::take(&mut data.headers);
        parts.extensions.insert(MountPrefix(prefix));
        if let Some(addr) = self.inner.local_addr.get() {
            parts.extensions.insert(LocalAddr(*addr));
        }
        let mut response = match service.oneshot(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        chain.on_response(chain.len(), &ctx, &mut response);
        response
    }

    /// Dependencies, hooks, parameters, body and handler of a matched route.
    async fn serve_route(
        &self,
        route: &CompiledRoute,
        mut data: RequestData,
        parts: http::request::Parts,
        body: Body,
        path_values: Vec<(&str, String)>,
        carry: &mut Carry,
    ) -> Result<HandlerResponse, SpikardError> {
        #[cfg(feature = "server")]
        let mut parts = parts;
        #[cfg(feature = "server")]
        let handshake = match route.spec.kind {
            RouteKind::WebSocket => {
                match Handshake::from_request(&parts.method, &data.headers, &mut parts.extensions) {
                    Ok(h) => Some(h),
                    Err(e) => return Ok(error_response(&e)),
                }
            }
            _ => None,
        };
        let hooks = &route.hooks;
        if route.spec.raw_request {
            data.extensions.insert(RawTarget {
                uri: parts.uri.clone(),
                version: parts.version,
            });
        }
        if let Some(di) = route.di.as_ref().filter(|d| d.stage == 0) {
            carry.resolve(di, &mut data).await?;
        }
        if !hooks.on_request.is_empty() {
            carry.keep(&mut data);
            data = match run_request_hooks(&hooks.on_request, data).await? {
                HookFlow::Continue(d) => d,
                HookFlow::Respond(r) => return Ok(r),
            };
        }
        let step = async {
            if data.raw_query.is_empty() {
                if let Some(q) = parts.uri.query().filter(|q| !q.is_empty()) {
                    match parse_pairs(q.as_bytes()) {
                        Ok(pairs) => data.raw_query = pairs,
                        // A raw request's handler reads the query string itself.
                        Err(_) if route.spec.raw_request => {}
                        Err(e) => return Err(SpikardError::BadRequest(e.to_string())),
                    }
                }
            }
            if route.spec.stream_body {
                let stream = BodyStream::new(body, &data.headers, route.max_body_size)?;
                data.extensions.insert(StreamedBody::new(stream));
            } else {
                data.raw_body = read_body(body, &data.headers, route.max_body_size).await?;
            }
            Ok(())
        };
        if let Err(e) = step.await {
            carry.keep(&mut data);
            return Err(e);
        }
        if let Some(di) = route.di.as_ref().filter(|d| d.stage == 1) {
            carry.resolve(di, &mut data).await?;
        }
        if !hooks.pre_validation.is_empty() {
            carry.keep(&mut data);
            data = match run_request_hooks(&hooks.pre_validation, data).await? {
                HookFlow::Continue(d) => d,
                HookFlow::Respond(r) => return Ok(r),
            };
        }
        if let Err(e) = validate(route, &mut data, &path_values) {
            carry.keep(&mut data);
            return Err(e);
        }
        if let Some(di) = route.di.as_ref().filter(|d| d.stage == 2) {
            carry.resolve(di, &mut data).await?;
        }
        if !hooks.pre_handler.is_empty() {
            carry.keep(&mut data);
            data = match run_request_hooks(&hooks.pre_handler, data).await? {
                HookFlow::Continue(d) => d,
                HookFlow::Respond(r) => return Ok(r),
            };
        }
        carry.keep(&mut data);
        let handler = route.handler.as_ref();
        let background = &self.inner.background;
        let mut response = background
            .scope(guarded("handler", || background.sync_scope(|| handler.call(data))))
            .await?;
        if let Some(status) = route.success_status {
            if response.status == http::StatusCode::OK {
                response.status = status;
                // A declared 204/205/304 carries no content (as documented), whatever the handler returned.
                if matches!(status.as_u16(), 204 | 205 | 304) {
                    response.body = crate::response::ResponseBody::Empty;
                    response.headers.remove(http::header::CONTENT_TYPE);
                    response.headers.remove(http::header::CONTENT_LENGTH);
                }
            }
        }
        #[cfg(feature = "server")]
        return Ok(crate::websocket::finish(handshake, response));
        #[cfg(not(feature = "server"))]
        Ok(response)
    }
}

/// What the pipeline keeps of a request for its response: the summary response
/// hooks get (only when the route has some), headers request hooks added, and the
/// cleanups of created dependencies.
struct Carry {
    view: Option<HookRequest>,
    reply_headers: Option<http::HeaderMap>,
    cleanups: Cleanups,
}

impl Carry {
    /// Take what the response needs from the request as it stands (before each hook
    /// phase too, so an early answer keeps what earlier phases added).
    fn keep(&mut self, data: &mut RequestData) {
        if let Some(view) = &mut self.view {
            view.state.clone_from(&data.state);
        }
        if let Some(ReplyHeaders(h)) = data.extensions.remove::<ReplyHeaders>() {
            match &mut self.reply_headers {
                Some(kept) => kept.extend(h),
                None => self.reply_headers = Some(h),
            }
        }
    }

    /// Resolve the route's dependencies into the request's extensions.
    async fn resolve(&mut self, di: &RouteDi, data: &mut RequestData) -> Result<(), SpikardError> {
        match di.resolve(data, &mut self.cleanups).await {
            Ok(deps) => {
                data.extensions.insert(deps);
                Ok(())
            }
            Err(e) => {
                self.keep(data);
                Err(e)
            }
        }
    }
}

/// Extract, coerce and validate parameters and the body into `data`; all errors reported together.
fn validate(route: &CompiledRoute, data: &mut RequestData, path_values: &[(&str, String)]) -> Result<(), SpikardError> {
    let header_pairs: Vec<(String, String)> = if route.params.needs_headers {
        data.headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let cookie_pairs = if route.params.needs_cookies {
        crate::cookies::parse_cookie_headers(&data.headers)
    } else {
        Vec::new()
    };
    let raw = RawParams {
        path: path_values,
        query: &data.raw_query,
        headers: &header_pairs,
        cookies: &cookie_pairs,
    };
    let params = route.params.extract(&raw);
    let content_type = data.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    // Routes that declare a body always decode it; others decode JSON/forms/multipart when sent
    // (a raw request's never: its handler reads the bytes).
    // An optional body that was left out is not decoded (nor validated).
    let left_out = route.spec.body_optional && data.raw_body.is_empty();
    let decode = (route.body.is_active() && !left_out)
        || (!route.spec.raw_request && !data.raw_body.is_empty() && content_type.is_some_and(is_structured));
    let decoded = decode.then(|| route.body.decode(content_type, &data.raw_body));
    let (params, body) = match (params, decoded) {
        (Ok(p), None) => (p, DecodedBody::default()),
        (Ok(p), Some(Ok(b))) => (p, b),
        (Err(mut errors), Some(Err(SpikardError::Validation(more)))) => {
            errors.extend(more);
            return Err(SpikardError::Validation(errors));
        }
        (_, Some(Err(other))) => return Err(other),
        (Err(errors), _) => return Err(SpikardError::Validation(errors)),
    };
    data.path_params = params.path;
    data.query_params = params.query;
    data.header_params = params.headers;
    data.cookie_params = params.cookies;
    data.body = body.value;
    data.files = body.files;
    Ok(())
}
