//! The HTTP server: axum on tokio, HTTP/1.1 (with WebSocket upgrades) and h2c, timeouts and
//! connection limits from the moment a connection is accepted ([`crate::connection`]),
//! graceful shutdown on SIGINT/SIGTERM: requests already read first, then background tasks.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use futures_util::FutureExt;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::{
    drive, refuse, secs, ConnGuard, ConnState, Io, Limits, Signals, Timeouts, TrackedBody, PRESSURE_MIN_IDLE,
};
use crate::limits::progress_body;
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
    run_with(pipeline, reuse_port, None)
}

/// Called on the server's thread each time it has nothing left to do (tokio's
/// `on_thread_park`): a binding whose calls wait for its language's threads wakes them
/// there, once for everything the turn queued, instead of once per call.
pub type ParkHook = std::sync::Arc<dyn Fn() + Send + Sync>;

/// [`run`], with `on_park` called whenever the server's thread parks.
pub fn run_with(pipeline: Pipeline, reuse_port: bool, on_park: Option<ParkHook>) -> std::io::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "spikard_http=info,warn".into()),
        )
        .try_init();
    let mut builder = tokio::runtime::Builder::new_current_thread();
    if let Some(hook) = on_park {
        builder.on_thread_park(move || hook());
    }
    let runtime = builder.enable_all().build()?;
    runtime.block_on(async move {
        let config = pipeline.config();
        let listener = bind(&config.host, config.port, reuse_port)?;
        serve_listener(listener, pipeline, shutdown_signal()).await
    })
}

/// Connections the kernel queues for `accept()`; past the connection limit new ones wait here.
const LISTEN_BACKLOG: u32 = 1024;

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
        socket.listen(LISTEN_BACKLOG)
    };
    #[cfg(not(unix))]
    let _ = reuse_port;
    listen().map_err(|e| std::io::Error::new(e.kind(), format!("cannot bind {addr}: {e}")))
}

