//! SIGTERM mid-burst (issue 18: 1020 of 2000 accepted requests were reset). The server runs
//! in a child process (this test binary again) on its signal handler; clients keep sending on
//! keep-alive connections, the child gets SIGTERM, and every request written before the signal
//! must get a complete response; one written after may instead meet an end of stream (never a
//! reset or a cut response). The child exits cleanly and refuses new connections.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{arc, spec, Slow};
use serde_json::json;

const CHILD: &str = "SPIKARD_TEST_SIGTERM_CHILD";
const CONNECTIONS: usize = 40;
const REQUESTS: usize = 2000;

/// Runs only in the child: serve `GET /slow` (5 ms) until SIGTERM.
#[test]
fn sigterm_child_server() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut b = common::builder();
        b.route(spec(json!({"method": "GET", "path": "/slow"})), arc(Slow(5)))
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("PORT {}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        spikard_http::server::serve_listener(listener, b.build().unwrap(), spikard_http::server::shutdown_signal())
            .await
            .unwrap();
    });
}

enum Outcome {
    Answered { close: bool },
    Closed,
    Broken(String),
}

fn read_response(s: &mut TcpStream) -> Outcome {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Outcome::Closed,
            Ok(0) => return Outcome::Broken(format!("cut: {}", String::from_utf8_lossy(&buf))),
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
            if !head.starts_with("http/1.1 200") {
                return Outcome::Broken(head);
            }
            return Outcome::Answered {
                close: head.contains("connection: close"),
            };
        }
    }
}

#[test]
fn sigterm_mid_burst_answers_every_request_the_server_took() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["sigterm_child_server", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let port = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the child server did not start"
        );
        if let Some(port) = line.trim().split("PORT ").nth(1) {
            break port.parse::<u16>().unwrap();
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let signalled = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
            let (sent, answered, signalled) = (Arc::clone(&sent), Arc::clone(&answered), Arc::clone(&signalled));
            std::thread::spawn(move || {
                let (mut ok, mut closed, mut broken) = (0usize, 0usize, Vec::new());
                while sent.fetch_add(1, Ordering::SeqCst) < REQUESTS {
                    if let Err(e) = s.write_all(b"GET /slow HTTP/1.1\r\nhost: t\r\n\r\n") {
                        broken.push(format!("write: {e}"));
                        break;
                    }
                    // Written (into the server's socket buffer, on loopback) before the signal?
                    let before_signal = !signalled.load(Ordering::SeqCst);
                    match read_response(&mut s) {
                        Outcome::Answered { close } => {
                            ok += 1;
                            answered.fetch_add(1, Ordering::SeqCst);
                            if close {
                                break;
                            }
                        }
                        Outcome::Closed if before_signal => {
                            broken.push("written before SIGTERM, closed unanswered".into());
                            break;
                        }
                        Outcome::Closed => {
                            closed += 1;
                            break;
                        }
                        Outcome::Broken(e) => {
                            broken.push(e);
                            break;
                        }
                    }
                }
                (ok, closed, broken)
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while answered.load(Ordering::SeqCst) < REQUESTS / 4 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(1));
    }
    signalled.store(true, Ordering::SeqCst);
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let (mut ok, mut closed, mut broken) = (0, 0, Vec::new());
    for client in clients {
        let (o, c, b) = client.join().unwrap();
        ok += o;
        closed += c;
        broken.extend(b);
    }
    let exited = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().unwrap()
    });
    if exited.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(broken.is_empty(), "{} requests reset or cut: {broken:?}", broken.len());
    assert!(ok >= REQUESTS / 4, "{ok} answered");
    eprintln!(
        "SIGTERM mid-burst: {ok} answered, {closed} requests sent after the signal met a closed connection, 0 lost"
    );
    let status = exited.expect("the server did not exit within 10 s of SIGTERM");
    assert!(status.success(), "{status}");
    assert!(
        TcpStream::connect(addr).is_err(),
        "new connections are refused after shutdown"
    );
}
