//! The test binding: a [`Binding`] and a [`ForeignFn`] whose "language" is JSON.
//!
//! Its objects ([`Behaviour`]) describe in data what a function does: answer as the
//! fixture expects, run one hook of the fixture vocabulary, create a dependency. A call
//! does what a language binding does: it converts the core's borrowed arguments into its
//! own values (JSON, plus a request object backed by the core's [`RequestView`]), runs
//! the function, and converts the result as the core [`Expect`]s. A function declared
//! `is_async` runs in a tokio task and answers through a oneshot channel, so the pending
//! path is taken; when the core drops the completion (deadline, client gone) the task
//! notices the closed channel, stops and records the cancellation.
//!
//! Every call is recorded in a [`Journal`] with its argument values, so the runner can
//! check what the core handed over.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use http::{HeaderName, HeaderValue};
use serde_json::{json, Map, Value};
use spikard::IntoResponse;
use spikard_core::body::multipart::UploadedFile;
use spikard_http::background::BackgroundTasks;
use spikard_http::di::{json_type_name, Failure, Resolved};
use spikard_http::foreign::{
    event_from_json, items, Arg, Binding, Call, Completion, Expect, ForeignError, ForeignFn, ForeignGenerator,
    FunctionInfo, Input, Outcome, RequestView, Returned, Role,
};
use spikard_http::response::ByteStream;
use spikard_http::{
    BoxFuture, HandlerResponse, HookRequest, RequestData, ResponseBody, SpikardError, SseStream, WsMessage,
};

use super::streams::{chunk_from_json, chunk_json, event_json, TestItems};

use crate::features::di::{created, refusal, EventLog};
use crate::features::files::FileAnswer;
use crate::features::hooks::{HookPlan, HookSubject, RunnerHook};
use crate::features::realtime::SseChannel;
use crate::features::streaming::StreamAnswer;
use crate::play::app_response;

/// The prefix of the argument names under which functions receive dependencies.
pub const DEPENDENCY: &str = "dependency:";
/// Prefix of the arguments a factory reads from the request (`parameters`).
pub const PARAMETER: &str = "parameter:";

/// One object of the test binding: what a registered function does, or a plain value.
#[derive(Clone)]
pub enum Behaviour {
    /// A route handler.
    Handler(Arc<HandlerSpec>),
    /// A lifecycle hook of the fixture vocabulary (request or response phase).
    Hook(Arc<RunnerHook>),
    /// A plain value: a `value` dependency, or a function returning it.
    Value(Value),
    /// A dependency factory; registered as a generator, it also has a cleanup.
    Factory(Arc<FactorySpec>),
}

impl Behaviour {
    fn kind(&self) -> &'static str {
        match self {
            Self::Handler(_) => "handler",
            Self::Hook(_) => "hook",
            Self::Value(_) => "value",
            Self::Factory(_) => "factory",
        }
    }
}

/// A handler: what it checks about its arguments, then what it answers.
pub struct HandlerSpec {
    pub answer: Answer,
    /// Dependencies it must have been given: `(argument name, dependency name)`.
    pub needs: Vec<(String, String)>,
    /// The fixture's hooks: the `state:hooks_run` argument must show the request hooks in order.
    pub hooks: Option<Arc<HookPlan>>,
    /// Wait this long before answering (the function must be declared async).
    pub sleep: Option<Duration>,
}

/// What a handler answers.
pub enum Answer {
    /// The fixture's expected response (`keep_headers`: with the headers the application owns).
    Expected { expected: Value, keep_headers: bool },
    /// `{"handler_called": true}`: the framework should have answered instead.
    Called,
    /// Raise the hook plan's error (an `on_error` formatter formats it).
    Raise,
    /// The value of this argument (a dependency: `handler.returns_dependency`), as JSON.
    Dependency(String),
    /// A file (`file_response`).
    File(FileAnswer),
    /// A streamed body.
    Stream(StreamAnswer),
    /// Server-sent events.
    Sse(Arc<SseChannel>),
    /// Start background work appending the body's `field` to `state`, then answer as expected.
    Background {
        field: String,
        state: Arc<Mutex<Vec<Value>>>,
        expected: Value,
        keep_headers: bool,
    },
    /// This value, serialised in one pass as a binding does (`handler.returns`: a result
    /// the route's response model checks).
    Returns(Value),
    /// `{key: read()}`: a state route.
    Log {
        key: String,
        read: Arc<dyn Fn() -> Value + Send + Sync>,
    },
}

