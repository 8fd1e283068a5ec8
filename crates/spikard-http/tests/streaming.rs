//! Streaming bodies: chunks in order, back-pressure, a disconnecting client
//! stops the producer, an error mid-stream ends the response without harm.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::{builder, spec};
use serde_json::json;
use spikard_http::server::serve_listener;
use spikard_http::streaming::{channel, Disconnected};
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, RequestData, ResponseBody, TestClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// Streams fixed chunks.
struct Chunks(Vec<&'static [u8]>);

impl Handler for Chunks {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        let chunks: Vec<Result<Bytes, std::io::Error>> = self.0.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Box::pin(async move {
            let mut r = HandlerResponse::new(
                http::StatusCode::OK,
                ResponseBody::Stream(Box::pin(futures_util::stream::iter(chunks).map_err_boxed())),
            );
            r.headers.insert("content-type", "text/csv".parse().unwrap());
            Ok(r)
        })
    }
}

trait MapErrBoxed {
    fn map_err_boxed(self) -> spikard_http::response::ByteStream;
}

impl<S> MapErrBoxed for S
where
    S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    fn map_err_boxed(self) -> spikard_http::response::ByteStream {
        use futures_util::StreamExt;
        Box::pin(self.map(|r| r.map_err(Into::into)))
    }
}

/// Produces numbered chunks through a bounded channel until the client leaves;
/// reports how many were accepted and that it saw the disconnect.
struct Endless(mpsc::UnboundedSender<Result<usize, Disconnected>>);

impl Handler for Endless {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        let report = self.0.clone();
        Box::pin(async move {
            let (tx, body) = channel(1);
            tokio::spawn(async move {
                let mut sent = 0usize;
                loop {
                    if let Err(e) = tx.send(format!("chunk {sent}\n")).await {
                        let _ = report.send(Err(e));
                        return;
                    }
                    sent += 1;
                    let _ = report.send(Ok(sent));
                }
            });
            Ok(HandlerResponse::new(http::StatusCode::OK, ResponseBody::Stream(body)))
        })
    }
}

/// One chunk, then (once the test says the client has it) an error.
struct Fails(Arc<tokio::sync::Notify>);

impl Handler for Fails {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        let go = Arc::clone(&self.0);
        Box::pin(async move {
            let (tx, body) = channel(4);
            tokio::spawn(async move {
                if tx.send("partial").await.is_ok() {
                    go.notified().await;
                    let _ = tx.fail("database went away").await;
                }
            });
            Ok(HandlerResponse::new(http::StatusCode::OK, ResponseBody::Stream(body)))
        })
    }
}

#[tokio::test]
async fn chunks_arrive_in_order_as_one_body() {
    let mut b = builder();
    b.route(
        spec(json!({"method": "GET", "path": "/csv"})),
        Arc::new(Chunks(vec![b"id,name\n", b"1,Ann\n", b"\x00\x01"])),
    )
    .unwrap();
    let client = TestClient::new(b.build().unwrap());
    let res = client.get("/csv").send().await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("text/csv"));
    assert_eq!(&res.body[..], b"id,name\n1,Ann\n\x00\x01");
    let mut streamed = client.get("/csv").send_streaming().await;
    assert_eq!(
        streamed.next_chunk().await.unwrap().unwrap(),
        Bytes::from_static(b"id,name\n")
    );
    assert_eq!(
        streamed.next_chunk().await.unwrap().unwrap(),
        Bytes::from_static(b"1,Ann\n")
    );
}

async fn start(handler: Arc<dyn Handler>) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let mut b = builder();
    b.route(spec(json!({"method": "GET", "path": "/s"})), handler).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(serve_listener(listener, b.build().unwrap(), async move {
        let _ = rx.await;
    }));
    (addr, tx)
}

async fn read_until(stream: &mut TcpStream, needle: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    while !buf.windows(needle.len()).any(|w| w == needle) {
        let mut chunk = [0u8; 1024];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before {:?}", String::from_utf8_lossy(needle));
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

#[tokio::test]
async fn a_disconnecting_client_stops_the_producer() {
    let (report_tx, mut report) = mpsc::unbounded_channel();
    let (addr, _stop) = start(Arc::new(Endless(report_tx))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /s HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
    let head = read_until(&mut stream, b"chunk 1\n").await;
    let text = String::from_utf8_lossy(&head);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("transfer-encoding: chunked"),
        "{text}"
    );
    drop(stream);
    // The producer keeps getting refused sends only once the body is dropped.
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match report.recv().await {
                Some(Ok(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("the producer never saw the disconnect");
    assert_eq!(outcome, Some(Err(Disconnected)));
}

#[tokio::test]
async fn back_pressure_holds_the_producer_while_the_client_does_not_read() {
    let (report_tx, mut report) = mpsc::unbounded_channel();
    let (addr, _stop) = start(Arc::new(Endless(report_tx))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /s HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
    read_until(&mut stream, b"chunk 0\n").await;
    // Stop reading: socket buffers fill, hyper stops pulling, the bounded channel blocks
    // the producer. Wait until it has made no progress for a while, then check it is bounded.
    let mut sent = 0usize;
    while let Ok(Some(Ok(n))) = tokio::time::timeout(Duration::from_millis(300), report.recv()).await {
        sent = n;
    }
    // Socket buffers hold at most a few megabytes of 8-byte chunks.
    assert!(sent < 2_000_000, "producer ran ahead unboundedly: {sent} chunks");
    drop(stream);
}

#[tokio::test]
async fn an_error_mid_stream_cuts_the_response_and_the_server_keeps_serving() {
    let go = Arc::new(tokio::sync::Notify::new());
    let (addr, _stop) = start(Arc::new(Fails(Arc::clone(&go)))).await;
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /s HTTP/1.1\r\nhost: t\r\n\r\n").await.unwrap();
        let mut buf = read_until(&mut stream, b"partial").await;
        go.notify_one();
        stream.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("partial"), "{text}");
        // No terminating zero-length chunk: the client can tell the body is incomplete.
        assert!(!text.ends_with("0\r\n\r\n"), "{text}");
    }
}
