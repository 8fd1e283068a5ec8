//! A BlueLibs Runner tunnel server on Spikard: the HTTP protocol that
//! `@bluelibs/runner`'s `createHttpClient` (and its Node smart/mixed clients) speak,
//! served from a [`Registry`] of Rust tasks and events.
//!
//! - [`serializer`]: the Runner serializer's wire format (typed values round-trip exactly)
//! - [`registry`]: tasks and events as async closures or trait objects
//! - [`envelope`]: the protocol's success and error envelopes
//! - [`tunnel::mount`]: the routes on a Spikard [`spikard::App`], with Spikard's middleware
//!   (token auth, CORS, compression, deadline, body limit) and [`layer::EnvelopeLayer`]
//! - [`multipart`] / [`files`]: multipart calls with files streamed to the task
//! - [`demo`]: the registry the `runner-tunnel` binary serves
//!
//! ```
//! use runner_tunnel::{mount, Auth, Exposure, Output, Registry, TunnelConfig, Value};
//! use spikard::App;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let mut registry = Registry::new();
//! registry.task("app.tasks.hello", |_input, _ctx| async { Ok(Output::from(Value::from("hi"))) });
//! let config = TunnelConfig::new(Auth::token("secret"), Exposure::listed(["app.tasks.hello"], Vec::<String>::new()));
//! let mut app = App::new();
//! mount(&mut app, registry, config).unwrap();
//! let res = app.test_client().post("/__runner/task/app.tasks.hello")
//!     .header("x-runner-token", "secret").header("content-type", "application/json")
//!     .body("{}").send().await;
//! assert_eq!(res.text(), r#"{"ok":true,"result":"hi"}"#);
//! # });
//! ```

pub mod config;
pub mod demo;
pub mod envelope;
pub mod files;
pub mod layer;
pub mod multipart;
pub mod registry;
pub mod serializer;
pub mod tunnel;

pub use config::{Auth, Exposure, TunnelConfig};
pub use envelope::ProtocolError;
pub use files::{FileMeta, Files, InputFile};
pub use registry::{CallContext, Input, Output, Registry, Task, TaskError};
pub use serializer::Value;
pub use tunnel::mount;
