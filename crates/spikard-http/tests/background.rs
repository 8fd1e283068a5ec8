//! Background tasks through the pipeline and the server: started from handlers,
//! drained on graceful shutdown within the configured timeout.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::spec;
use serde_json::json;
use spikard_http::server::serve_listener;
use spikard_http::{
    BackgroundTasks, BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, ServerConfig,
    TestClient,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};

/// Starts a task that waits for `release`, then sets `done`; answers 202 at once.
struct Schedules {
    release: Arc<Notify>,
    done: Arc<AtomicBool>,
}

impl Handler for Schedules {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        let (release, done) = (Arc::clone(&self.release), Arc::clone(&self.done));
        let started = BackgroundTasks::current().is_some_and(|tasks| {
            tasks.spawn(async move {
                release.notified().await;
                done.store(true, Ordering::SeqCst);
            })
        });
        Box::pin(async move {
            if started {
                Ok(HandlerResponse::json(json!({"queued": true})).with_status(http::StatusCode::ACCEPTED))
            } else {
                Err(spikard_http::SpikardError::Internal("no background runner".into()))
            }
        })
    }
}

fn pipeline(drain_timeout_secs: u64, release: Arc<Notify>, done: Arc<AtomicBool>) -> spikard_http::Pipeline {
    let mut config = ServerConfig::default();
    config.background.drain_timeout_secs = drain_timeout_secs;
    let mut b = PipelineBuilder::new(config);
    b.route(
        spec(json!({"method": "POST", "path": "/jobs"})),
        Arc::new(Schedules { release, done }),
    )
    .unwrap();
    b.build().unwrap()
}

#[tokio::test]
async fn handlers_start_tasks_that_outlive_the_request() {
    let (release, done) = (Arc::new(Notify::new()), Arc::new(AtomicBool::new(false)));
    let p = pipeline(5, Arc::clone(&release), Arc::clone(&done));
    let res = TestClient::new(p.clone()).post("/jobs").send().await;
    assert_eq!(res.status, 202);
    assert_eq!(p.background().pending(), 1);
    assert!(!done.load(Ordering::SeqCst));
    release.notify_one();
    assert!(p.background().drain(std::time::Duration::from_secs(5)).await);
    assert!(done.load(Ordering::SeqCst));
}

async fn post_jobs(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /jobs HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn shutdown_waits_for_a_task_started_just_before_it() {
    let (release, done) = (Arc::new(Notify::new()), Arc::new(AtomicBool::new(false)));
    let p = pipeline(30, Arc::clone(&release), Arc::clone(&done));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, p.clone(), async move {
        let _ = stopped.await;
    }));
    assert!(post_jobs(addr).await.starts_with("HTTP/1.1 202"));
    stop.send(()).unwrap();
    // The server is draining the task; let the task finish now.
    release.notify_one();
    server.await.unwrap().unwrap();
    assert!(
        done.load(Ordering::SeqCst),
        "shutdown returned before the task finished"
    );
    assert_eq!(p.background().pending(), 0);
}

#[tokio::test]
async fn shutdown_abandons_a_task_past_the_drain_timeout() {
    let (release, done) = (Arc::new(Notify::new()), Arc::new(AtomicBool::new(false)));
    let p = pipeline(0, release, Arc::clone(&done));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, p.clone(), async move {
        let _ = stopped.await;
    }));
    assert!(post_jobs(addr).await.starts_with("HTTP/1.1 202"));
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(!done.load(Ordering::SeqCst));
    assert_eq!(p.background().pending(), 1, "the stuck task was abandoned, not awaited");
    // New work is refused once shutdown began.
    assert!(!p.background().spawn(async {}));
}