/// Serve on an existing listener until `shutdown` completes (used by tests and embedders).
///
/// Each connection is served by hyper (HTTP/1.1 with upgrades, and h2c when enabled) under
/// the config's timeouts and connection limits (see [`crate::connection`]). Requests go
/// through [`Pipeline::handle`], so through the app's tower layers when it has some.
///
/// At the connection limit the loop stops accepting (new connections wait in the listen
/// backlog) and asks idle connections to close. An `accept()` error (out of file
/// descriptors, ...) pauses accepting with a growing back-off, asks idle connections to
/// close, and is logged at most once per [`ACCEPT_LOG_INTERVAL`].
///
/// When `shutdown` completes the listener is closed (connections already in its backlog are
/// taken and drained like the others; later ones are refused), every connection finishes the
/// requests that reached it and closes, and the server waits up to `shutdown_timeout_secs`
/// for them before closing what is left; then background tasks drain.
pub async fn serve_listener(
    listener: TcpListener,
    pipeline: Pipeline,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    pipeline.set_local_addr(addr);
    tracing::info!(%addr, "spikard listening");
    let config = pipeline.config().clone();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(secs(config.header_read_timeout_secs))
        .keep_alive(true);
    if !config.http2 {
        builder = builder.http1_only();
    }
    let limits = Limits::new(&config);
    let timeouts = Timeouts::new(&config);
    let body_timeout = secs(config.body_read_timeout_secs);
    let signals = Signals {
        drain: CancellationToken::new(),
        abort: CancellationToken::new(),
        pressure: Arc::new(Notify::new()),
    };
    let connections = TaskTracker::new();
    let mut accept_errors = AcceptErrors::default();
    let mut full_logged: Option<Instant> = None;
    let serve = |stream: TcpStream, peer: SocketAddr, guard: ConnGuard| {
        let _ = stream.set_nodelay(true);
        let state = ConnState::new();
        let io = Io::new(stream, Arc::clone(&state), guard);
        let service = {
            let pipeline = pipeline.clone();
            let state = Arc::clone(&state);
            hyper::service::service_fn(move |mut req: Request<Incoming>| {
                let in_flight = state.request_started();
                let pipeline = pipeline.clone();
                req.extensions_mut().insert(ConnectInfo(peer));
                let req = req.map(|body| progress_body(body, body_timeout));
                async move {
                    let response = pipeline.handle(req).await;
                    Ok::<_, Infallible>(response.map(|body| TrackedBody::new(body, in_flight)))
                }
            })
        };
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(io), service)
            .into_owned();
        connections.spawn(drive(conn, state, timeouts, signals.clone(), peer));
    };
    let mut shutdown = std::pin::pin!(shutdown);
    'accept: loop {
        let permit = loop {
            match limits.try_slot() {
                Ok(permit) => break permit,
                Err(slots) => {
                    signals.pressure.notify_waiters();
                    if full_logged.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_INTERVAL) {
                        full_logged = Some(Instant::now());
                        tracing::warn!(
                            limit = config.max_connections,
                            "connection limit reached; new connections wait and idle ones are closed"
                        );
                    }
                    // Asked again every quarter second while full (connections become
                    // idle long enough to be closed).
                    tokio::select! {
                        permit = slots.acquire_owned() => break permit.ok(),
                        () = tokio::time::sleep(PRESSURE_MIN_IDLE / 2) => {},
                        () = &mut shutdown => break 'accept,
                    }
                }
            }
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => {
                    accept_errors.succeeded();
                    conn
                }
                Err(e) => {
                    signals.pressure.notify_waiters();
                    let pause = accept_errors.failed(&e);
                    tokio::select! {
                        () = tokio::time::sleep(pause) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let guard = match limits.admit(peer.ip(), permit) {
            Ok(guard) => guard,
            Err(guard) => {
                connections.spawn(refuse(stream, guard));
                continue;
            }
        };
        serve(stream, peer, guard);
    }
    // Connections the kernel completed before the shutdown are served what they already sent
    // (they drain at once); connections made from now on are refused.
    signals.drain.cancel();
    for _ in 0..BACKLOG_DRAIN_MAX {
        match listener.accept().now_or_never() {
            Some(Ok((stream, peer))) => serve(stream, peer, ConnGuard::none()),
            _ => break,
        }
    }
    drop(listener);
    // Upgraded connections are no longer hyper's: tell WebSocket sessions to close.
    pipeline.close_websockets();
    connections.close();
    let timeout = Duration::from_secs(config.shutdown_timeout_secs);
    if tokio::time::timeout(timeout, connections.wait()).await.is_err() {
        tracing::warn!(
            remaining = connections.len(),
            "graceful shutdown timed out; closing remaining connections"
        );
        signals.abort.cancel();
    }
    // Requests are done (or abandoned): let the work they started finish, within its own limit.
    let background = pipeline.background().clone();
    background.drain(background.drain_timeout()).await;
    Ok(())
}

/// `accept()` failures are logged at most once per this interval (with how many were not).
pub const ACCEPT_LOG_INTERVAL: Duration = Duration::from_secs(5);
/// At most this many connections are taken from the backlog on shutdown.
const BACKLOG_DRAIN_MAX: usize = 4096;

/// The back-off and the rate-limited log of `accept()` failures.
#[derive(Default)]
struct AcceptErrors {
    /// Failures in a row.
    streak: u32,
    /// Failures not logged since the last log line.
    unlogged: u64,
    last_log: Option<Instant>,
}

impl AcceptErrors {
    fn succeeded(&mut self) {
        self.streak = 0;
    }

    /// Log (or count) `e`; returns how long to pause before accepting again: 5 ms doubling
    /// to 1 s while the failures last.
    fn failed(&mut self, e: &std::io::Error) -> Duration {
        if self.last_log.is_none_or(|t| t.elapsed() >= ACCEPT_LOG_INTERVAL) {
            self.last_log = Some(Instant::now());
            tracing::warn!(
                error = %e,
                not_logged = self.unlogged,
                "accept failed (out of file descriptors?); pausing accepts and closing idle connections"
            );
            self.unlogged = 0;
        } else {
            self.unlogged += 1;
        }
        self.streak = self.streak.saturating_add(1);
        Duration::from_millis(5u64 << self.streak.min(8).saturating_sub(1)).min(Duration::from_secs(1))
    }
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
