//! Spikard's Node.js and Bun binding (napi-rs): the compiled module `@spikard/node` loads.
//! Everything a request goes through (routing, coercion, validation, middleware, hooks'
//! flow, problems) is the core's, and the JavaScript call protocol is `spikard-js`'s
//! (shared with the WebAssembly binding); this crate only carries Node's values:
//!
//! - [`objects`]: the objects napi builds and reads, and the wake-up of Node's event loop
//!   (calls from the server's thread are handed to JavaScript in batches: one wake-up
//!   drains every call queued since the last one).
//! - [`app`]: the `NativeApp` class: registration and settling, `listen`/`close`, WebSocket
//!   routes, and the in-memory test client ([`testing`] for its WebSockets and streams).
//!
//! `docs/bindings.md` describes the shape every binding shares.

/// Rust's allocations in the module (requests cross from the server's thread to
/// JavaScript's and back) use mimalloc: glibc's malloc spent a tenth of the server thread's
/// time on frees from the other thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod objects;
pub mod testing;
