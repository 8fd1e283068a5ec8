//! The protocol on a Spikard app: `POST {base}/task/{id}`, `POST {base}/event/{id}` and
//! `GET {base}/discovery`, each a Spikard route with the tunnel's middleware (token auth,
//! CORS, compression, request ID, deadline) and body limit, plus the layer that answers
//! Spikard's refusals in the protocol's envelope.
//!
//! A call checks, in the reference's order: auth (middleware), the allow-list (403),
//! that the id is registered (404), then reads the body in the mode its content type
//! names: multipart (a manifest and streamed files), `application/octet-stream` (the raw
//! body streamed to the task, input `undefined`) or JSON (`{"input": ...}` in the Runner
//! serializer's format). The task runs on its own tokio task with a cancellation token
//! that fires when the request ends early (client gone, deadline passed); it then has
//! `cancel_grace` to stop before it is dropped.

use std::sync::Arc;

use spikard::{get, post, App, Ctx, Error, HeaderMap};
use spikard_http::{HandlerResponse, ResponseBody};
use tokio_util::sync::CancellationToken;

use crate::config::TunnelConfig;
use crate::envelope::{ok, respond, ProtocolError};
use crate::layer::EnvelopeLayer;
use crate::multipart;
use crate::registry::{CallContext, Input, Output, Registry, Task, TaskError};
use crate::serializer::{parse, Value};

struct Shared {
    registry: Registry,
    config: TunnelConfig,
}

/// Serve `registry` on `app` under the config's base path.
pub fn mount(app: &mut App, registry: Registry, config: TunnelConfig) -> Result<(), Error> {
    let base = config.normalized_base();
    let middleware = config.middleware();
    let max_body = config.max_body_size;
    let discovery = config.discovery;
    let shared = Arc::new(Shared { registry, config });
    let s = shared.clone();
    app.route(
        post(&format!("{base}/task/{{id:path}}"))
            .stream_body()
            .max_body_size(max_body)
            .middleware(middleware.clone())
            .summary("Run a Runner task")
            .handler(move |ctx: Ctx| {
                let s = s.clone();
                async move { Ok::<_, Error>(run_task(&s, ctx).await) }
            }),
    )?;
    let s = shared.clone();
    app.route(
        post(&format!("{base}/event/{{id:path}}"))
            .stream_body()
            .max_body_size(max_body)
            .middleware(middleware.clone())
            .summary("Emit a Runner event")
            .handler(move |ctx: Ctx| {
                let s = s.clone();
                async move { Ok::<_, Error>(emit_event(&s, ctx).await) }
            }),
    )?;
    if discovery {
        let s = shared;
        app.route(
            get(&format!("{base}/discovery"))
                .middleware(middleware)
                .summary("The tunnel's allow-list")
                .handler(move |_ctx: Ctx| {
                    let s = s.clone();
                    async move { respond(200, &ok(Some(s.config.exposure.discovery()))) }
                }),
        )?;
    }
    app.layer(EnvelopeLayer::new(&base));
    Ok(())
}

/// The body as the serializer reads it: `undefined` when empty, 400 `INVALID_JSON` when
/// it does not parse (Spikard's limits answered as such).
async fn read_json(ctx: &Ctx, limit: usize) -> Result<Value, ProtocolError> {
    let Some(body) = ctx.body_stream() else {
        return Ok(Value::Undefined);
    };
    let bytes = body
        .limited_to(limit)
        .collect()
        .await
        .map_err(|e| ProtocolError::from_body_error(&Error(e)))?;
    if bytes.is_empty() {
        return Ok(Value::Undefined);
    }
    parse(&bytes).map_err(|_| ProtocolError::invalid_json())
}

fn is_octet_stream(content_type: &str) -> bool {
    let lower = content_type.to_ascii_lowercase();
    lower == "application/octet-stream" || lower.starts_with("application/octet-stream;")
}

fn call_context(id: &str, headers: &HeaderMap) -> CallContext {
    CallContext {
        id: id.to_owned(),
        headers: headers.clone(),
        cancel: CancellationToken::new(),
    }
}

/// Run on a tokio task of its own: a request that ends early cancels the token (the
/// caller's drop guard) instead of dropping the task mid-step; after `grace` it is dropped.
async fn spawn<T: Send + 'static>(
    future: spikard_http::BoxFuture<Result<T, TaskError>>,
    cancel: CancellationToken,
    grace: std::time::Duration,
) -> Result<T, TaskError> {
    let handle = tokio::spawn(async move {
        tokio::select! {
            outcome = future => outcome,
            () = async { cancel.cancelled().await; tokio::time::sleep(grace).await } => Err(TaskError::Cancelled),
        }
    });
    handle
        .await
        .unwrap_or_else(|e| Err(TaskError::internal(format!("the task panicked: {e}"))))
}

