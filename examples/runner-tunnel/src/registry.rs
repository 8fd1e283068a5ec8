//! Where an app registers what the tunnel serves: tasks (input in, result out) and
//! events (a payload through its listeners, in order), each under a Runner id, as async
//! closures or trait objects.
//!
//! ```
//! use runner_tunnel::{Output, Registry, TaskError, Value};
//!
//! let mut registry = Registry::new();
//! registry.task("app.tasks.double", |input, _ctx| async move {
//!     let n = input.value.as_f64().ok_or_else(|| TaskError::invalid_input("a number"))?;
//!     Ok(Output::from(Value::from(n * 2.0)))
//! });
//! registry.event("app.events.seen").listen(|payload, _ctx| async move { Ok(payload) });
//! assert!(registry.has_task("app.tasks.double"));
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use http::HeaderMap;
use spikard::BodyStream;
use tokio_util::sync::CancellationToken;

use crate::files::Files;
use crate::serializer::Value;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// A streamed task result: chunks of bytes (an error cuts the response short).
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// What a task or listener knows of the call: its id, the request's headers and the
/// cancellation signal (set when the client goes away or the request's deadline passes).
#[derive(Debug, Clone)]
pub struct CallContext {
    pub id: String,
    pub headers: HeaderMap,
    pub cancel: CancellationToken,
}

impl CallContext {
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Completes when the call is cancelled.
    pub async fn cancelled(&self) {
        self.cancel.cancelled().await;
    }

    /// The value of an async context the client propagated (its `contexts` option): the
    /// `x-runner-context` header maps context ids to each context's serialized value
    /// (the Runner serializer's text by default). `None` when absent or unreadable, which
    /// the reference ignores too.
    pub fn async_context(&self, id: &str) -> Option<Value> {
        let header = self.headers.get("x-runner-context")?.as_bytes();
        let map = crate::serializer::parse(header).ok()?;
        crate::serializer::parse(map.get(id)?.as_str()?.as_bytes()).ok()
    }
}

/// A task's input: the deserialized value (JSON and multipart calls), the files a
/// multipart call streams (by the id of their `$runnerFile` sentinel in `value`), and the
/// raw body of an octet-stream call (`value` is then `undefined`).
#[derive(Debug)]
pub struct Input {
    pub value: Value,
    pub files: Files,
    pub raw: Option<BodyStream>,
}

impl Input {
    pub fn value(value: Value) -> Self {
        Self {
            value,
            files: Files::default(),
            raw: None,
        }
    }
}

/// A task's result: a value (sent in the success envelope) or a byte stream (sent as is,
/// `application/octet-stream` unless another content type is given).
pub enum Output {
    Value(Value),
    Stream { content_type: String, stream: ByteStream },
}

impl Output {
    pub fn stream(stream: ByteStream) -> Self {
        Self::Stream {
            content_type: "application/octet-stream".into(),
            stream,
        }
    }
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Self::Value(value)
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value(v) => f.debug_tuple("Value").field(v).finish(),
            Self::Stream { content_type, .. } => f.debug_struct("Stream").field("content_type", content_type).finish(),
        }
    }
}

/// Why a task or listener failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// A typed application error (a Runner error helper's `throw(data)`): the client's
    /// `errorRegistry` rethrows it as the helper's error. Answered with `http_code`
    /// (default 500).
    #[error("{message}")]
    App {
        id: String,
        message: String,
        data: Value,
        http_code: Option<u16>,
    },
    /// The input does not fit the task (answered as the reference answers a failed input
    /// schema: a 500 `INTERNAL_ERROR`, the reason logged).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The call was cancelled (the client left or the deadline passed).
    #[error("cancelled")]
    Cancelled,
    /// Anything else: logged, answered 500 `Internal Error`.
    #[error("{0}")]
    Internal(String),
}

impl TaskError {
    /// A typed error with the helper's id, message and data.
    pub fn app(id: impl Into<String>, message: impl Into<String>, data: Value) -> Self {
        Self::App {
            id: id.into(),
            message: message.into(),
            data,
            http_code: None,
        }
    }

    /// The same typed error answered with an HTTP status of its own.
    pub fn with_http_code(self, code: u16) -> Self {
        match self {
            Self::App { id, message, data, .. } => Self::App {
                id,
                message,
                data,
                http_code: Some(code),
            },
            other => other,
        }
    }

    pub fn invalid_input(reason: impl Into<String>) -> Self {
        Self::InvalidInput(reason.into())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }
}

/// A task as a trait object.
pub trait Task: Send + Sync + 'static {
    fn run(&self, input: Input, ctx: CallContext) -> BoxFuture<Result<Output, TaskError>>;
}

struct FnTask<F>(F);

impl<F, Fut> Task for FnTask<F>
where
    F: Fn(Input, CallContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Output, TaskError>> + Send + 'static,
{
    fn run(&self, input: Input, ctx: CallContext) -> BoxFuture<Result<Output, TaskError>> {
        Box::pin((self.0)(input, ctx))
    }
}

/// An event listener as a trait object: gets the payload, returns it (changed or not)
/// for the next listener; the last one's is the result of an emission with result.
pub trait Listener: Send + Sync + 'static {
    fn on_event(&self, payload: Value, ctx: CallContext) -> BoxFuture<Result<Value, TaskError>>;
}

struct FnListener<F>(F);

