//! One accepted connection, from `accept()` to close: the timeouts that apply to it before
//! and between requests, its share of the connection limits, its drain on shutdown, a
//! lingering close, and problem bodies for the errors hyper answers by itself.
//!
//! - **Silence.** A watchdog closes a connection that has no request in flight and has read
//!   nothing for `first_byte_timeout_secs` (before its first response) or
//!   `keep_alive_timeout_secs` (after one). Hyper's own `header_read_timeout` bounds a head
//!   that trickles in; a stalled request body is the pipeline's (a 408 problem, see
//!   [`crate::limits::progress_body`]).
//! - **Pressure.** When the server is at `max_connections` (or out of file descriptors) it
//!   asks every connection that has been idle for half a second to close, so fresh connections
//!   (health checks) get a slot; connections with a request in flight are never touched.
//! - **Drain.** On shutdown each connection reads for a moment more (a request already in its
//!   socket's buffer is read), then gets hyper's graceful shutdown: a request read is
//!   answered (with `Connection: close`), an idle connection is closed.
//! - **Lingering close.** When the server closes a connection the client has not closed, the
//!   socket is shut for writing and what the client still sends is read and dropped for a
//!   moment before the socket is released, so a request that crossed the close in flight
//!   gets an end of stream instead of a reset (and a response already written is not torn
//!   down by one), as Apache and nginx do.
//! - **Hyper's own answers.** Hyper answers a request head it cannot parse (400), a URI
//!   over 65 534 bytes (414) and more than 100 header fields or a head over its ~400 KB read
//!   buffer (431) itself, with an empty body, before any service sees the request. The
//!   connection's IO recognises that response (the only one hyper writes while no request
//!   of the connection is outstanding) and writes the problem built by
//!   [`crate::response::error_response`] in its place, with `Connection: close`. A head that
//!   does not finish within `header_read_timeout_secs` (or is cut by the silence timeout or a
//!   drain) is closed by hyper without a response; the IO writes a 408 problem before the
//!   close. A connection closed before it sent a byte gets no answer.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use hyper_util::server::graceful::GracefulConnection;
use spikard_core::config::ServerConfig;
use spikard_core::SpikardError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::response::{error_response, ResponseBody};

/// How long a closing connection keeps reading (and dropping) what the client still sends.
const LINGER: Duration = Duration::from_secs(2);
/// On shutdown, how long a connection keeps reading before it is told to stop (so a request
/// that reached the socket before the shutdown is read and answered).
const DRAIN_GRACE: Duration = Duration::from_millis(50);
/// Under pressure, connections idle at least this long are closed.
pub(crate) const PRESSURE_MIN_IDLE: Duration = Duration::from_millis(500);

/// Seconds from the config, at least one.
pub(crate) fn secs(value: u64) -> Duration {
    Duration::from_secs(value.max(1))
}

/// The silence allowed before the first request and between requests.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub first_byte: Duration,
    pub keep_alive: Duration,
}

impl Timeouts {
    pub(crate) fn new(config: &ServerConfig) -> Self {
        Self {
            first_byte: secs(config.first_byte_timeout_secs),
            keep_alive: secs(config.keep_alive_timeout_secs),
        }
    }
}

/// What a connection has been doing, shared by its IO, its service and its watchdog.
pub(crate) struct ConnState {
    start: Instant,
    /// Milliseconds after `start` of the last byte read or the last response finished.
    last_activity_ms: AtomicU64,
    /// Requests handed to the service whose response body is not finished.
    in_flight: AtomicUsize,
    /// Responses finished.
    served: AtomicU64,
    /// No request is outstanding and everything written was flushed: a response hyper writes
    /// now is one of its own.
    quiet: AtomicBool,
}

impl ConnState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            last_activity_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            served: AtomicU64::new(0),
            quiet: AtomicBool::new(true),
        })
    }

    fn touch(&self) {
        self.touch_at(Instant::now());
    }

    fn touch_at(&self, now: Instant) {
        let ms = u64::try_from(now.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX);
        self.last_activity_ms.store(ms, Ordering::Relaxed);
    }

    /// A request reached the service; it is in flight until the guard is dropped (with the
    /// response body, or with the service future when the client went away).
    pub(crate) fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.quiet.store(false, Ordering::Relaxed);
        InFlight(Arc::clone(self))
    }

    fn idle_since(&self) -> Option<Instant> {
        (self.in_flight.load(Ordering::Relaxed) == 0)
            .then(|| self.start + Duration::from_millis(self.last_activity_ms.load(Ordering::Relaxed)))
    }

    /// When the connection will have been silent too long (`None` while a request is in flight).
    fn idle_deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        let limit = if self.served.load(Ordering::Relaxed) == 0 {
            timeouts.first_byte
        } else {
            timeouts.keep_alive
        };
        self.idle_since().map(|since| since + limit)
    }
}

