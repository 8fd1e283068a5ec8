//! The one trait a binding implements: call a function of its language.
//!
//! The core hands a [`ForeignFn`] a [`Call`]: the argument values in the order the
//! function declared them (an [`ArgPlan`](super::ArgPlan)), or a response for a
//! response hook, and what it [`Expect`]s back. The binding converts the arguments
//! to its own values, calls the function with its lock held (the GIL, the GVL, the
//! JS thread), and either finishes at once (a sync function) or hands the call to its
//! event loop and returns a pending completion; it converts the result as `expect`
//! says, under its lock, into an [`Outcome`]. Dropping the completion cancels the
//! call (the client went away, the deadline passed).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value};
use spikard_core::body::multipart::UploadedFile;
use spikard_core::SpikardError;

use crate::di::{Failure, Resolved};
use crate::handler::{BoxFuture, RequestData};
use crate::hooks::HookRequest;
use crate::response::HandlerResponse;
use crate::websocket::WsMessage;
use tokio::sync::oneshot;

/// A function of the binding's language, callable from the core.
pub trait ForeignFn: Send + Sync + 'static {
    /// Call the function; see the module docs.
    fn call(&self, call: Call<'_>) -> Completion;
}

/// A call's outcome, ready or pending on the language's event loop.
pub type Completion = BoxFuture<Result<Outcome, ForeignError>>;

