//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use serde_json::{json, Value};
use spikard_http::{BoxFuture, Handler, HandlerResponse, HandlerResult, PipelineBuilder, RequestData, RouteSpec};

/// Echoes what the core handed over.
pub struct Echo;

impl Handler for Echo {
    fn call(&self, r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async move {
            Ok(HandlerResponse::json(json!({
                "path": r.path_params, "query": r.query_params, "headers": r.header_params,
                "cookies": r.cookie_params, "body": r.body, "files": r.files.len(),
            })))
        })
    }
}

/// Panics on every call.
pub struct Panics;

impl Handler for Panics {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        Box::pin(async { panic!("boom") })
    }
}

/// Sleeps, then answers "done".
pub struct Slow(pub u64);

impl Handler for Slow {
    fn call(&self, _r: RequestData) -> BoxFuture<HandlerResult> {
        let ms = self.0;
        Box::pin(async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(HandlerResponse::text("done"))
        })
    }
}

pub fn spec(value: Value) -> RouteSpec {
    serde_json::from_value(value).expect("route spec")
}

pub fn builder() -> PipelineBuilder {
    PipelineBuilder::new(Default::default())
}

pub fn arc<H: Handler>(h: H) -> Arc<dyn Handler> {
    Arc::new(h)
}

/// Collects everything a `tracing` subscriber writes; install it as the global default
/// (a thread-scoped subscriber misses events whose callsite interest another test cached).
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Install a global subscriber at `level` writing here; returns the capture.
    pub fn install(level: tracing::Level) -> Self {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber per test binary");
        captured
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
