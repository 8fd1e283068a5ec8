//! Spikard's Python binding (the compiled module `spikard._spikard`): value conversion
//! ([`convert`]), the error map ([`errors`]), the GIL/event-loop helper ([`bridge`]), the
//! core's foreign-call trait for Python functions ([`call`]) and the thin classes the
//! `spikard` package builds on; `docs/bindings.md` describes the shape. As an ordinary
//! library crate it also links against libpython, so `cargo test` runs it embedded:
//!
//! ```
//! use pyo3::prelude::*;
//! Python::attach(|py| {
//!     let value = serde_json::json!({"id": 1, "tags": ["a"]});
//!     let obj = _spikard::convert::json_to_py(py, &value).unwrap();
//!     assert_eq!(_spikard::convert::py_to_json(&obj).unwrap(), value);
//! });
//! ```

pub mod app;
pub mod asgi;
pub mod background;
pub mod bridge;
pub mod call;
pub mod config;
pub mod convert;
pub mod errors;
pub mod request;
pub mod response;
#[cfg(test)]
mod stand_ins;
pub mod streams;
pub mod support;
pub mod testing;
pub mod websocket;

use pyo3::prelude::*;

/// The `spikard._spikard` extension module.
#[pymodule]
fn _spikard(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<app::App>()?;
    m.add_class::<asgi::AsgiChannel>()?;
    m.add("ClientDisconnected", m.py().get_type::<asgi::ClientDisconnected>())?;
    m.add_class::<request::View>()?;
    m.add_class::<websocket::WebSocketConnection>()?;
    m.add_class::<testing::TestClient>()?;
    m.add_class::<testing::TestStream>()?;
    m.add_class::<testing::TestWebSocket>()?;
    m.add_function(wrap_pyfunction!(config::default_configs, m)?)?;
    m.add_function(wrap_pyfunction!(support::register, m)?)?;
    m.add_function(wrap_pyfunction!(app::route_params, m)?)?;
    m.add_function(wrap_pyfunction!(response::cookie_header, m)?)?;
    m.add_class::<background::BackgroundRunner>()?;
    m.add_function(wrap_pyfunction!(background::enable_background, m)?)?;
    errors::register(m, "spikard.exceptions")?;
    Ok(())
}
