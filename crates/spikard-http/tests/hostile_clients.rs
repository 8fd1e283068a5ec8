//! The server on a real socket against clients that stay silent, stall, flood, send broken
//! heads, or keep sending while it shuts down (issue 18). Timeouts are configured short; the
//! time bounds only tell "answered or closed" from "held forever".

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{arc, spec, Echo, Slow};
use serde_json::{json, Value};
use spikard_http::server::serve_listener;
use spikard_http::{PipelineBuilder, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;

struct Server {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serve `GET /items/{id:int}`, `GET /slow` (`slow_ms`) and `POST /things` (a JSON
    /// object body) with `config` on a free port.
    async fn start(config: Value, slow_ms: u64) -> Self {
        let config: ServerConfig = serde_json::from_value(config).unwrap();
        let mut b = PipelineBuilder::new(config);
        b.route(spec(json!({"method": "GET", "path": "/items/{id:int}"})), arc(Echo))
            .unwrap();
        b.route(spec(json!({"method": "GET", "path": "/slow"})), arc(Slow(slow_ms)))
            .unwrap();
        b.route(
            spec(json!({"method": "POST", "path": "/things", "body_schema": {"type": "object"}})),
            arc(Echo),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(serve_listener(listener, b.build().unwrap(), async move {
            let _ = rx.await;
        }));
        Self {
            addr,
            stop: Some(tx),
            handle,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.unwrap()
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    async fn stop(mut self) {
        self.shutdown();
        timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// What a client got back for a request.
#[derive(Debug)]
enum Outcome {
    /// A complete response: status, head (lower-cased), body.
    Answered(u16, String, Vec<u8>),
    /// End of stream before any byte of a response: the request was not taken.
    Closed,
    /// A reset, an error or a truncated response (what happened, shown by `Debug`).
    #[allow(dead_code)]
    Broken(String),
}

/// Read one Content-Length framed response.
async fn read_response(s: &mut TcpStream) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) if buf.is_empty() => return Outcome::Closed,
            Ok(0) => return Outcome::Broken(format!("truncated response: {}", String::from_utf8_lossy(&buf))),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Outcome::Broken(format!("{e} after {} bytes", buf.len())),
        }
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let status = head[9..12].parse().unwrap();
            return Outcome::Answered(status, head, buf[end + 4..end + 4 + len].to_vec());
        }
    }
}

/// Send `request` and read the response, within `secs` seconds.
async fn exchange(s: &mut TcpStream, request: &[u8], secs: u64) -> Outcome {
    if let Err(e) = s.write_all(request).await {
        return Outcome::Broken(format!("write: {e}"));
    }
    timeout(Duration::from_secs(secs), read_response(s))
        .await
        .expect("the server neither answered nor closed")
}

fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n").into_bytes()
}

/// Whether the server closes `s` within `secs` seconds (end of stream, not a hang).
async fn closed_within(s: &mut TcpStream, secs: u64) -> bool {
    let mut buf = [0u8; 1024];
    matches!(timeout(Duration::from_secs(secs), s.read(&mut buf)).await, Ok(Ok(0)))
}

fn status(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Answered(status, ..) => *status,
        other => panic!("no response: {other:?}"),
    }
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_first_byte_timeout() {
    let server = Server::start(json!({"first_byte_timeout_secs": 1}), 0).await;
    let mut silent = server.connect().await;
    assert!(closed_within(&mut silent, 5).await, "a silent connection stayed open");
    let mut ok = server.connect().await;
    assert_eq!(status(&exchange(&mut ok, &get("/items/1"), 5).await), 200);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let server = Server::start(json!({"keep_alive_timeout_secs": 1}), 0).await;
    let mut s = server.connect().await;
    assert_eq!(status(&exchange(&mut s, &get("/items/1"), 5).await), 200);
    assert_eq!(status(&exchange(&mut s, &get("/items/2"), 5).await), 200);
    assert!(
        closed_within(&mut s, 5).await,
        "an idle keep-alive connection stayed open"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_request_head_that_stalls_is_answered_408_and_closed() {
    let server = Server::start(json!({"header_read_timeout_secs": 1}), 0).await;
    let mut s = server.connect().await;
    let outcome = exchange(&mut s, b"GET /items/1 HTTP/1.1\r\nhost: t\r\n", 5).await;
    let Outcome::Answered(408, head, body) = outcome else {
        panic!("expected a 408: {outcome:?}")
    };
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        problem["type"], "https://spikard.dev/errors/request-timeout",
        "{problem}"
    );
    assert!(closed_within(&mut s, 5).await, "the stalled connection stayed open");
    // After a response, a head that stalls on the same keep-alive connection too.
    let mut s = server.connect().await;
    assert_eq!(status(&exchange(&mut s, &get("/items/1"), 5).await), 200);
    let outcome = exchange(&mut s, b"GET /items/2 HTTP/1.1\r\n", 5).await;
    assert_eq!(status(&outcome), 408, "{outcome:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_request_body_that_stalls_is_answered_408_and_closed() {
    let server = Server::start(json!({"body_read_timeout_secs": 1}), 0).await;
    let mut s = server.connect().await;
    let head =
        b"POST /things HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"name\":";
    let outcome = exchange(&mut s, head, 5).await;
    let Outcome::Answered(408, head, body) = outcome else {
        panic!("expected a 408: {outcome:?}")
    };
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 408, "{problem}");
    assert!(closed_within(&mut s, 5).await, "the stalled connection stayed open");
    server.stop().await;
}

#[tokio::test]
async fn protocol_errors_are_answered_with_problems() {
    let server = Server::start(json!({}), 0).await;
    let long_uri = format!("/items/1?q={}", "a".repeat(100 * 1024));
    let many_headers: String = (0..1000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "0xFF in the method",
            b"G\xFFT /items/1 HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
        ),
        (
            "0xFF in the target",
            b"GET /items/\xFF HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in a header",
            b"GET /items/1 HTTP/1.1\r\nhost: t\r\nx-a: a\0b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "obs-fold",
            b"GET /items/1 HTTP/1.1\r\nhost: t\r\nx-a: a\r\n  b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "invalid method",
            b"G(T /items/1 HTTP/1.1\r\nhost: t\r\n\r\n".to_vec(),
            400,
        ),
        ("bad version", b"GET /items/1 HTTP/9.9\r\nhost: t\r\n\r\n".to_vec(), 400),
        (
            "100 KB URI",
            format!("GET {long_uri} HTTP/1.1\r\nhost: t\r\n\r\n").into_bytes(),
            414,
        ),
        (
            "1000 headers",
            format!("GET /items/1 HTTP/1.1\r\nhost: t\r\n{many_headers}\r\n").into_bytes(),
            431,
        ),
    ];
    for (name, request, expected) in cases {
        let mut s = server.connect().await;
        let outcome = exchange(&mut s, &request, 5).await;
        let Outcome::Answered(got, head, body) = outcome else {
            panic!("{name}: no response: {outcome:?}")
        };
        assert_eq!(got, expected, "{name}: {head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{name}: {head}"
        );
        let problem: Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{name}: {e}: {body:?}"));
        assert_eq!(problem["status"], expected, "{name}: {problem}");
        let kind = match expected {
            414 => "uri-too-long",
            431 => "headers-too-large",
            _ => "bad-request",
        };
        assert_eq!(
            problem["type"],
            format!("https://spikard.dev/errors/{kind}"),
            "{name}: {problem}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: {problem}"
        );
    }
    // The server keeps serving.
    let mut ok = server.connect().await;
    assert_eq!(status(&exchange(&mut ok, &get("/items/1"), 5).await), 200);
    server.stop().await;
}

#[tokio::test]
async fn past_the_connection_limit_new_connections_wait_while_busy_ones_are_served() {
    let server = Server::start(json!({"max_connections": 4, "first_byte_timeout_secs": 30}), 1500).await;
    let mut busy = Vec::new();
    for _ in 0..4 {
        let mut s = server.connect().await;
        s.write_all(&get("/slow")).await.unwrap();
        busy.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut waiting = server.connect().await;
    waiting.write_all(&get("/items/1")).await.unwrap();
    // All four slots are busy: the fifth connection waits in the backlog, unanswered.
    assert!(
        timeout(Duration::from_millis(500), read_response(&mut waiting))
            .await
            .is_err(),
        "a connection past the limit was served while every slot was busy"
    );
    let busy = busy.into_iter().map(|mut s| {
        tokio::spawn(async move {
            let outcome = timeout(Duration::from_secs(10), read_response(&mut s)).await.unwrap();
            status(&outcome)
        })
    });
    for answered in futures_util::future::join_all(busy).await {
        assert_eq!(answered.unwrap(), 200);
    }
    // The busy clients closed their connections: the waiting one gets a slot.
    let outcome = timeout(Duration::from_secs(10), read_response(&mut waiting))
        .await
        .unwrap();
    assert_eq!(status(&outcome), 200);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_flood_past_the_connection_limit_leaves_health_checks_answering() {
    const LIMIT: usize = 64;
    const FLOOD: usize = 300;
    let server = Server::start(json!({"max_connections": LIMIT, "first_byte_timeout_secs": 30}), 1500).await;
    // A request in flight before the flood is answered through it.
    let mut in_flight = server.connect().await;
    in_flight.write_all(&get("/slow")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        flood.push(server.connect().await);
    }
    let mut health = server.connect().await;
    let outcome = exchange(&mut health, &get("/items/1"), 15).await;
    assert_eq!(status(&outcome), 200, "the health check under an idle flood of {FLOOD}");
    let outcome = timeout(Duration::from_secs(10), read_response(&mut in_flight))
        .await
        .unwrap();
    assert_eq!(status(&outcome), 200, "the request in flight before the flood");
    drop(flood);
    server.stop().await;
}

#[tokio::test]
async fn a_client_past_its_per_address_limit_gets_a_429_problem() {
    let server = Server::start(json!({"max_connections_per_ip": 2}), 0).await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert_eq!(status(&exchange(&mut first, &get("/items/1"), 5).await), 200);
    assert_eq!(status(&exchange(&mut second, &get("/items/2"), 5).await), 200);
    let mut third = server.connect().await;
    let outcome = exchange(&mut third, &get("/items/3"), 5).await;
    let Outcome::Answered(429, head, body) = outcome else {
        panic!("expected a 429: {outcome:?}")
    };
    assert!(head.contains("content-type: application/problem+json"), "{head}");
    assert!(head.contains("retry-after: 1"), "{head}");
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["status"], 429);
    assert!(closed_within(&mut third, 5).await);
    // A slot freed by the client is its again.
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        let mut s = server.connect().await;
        if let Outcome::Answered(200, ..) = exchange(&mut s, &get("/items/4"), 5).await {
            again = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "the address never got its slot back");
    server.stop().await;
}

/// Read one Content-Length framed response on a blocking socket.
fn read_response_blocking(s: &mut std::net::TcpStream) -> Outcome {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Outcome::Closed,
            Ok(0) => return Outcome::Broken(format!("truncated: {}", String::from_utf8_lossy(&buf))),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Outcome::Broken(format!("{e} after {} bytes", buf.len())),
        }
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let status = head[9..12].parse().unwrap();
            return Outcome::Answered(status, head, buf[end + 4..end + 4 + len].to_vec());
        }
    }
}

