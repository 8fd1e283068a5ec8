//! The HTTP server: axum on tokio, HTTP/1.1 (with WebSocket upgrades) and h2c, graceful
//! shutdown on SIGINT/SIGTERM: in-flight requests first, then background tasks.

use std::net::SocketAddr;
use std::time::Duration;

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::ConnectInfo;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::pipeline::Pipeline;

/// Bind `config.host:config.port` and serve until SIGINT/SIGTERM, then drain in-flight requests.
pub async fn serve(pipeline: Pipeline) -> std::io::Result<()> {
    let config = pipeline.config().clone();
    let listener = TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind {}:{}: {e}", config.host, config.port)))?;
    serve_listener(listener, pipeline, shutdown_signal()).await
}

/// Serve `config.host:config.port` on the calling thread until SIGINT/SIGTERM, then drain:
/// what every binding's `run`/`listen` does. One I/O thread per process (a binding's calling
/// thread, whose language state stays alive while its lock is released, so taking the lock
/// for a handler is cheap and never contended by other I/O threads); worker processes scale
/// across cores, each binding the port with `reuse_port` (`SO_REUSEPORT`).
pub fn run(pipeline: Pipeline, reuse_port: bool) -> std::io::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "spikard_http=info,warn".into()),
        )
        .try_init();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let config = pipeline.config();
        let listener = bind(&config.host, config.port, reuse_port)?;
        serve_listener(listener, pipeline, shutdown_signal()).await
    })
}

/// Listen on `host:port`; with `reuse_port`, several processes may share the port
/// (`SO_REUSEPORT`, Unix). Must be called inside a tokio runtime. Errors name the address.
pub fn bind(host: &str, port: u16, reuse_port: bool) -> std::io::Result<TcpListener> {
    use std::net::ToSocketAddrs;
    let addr = (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("{host}:{port} resolves to no address"),
        )
    })?;
    let listen = || -> std::io::Result<TcpListener> {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        #[cfg(unix)]
        socket.set_reuseport(reuse_port)?;
        socket.bind(addr)?;
        socket.listen(1024)
    };
    #[cfg(not(unix))]
    let _ = reuse_port;
    listen().map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))
}

/// Serve on an existing listener until `shutdown` completes (used by tests and embedders).
///
/// Each connection is served by hyper (HTTP/1.1 with upgrades, and h2c when enabled) with a
/// header-read deadline, so a client that trickles its headers cannot hold a connection open.
/// Requests go through [`Pipeline::handle`], so through the app's tower layers when it has some.
pub async fn serve_listener(
    listener: TcpListener,
    pipeline: Pipeline,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "spikard listening");
    let config = pipeline.config().clone();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(config.header_read_timeout_secs.max(1)))
        .keep_alive(true);
    if !config.http2 {
        builder = builder.http1_only();
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let pipeline = pipeline.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let pipeline = pipeline.clone();
            req.extensions_mut().insert(ConnectInfo(peer));
            async move { Ok::<_, Infallible>(pipeline.handle(req.map(Body::new)).await) }
        });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection closed with an error");
            }
        });
    }
    drop(listener);
    // Upgraded connections are no longer hyper's: tell WebSocket sessions to close.
    pipeline.close_websockets();
    let timeout = Duration::from_secs(config.shutdown_timeout_secs);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(timeout) => {
            tracing::warn!("graceful shutdown timed out; closing remaining connections");
        }
    }
    // Requests are done (or abandoned): let the work they started finish, within its own limit.
    let background = pipeline.background().clone();
    background.drain(background.drain_timeout()).await;
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
