//! The test client's WebSockets, in memory: a WebSocket runs over a duplex pipe, through
//! the same session code as on a real socket.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::HeaderMap;
use serde_json::Value;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A frame the test client received.
#[derive(Debug, Clone, PartialEq)]
pub enum WsFrame {
    Text(String),
    Binary(Bytes),
    Pong(Bytes),
    /// The server closed with this code and reason.
    Close(u16, String),
}

impl WsFrame {
    /// A text frame's JSON.
    pub fn json(&self) -> Option<Value> {
        match self {
            Self::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        }
    }
}

/// The client end of an in-memory WebSocket.
pub struct TestWebSocket {
    ws: WebSocketStream<tokio::io::DuplexStream>,
    /// The `101` response's headers.
    pub headers: HeaderMap,
}

impl TestWebSocket {
    pub(crate) async fn new(io: tokio::io::DuplexStream, headers: HeaderMap) -> Self {
        Self {
            ws: WebSocketStream::from_raw_socket(io, Role::Client, None).await,
            headers,
        }
    }

    async fn send_message(&mut self, m: Message) -> Result<(), String> {
        self.ws.send(m).await.map_err(|e| e.to_string())
    }

    pub async fn send_text(&mut self, text: &str) -> Result<(), String> {
        self.send_message(Message::text(text)).await
    }

    pub async fn send_json(&mut self, value: &Value) -> Result<(), String> {
        self.send_text(&value.to_string()).await
    }

    pub async fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), String> {
        self.send_message(Message::Binary(data.into())).await
    }

    /// Send raw frame bytes as a text message without UTF-8 checks (to test refusals).
    pub async fn send_invalid_utf8_text(&mut self, data: &[u8]) -> Result<(), String> {
        use tokio_tungstenite::tungstenite::protocol::frame::{coding::Data, coding::OpCode, Frame};
        let frame = Frame::message(Bytes::copy_from_slice(data), OpCode::Data(Data::Text), true);
        self.send_message(Message::Frame(frame)).await
    }

    pub async fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), String> {
        self.send_message(Message::Ping(payload.into())).await
    }

    /// Start the closing handshake with a code.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<(), String> {
        self.send_message(Message::Close(Some(CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        })))
        .await
    }

    /// The next frame from the server; `None` once the connection is gone.
    pub async fn recv(&mut self) -> Option<WsFrame> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(t)) => return Some(WsFrame::Text(t.as_str().to_owned())),
                Ok(Message::Binary(b)) => return Some(WsFrame::Binary(b)),
                Ok(Message::Pong(p)) => return Some(WsFrame::Pong(p)),
                Ok(Message::Close(f)) => {
                    return Some(f.map_or(WsFrame::Close(1005, String::new()), |f| {
                        WsFrame::Close(u16::from(f.code), f.reason.as_str().to_owned())
                    }))
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }
}
