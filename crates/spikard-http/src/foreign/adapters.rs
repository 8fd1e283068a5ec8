//! Generic adapters: a [`ForeignFn`] as a [`Handler`], a request or response hook, and a
//! [`DependencyFactory`]. Every binding gets these behaviours from here, identically.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use spikard_core::SpikardError;

use super::args::ArgPlan;
use super::call::{Call, Completion, Expect, ForeignError, ForeignFn, Input, Outcome, Returned};
use crate::di::{Dependencies, DependencyFactory, Failure, FailureSlot, Provided};
use crate::handler::{BoxFuture, Handler, HandlerResult, RequestData};
use crate::hooks::{reply_header, HookFlow, HookRequest, RequestHook, ResponseHook};
use crate::response::{HandlerResponse, ResponseBody};

fn unexpected(name: &str, what: &str) -> ForeignError {
    ForeignError::new(SpikardError::Internal(format!("{name} returned {what}")))
}

/// The outcome as a response, with the headers the function asked for.
fn into_response(outcome: Outcome, name: &str) -> Result<HandlerResponse, ForeignError> {
    let mut response = match outcome.returned {
        Returned::Response(r) => r,
        Returned::Nothing => HandlerResponse::json(serde_json::Value::Null),
        Returned::Value(_) | Returned::Generator(..) => {
            return Err(unexpected(name, "a value where a response was expected"))
        }
    };
    for (k, v) in outcome.reply_headers {
        response.headers.append(k, v);
    }
    Ok(response)
}

/// A foreign function as the route's handler.
pub struct ForeignHandler {
    function: Arc<dyn ForeignFn>,
    plan: ArgPlan,
    name: Arc<str>,
    takes_dependencies: bool,
}

impl ForeignHandler {
    pub fn new(function: Arc<dyn ForeignFn>, plan: ArgPlan, name: impl Into<Arc<str>>) -> Self {
        Self {
            takes_dependencies: !plan.dependencies().is_empty(),
            function,
            plan,
            name: name.into(),
        }
    }

    /// The names of the dependencies the handler takes.
    pub fn dependencies(&self) -> Vec<String> {
        self.plan.dependencies()
    }
}

impl Handler for ForeignHandler {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let request = Arc::new(request);
        let shared = self.plan.takes_request().then_some(&request);
        let args = self.plan.values(&request, shared, None);
        let completion = self.function.call(Call {
            input: Input::Args(args),
            expect: Expect::Response,
        });
        let deps = if self.takes_dependencies {
            request.extensions.get::<Dependencies>().cloned()
        } else {
            None
        };
        drop(request);
        let name = self.name.clone();
        Box::pin(Unfinished {
            completion,
            deps,
            done: false,
            name,
        })
    }
}

/// A handler's pending completion. A failure is left to the generator dependencies the
/// handler received; dropped before it finished (deadline, client gone: the foreign call
/// is cancelled), it leaves [`Failure::Cancelled`] to them, so their cleanups never
/// mistake an interrupted handler for a finished one.
struct Unfinished {
    completion: Completion,
    deps: Option<Dependencies>,
    done: bool,
    name: Arc<str>,
}

impl Future for Unfinished {
    type Output = HandlerResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HandlerResult> {
        let outcome = match self.completion.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        self.done = true;
        let response = outcome.and_then(|o| into_response(o, &self.name));
        Poll::Ready(response.map_err(|e| {
            if let (Some(deps), Some(failure)) = (&self.deps, e.failure()) {
                deps.record_failure(&failure);
            }
            e.error
        }))
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let (false, Some(deps)) = (self.done, &self.deps) {
            deps.record_failure(&Failure::Cancelled);
        }
    }
}

/// A foreign request-phase hook: nothing goes on (with the state and reply headers it
/// left on the request), a response answers early.
pub struct ForeignRequestHook {
    function: Arc<dyn ForeignFn>,
    plan: ArgPlan,
    name: Arc<str>,
    dependencies: Vec<String>,
}

impl ForeignRequestHook {
    pub fn new(function: Arc<dyn ForeignFn>, plan: ArgPlan, name: impl Into<Arc<str>>) -> Self {
        Self {
            dependencies: plan.dependencies(),
            function,
            plan,
            name: name.into(),
        }
    }
}