/// One argument's value, borrowed from the request.
#[derive(Debug)]
pub enum Arg<'a> {
    /// Not in the request: the function's own default applies (the argument is not passed).
    Absent,
    /// Pass the language's null (`None`, `nil`, `null`).
    Null,
    /// A coerced, validated parameter, the body, or a state value.
    Json(&'a Value),
    /// The request object (its reply headers and state are read back: [`super::RequestView`]).
    Request(&'a Arc<RequestData>),
    /// A resolved dependency (a binding's own value, or a JSON value registered from Rust).
    Dependency(&'a Resolved),
    /// The first uploaded file of a field.
    File(&'a UploadedFile),
    /// Every uploaded file of a field.
    Files(Vec<&'a UploadedFile>),
    /// A WebSocket message handed to a session ([`super::websocket::FnSession`]).
    Message(&'a WsMessage),
    /// Why a request failed, handed to a generator dependency's cleanup ([`FnGenerator`]).
    Failure(&'a Failure),
}

/// What a function is called with.
pub enum Input<'a> {
    /// Arguments in the function's declared order (handlers, request hooks, dependency
    /// factories, background tasks).
    Args(Vec<Arg<'a>>),
    /// A response hook: the response (shown as the language's response object, which the
    /// hook may change) and, when the hook takes it, what is known of its request.
    Response {
        response: HandlerResponse,
        request: Option<&'a HookRequest>,
    },
}

/// One call: the input and what the core expects back.
pub struct Call<'a> {
    pub input: Input<'a>,
    pub expect: Expect,
}

/// What the core wants back from a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Anything a handler may return, as a response ([`Returned::Response`]).
    Response,
    /// A request hook: nothing to go on, or a response to answer early.
    Flow,
    /// A response hook: the (possibly changed) response, or the value returned instead.
    ChangedResponse,
    /// A dependency's value ([`Returned::Value`]); a generator's first value with the
    /// generator ([`Returned::Generator`]).
    Dependency,
    /// Nothing (background tasks, callbacks).
    Unit,
    /// An iterator's next chunk of a streamed body: [`Returned::Value`] holding its `Bytes`,
    /// or [`Returned::Nothing`] once exhausted ([`super::items::FnItems`]).
    Chunk,
    /// An iterator's next server-sent event: [`Returned::Value`] holding a
    /// [`SseEvent`](crate::sse::SseEvent), or [`Returned::Nothing`] once exhausted.
    Event,
}

/// A call's result, converted.
pub enum Returned {
    /// The language's null: go on (request hooks), nothing (callbacks), an iterator's end.
    Nothing,
    Response(HandlerResponse),
    /// A dependency's value, or an iterator's item ([`Expect::Chunk`], [`Expect::Event`]).
    Value(Resolved),
    /// A generator-like dependency's first value; the generator finishes after the response.
    Generator(Resolved, Box<dyn ForeignGenerator>),
}

/// A call's result and what the function did to the request object it was given.
pub struct Outcome {
    pub returned: Returned,
    /// The request `state` when the function read or changed it (else unchanged).
    pub state: Option<Map<String, Value>>,
    /// Headers the function asked to add to the response (`reply_header`).
    pub reply_headers: Vec<(HeaderName, HeaderValue)>,
}

impl Outcome {
    /// A result with no effect on the request.
    pub fn new(returned: Returned) -> Self {
        Self {
            returned,
            state: None,
            reply_headers: Vec::new(),
        }
    }
}

impl From<Returned> for Outcome {
    fn from(returned: Returned) -> Self {
        Self::new(returned)
    }
}

/// A generator-like dependency after its first value: resumed once the response was sent.
pub trait ForeignGenerator: Send + 'static {
    /// Resume it: normally, or with the request's [`Failure`] raised at its `yield`. Errors
    /// are the binding's to log (the response is gone).
    fn finish(self: Box<Self>, failure: Option<Failure>) -> BoxFuture<()>;
}

/// A generator dependency resumed by a function of the language: called once the response
/// was sent, with the request's failure ([`Arg::Failure`], or [`Arg::Null`]) and
/// [`Expect::Unit`]. Its errors are the binding's to log.
pub struct FnGenerator(pub Arc<dyn ForeignFn>);

impl ForeignGenerator for FnGenerator {
    fn finish(self: Box<Self>, failure: Option<Failure>) -> BoxFuture<()> {
        Box::pin(async move {
            let arg = failure.as_ref().map_or(Arg::Null, Arg::Failure);
            let expect = Expect::Unit;
            let _ = self
                .0
                .call(Call {
                    input: Input::Args(vec![arg]),
                    expect,
                })
                .await;
        })
    }
}

/// A failed call: the core error it answers with, whether it was a cancellation, and the
/// language's exception (left to generator dependencies).
#[derive(Debug)]
pub struct ForeignError {
    pub error: SpikardError,
    /// The call was cancelled (nobody reads the answer; nothing was logged).
    pub cancelled: bool,
    pub exception: Option<Arc<dyn Any + Send + Sync>>,
}

impl ForeignError {
    /// A failure with no language exception behind it (a conversion, a refused value).
    pub fn new(error: SpikardError) -> Self {
        Self {
            error,
            cancelled: false,
            exception: None,
        }
    }

    /// A call that raised `exception`, answered with `error`.
    pub fn raised(error: SpikardError, exception: Arc<dyn Any + Send + Sync>) -> Self {
        Self {
            error,
            cancelled: false,
            exception: Some(exception),
        }
    }

    /// A call cancelled before it finished.
    pub fn cancelled(name: &str) -> Self {
        Self {
            error: SpikardError::Internal(format!("{name} was cancelled")),
            cancelled: true,
            exception: None,
        }
    }

    /// What generator dependencies get at their `yield`.
    pub fn failure(&self) -> Option<Failure> {
        if self.cancelled {
            return Some(Failure::Cancelled);
        }
        self.exception.clone().map(Failure::Raised)
    }
}

impl From<SpikardError> for ForeignError {
    fn from(error: SpikardError) -> Self {
        Self::new(error)
    }
}

/// A call running on the language's event loop, awaited by the core: [`pending`] gives the
/// [`Settle`] half to the loop's done-callback and this future to the core. Dropped before
/// it settles (the client went away, the deadline passed), it runs its `cancel` (cancel the
/// language's task).
pub struct Pending<T, E = SpikardError> {
    rx: oneshot::Receiver<Result<T, E>>,
    cancel: Option<Box<dyn FnOnce() + Send>>,
}

/// Settles a [`Pending`] call (from any thread).
pub struct Settle<T, E = SpikardError>(oneshot::Sender<Result<T, E>>);

impl<T, E> Settle<T, E> {
    pub fn settle(self, result: Result<T, E>) {
        let _ = self.0.send(result);
    }
}

/// A pending call and its settling half; `cancel` runs if the call is dropped unsettled.
pub fn pending<T, E>(cancel: impl FnOnce() + Send + 'static) -> (Settle<T, E>, Pending<T, E>) {
    let (tx, rx) = oneshot::channel();
    let cancel: Option<Box<dyn FnOnce() + Send>> = Some(Box::new(cancel));
    (Settle(tx), Pending { rx, cancel })
}

impl<T, E: From<SpikardError>> Future for Pending<T, E> {
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let settled = std::task::ready!(Pin::new(&mut self.rx).poll(cx));
        self.cancel = None;
        Poll::Ready(
            settled.unwrap_or_else(|_| Err(SpikardError::Internal("the call ended without a result".into()).into())),
        )
    }
}

impl<T, E> Drop for Pending<T, E> {
    fn drop(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counted() -> (Arc<AtomicUsize>, impl FnOnce() + Send + 'static) {
        let cancels = Arc::new(AtomicUsize::new(0));
        let counter = cancels.clone();
        (cancels, move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
    }

    /// Records how it was called.
    struct Cleanup(Arc<std::sync::Mutex<Vec<String>>>);

    impl ForeignFn for Cleanup {
        fn call(&self, call: Call<'_>) -> Completion {
            let Input::Args(args) = call.input else {
                panic!("called with a response")
            };
            let seen = match args.as_slice() {
                [Arg::Null] => "null".to_owned(),
                [Arg::Failure(Failure::Cancelled)] => "cancelled".to_owned(),
                [Arg::Failure(Failure::Error(e))] => format!("error {}", e.status()),
                other => format!("{other:?}"),
            };
            self.0.lock().unwrap().push(format!("{seen} {:?}", call.expect));
            Box::pin(std::future::ready(Err(ForeignError::new(SpikardError::Internal(
                "ignored".into(),
            )))))
        }
    }

    #[tokio::test]
    async fn a_function_generator_is_resumed_with_the_failure_or_null() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let cleanup = || Box::new(FnGenerator(Arc::new(Cleanup(log.clone()))));
        cleanup().finish(None).await;
        cleanup().finish(Some(Failure::Cancelled)).await;
        cleanup()
            .finish(Some(Failure::Error(SpikardError::Internal("x".into()))))
            .await;
        assert_eq!(*log.lock().unwrap(), ["null Unit", "cancelled Unit", "error 500 Unit"]);
    }

    #[tokio::test]
    async fn a_pending_call_settles_from_another_thread_and_is_not_cancelled() {
        let (cancels, cancel) = counted();
        let (settle, call) = pending::<u8, SpikardError>(cancel);
        std::thread::spawn(move || settle.settle(Ok(7)));
        assert_eq!(call.await.unwrap(), 7);
        assert_eq!(cancels.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_pending_call_dropped_unsettled_is_cancelled_once() {
        let (cancels, cancel) = counted();
        let (settle, call) = pending::<u8, SpikardError>(cancel);
        drop(call);
        assert_eq!(cancels.load(Ordering::SeqCst), 1);
        settle.settle(Ok(1)); // nobody listens any more

        let (cancels, cancel) = counted();
        let (settle, pending) = pending::<u8, ForeignError>(cancel);
        drop(settle);
        assert!(pending
            .await
            .unwrap_err()
            .error
            .to_string()
            .contains("without a result"));
        assert_eq!(cancels.load(Ordering::SeqCst), 0);
    }
}
