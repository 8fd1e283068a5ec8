//! Background tasks from Rust handlers: `ctx.background()?.spawn(async { ... })`.
//! The work runs after the response went out, at most
//! `ServerConfig.background.max_concurrent` at a time; failures and panics are
//! logged; graceful shutdown waits for it up to `drain_timeout_secs`.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use spikard::{post, App, Ctx, StatusCode};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let log = Arc::new(Mutex::new(Vec::<String>::new()));
//! let mut app = App::new();
//! let shared = log.clone();
//! app.route(post("/events").handler(move |ctx: Ctx| {
//!     let shared = shared.clone();
//!     async move {
//!         let event = ctx.body()["event"].as_str().unwrap_or_default().to_owned();
//!         ctx.background()?.spawn(async move { shared.lock().unwrap().push(event) });
//!         Ok::<_, spikard::Error>(StatusCode::ACCEPTED)
//!     }
//! })).unwrap();
//! let tasks = app.background();
//! let client = app.test_client();
//! let res = client.post("/events").json(&serde_json::json!({"event": "alpha"})).send().await;
//! assert_eq!(res.status, 202);
//! tasks.drain(std::time::Duration::from_secs(5)).await;
//! assert_eq!(*log.lock().unwrap(), vec!["alpha".to_owned()]);
//! # });
//! ```

use spikard_http::BackgroundTasks;

use crate::app::App;
use crate::ctx::Ctx;
use crate::error::Error;

impl Ctx {
    /// The app's background task runner.
    pub fn background(&self) -> Result<BackgroundTasks, Error> {
        BackgroundTasks::current().ok_or_else(|| Error::internal("no background task runner for this request"))
    }
}

impl App {
    /// The app's background task runner (e.g. to wait for tasks in tests).
    pub fn background(&mut self) -> BackgroundTasks {
        self.builder_mut().background()
    }
}
