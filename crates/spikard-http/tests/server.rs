//! The real server on a socket: HTTP/1.1 keep-alive, h2c, panics, graceful shutdown.

mod common;

use std::time::Duration;

use common::{arc, builder, spec, Echo, Panics, Slow};
use serde_json::json;
use spikard_http::server::serve_listener;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

type Running = (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

async fn start() -> Running {
    let mut b = builder();
    b.route(spec(json!({"method": "GET", "path": "/boom"})), arc(Panics))
        .unwrap();
    b.route(spec(json!({"method": "GET", "path": "/slow"})), arc(Slow(300)))
        .unwrap();
    start_with(b).await
}

/// Serve `b` (plus `GET /items/{id:int}`) on a free port until the sender fires.
async fn start_with(mut b: spikard_http::PipelineBuilder) -> Running {
    b.route(spec(json!({"method": "GET", "path": "/items/{id:int}"})), arc(Echo))
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(serve_listener(listener, b.build().unwrap(), async move {
        let _ = rx.await;
    }));
    (addr, tx, handle)
}

/// Send one HTTP/1.1 request on an open connection and read one response (Content-Length framed).
async fn roundtrip(stream: &mut TcpStream, path: &str) -> (u16, String) {
    let req = format!("GET {path} HTTP/1.1\r\nhost: t\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                let status = head[9..12].parse().unwrap();
                return (status, text[end + 4..end + 4 + len].to_owned());
            }
        }
    }
}

#[tokio::test]
async fn keep_alive_panics_and_validation_on_one_connection() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let (status, body) = roundtrip(&mut s, "/items/5").await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"{"path":{"id":5},"query":{},"headers":{},"cookies":{},"body":null,"files":0}"#
        )
    );
    assert_eq!(roundtrip(&mut s, "/boom").await.0, 500);
    assert_eq!(roundtrip(&mut s, "/items/x").await.0, 422);
    assert_eq!(roundtrip(&mut s, "/items/6").await.0, 200);
    tx.send(()).unwrap();
    drop(s);
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let (addr, tx, handle) = start().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
        .await
        .unwrap();
    tokio::spawn(conn);
    let req = http::Request::get(format!("http://{addr}/items/9"))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), http::Version::HTTP_2);
    tx.send(()).unwrap();
    drop(sender);
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn graceful_shutdown_drains_in_flight_requests() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let in_flight = tokio::spawn(async move { roundtrip(&mut s, "/slow").await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.send(()).unwrap();
    let (status, body) = in_flight.await.unwrap();
    assert_eq!((status, body.as_str()), (200, "done"));
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "listener closed after shutdown"
    );
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_and_others_are_served() {
    let config: spikard_http::ServerConfig = serde_json::from_value(json!({"header_read_timeout_secs": 1})).unwrap();
    let (addr, tx, handle) = start_with(spikard_http::PipelineBuilder::new(config)).await;

    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /items/1 HTTP/1.1\r\nhost: t\r\n").await.unwrap();
    // The headers never end: the server must give up on this connection (EOF or a 408), not wait forever.
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(20), slow.read(&mut buf))
        .await
        .expect("the server kept a half-sent request open")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(
        n == 0 || answer.starts_with("HTTP/1.1 408"),
        "unexpected answer: {answer}"
    );

    let mut ok = TcpStream::connect(addr).await.unwrap();
    let (status, body) = roundtrip(&mut ok, "/items/5").await;
    assert_eq!(status, 200, "{body}");
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn tower_layers_wrap_every_response_on_the_socket() {
    let mut b = builder();
    b.layer(tower::util::MapResponseLayer::new(
        |mut res: http::Response<axum::body::Body>| {
            res.headers_mut()
                .insert("x-layer", http::HeaderValue::from_static("on"));
            res
        },
    ));
    let (addr, tx, handle) = start_with(b).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    for path in ["/items/5", "/missing"] {
        let req = format!("GET {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n");
        let mut s2 = TcpStream::connect(addr).await.unwrap();
        s2.write_all(req.as_bytes()).await.unwrap();
        let mut text = String::new();
        s2.read_to_string(&mut text).await.unwrap();
        assert!(
            text.to_ascii_lowercase().contains("\r\nx-layer: on\r\n"),
            "{path}: {text}"
        );
    }
    // Keep-alive still works through the layers.
    assert_eq!(roundtrip(&mut s, "/items/5").await.0, 200);
    assert_eq!(roundtrip(&mut s, "/items/x").await.0, 422);
    tx.send(()).unwrap();
    handle.await.unwrap().unwrap();
}
