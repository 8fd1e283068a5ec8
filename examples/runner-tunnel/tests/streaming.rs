//! Bodies reach tasks while they arrive: a task reads the start of an upload (a multipart
//! file, an octet-stream body) before the client has sent the rest, so nothing is
//! buffered whole. Driven through Spikard's pipeline with a body fed chunk by chunk.

use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use http::Request;
use runner_tunnel::{mount, Auth, Exposure, Input, Output, Registry, TaskError, TunnelConfig, Value};
use spikard::App;
use tokio::sync::{mpsc, oneshot};

type Chunks = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// A registry whose task reports its first chunk (of the file `F1`, or of the raw body)
/// on `first`, then reads the rest and answers the total size.
fn registry(first: oneshot::Sender<Bytes>) -> Registry {
    let first = std::sync::Mutex::new(Some(first));
    let mut registry = Registry::new();
    registry.task("app.tasks.read", move |mut input: Input, _| {
        let first = first.lock().ok().and_then(|mut f| f.take());
        async move {
            let mut total = 0usize;
            let mut notify = first;
            let mut seen = |chunk: &Bytes| {
                total += chunk.len();
                if let Some(tx) = notify.take() {
                    let _ = tx.send(chunk.clone());
                }
            };
            if let Some(mut file) = input.files.take("F1") {
                while let Some(chunk) = file.next().await {
                    seen(&chunk.map_err(|e| TaskError::internal(e.to_string()))?);
                }
            } else if let Some(mut raw) = input.raw.take() {
                while let Some(chunk) = raw.next().await {
                    seen(&chunk.map_err(|e| TaskError::internal(e.to_string()))?);
                }
            }
            Ok(Output::from(Value::from(total as f64)))
        }
    });
    registry
}

/// Send a request whose body is fed through the returned sender; its answer's text.
fn start(registry: Registry, content_type: &str) -> (Chunks, tokio::task::JoinHandle<String>) {
    let mut app = App::new();
    mount(&mut app, registry, TunnelConfig::new(Auth::Anonymous, Exposure::Open)).unwrap();
    let pipeline = app.into_pipeline().unwrap();
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let request = Request::post("/__runner/task/app.tasks.read")
        .header("content-type", content_type)
        .body(body)
        .unwrap();
    let answer = tokio::spawn(async move {
        let response = pipeline.handle(request).await;
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        String::from_utf8_lossy(&bytes).into_owned()
    });
    (tx, answer)
}

async fn first_chunk(rx: oneshot::Receiver<Bytes>) -> Bytes {
    tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("the task saw the first chunk before the body ended")
        .unwrap()
}

#[tokio::test]
async fn a_multipart_file_streams_to_the_task_before_the_upload_ends() {
    let (first_tx, first_rx) = oneshot::channel();
    let (tx, answer) = start(registry(first_tx), "multipart/form-data; boundary=B");
    let head = "--B\r\nContent-Disposition: form-data; name=\"__manifest\"\r\n\r\n\
        {\"input\":{\"file\":{\"$runnerFile\":\"File\",\"id\":\"F1\"}}}\r\n\
        --B\r\nContent-Disposition: form-data; name=\"file:F1\"; filename=\"f\"\r\n\r\n";
    tx.send(Ok(Bytes::from(head))).await.unwrap();
    tx.send(Ok(Bytes::from(vec![b'a'; 1000]))).await.unwrap();
    // The rest of the upload is not sent until the task has read the start of the file.
    let first = first_chunk(first_rx).await;
    assert!(first.iter().all(|b| *b == b'a') && !first.is_empty());
    tx.send(Ok(Bytes::from(vec![b'a'; 1000]))).await.unwrap();
    tx.send(Ok(Bytes::from("\r\n--B--\r\n"))).await.unwrap();
    drop(tx);
    assert_eq!(answer.await.unwrap(), r#"{"ok":true,"result":2000}"#);
}

#[tokio::test]
async fn an_octet_stream_body_streams_to_the_task_before_it_ends() {
    let (first_tx, first_rx) = oneshot::channel();
    let (tx, answer) = start(registry(first_tx), "application/octet-stream");
    tx.send(Ok(Bytes::from("first"))).await.unwrap();
    assert_eq!(first_chunk(first_rx).await, "first");
    tx.send(Ok(Bytes::from("-second"))).await.unwrap();
    drop(tx);
    assert_eq!(answer.await.unwrap(), r#"{"ok":true,"result":12}"#);
}
