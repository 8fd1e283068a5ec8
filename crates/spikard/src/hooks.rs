//! Lifecycle hooks as async closures, app-wide (`app.on_request(...)`) or per
//! route (`get("/x").handler(...).on_request(...)`). App-wide hooks run first,
//! then the route's own, each phase in registration order.
//!
//! Request hooks (`on_request`, `pre_validation`, `pre_handler`) take the
//! [`RequestData`] and return [`HookFlow::Continue`] with it (possibly changed:
//! headers, `state` values the handler reads, [`reply_header`]) or answer early
//! with [`respond`]. Response hooks (`on_response` for statuses below 400,
//! `on_error` for the rest) take the response and a [`HookRequest`] summary and
//! return the response to send; they see every response, early answers included.
//! A hook returning an error answers with its problem (`Error::http` keeps its
//! status, anything else is a 500); a panicking hook is a 500.
//!
//! ```
//! use spikard::hooks::{respond, HookFlow};
//! use spikard::{get, App, Ctx, Error, Response, StatusCode};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut app = App::new();
//! app.on_request(|mut req| async move {
//!     req.state.insert("user".into(), "ada".into());
//!     Ok(HookFlow::Continue(req))
//! });
//! app.route(
//!     get("/me")
//!         .handler(|ctx: Ctx| async move { Ok::<_, Error>(ctx.data().state["user"].clone()) })
//!         .pre_handler(|req| async move {
//!             if req.header("x-blocked").is_some() {
//!                 return respond(Response::new(StatusCode::FORBIDDEN).text("no"));
//!             }
//!             Ok(HookFlow::Continue(req))
//!         }),
//! )
//! .unwrap();
//! let client = app.test_client();
//! assert_eq!(client.get("/me").send().await.json(), serde_json::json!("ada"));
//! assert_eq!(client.get("/me").header("x-blocked", "1").send().await.status, 403);
//! # });
//! ```

use std::future::Future;
use std::sync::Arc;

use futures_util::FutureExt;
use spikard_http::hooks::{request_hook, response_hook};
use spikard_http::{LifecycleHooks, RequestHook, ResponseHook};

pub use spikard_http::hooks::{reply_header, HookFlow, HookRequest};
/// What request hooks receive and response hooks change.
pub use spikard_http::{HandlerResponse, RequestData};

use crate::app::App;
use crate::error::Error;
use crate::response::IntoResponse;
use crate::route::Route;

/// Answer early from a request hook with any response value.
pub fn respond(response: impl IntoResponse) -> Result<HookFlow, Error> {
    Ok(HookFlow::Respond(response.into_response()?))
}

fn req_hook<F, Fut>(f: F) -> Arc<dyn RequestHook>
where
    F: Fn(RequestData) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HookFlow, Error>> + Send + 'static,
{
    request_hook(move |r| f(r).map(|res| res.map_err(|e| e.0)))
}

fn resp_hook<F, Fut>(f: F) -> Arc<dyn ResponseHook>
where
    F: Fn(HandlerResponse, &HookRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HandlerResponse, Error>> + Send + 'static,
{
    response_hook(move |r, q: &HookRequest| f(r, q).map(|res| res.map_err(|e| e.0)))
}

macro_rules! hook_methods {
    ($target:ty, $hooks:ident, $ret:ty) => {
        impl $target {
            /// Add an `on_request` hook (after routing, before the body is read).
            pub fn on_request<F, Fut>(mut self: $ret, f: F) -> $ret
            where
                F: Fn(RequestData) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<HookFlow, Error>> + Send + 'static,
            {
                $hooks(&mut self).on_request.push(req_hook(f));
                self
            }

            /// Add a `pre_validation` hook (body read, nothing validated).
            pub fn pre_validation<F, Fut>(mut self: $ret, f: F) -> $ret
            where
                F: Fn(RequestData) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<HookFlow, Error>> + Send + 'static,
            {
                $hooks(&mut self).pre_validation.push(req_hook(f));
                self
            }

            /// Add a `pre_handler` hook (validated, dependencies resolved).
            pub fn pre_handler<F, Fut>(mut self: $ret, f: F) -> $ret
            where
                F: Fn(RequestData) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<HookFlow, Error>> + Send + 'static,
            {
                $hooks(&mut self).pre_handler.push(req_hook(f));
                self
            }

            /// Add an `on_response` hook (responses with status < 400).
            pub fn on_response<F, Fut>(mut self: $ret, f: F) -> $ret
            where
                F: Fn(HandlerResponse, &HookRequest) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<HandlerResponse, Error>> + Send + 'static,
            {
                $hooks(&mut self).on_response.push(resp_hook(f));
                self
            }

            /// Add an `on_error` hook (responses with status >= 400).
            pub fn on_error<F, Fut>(mut self: $ret, f: F) -> $ret
            where
                F: Fn(HandlerResponse, &HookRequest) -> Fut + Send + Sync + 'static,
                Fut: Future<Output = Result<HandlerResponse, Error>> + Send + 'static,
            {
                $hooks(&mut self).on_error.push(resp_hook(f));
                self
            }
        }
    };
}

fn route_hooks(r: &mut Route) -> &mut LifecycleHooks {
    &mut r.hooks
}

fn app_hooks<'a>(a: &'a mut &mut App) -> &'a mut LifecycleHooks {
    a.hooks_mut()
}

hook_methods!(Route, route_hooks, Self);
hook_methods!(App, app_hooks, &mut Self);