/// A request of the connection in flight (see [`ConnState::request_started`]).
pub(crate) struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.served.fetch_add(1, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request in flight until hyper is done with it.
pub(crate) struct TrackedBody {
    inner: axum::body::Body,
    _in_flight: InFlight,
}

impl TrackedBody {
    pub(crate) fn new(inner: axum::body::Body, in_flight: InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A complete HTTP/1.1 response carrying the problem for `err`, closing the connection.
pub(crate) fn problem_bytes(err: &SpikardError) -> Bytes {
    let response = error_response(err);
    let body = match &response.body {
        ResponseBody::Bytes(b) => b.clone(),
        _ => Bytes::new(),
    };
    let status = response.status;
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .into_bytes();
    for (name, value) in &response.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(&body);
    Bytes::from(out)
}

/// The problem that replaces hyper's own empty-bodied answer, if `head` is one.
fn hyper_answer(head: &[u8]) -> Option<Bytes> {
    let status = head.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
    let (status, detail) = match status {
        b"400" => (
            400,
            "Malformed request: the request line or a header field is not valid HTTP/1.1",
        ),
        b"414" => (414, "Request URI exceeds the longest the server reads (65534 bytes)"),
        b"431" => (
            431,
            "Request head exceeds the server's limits (100 header fields, or about 400 KB)",
        ),
        _ => return None,
    };
    Some(problem_bytes(&SpikardError::MalformedHead {
        status,
        detail: detail.into(),
    }))
}

/// Per-client-address connection counts.
struct PerIp {
    limit: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// The connection limits of one server.
pub(crate) struct Limits {
    total: Option<Arc<Semaphore>>,
    per_ip: Option<Arc<PerIp>>,
}

impl Limits {
    pub(crate) fn new(config: &ServerConfig) -> Self {
        Self {
            total: config
                .max_connections
                .map(|n| Arc::new(Semaphore::new(n.clamp(1, Semaphore::MAX_PERMITS)))),
            per_ip: config.max_connections_per_ip.map(|limit| {
                Arc::new(PerIp {
                    limit: limit.max(1),
                    counts: Mutex::new(HashMap::new()),
                })
            }),
        }
    }

    /// A slot for one more connection now, or the semaphore to wait on.
    pub(crate) fn try_slot(&self) -> Result<Option<OwnedSemaphorePermit>, Arc<Semaphore>> {
        match &self.total {
            None => Ok(None),
            Some(sem) => Arc::clone(sem)
                .try_acquire_owned()
                .map(Some)
                .map_err(|_| Arc::clone(sem)),
        }
    }

    /// The guard of an accepted connection, or `Err` with the guard to refuse it with
    /// (its address has too many connections open).
    pub(crate) fn admit(&self, ip: IpAddr, permit: Option<OwnedSemaphorePermit>) -> Result<ConnGuard, ConnGuard> {
        let mut guard = ConnGuard { permit, per_ip: None };
        let Some(per_ip) = &self.per_ip else {
            return Ok(guard);
        };
        let mut counts = per_ip.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(ip).or_insert(0);
        if *count >= per_ip.limit {
            return Err(guard);
        }
        *count += 1;
        guard.per_ip = Some((Arc::clone(per_ip), ip));
        Ok(guard)
    }
}

/// A connection's share of the limits, released when the socket is.
pub(crate) struct ConnGuard {
    permit: Option<OwnedSemaphorePermit>,
    per_ip: Option<(Arc<PerIp>, IpAddr)>,
}

impl ConnGuard {
    /// No share: for the connections taken from the backlog on shutdown.
    pub(crate) fn none() -> Self {
        Self {
            permit: None,
            per_ip: None,
        }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if let Some((per_ip, ip)) = self.per_ip.take() {
            let mut counts = per_ip.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(count) = counts.get_mut(&ip) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&ip);
                }
            }
        }
        drop(self.permit.take());
    }
}

/// Close `stream` the lingering way (see the module docs), then release `guard`.
pub(crate) async fn linger(mut stream: TcpStream, guard: Option<ConnGuard>) {
    let _ = stream.shutdown().await;
    let mut buf = vec![0u8; 4096];
    let _ = tokio::time::timeout(LINGER, async {
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    drop(guard);
}

/// Answer a connection past the per-address limit with a 429 problem and close it.
pub(crate) async fn refuse(mut stream: TcpStream, guard: ConnGuard) {
    let answer = problem_bytes(&SpikardError::TooManyRequests { retry_after: 1 });
    let _ = tokio::time::timeout(LINGER, stream.write_all(&answer)).await;
    linger(stream, Some(guard)).await;
}

/// The socket of an accepted connection as hyper sees it (see the module docs).
pub(crate) struct Io {
    stream: Option<TcpStream>,
    state: Arc<ConnState>,
    /// The problem written in place of hyper's own answer, and how much of it is written.
    own_answer: Option<(Bytes, usize)>,
    /// Hyper's own answer was replaced: its bytes are dropped.
    replaced: bool,
    /// Whether the client sent anything (a connection that never did is not lingered on).
    read_any: bool,
    saw_eof: bool,
    /// When the client began a request head hyper has not finished reading (bytes read while
    /// quiet), if it did.
    head_started: Option<Instant>,
    /// Something was written while quiet (an HTTP/2 frame, a WebSocket frame).
    wrote_while_quiet: bool,
    /// The connection was handed over (101 Switching Protocols): no HTTP answers of ours.
    upgraded: bool,
    guard: Option<ConnGuard>,
}

impl Io {
    pub(crate) fn new(stream: TcpStream, state: Arc<ConnState>, guard: ConnGuard) -> Self {
        Self {
            stream: Some(stream),
            state,
            own_answer: None,
            replaced: false,
            read_any: false,
            saw_eof: false,
            head_started: None,
            wrote_while_quiet: false,
            upgraded: false,
            guard: Some(guard),
        }
    }

    fn stream(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.stream
            .as_mut()
            .map(Pin::new)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }

    /// Whether `head` is hyper's own answer; if so it is replaced by a problem.
    fn intercept(&mut self, head: &[u8]) -> bool {
        if self.replaced {
            return true;
        }
        if !self.state.quiet.load(Ordering::Relaxed) {
            return false;
        }
        match hyper_answer(head) {
            Some(answer) => {
                self.own_answer = Some((answer, 0));
                self.replaced = true;
                true
            }
            None => false,
        }
    }

    /// The 408 problem for a connection closed while its client was still sending a request
    /// head (hyper's `header_read_timeout`, or a silent, pressured or draining connection):
    /// hyper closes those without a word.
    fn unfinished_head_answer(&mut self) -> Option<Bytes> {
        let started = self.head_started?;
        if self.replaced
            || self.upgraded
            || self.wrote_while_quiet
            || self.saw_eof
            || self.own_answer.is_some()
            || !self.state.quiet.load(Ordering::Relaxed)
        {
            return None;
        }
        self.replaced = true;
        Some(problem_bytes(&SpikardError::RequestTimeout {
            seconds: started.elapsed().as_secs() as f64,
        }))
    }

    /// Note bytes of the connection's own going out (`first`: the start of the write).
    fn wrote(&mut self, first: &[u8]) {
        self.wrote_while_quiet |= self.state.quiet.load(Ordering::Relaxed);
        self.upgraded |= first.starts_with(b"HTTP/1.1 101");
    }

    fn poll_own_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = self.own_answer.take() {
            let poll = self.stream()?.poll_write(cx, &bytes[written..]);
            match poll {
                Poll::Pending => {
                    self.own_answer = Some((bytes, written));
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) if written + n < bytes.len() => self.own_answer = Some((bytes, written + n)),
                Poll::Ready(Ok(_)) => {}
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(this.stream()?.poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.read_any = true;
            let now = Instant::now();
            this.state.touch_at(now);
            if this.head_started.is_none() && this.state.quiet.load(Ordering::Relaxed) {
                this.head_started = Some(now);
            }
        } else if buf.remaining() > 0 {
            this.saw_eof = true;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.intercept(buf) {
            let _ = this.poll_own_answer(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        this.wrote(buf);
        this.stream()?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]);
        if this.intercept(first) {
            let _ = this.poll_own_answer(cx)?;
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        this.wrote(first);
        this.stream()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_own_answer(cx))?;
        ready!(this.stream()?.poll_flush(cx))?;
        if this.state.in_flight.load(Ordering::Relaxed) == 0 && !this.state.quiet.swap(true, Ordering::Relaxed) {
            // A new quiet period: the next head starts from nothing.
            this.head_started = None;
            this.wrote_while_quiet = false;
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(answer) = this.unfinished_head_answer() {
            this.own_answer = Some((answer, 0));
        }
        ready!(this.poll_own_answer(cx))?;
        this.stream()?.poll_shutdown(cx)
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        // The connection's slot is free now; the lingering close is short and bounded. A
        // connection that never sent a byte is closed at once (its descriptor may be needed).
        drop(self.guard.take());
        if self.saw_eof || !self.read_any {
            return;
        }
        let answer = self.unfinished_head_answer();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut stream = stream;
                if let Some(answer) = answer {
                    let _ = tokio::time::timeout(LINGER, stream.write_all(&answer)).await;
                }
                linger(stream, None).await;
            });
        }
    }
}

/// What the server tells its connections.
#[derive(Clone)]
pub(crate) struct Signals {
    /// Shutdown began: finish what was read, close the rest.
    pub drain: CancellationToken,
    /// The drain timed out: close now.
    pub abort: CancellationToken,
    /// The server is out of connection slots or descriptors: idle connections close.
    pub pressure: Arc<Notify>,
}

/// The waker the watchdog's own futures (the server's signals and the silence timer) are
/// polled with: it notes that one of them fired and wakes the connection's task. Those
/// futures are polled only after such a wake, not on every wake of the connection (every
/// read and write), which would take the signals' shared locks once per request on every
/// core.
struct Gate {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Gate {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

/// What woke the watchdog.
enum Event<E> {
    Closed(Result<(), E>),
    Abort,
    Drain,
    Pressure,
    Check,
}

/// Serve one connection until it ends, closing it when silent too long, under pressure, or
/// on shutdown (see the module docs).
pub(crate) async fn drive<C>(conn: C, state: Arc<ConnState>, timeouts: Timeouts, signals: Signals, peer: SocketAddr)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut conn = std::pin::pin!(conn);
    let mut closing = false;
    let mut draining = false;
    // Checked at least this often; a silent connection is closed within 1.5 times its timeout.
    let tick = timeouts.first_byte.min(timeouts.keep_alive) / 2;
    let mut check = std::pin::pin!(tokio::time::sleep(timeouts.first_byte.min(timeouts.keep_alive)));
    let mut abort = std::pin::pin!(signals.abort.cancelled());
    let mut drain = std::pin::pin!(signals.drain.cancelled());
    let mut pressure = std::pin::pin!(signals.pressure.notified());
    let gate = Arc::new(Gate {
        woken: AtomicBool::new(true),
        task: AtomicWaker::new(),
    });
    let gate_waker = Waker::from(Arc::clone(&gate));
    loop {
        let event = std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = conn.as_mut().poll(cx) {
                return Poll::Ready(Event::Closed(result));
            }
            gate.task.register(cx.waker());
            if !gate.woken.swap(false, Ordering::AcqRel) {
                return Poll::Pending;
            }
            let mut gcx = Context::from_waker(&gate_waker);
            let event = if abort.as_mut().poll(&mut gcx).is_ready() {
                Event::Abort
            } else if !draining && !closing && drain.as_mut().poll(&mut gcx).is_ready() {
                Event::Drain
            } else if !draining && !closing && pressure.as_mut().poll(&mut gcx).is_ready() {
                Event::Pressure
            } else if !closing && check.as_mut().poll(&mut gcx).is_ready() {
                Event::Check
            } else {
                return Poll::Pending;
            };
            // Others may have fired too, and a reset timer must be polled to be armed.
            gate.woken.store(true, Ordering::Release);
            Poll::Ready(event)
        })
        .await;
        match event {
            Event::Closed(result) => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, %peer, "connection closed with an error");
                }
                return;
            }
            Event::Abort => return,
            Event::Drain => {
                // A request already in the socket's buffer is read (and then answered) if
                // hyper gets one more turn of the reactor before it is told to stop.
                draining = true;
                check.as_mut().reset(Instant::now() + DRAIN_GRACE);
            }
            Event::Pressure => {
                pressure.set(signals.pressure.notified());
                if state
                    .idle_since()
                    .is_some_and(|since| since.elapsed() >= PRESSURE_MIN_IDLE)
                {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            Event::Check => {
                if draining {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                    continue;
                }
                let now = Instant::now();
                match state.idle_deadline(timeouts) {
                    Some(deadline) if deadline <= now => {
                        tracing::debug!(%peer, "closing a silent connection");
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                    Some(deadline) => check.as_mut().reset(deadline),
                    None => check.as_mut().reset(now + tick),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_answers_become_problems() {
        let answer =
            hyper_answer(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n").unwrap();
        let text = String::from_utf8(answer.to_vec()).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{text}"
        );
        assert!(text.contains("content-type: application/problem+json\r\n"), "{text}");
        assert!(text.contains("connection: close\r\n"), "{text}");
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 431);
        assert!(hyper_answer(b"HTTP/1.1 200 OK\r\n").is_none());
        assert!(hyper_answer(b"HTTP/1.1 40").is_none());
    }
}
