//! Spikard's Node.js and Bun binding (napi-rs): the compiled module `@spikard/node` loads.
//! Everything a request goes through (routing, coercion, validation, middleware, hooks'
//! flow, problems) is the core's; this crate only carries calls to JavaScript and back:
//!
//! - [`dispatch`]: the one shared dispatcher. Calls from the server's threads are queued
//!   and handed to JavaScript in batches: one wake-up of Node's event loop drains every
//!   call queued since the last one.
//! - [`call`]: the core's `ForeignFn` and `Binding` for JavaScript functions (by index into
//!   the package's function table).
//! - [`convert`]: what JavaScript settles a call with, as the core's values; the request
//!   as a plain object.
//! - [`app`]: the `NativeApp` class over `ForeignApp`: registration, `listen`/`close`, and
//!   the in-memory test client ([`testing`] for its WebSockets).
//! - [`websocket`]: WebSocket routes' handlers per connection, and sending from JavaScript.
//!
//! `docs/bindings.md` describes the shape every binding shares.

/// Rust's allocations in the module (requests cross from the server's thread to
/// JavaScript's and back) use mimalloc: glibc's malloc spent a tenth of the server thread's
/// time on frees from the other thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod call;
pub mod convert;
pub mod dispatch;
pub mod slot;
pub mod testing;
pub mod websocket;