/// A keep-alive connection, accepted and answered once, as a blocking socket.
async fn warm_connection(server: &Server) -> std::net::TcpStream {
    let mut s = server.connect().await;
    assert_eq!(status(&exchange(&mut s, &get("/items/1"), 5).await), 200);
    let s = s.into_std().unwrap();
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s
}

#[derive(Default, Debug)]
struct Tally {
    answered: usize,
    closed: usize,
    broken: Vec<String>,
}

#[tokio::test]
async fn shutdown_mid_burst_answers_every_request_it_took() {
    use std::io::Write;
    const BURST_CONNECTIONS: usize = 40;
    const REQUESTS: usize = 2000;
    const AT_SHUTDOWN: usize = 20;
    let mut server = Server::start(json!({"shutdown_timeout_secs": 10}), 5).await;
    let addr = server.addr;
    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    // The burst: client threads sending one request after another on keep-alive connections.
    let mut clients = Vec::new();
    for _ in 0..BURST_CONNECTIONS {
        let mut s = warm_connection(&server).await;
        let (sent, answered) = (Arc::clone(&sent), Arc::clone(&answered));
        clients.push(std::thread::spawn(move || {
            let mut tally = Tally::default();
            while sent.fetch_add(1, Ordering::SeqCst) < REQUESTS {
                if let Err(e) = s.write_all(&get("/slow")) {
                    tally.broken.push(format!("write: {e}"));
                    break;
                }
                match read_response_blocking(&mut s) {
                    Outcome::Answered(200, head, _) => {
                        tally.answered += 1;
                        answered.fetch_add(1, Ordering::SeqCst);
                        if head.contains("connection: close") {
                            break;
                        }
                    }
                    Outcome::Closed => {
                        tally.closed += 1;
                        break;
                    }
                    other => {
                        tally.broken.push(format!("{other:?}"));
                        break;
                    }
                }
            }
            tally
        }));
    }
    // Requests that reach accepted connections in the same instant as the shutdown: written
    // without giving the server a turn, then the shutdown fires.
    let mut last = Vec::new();
    for _ in 0..AT_SHUTDOWN {
        last.push(warm_connection(&server).await);
    }
    while answered.load(Ordering::SeqCst) < REQUESTS / 5 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for s in &mut last {
        s.write_all(&get("/slow")).unwrap();
    }
    server.shutdown();
    let last: Vec<_> = last
        .into_iter()
        .map(|mut s| std::thread::spawn(move || read_response_blocking(&mut s)))
        .collect();
    let mut tally = Tally::default();
    for client in clients {
        let t = tokio::task::spawn_blocking(move || client.join().unwrap())
            .await
            .unwrap();
        tally.answered += t.answered;
        tally.closed += t.closed;
        tally.broken.extend(t.broken);
    }
    let mut last_answered = 0;
    for outcome in last {
        match tokio::task::spawn_blocking(move || outcome.join().unwrap())
            .await
            .unwrap()
        {
            Outcome::Answered(200, ..) => last_answered += 1,
            other => tally.broken.push(format!("sent before the shutdown: {other:?}")),
        }
    }
    assert!(
        tally.broken.is_empty(),
        "{} requests lost: {:?}",
        tally.broken.len(),
        tally.broken
    );
    assert_eq!(last_answered, AT_SHUTDOWN);
    assert!(tally.answered >= REQUESTS / 5, "{tally:?}");
    eprintln!(
        "shutdown mid-burst: {} + {last_answered} answered, {} connections closed while idle, 0 lost",
        tally.answered, tally.closed
    );
    timeout(Duration::from_secs(10), server.handle)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "new connections are refused after shutdown"
    );
}

#[tokio::test]
async fn a_thousand_pipelined_requests_are_all_answered_in_order() {
    let server = Server::start(json!({}), 0).await;
    let mut s = server.connect().await;
    let requests: Vec<u8> = (0..1001).flat_map(|i| get(&format!("/items/{i}"))).collect();
    let (mut read, mut write) = s.split();
    let writer = async {
        write.write_all(&requests).await.unwrap();
    };
    let reader = async {
        let mut text = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        while text.windows(12).filter(|w| w == b"HTTP/1.1 200").count() < 1001 {
            let n = read.read(&mut chunk).await.unwrap();
            assert!(
                n > 0,
                "closed after {} responses",
                text.windows(12).filter(|w| w == b"HTTP/1.1 200").count()
            );
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(text).unwrap()
    };
    let ((), text) = timeout(Duration::from_secs(20), async { tokio::join!(writer, reader) })
        .await
        .expect("pipelined requests answered");
    assert!(text.contains(r#"{"path":{"id":1000}"#), "the last response");
    assert!(!text.contains("problem+json"), "no request was refused");
    server.stop().await;
}