/// A dependency factory of the fixture vocabulary (`testing_data/README.md`).
pub struct FactorySpec {
    pub factory: String,
    /// It reads request parameters (`parameters`) and creates their values.
    pub reads: bool,
    pub count: AtomicU64,
    /// The status it refuses requests with, when it fails.
    pub fails_with: Option<u16>,
    /// `(label, log)`: creating logs `<label>_opened`, the cleanup `<label>_closed`.
    pub cleanup: Option<(String, EventLog)>,
}

/// What happened to a function.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Called with these argument values (by declared name; absent ones left out).
    Called(Map<String, Value>),
    /// An async call whose completion the core dropped before it finished.
    Cancelled,
    /// A generator's cleanup ran, with the failure it was given (`raised: ...`, `cancelled`).
    Finished(Option<String>),
    /// An iterator (a streamed body, SSE events) was closed before it was exhausted.
    Closed,
    /// A WebSocket session was told its connection closed, with this code.
    SessionClosed(u16),
}

/// One journal line.
#[derive(Debug, Clone)]
pub struct Entry {
    pub function: String,
    pub event: Event,
}

/// Every call of one app's functions, in order.
#[derive(Clone, Default)]
pub struct Journal(Arc<Mutex<Vec<Entry>>>);

impl Journal {
    pub(crate) fn record(&self, function: &str, event: Event) {
        if let Ok(mut entries) = self.0.lock() {
            entries.push(Entry {
                function: function.to_owned(),
                event,
            });
        }
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.0.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// The argument values of every call of `function`.
    pub fn calls(&self, function: &str) -> Vec<Map<String, Value>> {
        self.entries()
            .into_iter()
            .filter(|e| e.function == function)
            .filter_map(|e| match e.event {
                Event::Called(args) => Some(args),
                _ => None,
            })
            .collect()
    }

    /// Whether `function` had `event`.
    pub fn has(&self, function: &str, event: &Event) -> bool {
        self.entries()
            .iter()
            .any(|e| e.function == function && e.event == *event)
    }

    /// The first event of `function` that `pick` accepts, waiting up to `wait` for it.
    pub async fn wait_for(&self, function: &str, wait: Duration, pick: impl Fn(&Event) -> bool) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let found = self
                .entries()
                .into_iter()
                .find(|e| e.function == function && pick(&e.event));
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found.map(|e| e.event);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The test binding's exception: what a raising function leaves to generator dependencies.
#[derive(Debug)]
pub struct Exception(pub String);

/// A dependency value created by the test binding (a binding's own object, not a JSON
/// view): labelled with its JSON type so the core can check expected types.
#[derive(Debug)]
pub struct DepValue(pub Value);

fn dependency(value: Value) -> Resolved {
    let type_name = json_type_name(&value);
    Resolved::new(DepValue(value)).with_type_name(type_name)
}

fn dependency_json(r: &Resolved) -> Value {
    r.downcast::<DepValue>()
        .map(|d| d.0.clone())
        .or_else(|| r.as_json().cloned())
        .unwrap_or(Value::Null)
}

fn file_json(f: &UploadedFile) -> Value {
    json!({"field": f.field_name, "filename": f.filename, "size": f.data.len()})
}

/// The test binding (one per app: its functions share the journal).
#[derive(Clone, Default)]
pub struct TestBinding {
    pub journal: Journal,
}

impl Binding for TestBinding {
    type Object = Behaviour;

    fn function(
        &self,
        function: &Behaviour,
        info: &FunctionInfo<'_>,
        _objects: &[Behaviour],
    ) -> Result<Arc<dyn ForeignFn>, SpikardError> {
        let fits = match (info.role, function) {
            (Role::Handler, Behaviour::Handler(_)) => true,
            (Role::RequestHook | Role::ResponseHook { .. }, Behaviour::Hook(h)) => {
                matches!(info.role, Role::RequestHook) == (h.phase() < 3)
            }
            (Role::Factory | Role::Generator, Behaviour::Factory(_) | Behaviour::Value(_)) => true,
            _ => false,
        };
        if !fits {
            return Err(SpikardError::Config(format!(
                "a {} cannot be called as {:?}",
                function.kind(),
                info.role
            )));
        }
        if let Some(i) = info.plan.args().iter().position(|a| a.converter.is_some()) {
            return Err(SpikardError::Config(format!(
                "args[{i}].converter: the test binding has no converters"
            )));
        }
        let sleep = match function {
            Behaviour::Handler(h) => h.sleep,
            _ => None,
        };
        if sleep.is_some() && !info.is_async {
            return Err(SpikardError::Config(
                "a handler that waits must be declared async".into(),
            ));
        }
        Ok(Arc::new(TestFn(Arc::new(Inner {
            behaviour: function.clone(),
            name: info.name.into(),
            is_async: info.is_async,
            role: info.role,
            names: info.plan.args().iter().map(|a| a.name.clone()).collect(),
            journal: self.journal.clone(),
            sleep,
        }))))
    }

    fn value(&self, value: &Behaviour) -> Resolved {
        match value {
            Behaviour::Value(v) => dependency(v.clone()),
            other => dependency(Value::String(format!("<{}>", other.kind()))),
        }
    }
}

/// A registered function of the test binding.
pub struct TestFn(Arc<Inner>);

struct Inner {
    behaviour: Behaviour,
    name: Arc<str>,
    is_async: bool,
    role: Role,
    /// The declared argument names, in order.
    names: Vec<String>,
    journal: Journal,
    sleep: Option<Duration>,
}

/// The test binding's request object: the core's view of the request and the `state`
/// the function may change (read back when the call finishes).
struct RequestObject {
    view: RequestView,
    state: Map<String, Value>,
    state_used: bool,
}

/// One call's values, converted from the core's.
struct Frame {
    args: Map<String, Value>,
    request: Option<RequestObject>,
    /// A response hook's response (the language's response object).
    response: Option<HandlerResponse>,
    hook_request: Option<HookRequest>,
    /// The request's background runner (only current while the core is calling).
    background: Option<BackgroundTasks>,
}

impl Frame {
    fn new(names: &[String], input: Input<'_>) -> Self {
        let mut frame = Self {
            args: Map::new(),
            request: None,
            response: None,
            hook_request: None,
            background: BackgroundTasks::current(),
        };
        match input {
            Input::Args(values) => {
                for (name, value) in names.iter().zip(values) {
                    if let Some(v) = frame.convert(value) {
                        frame.args.insert(name.clone(), v);
                    }
                }
            }
            Input::Response { response, request } => {
                frame.response = Some(response);
                frame.hook_request = request.cloned();
            }
        }
        frame
    }

    /// One argument as a value of the language (`None`: not passed).
    fn convert(&mut self, arg: Arg<'_>) -> Option<Value> {
        Some(match arg {
            Arg::Absent => return None,
            Arg::Null => Value::Null,
            Arg::Json(v) => v.clone(),
            Arg::Request(data) => {
                self.request = Some(RequestObject {
                    view: RequestView::new(data.clone()),
                    state: data.state.clone(),
                    state_used: false,
                });
                json!({"method": data.method.as_str(), "path": data.path})
            }
            Arg::Dependency(r) => dependency_json(r),
            Arg::File(f) => file_json(f),
            Arg::Files(files) => Value::Array(files.into_iter().map(file_json).collect()),
            Arg::Message(WsMessage::Text(t)) => Value::String(t.clone()),
            Arg::Message(m) => m.json().unwrap_or(Value::Null),
            Arg::Failure(f) => Value::String(describe(f)),
        })
    }

    /// The dependencies received, by name.
    fn dependencies(&self) -> Map<String, Value> {
        self.args
            .iter()
            .filter_map(|(k, v)| k.strip_prefix(DEPENDENCY).map(|n| (n.to_owned(), v.clone())))
            .collect()
    }

    fn data(&self) -> Option<&RequestData> {
        self.request.as_ref().map(|r| &*r.view.data)
    }
}

/// A request hook's view of its call: the request object and the dependencies it got.
struct Subject<'a> {
    request: &'a mut RequestObject,
    args: &'a Map<String, Value>,
}

impl HookSubject for Subject<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.request.view.data.header(name)
    }

    fn state(&mut self) -> &mut Map<String, Value> {
        self.request.state_used = true;
        &mut self.request.state
    }

    fn reply_header(&mut self, name: HeaderName, value: HeaderValue) {
        if let Ok(v) = value.to_str() {
            // A name or value the core refuses would be the language's exception; the
            // vocabulary only sets valid ones.
            let _ = self.request.view.reply_header(name.as_str(), v);
        }
    }

    fn resolved(&self, dependency: &str) -> bool {
        self.args.contains_key(&format!("{DEPENDENCY}{dependency}"))
    }
}