impl<F, Fut> Listener for FnListener<F>
where
    F: Fn(Value, CallContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
{
    fn on_event(&self, payload: Value, ctx: CallContext) -> BoxFuture<Result<Value, TaskError>> {
        Box::pin((self.0)(payload, ctx))
    }
}

/// An event: its listeners in order; a `parallel` event runs them together (and cannot
/// return a payload).
#[derive(Default, Clone)]
pub struct Event {
    pub listeners: Vec<Arc<dyn Listener>>,
    pub parallel: bool,
}

impl Event {
    /// Run the listeners; the final payload (for sequential events).
    pub async fn emit(&self, payload: Value, ctx: CallContext) -> Result<Value, TaskError> {
        if self.parallel {
            let runs = self.listeners.iter().map(|l| l.on_event(payload.clone(), ctx.clone()));
            for outcome in futures_util::future::join_all(runs).await {
                outcome?;
            }
            return Ok(payload);
        }
        let mut payload = payload;
        for listener in &self.listeners {
            payload = listener.on_event(payload, ctx.clone()).await?;
        }
        Ok(payload)
    }
}

/// Adds listeners to one event (from [`Registry::event`]).
pub struct EventBuilder<'a>(&'a mut Event);

impl EventBuilder<'_> {
    pub fn listen<F, Fut>(self, f: F) -> Self
    where
        F: Fn(Value, CallContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, TaskError>> + Send + 'static,
    {
        self.listen_object(Arc::new(FnListener(f)))
    }

    pub fn listen_object(self, listener: Arc<dyn Listener>) -> Self {
        self.0.listeners.push(listener);
        self
    }

    /// Run the listeners concurrently.
    pub fn parallel(self) -> Self {
        self.0.parallel = true;
        self
    }
}

/// Tasks and events by id.
#[derive(Default, Clone)]
pub struct Registry {
    tasks: HashMap<String, Arc<dyn Task>>,
    events: HashMap<String, Event>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a task as an async closure (a later registration replaces an earlier one).
    pub fn task<F, Fut>(&mut self, id: impl Into<String>, f: F) -> &mut Self
    where
        F: Fn(Input, CallContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Output, TaskError>> + Send + 'static,
    {
        self.task_object(id, Arc::new(FnTask(f)))
    }

    pub fn task_object(&mut self, id: impl Into<String>, task: Arc<dyn Task>) -> &mut Self {
        self.tasks.insert(id.into(), task);
        self
    }

    /// Declare an event (or add to one) and its listeners.
    pub fn event(&mut self, id: impl Into<String>) -> EventBuilder<'_> {
        EventBuilder(self.events.entry(id.into()).or_default())
    }

    pub fn has_task(&self, id: &str) -> bool {
        self.tasks.contains_key(id)
    }

    pub fn get_task(&self, id: &str) -> Option<Arc<dyn Task>> {
        self.tasks.get(id).cloned()
    }

    pub fn get_event(&self, id: &str) -> Option<&Event> {
        self.events.get(id)
    }

    /// Every task id, sorted.
    pub fn task_ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.tasks.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Every event id, sorted.
    pub fn event_ids(&self) -> Vec<String> {
        let mut ids: Vec<_> = self.events.keys().cloned().collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CallContext {
        CallContext {
            id: "t".into(),
            headers: HeaderMap::new(),
            cancel: CancellationToken::new(),
        }
    }

    #[tokio::test]
    async fn tasks_run_and_listeners_pass_the_payload_along() {
        let mut r = Registry::new();
        r.task("sum", |input, _| async move {
            let n = input.value.as_f64().unwrap_or(0.0);
            Ok(Output::from(Value::from(n + 1.0)))
        });
        r.event("e")
            .listen(|p, _| async move { Ok(Value::from(p.as_f64().unwrap_or(0.0) * 10.0)) })
            .listen(|p, _| async move { Ok(Value::from(p.as_f64().unwrap_or(0.0) + 1.0)) });
        let out = r
            .get_task("sum")
            .unwrap()
            .run(Input::value(1.0.into()), ctx())
            .await
            .unwrap();
        assert!(matches!(out, Output::Value(Value::Number(n)) if n == 2.0));
        let payload = r.get_event("e").unwrap().emit(2.0.into(), ctx()).await.unwrap();
        assert_eq!(payload, Value::from(21.0));
        assert_eq!(r.task_ids(), ["sum"]);
        assert_eq!(r.event_ids(), ["e"]);
    }

    #[test]
    fn async_contexts_come_from_the_context_header() {
        let mut c = ctx();
        assert_eq!(c.async_context("app.ctx.tenant"), None);
        let header = r#"{"app.ctx.tenant":"{\"id\":\"acme\"}","other":"not json"}"#;
        c.headers
            .insert("x-runner-context", http::HeaderValue::from_static(header));
        assert_eq!(
            c.async_context("app.ctx.tenant"),
            Some(Value::object([("id", Value::from("acme"))]))
        );
        assert_eq!(c.async_context("other"), None);
        assert_eq!(c.async_context("missing"), None);
    }

    #[tokio::test]
    async fn a_failing_listener_stops_the_emission_and_parallel_events_keep_the_payload() {
        let mut r = Registry::new();
        r.event("fails")
            .listen(|_, _| async { Err(TaskError::app("app.errors.X", "x", Value::Null).with_http_code(409)) })
            .listen(|_, _| async { panic!("not reached") });
        let err = r
            .get_event("fails")
            .unwrap()
            .emit(Value::Null, ctx())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            TaskError::App {
                http_code: Some(409),
                ..
            }
        ));
        r.event("par")
            .parallel()
            .listen(|_, _| async { Ok(Value::from("changed")) });
        let payload = r
            .get_event("par")
            .unwrap()
            .emit(Value::from("kept"), ctx())
            .await
            .unwrap();
        assert_eq!(payload, Value::from("kept"));
    }
}
