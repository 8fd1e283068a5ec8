//! Spikard's WebAssembly binding (wasm-bindgen) for edge workers: the module
//! `@spikard/wasm` loads. The core's pipeline (routing, coercion, validation, middleware,
//! hooks, dependencies, problems) runs inside the host's event loop, driven by its `fetch`
//! handler; the JavaScript call protocol is `spikard-js`'s (shared with the Node binding).
//! This crate only carries the host's values:
//!
//! - [`host`]: values between JavaScript and Rust, the error the package throws, and the
//!   wake-up of the package's dispatcher (a microtask: the module runs on JavaScript's
//!   thread).
//! - [`app`]: the `NativeApp` class: registration and settling, the in-memory test client
//!   (`request`, `stream`) and `handle`, a request from the host's `fetch`.
//! - [`response`]: a response as the package reads it, its body whole or pulled chunk by
//!   chunk into a `ReadableStream`.
//!
//! `docs/bindings.md` describes the shape every binding shares; `packages/wasm/README.md`
//! what an edge worker cannot have.

pub mod app;
pub mod host;
pub mod response;
