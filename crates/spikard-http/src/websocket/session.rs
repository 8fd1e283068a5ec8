//! One WebSocket session: a writer task draining the connection's queue, and the
//! reader loop dispatching data messages to the handler in order.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::Value;
use spikard_core::SpikardError;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::{close_code, Outgoing, WebSocketHandler, WebSocketUpgrade, WsConnection, WsMessage, WsSettings};
use crate::response::public_problem;

/// Messages the handler may queue before `send` waits for the client.
const OUTGOING_QUEUE: usize = 32;
/// How long the closing handshake may take before the connection is dropped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

fn to_wire(message: WsMessage) -> Message {
    match message {
        WsMessage::Text(t) => Message::text(t),
        WsMessage::Binary(b) => Message::Binary(b),
        WsMessage::Json(v) => Message::text(v.to_string()),
    }
}

fn close_frame(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    }))
}

/// What the reader does with one incoming data message.
enum Dispatch {
    Handle(WsMessage),
    /// An error frame; the connection stays open.
    Reply(Value),
    Close(u16, &'static str),
}

fn dispatch(settings: &WsSettings, message: Message) -> Option<Dispatch> {
    let text = match message {
        Message::Text(t) => t,
        Message::Binary(b) if settings.validator.is_none() => return Some(Dispatch::Handle(WsMessage::Binary(b))),
        Message::Binary(_) => {
            return Some(Dispatch::Close(
                close_code::UNSUPPORTED_DATA,
                "this endpoint accepts JSON text messages only",
            ))
        }
        _ => return None,
    };
    let Some(validator) = &settings.validator else {
        return Some(Dispatch::Handle(WsMessage::Text(text.as_str().to_owned())));
    };
    let value: Value = match serde_json::from_str(text.as_str()) {
        Ok(v) => v,
        Err(e) => {
            let err = SpikardError::MalformedJson(format!("Invalid JSON message: {e}"));
            return Some(Dispatch::Reply(problem_value(&err)));
        }
    };
    let errors = validator.validate(&value, &[Value::from("body")]);
    if errors.is_empty() {
        Some(Dispatch::Handle(WsMessage::Json(value)))
    } else {
        Some(Dispatch::Reply(problem_value(&SpikardError::Validation(errors))))
    }
}

/// The problem object of an error, as the JSON of an error frame.
pub(crate) fn problem_value(err: &SpikardError) -> Value {
    serde_json::to_value(public_problem(err)).unwrap_or(Value::Null)
}

async fn guarded<T>(what: &str, future: crate::handler::BoxFuture<T>) -> Option<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(v) => Some(v),
        Err(_) => {
            tracing::error!("WebSocket handler panicked in {what}");
            None
        }
    }
}

/// Run a session to its end on an upgraded connection.
pub(crate) async fn run_session<S>(io: S, upgrade: WebSocketUpgrade)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let WebSocketUpgrade {
        handler,
        settings,
        request,
    } = upgrade;
    let config = WebSocketConfig::default()
        .max_message_size(Some(settings.max_message_size))
        .max_frame_size(Some(settings.max_message_size));
    let ws = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Outgoing>(OUTGOING_QUEUE);
    let (done_tx, mut done_rx) = oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                out = rx.recv() => match out {
                    Some(Outgoing::Message(m)) => {
                        if sink.send(to_wire(m)).await.is_err() {
                            break;
                        }
                    }
                    Some(Outgoing::Close(code, reason)) => {
                        let _ = sink.send(close_frame(code, reason)).await;
                        break;
                    }
                    None => break,
                },
                _ = &mut done_rx => break,
            }
        }
        // Sends our close frame if none went out yet, and flushes the reply to the peer's.
        let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
    });
    let conn = WsConnection::new(tx, request);
    let (code, reason) = read_loop(&handler, &settings, &conn, &mut stream).await;
    guarded("on_close", handler.on_close(conn.clone(), code, reason)).await;
    let _ = done_tx.send(());
    drop(conn);
    let _ = writer.await;
}

/// Read until the connection ends; the close code and reason for `on_close`.
async fn read_loop<St>(
    handler: &Arc<dyn WebSocketHandler>,
    settings: &WsSettings,
    conn: &WsConnection,
    stream: &mut St,
) -> (u16, String)
where
    St: futures_util::Stream<Item = Result<Message, WsError>> + Unpin,
{
    match guarded("on_connect", handler.on_connect(conn.clone())).await {
        Some(Ok(())) => {}
        Some(Err(e)) if e.is_public() => {
            let reason = e.to_string();
            let _ = conn.close(close_code::POLICY_VIOLATION, &reason).await;
            return (close_code::POLICY_VIOLATION, reason);
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "WebSocket on_connect failed");
            let _ = conn.close(close_code::INTERNAL_ERROR, "Internal error").await;
            return (close_code::INTERNAL_ERROR, "Internal error".into());
        }
        None => {
            let _ = conn.close(close_code::INTERNAL_ERROR, "Internal error").await;
            return (close_code::INTERNAL_ERROR, "Internal error".into());
        }
    }
    loop {
        let item = tokio::select! {
            item = stream.next() => item,
            () = settings.shutdown.cancelled() => {
                let _ = conn.close(close_code::GOING_AWAY, "server shutting down").await;
                return (close_code::GOING_AWAY, "server shutting down".into());
            }
        };
        let Some(item) = item else { break };
        let message = match item {
            Ok(Message::Close(frame)) => {
                return frame.map_or((close_code::NO_STATUS, String::new()), |f| {
                    (u16::from(f.code), f.reason.as_str().to_owned())
                });
            }
            Ok(m) => m,
            Err(e) => {
                let (code, reason) = match e {
                    WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
                        (close_code::MESSAGE_TOO_BIG, "message too big")
                    }
                    WsError::Utf8(_) => (close_code::INVALID_PAYLOAD, "text message is not valid UTF-8"),
                    WsError::Protocol(_) | WsError::Capacity(_) => (close_code::PROTOCOL_ERROR, "protocol error"),
                    _ => return (close_code::ABNORMAL, String::new()),
                };
                let _ = conn.close(code, reason).await;
                return (code, reason.into());
            }
        };
        match dispatch(settings, message) {
            None => {}
            Some(Dispatch::Reply(frame)) => {
                let sent = conn.send(WsMessage::Json(frame)).await;
                if sent.is_err() {
                    return (close_code::ABNORMAL, String::new());
                }
            }
            Some(Dispatch::Close(code, reason)) => {
                let _ = conn.close(code, reason).await;
                return (code, reason.into());
            }
            Some(Dispatch::Handle(m)) => match guarded("on_message", handler.on_message(conn.clone(), m)).await {
                Some(Ok(())) => {}
                outcome => {
                    if let Some(Err(e)) = outcome {
                        tracing::error!(error = %e, "WebSocket handler failed");
                    }
                    let _ = conn.close(close_code::INTERNAL_ERROR, "Internal error").await;
                    return (close_code::INTERNAL_ERROR, "Internal error".into());
                }
            },
        }
    }
    (close_code::ABNORMAL, String::new())
}