/// What a function of the language returned.
enum Lang {
    Null,
    /// A plain value: a JSON answer, a dependency's value.
    Json(Value),
    /// A response object (a stream, SSE or an explicit response).
    Response(HandlerResponse),
    /// A generator's first value, and the generator.
    Generator(Value, TestGenerator),
}

/// The language raised `error`.
fn raise(error: SpikardError) -> ForeignError {
    let exception = Exception(error.to_string());
    ForeignError::raised(error, Arc::new(exception))
}

fn panicked(name: &str, payload: &(dyn std::any::Any + Send)) -> ForeignError {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    raise(SpikardError::Internal(format!("{name} panicked: {text}")))
}

/// The answer as a plain value when it is one (status 200, a JSON object or array, no
/// headers or cookies of its own).
fn plain_json(expected: &Value, keep_headers: bool) -> Option<Value> {
    let body = expected.get("body").filter(|b| b.is_object() || b.is_array())?;
    let status = expected.get("status_code").and_then(Value::as_u64).unwrap_or(200);
    let no_headers = !keep_headers
        || expected
            .get("headers")
            .and_then(Value::as_object)
            .is_none_or(serde_json::Map::is_empty);
    (status == 200 && no_headers && expected.get("cookies").is_none()).then(|| body.clone())
}

