//! The demo registry the binary serves (the e2e test's Node reference serves the same):
//!
//! - `app.tasks.add`: `{a, b}` → `a + b` (anything else: the typed `app.errors.InvalidInput`, 400)
//! - `app.tasks.echo`: the input back, typed values and all
//! - `app.tasks.fail`: the typed `app.errors.Overdraft` (409) with `{balance, amount}`
//! - `app.tasks.crash`: an untyped failure (500 `Internal Error`)
//! - `app.tasks.slow`: waits `input.ms` milliseconds or until cancelled; `app.tasks.stats` counts both
//! - `app.tasks.upload` (multipart): `{note, files: [sentinel...]}` → each file's name, type, size, SHA-256
//! - `app.tasks.upper` (octet-stream in and out): the body with ASCII letters upper-cased, streamed back
//! - `app.tasks.count` (octet-stream in): `{bytes, sha256}` of the body
//! - `app.tasks.whoami`: the `app.ctx.tenant` async context the client propagated (or `undefined`)
//! - `app.events.log`: records the payload; an object payload comes back with `logged: true`
//! - `app.events.parallel`: a parallel event (cannot return its payload)
//!
//! Exposed: those; `app.tasks.secret` is registered but not exposed. (The reference refuses
//! to start with an id listed but not registered, so an unknown id is "not exposed" in both.)

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::config::Exposure;
use crate::registry::{ByteStream, Input, Output, Registry, TaskError};
use crate::serializer::Value;

pub const TASKS: [&str; 10] = [
    "app.tasks.whoami",
    "app.tasks.add",
    "app.tasks.echo",
    "app.tasks.fail",
    "app.tasks.crash",
    "app.tasks.slow",
    "app.tasks.stats",
    "app.tasks.upload",
    "app.tasks.upper",
    "app.tasks.count",
];
pub const EVENTS: [&str; 2] = ["app.events.log", "app.events.parallel"];

/// What the demo's stats task reports.
#[derive(Default)]
struct Stats {
    completed: AtomicU64,
    cancelled: AtomicU64,
    logged: Mutex<Vec<Value>>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn number(input: &Value, field: &str) -> Result<f64, TaskError> {
    input.get(field).and_then(Value::as_f64).ok_or_else(|| {
        let data = Value::object([
            ("field", Value::from(field)),
            ("reason", Value::from("expected a number")),
        ]);
        TaskError::app(
            "app.errors.InvalidInput",
            format!("Invalid input: {field} must be a number"),
            data,
        )
        .with_http_code(400)
    })
}

/// The allow-list of the demo.
pub fn exposure() -> Exposure {
    Exposure::listed(TASKS, EVENTS)
}

/// The demo registry.
pub fn registry() -> Registry {
    let stats = Arc::new(Stats::default());
    let mut r = Registry::new();
    r.task("app.tasks.add", |input, _| async move {
        let sum = number(&input.value, "a")? + number(&input.value, "b")?;
        Ok(Output::from(Value::from(sum)))
    });
    r.task(
        "app.tasks.echo",
        |input, _| async move { Ok(Output::from(input.value)) },
    );
    r.task("app.tasks.secret", |_, _| async move {
        Ok(Output::from(Value::from("classified")))
    });
    r.task("app.tasks.fail", |input, _| async move {
        let (balance, amount) = (number(&input.value, "balance")?, number(&input.value, "amount")?);
        let data = Value::object([("balance", Value::from(balance)), ("amount", Value::from(amount))]);
        Err(TaskError::app(
            "app.errors.Overdraft",
            format!("Cannot withdraw {amount}: balance is {balance}"),
            data,
        )
        .with_http_code(409))
    });
    r.task("app.tasks.crash", |_, _| async move {
        Err(TaskError::internal("the demo crashes on purpose"))
    });
    r.task("app.tasks.whoami", |_, ctx| async move {
        Ok(Output::from(
            ctx.async_context("app.ctx.tenant").unwrap_or(Value::Undefined),
        ))
    });
    let s = stats.clone();
    r.task("app.tasks.slow", move |input, ctx| {
        let s = s.clone();
        async move {
            let ms = input.value.get("ms").and_then(Value::as_f64).unwrap_or(1000.0);
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(ms as u64)) => {
                    s.completed.fetch_add(1, Ordering::SeqCst);
                    Ok(Output::from(Value::from("done")))
                }
                () = ctx.cancelled() => {
                    s.cancelled.fetch_add(1, Ordering::SeqCst);
                    Err(TaskError::Cancelled)
                }
            }
        }
    });
    let s = stats.clone();
    r.task("app.tasks.stats", move |_, _| {
        let s = s.clone();
        async move {
            let logged = s.logged.lock().map(|l| l.clone()).unwrap_or_default();
            Ok(Output::from(Value::object([
                ("completed", Value::from(s.completed.load(Ordering::SeqCst) as f64)),
                ("cancelled", Value::from(s.cancelled.load(Ordering::SeqCst) as f64)),
                ("logged", Value::Array(logged)),
            ])))
        }
    });
    r.task("app.tasks.upload", |mut input: Input, _| async move {
        let sentinels = crate::files::sentinels(&input.value);
        let mut described = Vec::new();
        for (id, _) in sentinels {
            let Some(mut file) = input.files.take(&id) else {
                continue;
            };
            let (mut hasher, mut size) = (Sha256::new(), 0usize);
            while let Some(chunk) = file.next().await {
                let chunk = chunk.map_err(|e| TaskError::internal(e.to_string()))?;
                size += chunk.len();
                hasher.update(&chunk);
            }
            described.push(Value::object([
                ("name", Value::from(file.meta.name.clone())),
                (
                    "type",
                    file.meta.mime_type.clone().map_or(Value::Undefined, Value::from),
                ),
                ("size", Value::from(size as f64)),
                ("sha256", Value::from(hex(&hasher.finalize()))),
            ]));
        }
        let note = input.value.get("note").cloned().unwrap_or(Value::Undefined);
        Ok(Output::from(Value::object([
            ("note", note),
            ("files", Value::Array(described)),
        ])))
    });
    r.task("app.tasks.upper", |input: Input, _| async move {
        let body = input
            .raw
            .ok_or_else(|| TaskError::invalid_input("an octet-stream body"))?;
        let upper = body.map(|chunk| {
            chunk
                .map(|c| Bytes::from(c.to_ascii_uppercase()))
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        });
        Ok(Output::stream(Box::pin(upper) as ByteStream))
    });
    r.task("app.tasks.count", |input: Input, _| async move {
        let mut body = input
            .raw
            .ok_or_else(|| TaskError::invalid_input("an octet-stream body"))?;
        let (mut hasher, mut size) = (Sha256::new(), 0usize);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| TaskError::internal(e.to_string()))?;
            size += chunk.len();
            hasher.update(&chunk);
        }
        Ok(Output::from(Value::object([
            ("bytes", Value::from(size as f64)),
            ("sha256", Value::from(hex(&hasher.finalize()))),
        ])))
    });
    let s = stats;
    r.event("app.events.log").listen(move |payload, _| {
        let s = s.clone();
        async move {
            if let Ok(mut logged) = s.logged.lock() {
                logged.push(payload.clone());
            }
            Ok(match payload {
                Value::Object(mut map) => {
                    map.insert("logged".into(), Value::Bool(true));
                    Value::Object(map)
                }
                other => other,
            })
        }
    });
    r.event("app.events.parallel")
        .parallel()
        .listen(|payload, _| async move { Ok(payload) });
    r
}
