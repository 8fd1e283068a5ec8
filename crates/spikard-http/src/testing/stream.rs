//! Test-client support for streamed bodies and server-sent events, read as they come.

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::BodyExt;
use serde_json::Value;

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
