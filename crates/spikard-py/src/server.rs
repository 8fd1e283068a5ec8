//! Serving from Python: the core's server on the calling thread with the GIL released,
//! optionally on a `SO_REUSEPORT` socket so several worker processes share the port.
//! SIGINT/SIGTERM stop accepting and drain in-flight requests (core behaviour).

use pyo3::prelude::*;
use spikard_http::Pipeline;

use crate::errors::server_error;

/// Bind `config.host:config.port` and serve until a shutdown signal, GIL released.
pub fn serve(py: Python<'_>, pipeline: Pipeline, reuse_port: bool) -> PyResult<()> {
    py.detach(move || spikard_http::server::run(pipeline, reuse_port))
        .map_err(|e| server_error(&e))
}