async fn run_task(s: &Shared, ctx: Ctx) -> HandlerResponse {
    let id: String = ctx.path("id").unwrap_or_default();
    if let Some(refusal) = s.config.exposure.check_task(&id) {
        return refusal.into_response();
    }
    let Some(task) = s.registry.get_task(&id) else {
        return ProtocolError::new(404, format!("Task {id} not found"), "NOT_FOUND").into_response();
    };
    let call = call_context(&id, ctx.headers());
    let guard = call.cancel.clone().drop_guard();
    let content_type = ctx.header("content-type").unwrap_or_default().to_owned();
    let response = if content_type.to_ascii_lowercase().contains("multipart/form-data") {
        run_multipart(s, &ctx, task, call, &content_type).await
    } else if is_octet_stream(&content_type) {
        let input = Input {
            value: Value::Undefined,
            files: Default::default(),
            raw: ctx.body_stream(),
        };
        answer(run(s, task, input, call).await, "task")
    } else {
        match read_json(&ctx, s.config.json_max_size).await {
            Err(refusal) => refusal.into_response(),
            Ok(body) => {
                let value = match body {
                    Value::Object(mut map) if map.contains_key("input") => {
                        map.shift_remove("input").unwrap_or(Value::Undefined)
                    }
                    other => other,
                };
                answer(run(s, task, Input::value(value), call).await, "task")
            }
        }
    };
    guard.disarm();
    response
}

async fn run(s: &Shared, task: Arc<dyn Task>, input: Input, call: CallContext) -> Result<Output, TaskError> {
    let cancel = call.cancel.clone();
    spawn(task.run(input, call), cancel, s.config.cancel_grace).await
}

async fn run_multipart(
    s: &Shared,
    ctx: &Ctx,
    task: Arc<dyn Task>,
    call: CallContext,
    content_type: &str,
) -> HandlerResponse {
    let Some(body) = ctx.body_stream() else {
        return ProtocolError::new(400, "Invalid multipart payload", "INVALID_MULTIPART").into_response();
    };
    let (input, finalize) = match multipart::start(body, content_type, s.config.multipart).await {
        Ok(started) => started,
        Err(refusal) => return refusal.into_response(),
    };
    let (outcome, finalized) = tokio::join!(run(s, task, input, call), finalize);
    // As in the reference: a broken upload wins over the task's own outcome.
    if let Err(refusal) = finalized {
        return refusal.into_response();
    }
    answer(outcome, "task")
}

fn answer(outcome: Result<Output, TaskError>, what: &str) -> HandlerResponse {
    match outcome {
        Ok(Output::Value(result)) => respond(200, &ok(Some(result))),
        Ok(Output::Stream { content_type, stream }) => {
            let mut response = HandlerResponse::new(http::StatusCode::OK, ResponseBody::Stream(stream));
            let value = http::HeaderValue::from_str(&content_type)
                .unwrap_or_else(|_| http::HeaderValue::from_static("application/octet-stream"));
            response.headers.insert(http::header::CONTENT_TYPE, value);
            response
        }
        Err(e) => ProtocolError::from_task_error(&e, what).into_response(),
    }
}

/// JavaScript's `Boolean(x)`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Undefined | Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        Value::BigInt(d) => d != "0",
        _ => true,
    }
}

async fn emit_event(s: &Shared, ctx: Ctx) -> HandlerResponse {
    let id: String = ctx.path("id").unwrap_or_default();
    if let Some(refusal) = s.config.exposure.check_event(&id) {
        return refusal.into_response();
    }
    let Some(event) = s.registry.get_event(&id).cloned() else {
        return ProtocolError::new(404, format!("Event {id} not found"), "NOT_FOUND").into_response();
    };
    let call = call_context(&id, ctx.headers());
    let guard = call.cancel.clone().drop_guard();
    let body = match read_json(&ctx, s.config.json_max_size).await {
        Ok(body) => body,
        Err(refusal) => return refusal.into_response(),
    };
    let return_payload = body.get("returnPayload").is_some_and(truthy);
    if return_payload && event.parallel {
        let message = format!("Event {id} is marked parallel; returning a payload is not supported.");
        return ProtocolError::new(400, message, "PARALLEL_EVENT_RETURN_UNSUPPORTED").into_response();
    }
    let payload = body.get("payload").cloned().unwrap_or(Value::Undefined);
    let cancel = call.cancel.clone();
    let emission = Box::pin(async move { event.emit(payload, call).await });
    let outcome = spawn(emission, cancel, s.config.cancel_grace).await;
    guard.disarm();
    match outcome {
        Ok(payload) => respond(200, &ok(return_payload.then_some(payload))),
        Err(e) => ProtocolError::from_task_error(&e, "event").into_response(),
    }
}
