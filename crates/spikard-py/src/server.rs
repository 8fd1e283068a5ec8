//! Serving from Python: the core's server on the calling thread with the GIL released;
//! `workers > 1` makes this process the supervisor of that many worker processes sharing
//! the port (`spikard_http::workers`). SIGINT/SIGTERM stop accepting and drain in-flight
//! requests (core behaviour).

use pyo3::prelude::*;
use spikard_http::Pipeline;

use crate::errors::server_error;

/// Serve until a shutdown signal, GIL released.
pub fn serve(py: Python<'_>, pipeline: Pipeline, workers: usize) -> PyResult<()> {
    py.detach(move || spikard_http::workers::serve(pipeline, workers))
        .map_err(|e| server_error(&e))
}
