//! Serving from Python: a single-threaded tokio runtime on the calling thread with the GIL released,
//! optionally on a `SO_REUSEPORT` socket so several worker processes share the port.
//! SIGINT/SIGTERM stop accepting and drain in-flight requests (core behaviour).

use std::net::{SocketAddr, ToSocketAddrs};

use pyo3::prelude::*;
use spikard_http::server::{serve_listener, shutdown_signal};
use spikard_http::Pipeline;
use tokio::net::{TcpListener, TcpSocket};

use crate::errors::server_error;

fn bind(addr: SocketAddr, reuse_port: bool) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(reuse_port)?;
    #[cfg(not(unix))]
    let _ = reuse_port;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn resolve(host: &str, port: u16) -> std::io::Result<SocketAddr> {
    (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("{host}:{port} resolves to no address"),
        )
    })
}

/// Bind `config.host:config.port` and serve until a shutdown signal, GIL released.
pub fn serve(py: Python<'_>, pipeline: Pipeline, reuse_port: bool) -> PyResult<()> {
    let config = pipeline.config().clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "spikard_http=info,warn".into()),
        )
        .try_init();
    let result = py.detach(move || -> std::io::Result<()> {
        // One I/O thread per process: it is the calling Python thread, whose thread state stays
        // alive while the GIL is released, so taking the GIL for a handler is cheap and never
        // contended by other I/O threads. Processes (`workers`) scale across cores.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(async move {
            let addr = resolve(&config.host, config.port)?;
            let listener = bind(addr, reuse_port)
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))?;
            serve_listener(listener, pipeline, shutdown_signal()).await
        })
    });
    result.map_err(|e| server_error(&e))
}
