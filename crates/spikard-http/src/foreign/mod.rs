//! The foreign-call layer: everything a language binding needs from the core, so
//! the binding itself is only value conversion, an error map and one lock/event-loop
//! helper.
//!
//! - [`decl`]: the registration protocol. A route, hook or dependency is declared as
//!   plain data ([`RouteDecl`], [`HookDecl`], [`DependencyDecl`]) with an argument
//!   plan ([`ArgSpec`]: each argument's source, key, optional/default) plus the
//!   language objects it refers to by index.
//! - [`call`]: the one trait a binding implements, [`ForeignFn`]: call a function
//!   of the language with borrowed argument values ([`Arg`]), synchronously or as a
//!   pending completion, and convert the result as asked ([`Expect`]).
//! - [`adapters`]: generic handlers, request/response hooks and dependency factories
//!   over that trait (generator dependencies, failures left to their cleanups,
//!   cancellation).
//! - [`items`]: streamed bodies and SSE events pulled from a foreign iterator
//!   ([`ForeignItems`]), closed early when the client goes away.
//! - [`websocket`]: a WebSocket route over foreign sessions ([`ForeignSessions`]).
//! - [`response`]: what a response object sets besides its body ([`ResponseMeta`]), and a
//!   response as response hooks see it.
//! - [`described`]: results a binding describes as plain data (JSON text, a response
//!   as status, header pairs and a body, an exception, a stream's next item) as the
//!   core's values.
//! - [`pool`]: [`BlockingPool`], the bounded threads a binding runs its sync functions on
//!   (`ServerConfig::blocking_threads`), so one that blocks holds up nothing else.
//! - [`exchange`]: a request handed to a mounted foreign app as messages and the response
//!   built from what it sends (ASGI's `receive`/`send`).
//! - [`app`]: [`ForeignApp`], a binding's registry: declarations in, pipelines out;
//!   a binding supplies a [`Binding`] to turn its objects into [`ForeignFn`]s.
//!
//! `docs/bindings.md` walks through a new binding.

pub mod adapters;
pub mod app;
pub mod args;
pub mod call;
pub mod decl;
pub mod described;
#[cfg(feature = "server")]
pub mod exchange;
pub mod handle;
pub mod items;
#[cfg(feature = "server")]
pub mod pool;
pub mod request;
pub mod response;
pub mod websocket;

pub use adapters::{ForeignFactory, ForeignHandler, ForeignRequestHook, ForeignResponseHook};
pub use app::{object, Binding, ForeignApp, FunctionInfo, Role};
pub use args::{ArgPlan, ArgSource, ArgSpec};
pub use call::{
    Arg, Call, Completion, Expect, FnGenerator, ForeignError, ForeignFn, ForeignGenerator, Input, Outcome, Returned,
};
pub use decl::{DependencyDecl, DependencyKind, FunctionDecl, HookDecl, HookPhase, RouteDecl};
pub use handle::{Handle, Releases};
pub use items::{event_from_json, ForeignItems};
#[cfg(feature = "server")]
pub use pool::{BlockingPool, OwnedCall};
pub use request::RequestView;
pub use response::{body_view, headers_view, BodyView, ResponseMeta};
pub use websocket::{Connections, FnSession, ForeignConnection, ForeignSession, ForeignSessions, ForeignWebSocket};
