//! A small closed-loop HTTP/1.1 load generator: `connections` keep-alive connections,
//! each sending the next request as soon as the previous response body has been read.
//!
//! Every response is checked by [`crate::check::Checker`]: a wrong status or body counts as
//! an error, and a run with any error fails.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::check::Checker;
use crate::workload::Workload;

/// When a run ends.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// Run for this long (requests in flight at the deadline are completed and counted).
    Duration(Duration),
    /// Send exactly this many requests in total across all connections.
    Requests(u64),
}

#[derive(Clone, Debug)]
pub struct LoadConfig {
    pub addr: SocketAddr,
    pub connections: usize,
    pub stop: Stop,
    /// Incremented on every correct response (read by the progress display).
    pub progress: Option<Arc<AtomicU64>>,
}

/// Outcome of one run.
#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    /// Responses received with the right status and body.
    pub ok: u64,
    /// Wrong status, wrong body, or transport errors.
    pub errors: u64,
    /// First error seen, for the report.
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Correct responses per second.
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Sorted latencies (nanoseconds) of correct responses, for merging across rounds.
    pub latencies_ns: Vec<u64>,
}

impl LoadResult {
    pub fn passed(&self) -> bool {
        self.errors == 0 && self.ok > 0
    }
}

/// Value at percentile `p` (0..=100) of sorted samples, in milliseconds.
pub fn percentile_ms(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_ns.len() as f64).ceil() as usize;
    let idx = rank.clamp(1, sorted_ns.len()) - 1;
    sorted_ns[idx] as f64 / 1e6
}

struct WorkerOut {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latencies_ns: Vec<u64>,
}

enum StopState {
    Deadline(Instant),
    Budget(Arc<AtomicU64>),
}

impl StopState {
    fn should_stop(&self) -> bool {
        match self {
            StopState::Deadline(d) => Instant::now() >= *d,
            // Take one request from the shared budget; stop when it is exhausted.
            StopState::Budget(left) => left
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_err(),
        }
    }
}

/// Open one keep-alive HTTP/1.1 connection; its driver runs as a task on the current runtime.
pub async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("set_nodelay: {e}"))?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake with {addr}: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

fn build_request(
    method: &Method,
    path: &str,
    host: &str,
    content_type: Option<&str>,
    body: Option<&Bytes>,
) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder().method(method.clone()).uri(path).header(HOST, host);
    if let Some(ct) = content_type {
        builder = builder.header(CONTENT_TYPE, ct);
    }
    builder
        .body(Full::new(body.cloned().unwrap_or_default()))
        .map_err(|e| format!("building request: {e}"))
}

/// Send one request on an open connection; returns status and the whole body.
pub async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: &Method,
    path: &str,
    host: &str,
    content_type: Option<&str>,
    body: Option<&Bytes>,
) -> Result<(StatusCode, Bytes), String> {
    let req = build_request(method, path, host, content_type, body)?;
    sender.ready().await.map_err(|e| format!("connection not ready: {e}"))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("reading body: {e}"))?
        .to_bytes();
    Ok((status, bytes))
}

async fn worker(
    mut sender: SendRequest<Full<Bytes>>,
    workload: Arc<Workload>,
    host: Arc<str>,
    stop: StopState,
    capacity: usize,
    progress: Option<Arc<AtomicU64>>,
) -> WorkerOut {
    let mut out = WorkerOut {
        ok: 0,
        errors: 0,
        first_error: None,
        latencies_ns: Vec::with_capacity(capacity),
    };
    let mut checker = Checker::new(&workload);
    while !stop.should_stop() {
        let started = Instant::now();
        let result = send(
            &mut sender,
            &workload.method,
            &workload.path,
            &host,
            workload.content_type.as_deref(),
            workload.body.as_ref(),
        )
        .await;
        let latency = started.elapsed();
        let checked = result.and_then(|(status, body)| checker.check(status, &body));
        match checked {
            Ok(()) => {
                out.ok += 1;
                if let Some(p) = &progress {
                    p.fetch_add(1, Ordering::Relaxed);
                }
                out.latencies_ns.push(latency.as_nanos() as u64);
            }
            Err(e) => {
                out.errors += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(e);
                }
                // A broken connection cannot be reused; stop this worker.
                if sender.is_closed() {
                    break;
                }
            }
        }
    }
    out
}

/// Run `workload` against `cfg.addr`. Must be called inside a tokio runtime (the harness
/// uses a current-thread runtime pinned to one core). Connections are opened before the
/// clock starts.
pub async fn run(workload: &Workload, cfg: &LoadConfig) -> Result<LoadResult, String> {
    let connections = cfg.connections.max(1);
    let host: Arc<str> = Arc::from(cfg.addr.to_string());
    let workload = Arc::new(workload.clone());
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(connect(cfg.addr).await?);
    }
    let capacity = match cfg.stop {
        Stop::Duration(d) => (d.as_secs_f64() * 100_000.0 / connections as f64) as usize,
        Stop::Requests(n) => (n as usize).div_ceil(connections),
    }
    .min(4_000_000);
    let budget = Arc::new(AtomicU64::new(match cfg.stop {
        Stop::Requests(n) => n,
        Stop::Duration(_) => 0,
    }));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(connections);
    for sender in senders {
        let stop = match cfg.stop {
            Stop::Duration(d) => StopState::Deadline(started + d),
            Stop::Requests(_) => StopState::Budget(budget.clone()),
        };
        handles.push(tokio::spawn(worker(
            sender,
            workload.clone(),
            host.clone(),
            stop,
            capacity,
            cfg.progress.clone(),
        )));
    }
    let mut result = LoadResult::default();
    let mut latencies = Vec::new();
    for handle in handles {
        let out = handle.await.map_err(|e| format!("load worker panicked: {e}"))?;
        result.ok += out.ok;
        result.errors += out.errors;
        if result.first_error.is_none() {
            result.first_error = out.first_error;
        }
        latencies.extend(out.latencies_ns);
    }
    result.elapsed = started.elapsed();
    latencies.sort_unstable();
    result.rps = result.ok as f64 / result.elapsed.as_secs_f64().max(1e-9);
    result.p50_ms = percentile_ms(&latencies, 50.0);
    result.p99_ms = percentile_ms(&latencies, 99.0);
    result.max_ms = latencies.last().map_or(0.0, |&n| n as f64 / 1e6);
    result.latencies_ns = latencies;
    Ok(result)
}

/// Send one request on a fresh connection and return status and body (used for readiness
/// probes and negative checks).
pub async fn one_shot(
    addr: SocketAddr,
    method: &Method,
    path: &str,
    content_type: Option<&str>,
    body: Option<&Bytes>,
) -> Result<(StatusCode, Bytes), String> {
    let mut sender = connect(addr).await?;
    send(&mut sender, method, path, &addr.to_string(), content_type, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<u64> = (1..=100).map(|i| i * 1_000_000).collect();
        assert_eq!(percentile_ms(&v, 50.0), 50.0);
        assert_eq!(percentile_ms(&v, 99.0), 99.0);
        assert_eq!(percentile_ms(&v, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}
