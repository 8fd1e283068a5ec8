//! Spikard's Ruby binding (Magnus): the extension `require "spikard"` loads. Everything a
//! request goes through (routing, coercion, validation, middleware, hooks' flow, problems)
//! is the core's; this crate only carries calls to Ruby and back:
//!
//! - [`pool`]: the one shared dispatcher. Calls from the server's threads are queued;
//!   Ruby threads the package started wait for them with the GVL released and, once they
//!   hold it, run their share of the queue before waiting again. Ruby code runs only on
//!   threads Ruby created.
//! - [`gvl`]: running Rust with the GVL released (waiting, serving, the test client).
//! - [`call`]: the core's `ForeignFn` and `Binding` for Ruby functions (by index into
//!   the package's function table) and values (by handle).
//! - [`convert`]: JSON values as Ruby objects, and what Ruby settles a call with as the
//!   core's values; [`request`]: the request object's lazy getters.
//! - [`app`]: the `Native::App` class over `ForeignApp`: registration, taking and settling
//!   calls, serving; [`testing`]: the in-memory test client; [`websocket`]: WebSocket
//!   routes; [`errors`]: the core's errors as the package's exceptions.
//!
//! `docs/bindings.md` describes the shape every binding shares.

/// Rust's allocations in the extension (requests cross from the server's thread to Ruby's
/// and are freed there) use mimalloc, as in the Node binding: glibc's malloc contends on
/// frees from another thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod call;
pub mod convert;
pub mod errors;
pub mod gvl;
pub mod json;
pub mod pool;
pub mod request;
pub mod testing;
pub mod websocket;

use magnus::{function, method, prelude::*, Error, Ruby};

use crate::app::NativeApp;
use crate::request::NativeRequest;
use crate::testing::{NativeClient, NativeStream, NativeWebSocket};

#[magnus::init]
fn init(ruby: &Ruby) -> Result<(), Error> {
    let spikard = ruby.define_module("Spikard")?;
    let native = spikard.define_module("Native")?;
    native.define_singleton_method("default_configs", function!(app::default_configs, 0))?;
    native.define_singleton_method("cookie_header", function!(app::cookie_header, 1))?;
    for (name, index) in app::specials() {
        native.const_set(name, index)?;
    }
    native.const_set("ABSENT", ruby.get_inner(&app::ABSENT))?;

    let c = native.define_class("App", ruby.class_object())?;
    c.define_singleton_method("new", function!(NativeApp::new, 1))?;
    c.define_method("configure", method!(NativeApp::configure, 1))?;
    c.define_method("config", method!(NativeApp::config, 0))?;
    c.define_method("add_route", method!(NativeApp::add_route, 2))?;
    c.define_method("add_hook", method!(NativeApp::add_hook, 2))?;
    c.define_method("provide", method!(NativeApp::provide, 3))?;
    c.define_method("add_websocket", method!(NativeApp::add_websocket, 2))?;
    c.define_method("hold", method!(NativeApp::hold, 1))?;
    c.define_method("held", method!(NativeApp::held, 1))?;
    c.define_method("take_calls", method!(NativeApp::take_calls, 1))?;
    c.define_method("stop_threads", method!(NativeApp::stop_threads, 0))?;
    c.define_method("open_threads", method!(NativeApp::open_threads, 0))?;
    c.define_method("settle_json", method!(NativeApp::settle_json, 3))?;
    c.define_method("settle_value", method!(NativeApp::settle_value, 3))?;
    c.define_method("settle_response", method!(NativeApp::settle_response, 8))?;
    c.define_method("settle_chunk", method!(NativeApp::settle_chunk, 2))?;
    c.define_method("settle_event", method!(NativeApp::settle_event, 2))?;
    c.define_method("settle_dependency", method!(NativeApp::settle_dependency, 4))?;
    c.define_method("settle_error", method!(NativeApp::settle_error, 3))?;
    c.define_method("serve", method!(NativeApp::serve, 1))?;
    c.define_method("ws_send", method!(NativeApp::ws_send, 3))?;
    c.define_method("ws_close", method!(NativeApp::ws_close, 3))?;
    c.define_method("ws_release", method!(NativeApp::ws_release, 1))?;

    let r = native.define_class("Request", ruby.class_object())?;
    r.define_method("method", method!(NativeRequest::method, 0))?;
    r.define_method("path", method!(NativeRequest::path, 0))?;
    r.define_method("path_params", method!(NativeRequest::path_params, 0))?;
    r.define_method("query", method!(NativeRequest::query, 0))?;
    r.define_method("headers", method!(NativeRequest::headers, 0))?;
    r.define_method("cookies", method!(NativeRequest::cookies, 0))?;
    r.define_method("body", method!(NativeRequest::body, 0))?;
    r.define_method("raw_body", method!(NativeRequest::raw_body, 0))?;
    r.define_method("state", method!(NativeRequest::state, 0))?;
    r.define_method("client", method!(NativeRequest::client, 0))?;
    r.define_method("files", method!(NativeRequest::files, 0))?;
    r.define_method("raw_target", method!(NativeRequest::raw_target, 0))?;

    let t = native.define_class("Client", ruby.class_object())?;
    t.define_singleton_method("new", function!(NativeClient::new, 1))?;
    t.define_method("request", method!(NativeClient::request, 4))?;
    t.define_method("stream", method!(NativeClient::stream, 3))?;
    t.define_method("websocket", method!(NativeClient::websocket, 2))?;

    let s = native.define_class("Stream", ruby.class_object())?;
    s.define_method("status", method!(NativeStream::status, 0))?;
    s.define_method("headers", method!(NativeStream::headers, 0))?;
    s.define_method("next_chunk", method!(NativeStream::next_chunk, 0))?;
    s.define_method("next_event_text", method!(NativeStream::next_event_text, 0))?;
    s.define_method("close", method!(NativeStream::close, 0))?;

    let w = native.define_class("WebSocket", ruby.class_object())?;
    w.define_method("headers", method!(NativeWebSocket::headers, 0))?;
    w.define_method("send_text", method!(NativeWebSocket::send_text, 1))?;
    w.define_method("send_bytes", method!(NativeWebSocket::send_bytes, 1))?;
    w.define_method("close", method!(NativeWebSocket::close, 2))?;
    w.define_method("receive", method!(NativeWebSocket::receive, 0))?;
    Ok(())
}