impl RequestHook for ForeignRequestHook {
    fn call(&self, data: RequestData) -> BoxFuture<Result<HookFlow, SpikardError>> {
        let data = Arc::new(data);
        let args = self.plan.values(&data, Some(&data), None);
        let completion = self.function.call(Call {
            input: Input::Args(args),
            expect: Expect::Flow,
        });
        let name = self.name.clone();
        Box::pin(async move {
            let outcome = completion.await.map_err(|e| e.error)?;
            if !matches!(outcome.returned, Returned::Nothing) {
                return into_response(outcome, &name)
                    .map(HookFlow::Respond)
                    .map_err(|e| e.error);
            }
            let mut data = Arc::try_unwrap(data).unwrap_or_else(|shared| RequestData::clone(&shared));
            if let Some(state) = outcome.state {
                data.state = state;
            }
            for (k, v) in outcome.reply_headers {
                reply_header(&mut data, k, v);
            }
            Ok(HookFlow::Continue(data))
        })
    }

    fn dependencies(&self) -> &[String] {
        &self.dependencies
    }
}

/// A foreign response-phase hook: it sees the response (and the request summary when it
/// asks for it) and returns it changed, or another value to answer with. A streamed body
/// (stream, SSE, WebSocket) cannot be shown to foreign code: such responses pass unchanged.
pub struct ForeignResponseHook {
    function: Arc<dyn ForeignFn>,
    name: Arc<str>,
    with_request: bool,
}

impl ForeignResponseHook {
    pub fn new(function: Arc<dyn ForeignFn>, name: impl Into<Arc<str>>, with_request: bool) -> Self {
        Self {
            function,
            name: name.into(),
            with_request,
        }
    }
}

impl ResponseHook for ForeignResponseHook {
    fn call(&self, response: HandlerResponse, request: &HookRequest) -> BoxFuture<HandlerResult> {
        if matches!(
            response.body,
            ResponseBody::Stream(_) | ResponseBody::Sse(_) | ResponseBody::WebSocket(_)
        ) {
            return Box::pin(std::future::ready(Ok(response)));
        }
        let completion = self.function.call(Call {
            input: Input::Response {
                response,
                request: self.with_request.then_some(request),
            },
            expect: Expect::ChangedResponse,
        });
        let name = self.name.clone();
        Box::pin(async move {
            let outcome = completion.await.map_err(|e| e.error)?;
            into_response(outcome, &name).map_err(|e| e.error)
        })
    }
}

/// A foreign function creating a dependency: its value, or a generator's first value with
/// a cleanup that resumes the generator after the response (with the handler's failure,
/// if any, raised at its `yield`).
pub struct ForeignFactory {
    function: Arc<dyn ForeignFn>,
    plan: ArgPlan,
    name: Arc<str>,
    is_async: bool,
}

impl ForeignFactory {
    pub fn new(function: Arc<dyn ForeignFn>, plan: ArgPlan, name: impl Into<Arc<str>>) -> Self {
        Self {
            function,
            plan,
            name: name.into(),
            is_async: true,
        }
    }

    /// A factory declared sync (`is_async: false`): created in order with the others of its
    /// batch ([`DependencyFactory::concurrent`]).
    #[must_use]
    pub fn sync(mut self, sync: bool) -> Self {
        self.is_async = !sync;
        self
    }
}

impl DependencyFactory for ForeignFactory {
    fn concurrent(&self) -> bool {
        self.is_async
    }

    fn create(&self, deps: &Dependencies, request: &RequestData) -> BoxFuture<Result<Provided, SpikardError>> {
        let shared = self.plan.takes_request().then(|| Arc::new(request.clone()));
        let args = self.plan.values(request, shared.as_ref(), Some(deps));
        let completion = self.function.call(Call {
            input: Input::Args(args),
            expect: Expect::Dependency,
        });
        let name = self.name.clone();
        Box::pin(async move {
            match completion.await.map_err(|e| e.error)?.returned {
                Returned::Value(value) => Ok(value.into()),
                Returned::Generator(value, generator) => {
                    let slot = FailureSlot::default();
                    let failure = slot.clone();
                    Ok(Provided {
                        value: value.with_failure_slot(slot),
                        cleanup: Some(Box::pin(async move { generator.finish(failure.take()).await })),
                    })
                }
                Returned::Nothing => Err(SpikardError::Internal(format!("dependency {name} produced no value"))),
                Returned::Response(_) => Err(unexpected(&name, "a response where a value was expected").error),
            }
        })
    }
}
