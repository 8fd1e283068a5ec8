//! Test-client support for streamed bodies, server-sent events and WebSockets,
//! all in memory (a WebSocket runs over a duplex pipe, through the same session
//! code as on a real socket).

use axum::body::Body;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::HeaderMap;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// A response whose body is read chunk by chunk (for endless streams).
pub struct TestStreamResponse {
    pub status: u16,
    pub headers: HeaderMap,
    body: Body,
    /// Bytes read but not yet parsed into events.
    pending: String,
}

impl TestStreamResponse {
    pub(crate) fn new(status: u16, headers: HeaderMap, body: Body) -> Self {
        Self {
            status,
            headers,
            body,
            pending: String::new(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next chunk; `None` at the end, `Some(Err)` when the stream failed.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, String>> {
        loop {
            match self.body.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(Ok(data));
                    }
                }
                Err(e) => return Some(Err(e.to_string())),
            }
        }
    }

    /// The next server-sent event or comment block; `None` when the stream ended.
    pub async fn next_event(&mut self) -> Option<SseMessage> {
        self.next_event_text()
            .await
            .map(|block| SseMessage::parse_block(&block))
    }

    /// The next block exactly as sent, with its terminating blank line.
    pub async fn next_event_text(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                return Some(self.pending.drain(..end + 2).collect());
            }
            let chunk = self.next_chunk().await?.ok()?;
            self.pending.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

/// One parsed `text/event-stream` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseMessage {
    pub event: Option<String>,
    pub id: Option<String>,
    /// `data:` lines joined with `\n` (`None` when the block had none).
    pub data: Option<String>,
    pub retry: Option<u64>,
    pub comments: Vec<String>,
}

impl SseMessage {
    fn parse_block(block: &str) -> Self {
        let mut m = Self::default();
        for line in block.lines().filter(|l| !l.is_empty()) {
            if let Some(c) = line.strip_prefix(':') {
                m.comments.push(c.strip_prefix(' ').unwrap_or(c).to_owned());
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            match field {
                "event" => m.event = Some(value),
                "id" => m.id = Some(value),
                "retry" => m.retry = value.parse().ok(),
                "data" => match &mut m.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(&value);
                    }
                    None => m.data = Some(value),
                },
                _ => {}
            }
        }
        m
    }

    /// Every event block of a complete `text/event-stream` body.
    pub fn parse_all(body: &str) -> Vec<Self> {
        body.replace("\r\n", "\n")
            .split("\n\n")
            .filter(|b| !b.trim().is_empty())
            .map(Self::parse_block)
            .collect()
    }

    /// The data parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        self.data.as_deref().and_then(|d| serde_json::from_str(d).ok())
    }
}

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
