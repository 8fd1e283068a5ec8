//! The HTTP server: axum on tokio, HTTP/1.1 (with WebSocket upgrades) and h2c, graceful
//! shutdown on SIGINT/SIGTERM: in-flight requests first, then background tasks.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::Request;
use std::convert::Infallible;
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

/// Serve on an existing listener until `shutdown` completes (used by tests and embedders).
pub async fn serve_listener(
    listener: TcpListener,
    pipeline: Pipeline,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "spikard listening");
    let timeout = Duration::from_secs(pipeline.config().shutdown_timeout_secs);
    let background = pipeline.background().clone();
    let sessions = pipeline.clone();
    let service = tower::service_fn(move |req: Request| {
        let pipeline = pipeline.clone();
        async move { Ok::<_, Infallible>(pipeline.handle(req).await) }
    });
    let app = axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(service);
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        // Upgraded connections are no longer hyper's: tell WebSocket sessions to close.
        sessions.close_websockets();
        let _ = stopped_tx.send(());
    });
    let drain_deadline = async move {
        if stopped_rx.await.is_ok() {
            tokio::time::sleep(timeout).await;
            tracing::warn!("graceful shutdown timed out; closing remaining connections");
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        result = server => result,
        () = drain_deadline => Ok(()),
    };
    // Requests are done (or abandoned): let the work they started finish, within its own limit.
    background.drain(background.drain_timeout()).await;
    result
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