fn expected_answer(expected: &Value, keep_headers: bool) -> Result<Lang, ForeignError> {
    if let Some(plain) = plain_json(expected, keep_headers) {
        return Ok(Lang::Json(plain));
    }
    app_response(expected, keep_headers)
        .and_then(IntoResponse::into_response)
        .map(Lang::Response)
        .map_err(|e| raise(e.0))
}

impl Inner {
    /// Run the function on its converted arguments.
    fn run(&self, frame: &mut Frame) -> Result<Lang, ForeignError> {
        match &self.behaviour {
            Behaviour::Handler(spec) => self.handle(spec, frame),
            Behaviour::Hook(hook) => match frame.response.take() {
                Some(response) => hook
                    .response_phase(response, frame.hook_request.as_ref())
                    .map(Lang::Response)
                    .map_err(raise),
                None => {
                    let Some(request) = frame.request.as_mut() else {
                        return Err(raise(SpikardError::Internal(format!(
                            "hook {} was not given its request",
                            self.name
                        ))));
                    };
                    let mut subject = Subject {
                        request,
                        args: &frame.args,
                    };
                    match hook.request_phase(&mut subject).map_err(raise)? {
                        Some(answer) => Ok(Lang::Response(answer)),
                        None => Ok(Lang::Null),
                    }
                }
            },
            Behaviour::Value(v) => Ok(Lang::Json(v.clone())),
            Behaviour::Factory(spec) => {
                if let Some(status) = spec.fails_with {
                    return Err(raise(refusal(&spec.factory, status)));
                }
                let count = spec.count.fetch_add(1, Ordering::SeqCst) + 1;
                let value = if spec.reads {
                    let mut read: Map<String, Value> = frame
                        .args
                        .iter()
                        .filter_map(|(k, v)| k.strip_prefix(PARAMETER).map(|n| (n.to_owned(), v.clone())))
                        .collect();
                    read.extend(frame.dependencies());
                    Value::Object(read)
                } else {
                    created(&spec.factory, count, Value::Object(frame.dependencies()))
                };
                if self.role != Role::Generator {
                    return Ok(Lang::Json(value));
                }
                if let Some((label, log)) = &spec.cleanup {
                    if let Ok(mut events) = log.lock() {
                        events.push(format!("{label}_opened"));
                    }
                }
                let generator = TestGenerator {
                    name: self.name.clone(),
                    cleanup: spec.cleanup.clone(),
                    journal: self.journal.clone(),
                    is_async: self.is_async,
                };
                Ok(Lang::Generator(value, generator))
            }
        }
    }

