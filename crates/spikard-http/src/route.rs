//! Compiled routes: the core's [`RoutePlan`] with the route's middleware chain, hooks,
//! deadline and handler. Specs are the core's ([`spikard_core::route`]).

use std::sync::Arc;

use spikard_core::config::ServerConfig;
use spikard_core::params::ParameterPlan;
use spikard_core::request_body::BodyPlan;
pub use spikard_core::route::{ParameterSpecs, RouteKind, RoutePlan, RouteSpec};
use spikard_core::SpikardError;

use crate::handler::Handler;
use crate::hooks::LifecycleHooks;
use crate::middleware::Chain;

/// A route ready to serve: validators compiled, limits resolved.
pub struct CompiledRoute {
    pub spec: RouteSpec,
    /// The pattern, shared with each request's middleware context (no copy per request).
    pub pattern: std::sync::Arc<str>,
    pub params: ParameterPlan,
    pub body: BodyPlan,
    pub max_body_size: usize,
    /// The route's middleware chain (server-wide settings with its overrides).
    pub chain: Chain,
    /// App-wide hooks followed by the route's own.
    pub hooks: LifecycleHooks,
    /// Deadline for hooks and handler together.
    pub timeout: Option<std::time::Duration>,
    pub handler: Arc<dyn Handler>,
    /// The route's dependencies (set by the pipeline builder when it has any).
    pub di: Option<Arc<crate::di::RouteDi>>,
    /// The status the handler's 200 results are sent with (`spec.status_code`).
    pub success_status: Option<http::StatusCode>,
}

impl CompiledRoute {
    pub fn compile(
        mut spec: RouteSpec,
        handler: Arc<dyn Handler>,
        config: &ServerConfig,
        hooks: LifecycleHooks,
    ) -> Result<Self, SpikardError> {
        if spec.middleware.cors.is_none() {
            spec.middleware.cors = spec.cors.take();
        }
        let invalid = |msg: String| SpikardError::InvalidRoute(format!("{} {}: {msg}", spec.method, spec.path));
        let RoutePlan { params, body, .. } = RoutePlan::compile(&spec, config.max_nesting_depth)?;
        let max_body_size = spec
            .max_body_size
            .or(spec.middleware.body_limit.as_ref().map(|b| b.max_bytes))
            .unwrap_or(config.max_body_size);
        let chain = Chain::compile(config, Some(&spec.middleware)).map_err(|e| invalid(e.to_string()))?;
        let timeout = crate::middleware::pick(&config.request_timeout, Some(&spec.middleware.request_timeout))
            .map(|t| {
                std::time::Duration::try_from_secs_f64(t.seconds).map_err(|_| {
                    invalid(format!(
                        "request_timeout.seconds must be a finite number of seconds >= 0 (got {})",
                        t.seconds
                    ))
                })
            })
            .transpose()?;
        let success_status = spec
            .status_code
            .map(|code| {
                http::StatusCode::from_u16(code)
                    .ok()
                    .filter(|s| (200..400).contains(&s.as_u16()))
                    .ok_or_else(|| invalid(format!("status_code must be a success or redirect status (got {code})")))
            })
            .transpose()?;
        Ok(Self {
            pattern: std::sync::Arc::from(spec.path.as_str()),
            spec,
            params,
            body,
            max_body_size,
            chain,
            hooks,
            timeout,
            handler,
            di: None,
            success_status,
        })
    }
}
