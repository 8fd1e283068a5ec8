//! The JavaScript side of Spikard's foreign-call layer, shared by the Node binding
//! (`spikard-node`, napi-rs, on a server thread beside Node's event loop) and the
//! WebAssembly binding (`spikard-wasm`, wasm-bindgen, inside the host's event loop). Both
//! packages' TypeScript speaks the same protocol, so everything here is plain Rust; each
//! binding only converts its host's values and says how to wake JavaScript:
//!
//! - [`dispatch`]: the call queue. Calls are queued with the JavaScript function's index
//!   and their arguments, handed to the package's dispatch function in batches (one
//!   [`dispatch::Wake`] per batch), and settled by id.
//! - [`call`]: the core's `ForeignFn` and `Binding` for JavaScript functions (indexes into
//!   the package's function table) and values (handles into its value table).
//! - [`convert`]: the request as a plain object; what JavaScript settles a call with, as
//!   the core's values.
//! - [`app`]: [`app::JsApp`], registration and settling, which each binding's `NativeApp`
//!   class wraps.
//! - [`websocket`]: WebSocket routes' handlers per connection (servers only).
//!
//! `docs/bindings.md` describes the shape every binding shares.

pub mod app;
pub mod call;
pub mod convert;
pub mod dispatch;
pub mod slot;
pub mod websocket;