    fn handle(&self, spec: &HandlerSpec, frame: &mut Frame) -> Result<Lang, ForeignError> {
        if let Some((_, missing)) = spec.needs.iter().find(|(arg, _)| !frame.args.contains_key(arg)) {
            return Err(raise(SpikardError::Internal(format!(
                "dependency '{missing}' was not resolved"
            ))));
        }
        if let Some(plan) = &spec.hooks {
            let run = frame.args.get("state:hooks_run").filter(|v| !v.is_null());
            plan.check_run(run).map_err(|e| raise(e.0))?;
        }
        match &spec.answer {
            Answer::Expected { expected, keep_headers } => expected_answer(expected, *keep_headers),
            Answer::Dependency(arg) => Ok(Lang::Json(frame.args.get(arg).cloned().unwrap_or(Value::Null))),
            Answer::Called => Ok(Lang::Json(json!({"handler_called": true}))),
            Answer::Raise => {
                let error = spec.hooks.as_ref().map_or_else(
                    || SpikardError::Internal("handler raised as the fixture asks".into()),
                    |p| p.raised().0,
                );
                Err(raise(error))
            }
            Answer::File(file) => Ok(Lang::Response(file.response())),
            Answer::Stream(stream) => {
                let items = stream.chunks.iter().map(chunk_json).collect();
                let items = self.items(items, chunk_from_json, false);
                let body: ByteStream = Box::pin(items::stream(Box::new(items)).map(|r| r.map_err(Into::into)));
                let mut response = HandlerResponse::new(stream.status, ResponseBody::Stream(body));
                for (k, v) in std::iter::once(("content-type", stream.content_type.as_str()))
                    .chain(stream.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                {
                    response = response
                        .try_header(k, v)
                        .map_err(|e| raise(SpikardError::Internal(e)))?;
                }
                Ok(Lang::Response(response))
            }
            Answer::Sse(channel) => {
                let items = channel.events.iter().map(event_json).collect();
                let items = self.items(items, event_from_json, channel.keep_alive_ms.is_some());
                let mut events = SseStream::new(items::stream(Box::new(items)));
                if let Some(ms) = channel.keep_alive_ms {
                    events = events.keep_alive(Duration::from_millis(ms));
                }
                Ok(Lang::Response(HandlerResponse::new(
                    http::StatusCode::OK,
                    ResponseBody::Sse(events),
                )))
            }
            Answer::Background {
                field,
                state,
                expected,
                keep_headers,
            } => {
                // Without a body schema or a JSON content type the core leaves the body undecoded.
                let value = frame.args.get("body").and_then(|b| b.get(field)).cloned().or_else(|| {
                    let raw = &frame.data()?.raw_body;
                    serde_json::from_slice::<Value>(raw).ok()?.get(field).cloned()
                });
                if let Some(value) = value {
                    let Some(tasks) = &frame.background else {
                        return Err(raise(SpikardError::Internal("no background runner".into())));
                    };
                    let state = state.clone();
                    tasks.spawn(async move {
                        if let Ok(mut s) = state.lock() {
                            s.push(value);
                        }
                    });
                }
                expected_answer(expected, *keep_headers)
            }
            Answer::Log { key, read } => Ok(Lang::Json(json!({ key.clone(): read() }))),
            Answer::Returns(value) => {
                let bytes = serde_json::to_vec(value).map_err(|e| raise(SpikardError::Internal(e.to_string())))?;
                Ok(Lang::Response(HandlerResponse::new(
                    http::StatusCode::OK,
                    ResponseBody::JsonBytes(bytes.into()),
                )))
            }
        }
    }

    /// An iterator of `items` returned by this function.
    fn items<T>(&self, items: Vec<Value>, convert: fn(Value) -> Result<T, String>, endless: bool) -> TestItems<T> {
        let name = format!("{} (items)", self.name);
        TestItems::new(items, convert, endless, self.is_async, name, self.journal.clone())
    }

    /// Convert what the function returned as the core expects, with what it did to the request.
    fn convert(&self, lang: Lang, expect: Expect, frame: &mut Frame) -> Result<Outcome, ForeignError> {
        let returned = match (expect, lang) {
            (Expect::Unit, _) | (Expect::Flow, Lang::Null) => Returned::Nothing,
            (Expect::ChangedResponse, Lang::Null) => {
                frame.response.take().map_or(Returned::Nothing, Returned::Response)
            }
            (Expect::Dependency | Expect::Response | Expect::Chunk | Expect::Event, Lang::Null) => Returned::Nothing,
            (Expect::Dependency, Lang::Json(v)) => Returned::Value(dependency(v)),
            (Expect::Dependency, Lang::Generator(v, g)) => Returned::Generator(dependency(v), Box::new(g)),
            (_, Lang::Response(r)) => Returned::Response(r),
            (_, Lang::Json(v) | Lang::Generator(v, _)) => Returned::Response(HandlerResponse::json(v)),
        };
        let mut outcome = Outcome::new(returned);
        if let Some(request) = frame.request.take() {
            outcome.reply_headers = request.view.take_reply_headers();
            if request.state_used {
                outcome.state = Some(request.state);
            }
        }
        Ok(outcome)
    }

    fn call_now(&self, frame: &mut Frame, expect: Expect) -> Result<Outcome, ForeignError> {
        let lang = self.run(frame)?;
        self.convert(lang, expect, frame)
    }
}

impl ForeignFn for TestFn {
    fn call(&self, call: Call<'_>) -> Completion {
        let inner = &self.0;
        let expect = call.expect;
        let mut frame = Frame::new(&inner.names, call.input);
        inner.journal.record(&inner.name, Event::Called(frame.args.clone()));
        if !inner.is_async {
            // Sync: answered now (a panic here is the core's to contain).
            return Box::pin(std::future::ready(inner.call_now(&mut frame, expect)));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Box::pin(std::future::ready(Err(ForeignError::new(SpikardError::Internal(
                "the test binding's async functions need a tokio runtime".into(),
            )))));
        }
        let (mut tx, rx) = tokio::sync::oneshot::channel();
        let task = Arc::clone(inner);
        tokio::spawn(async move {
            let (journal, name) = (task.journal.clone(), task.name.clone());
            // The function runs when the loop first runs its task (tasks start in the order
            // they were submitted); its result is delivered after a yield, and after the
            // handler's wait when it has one, so the core sees a pending completion.
            let work = async move {
                let out = task.call_now(&mut frame, expect);
                tokio::task::yield_now().await;
                if let Some(pause) = task.sleep {
                    tokio::time::sleep(pause).await;
                }
                out
            };
            tokio::select! {
                () = tx.closed() => journal.record(&name, Event::Cancelled),
                out = AssertUnwindSafe(work).catch_unwind() => {
                    let _ = tx.send(out.unwrap_or_else(|p| Err(panicked(&name, &*p))));
                }
            }
        });
        let name = inner.name.clone();
        Box::pin(async move { rx.await.unwrap_or_else(|_| Err(ForeignError::cancelled(&name))) })
    }
}

/// A generator dependency after its first value: its cleanup logs `<label>_closed` and
/// records the failure it was resumed with.
struct TestGenerator {
    name: Arc<str>,
    cleanup: Option<(String, EventLog)>,
    journal: Journal,
    is_async: bool,
}

fn describe(failure: &Failure) -> String {
    match failure {
        Failure::Cancelled => "cancelled".into(),
        Failure::Raised(e) => match e.downcast_ref::<Exception>() {
            Some(Exception(message)) => format!("raised: {message}"),
            None => "raised: (not the test binding's exception)".into(),
        },
        Failure::Error(e) => format!("failed: {e}"),
    }
}

impl ForeignGenerator for TestGenerator {
    fn finish(self: Box<Self>, failure: Option<Failure>) -> BoxFuture<()> {
        Box::pin(async move {
            if self.is_async {
                tokio::task::yield_now().await;
            }
            if let Some((label, log)) = &self.cleanup {
                if let Ok(mut events) = log.lock() {
                    events.push(format!("{label}_closed"));
                }
            }
            self.journal
                .record(&self.name, Event::Finished(failure.as_ref().map(describe)));
        })
    }
}
