//! Out of file descriptors (issue 18: 20 000 idle connections stopped the server, and its
//! log filled with `accept` failures). The server runs in a child process (this test binary
//! again, with `RLIMIT_NOFILE` lowered, so other tests keep their descriptors); an idle flood
//! larger than the limit must leave a health check on a fresh connection answered, and the
//! log must not fill.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{arc, spec, Echo};
use serde_json::json;

const CHILD: &str = "SPIKARD_TEST_DESCRIPTOR_CHILD";
/// Descriptors the child server may open.
const DESCRIPTORS: u64 = 128;
const FLOOD: usize = 400;

/// Runs only in the child: serve with few descriptors, print the port, serve until killed.
#[test]
fn descriptor_child_server() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, DESCRIPTORS, hard).unwrap();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = serde_json::from_value(json!({"first_byte_timeout_secs": 60})).unwrap();
        let mut b = spikard_http::PipelineBuilder::new(config);
        b.route(spec(json!({"method": "GET", "path": "/items/{id:int}"})), arc(Echo))
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("PORT {}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        spikard_http::server::serve_listener(listener, b.build().unwrap(), std::future::pending())
            .await
            .unwrap();
    });
}

#[test]
fn out_of_descriptors_the_server_backs_off_logs_once_and_keeps_answering() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["descriptor_child_server", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let port = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the child server did not start"
        );
        // libtest may print the test's name on the same line.
        if let Some(port) = line.trim().split("PORT ").nth(1) {
            break port.parse::<u16>().unwrap();
        }
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let started = std::time::Instant::now();
    // More idle connections than the server has descriptors (until the listen backlog is
    // full too); they send nothing.
    let flood: Vec<TcpStream> = (0..FLOOD)
        .map_while(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok())
        .collect();
    assert!(flood.len() as u64 > DESCRIPTORS, "only {} connections", flood.len());
    let answer = (|| {
        let mut health = TcpStream::connect_timeout(&addr, Duration::from_secs(20)).ok()?;
        health.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
        health
            .write_all(b"GET /items/1 HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        let _ = health.read_to_string(&mut text);
        Some(text)
    })();
    let elapsed = started.elapsed();
    eprintln!(
        "idle flood of {} connections against {DESCRIPTORS} descriptors: health check answered after {elapsed:?}",
        flood.len()
    );
    drop(flood);
    let _ = child.kill();
    let _ = child.wait();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    let answer = answer.unwrap_or_default();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "no answer to the health check under an idle flood of {FLOOD} with {DESCRIPTORS} descriptors: {answer:?}\n{log}"
    );
    // One line per 5 s (the first at once), however often accept() fails.
    let failures = log.matches("accept failed").count();
    let allowed = 2 + elapsed.as_secs() as usize / 5;
    assert!(
        (1..=allowed).contains(&failures),
        "{failures} accept failures logged in {elapsed:?}:\n{log}"
    );
}
