//! WebSockets in memory and on a real socket: echo, ping/pong, close codes,
//! message schema validation with error frames, handshake refusals.

mod common;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::{builder, spec};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use spikard_http::server::serve_listener;
use spikard_http::websocket::{close_code, WebSocketHandler, WsConnection, WsMessage};
use spikard_http::{BoxFuture, SpikardError, TestClient, WsFrame};

/// Echoes messages; `"fail"` makes it error, `"bye"` closes normally; records close codes.
#[derive(Default)]
struct Echo {
    closed: Arc<Mutex<Vec<u16>>>,
}

impl WebSocketHandler for Echo {
    fn on_connect(&self, conn: WsConnection) -> BoxFuture<Result<(), SpikardError>> {
        Box::pin(async move {
            if conn.request().header("x-deny").is_some() {
                return Err(SpikardError::Forbidden {
                    title: "Forbidden".into(),
                    detail: "not allowed in".into(),
                });
            }
            Ok(())
        })
    }

    fn on_message(&self, conn: WsConnection, message: WsMessage) -> BoxFuture<Result<(), SpikardError>> {
        Box::pin(async move {
            match &message {
                WsMessage::Text(t) if t == "fail" => return Err(SpikardError::Internal("handler broke".into())),
                WsMessage::Text(t) if t == "bye" => {
                    let _ = conn.close(close_code::NORMAL, "bye").await;
                    return Ok(());
                }
                WsMessage::Json(v) => {
                    let _ = conn.send_json(json!({"ack": v["type"]})).await;
                    return Ok(());
                }
                _ => {}
            }
            let _ = conn.send(message).await;
            Ok(())
        })
    }

    fn on_close(&self, _conn: WsConnection, code: u16, _reason: String) -> BoxFuture<()> {
        self.closed.lock().unwrap().push(code);
        Box::pin(async {})
    }
}

fn schema() -> Value {
    json!({"type": "object", "properties": {"type": {"const": "chat"}, "text": {"type": "string", "minLength": 1}},
           "required": ["type", "text"]})
}

fn client_with(closed: Arc<Mutex<Vec<u16>>>) -> TestClient {
    let mut b = builder();
    b.websocket(
        spec(json!({"method": "GET", "path": "/echo", "max_message_size": 64})),
        Arc::new(Echo {
            closed: Arc::clone(&closed),
        }),
    )
    .unwrap();
    b.websocket(
        spec(json!({"method": "GET", "path": "/chat/{room}", "message_schema": schema()})),
        Arc::new(Echo { closed }),
    )
    .unwrap();
    TestClient::new(b.build().unwrap())
}

fn client() -> TestClient {
    client_with(Arc::default())
}

#[tokio::test]
async fn text_and_binary_are_echoed_and_pings_answered() {
    let mut ws = client().websocket("/echo").connect().await.unwrap();
    assert_eq!(
        ws.headers.get("sec-websocket-accept").unwrap(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    ws.send_text("hello").await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Text("hello".into())));
    ws.send_binary(Bytes::from_static(b"\x00\xff")).await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Binary(Bytes::from_static(b"\x00\xff"))));
    ws.ping(Bytes::from_static(b"p")).await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Pong(Bytes::from_static(b"p"))));
}

#[tokio::test]
async fn a_client_close_is_answered_and_reported_to_the_handler() {
    let closed = Arc::new(Mutex::new(Vec::new()));
    let mut ws = client_with(Arc::clone(&closed))
        .websocket("/echo")
        .connect()
        .await
        .unwrap();
    ws.close(close_code::NORMAL, "done").await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Close(1000, "done".into())));
    assert_eq!(ws.recv().await, None);
    assert_eq!(*closed.lock().unwrap(), vec![1000]);
}

#[tokio::test]
async fn the_handler_closes_normally() {
    let mut ws = client().websocket("/echo").connect().await.unwrap();
    ws.send_text("bye").await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Close(1000, "bye".into())));
}

#[tokio::test]
async fn a_failing_handler_closes_with_1011() {
    let mut ws = client().websocket("/echo").connect().await.unwrap();
    ws.send_text("fail").await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Close(1011, "Internal error".into())));
}

#[tokio::test]
async fn a_refused_connection_closes_with_1008() {
    let mut ws = client()
        .websocket("/echo")
        .header("x-deny", "1")
        .connect()
        .await
        .unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Close(1008, "not allowed in".into())));
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let mut ws = client().websocket("/echo").connect().await.unwrap();
    ws.send_text(&"x".repeat(65)).await.unwrap();
    assert_eq!(ws.recv().await, Some(WsFrame::Close(1009, "message too big".into())));
}

