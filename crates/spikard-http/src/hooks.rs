//! Lifecycle hooks: `on_request`, `pre_validation`, `pre_handler`, `on_response`,
//! `on_error`. Like handlers they are binding-neutral trait objects, so every
//! language can register hooks written in it. Hooks of a phase run in
//! registration order (app-wide first, then the route's own).
//!
//! - `on_request`: after routing, before the body is read (`raw_body` is empty).
//! - `pre_validation`: the body has been read, nothing validated yet.
//! - `pre_handler`: parameters and body validated, just before the handler.
//!   Each of these may change the request or answer early with a response.
//! - `on_response`: every response with status < 400; may change it.
//! - `on_error`: every response with status >= 400 (problems included); may change it.

use std::sync::Arc;

use crate::handler::{BoxFuture, RequestData};
use crate::response::HandlerResponse;
use spikard_core::SpikardError;

/// What a request-phase hook decided.
#[allow(clippy::large_enum_variant)] // the request moves through every hook; boxing it would cost an allocation
pub enum HookFlow {
    /// Go on with this (possibly changed) request.
    Continue(RequestData),
    /// Answer now with this response (the response hooks still run).
    Respond(HandlerResponse),
}

/// A hook of the `on_request`, `pre_validation` or `pre_handler` phase.
pub trait RequestHook: Send + Sync + 'static {
    fn call(&self, request: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>>;
}

/// A hook of the `on_response` or `on_error` phase.
pub trait ResponseHook: Send + Sync + 'static {
    fn call(&self, response: HandlerResponse) -> BoxFuture<Result<HandlerResponse, SpikardError>>;
}

/// The hooks of every phase.
#[derive(Clone, Default)]
pub struct LifecycleHooks {
    pub on_request: Vec<Arc<dyn RequestHook>>,
    pub pre_validation: Vec<Arc<dyn RequestHook>>,
    pub pre_handler: Vec<Arc<dyn RequestHook>>,
    pub on_response: Vec<Arc<dyn ResponseHook>>,
    pub on_error: Vec<Arc<dyn ResponseHook>>,
}

impl LifecycleHooks {
    pub fn is_empty(&self) -> bool {
        self.on_request.is_empty()
            && self.pre_validation.is_empty()
            && self.pre_handler.is_empty()
            && self.on_response.is_empty()
            && self.on_error.is_empty()
    }

    /// These hooks followed by `other`'s, phase by phase.
    pub fn merged(&self, other: &LifecycleHooks) -> LifecycleHooks {
        let cat = |a: &Vec<Arc<dyn RequestHook>>, b: &Vec<Arc<dyn RequestHook>>| a.iter().chain(b).cloned().collect();
        let cat_r =
            |a: &Vec<Arc<dyn ResponseHook>>, b: &Vec<Arc<dyn ResponseHook>>| a.iter().chain(b).cloned().collect();
        LifecycleHooks {
            on_request: cat(&self.on_request, &other.on_request),
            pre_validation: cat(&self.pre_validation, &other.pre_validation),
            pre_handler: cat(&self.pre_handler, &other.pre_handler),
            on_response: cat_r(&self.on_response, &other.on_response),
            on_error: cat_r(&self.on_error, &other.on_error),
        }
    }
}

/// Run the request hooks of one phase in order.
pub async fn run_request_hooks(
    hooks: &[Arc<dyn RequestHook>],
    mut request: RequestData,
) -> Result<HookFlow, SpikardError> {
    for hook in hooks {
        match hook.call(request).await? {
            HookFlow::Continue(next) => request = next,
            respond @ HookFlow::Respond(_) => return Ok(respond),
        }
    }
    Ok(HookFlow::Continue(request))
}

/// Run `on_response` (status < 400) or `on_error` (status >= 400) hooks in order.
pub async fn run_response_hooks(
    hooks: &LifecycleHooks,
    mut response: HandlerResponse,
) -> Result<HandlerResponse, SpikardError> {
    let phase = if response.status.as_u16() >= 400 {
        &hooks.on_error
    } else {
        &hooks.on_response
    };
    for hook in phase {
        response = hook.call(response).await?;
    }
    Ok(response)
}