#[tokio::test]
async fn invalid_utf8_closes_with_1007() {
    let mut ws = client().websocket("/echo").connect().await.unwrap();
    ws.send_invalid_utf8_text(b"\xff\xfe").await.unwrap();
    assert_eq!(
        ws.recv().await,
        Some(WsFrame::Close(1007, "text message is not valid UTF-8".into()))
    );
}

#[tokio::test]
async fn messages_are_validated_against_the_schema_and_the_connection_stays_open() {
    let mut ws = client().websocket("/chat/general").connect().await.unwrap();
    ws.send_json(&json!({"type": "chat"})).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().json(),
        Some(json!({
            "type": "https://spikard.dev/errors/validation-error",
            "title": "Request Validation Failed",
            "status": 422,
            "detail": "1 validation error in request",
            "errors": [{"type": "missing", "loc": ["body", "text"], "msg": "Field required", "input": {"type": "chat"}}]
        }))
    );
    ws.send_text("{not json").await.unwrap();
    let frame = ws.recv().await.unwrap().json().unwrap();
    assert_eq!(frame["type"], "https://spikard.dev/errors/malformed-json");
    assert_eq!(frame["status"], 400);
    ws.send_json(&json!({"type": "chat", "text": "hi"})).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().json(), Some(json!({"ack": "chat"})));
}

#[tokio::test]
async fn binary_on_a_json_route_closes_with_1003() {
    let mut ws = client().websocket("/chat/general").connect().await.unwrap();
    ws.send_binary(Bytes::from_static(b"{}")).await.unwrap();
    assert_eq!(
        ws.recv().await,
        Some(WsFrame::Close(
            1003,
            "this endpoint accepts JSON text messages only".into()
        ))
    );
}

#[tokio::test]
async fn a_plain_get_on_a_websocket_route_is_a_400_problem() {
    let res = client().get("/echo").send().await;
    assert_eq!(res.status, 400);
    assert_eq!(res.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        res.json(),
        json!({
            "type": "https://spikard.dev/errors/bad-request",
            "title": "Bad Request",
            "status": 400,
            "detail": "Invalid WebSocket upgrade request: the Connection header must include 'upgrade'"
        })
    );
}

#[tokio::test]
async fn handshake_refusals() {
    let c = client();
    let old = c
        .websocket("/echo")
        .header("sec-websocket-version", "8")
        .connect()
        .await
        .err()
        .unwrap();
    assert_eq!(old.status, 426);
    assert_eq!(old.header("sec-websocket-version"), Some("13"));
    assert_eq!(
        old.json(),
        json!({
            "type": "https://spikard.dev/errors/upgrade-required",
            "title": "Upgrade Required",
            "status": 426,
            "detail": "Unsupported WebSocket version: Sec-WebSocket-Version must be 13"
        })
    );
    let bad_key = c
        .websocket("/echo")
        .header("sec-websocket-key", "short")
        .connect()
        .await
        .err()
        .unwrap();
    assert_eq!(bad_key.status, 400);
    assert_eq!(
        bad_key.json()["detail"],
        "Invalid WebSocket upgrade request: Sec-WebSocket-Key must be 16 bytes in base64"
    );
    // Path parameters are validated before the upgrade.
    assert_eq!(c.websocket("/nope").connect().await.err().unwrap().status, 404);
}

#[tokio::test]
async fn a_real_socket_upgrade() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut b = builder();
    b.websocket(
        spec(json!({"method": "GET", "path": "/echo"})),
        Arc::new(Echo::default()),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, b.build().unwrap(), async move {
        let _ = stopped.await;
    }));
    let (mut ws, response) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::text("over tcp")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("over tcp"));
    ws.send(Message::Ping(Bytes::from_static(b"x"))).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::Pong(Bytes::from_static(b"x"))
    );
    ws.close(None).await.unwrap();
    drop(ws);
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_closes_open_sessions_with_1001() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let closed = Arc::new(Mutex::new(Vec::new()));
    let mut b = builder();
    b.websocket(
        spec(json!({"method": "GET", "path": "/echo"})),
        Arc::new(Echo {
            closed: Arc::clone(&closed),
        }),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_listener(listener, b.build().unwrap(), async move {
        let _ = stopped.await;
    }));
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/echo"))
        .await
        .unwrap();
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::text("before")).await.unwrap();
    assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("before"));
    stop.send(()).unwrap();
    match ws.next().await.unwrap().unwrap() {
        Message::Close(Some(frame)) => {
            assert_eq!(u16::from(frame.code), 1001);
            assert_eq!(frame.reason.as_str(), "server shutting down");
        }
        other => panic!("expected a close frame, got {other:?}"),
    }
    server.await.unwrap().unwrap();
    // on_close runs in the session task; wait (bounded) until it has.
    for _ in 0..500 {
        if !closed.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(*closed.lock().unwrap(), vec![1001]);
}
