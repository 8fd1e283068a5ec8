//! The test client's WebSockets and streamed responses, through the real pipeline in memory.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::Env;
use spikard_http::testing::{header_list, TestStreamResponse, TestWebSocket, WsFrame};
use tokio::sync::Mutex;

use crate::app::TestResult;

/// A frame the server sent: `text`, `bytes`, a `pong`, or `closeCode`/`closeReason`;
/// `ended` once the connection is gone.
#[napi_derive::napi(object)]
pub struct Frame {
    pub text: Option<String>,
    pub bytes: Option<Buffer>,
    pub pong: Option<Buffer>,
    pub close_code: Option<u32>,
    pub close_reason: Option<String>,
    pub ended: bool,
}

/// A test client's WebSocket, or the response that refused the upgrade.
#[napi_derive::napi]
pub struct NativeWebSocket {
    socket: Option<Arc<Mutex<TestWebSocket>>>,
    refused: Option<TestResult>,
}

impl NativeWebSocket {
    pub fn new(result: Result<TestWebSocket, TestResult>) -> Self {
        match result {
            Ok(ws) => Self {
                socket: Some(Arc::new(Mutex::new(ws))),
                refused: None,
            },
            Err(r) => Self {
                socket: None,
                refused: Some(r),
            },
        }
    }

    fn socket(&self) -> napi::Result<Arc<Mutex<TestWebSocket>>> {
        self.socket
            .clone()
            .ok_or_else(|| napi::Error::from_reason("the WebSocket upgrade was refused"))
    }
}

fn failed(e: String) -> napi::Error {
    napi::Error::from_reason(e)
}

#[napi_derive::napi]
impl NativeWebSocket {
    /// The response that refused the upgrade, if it was refused.
    #[napi]
    pub fn refused(&self) -> Option<TestResult> {
        self.refused.as_ref().map(|r| TestResult {
            status: r.status,
            headers: r.headers.clone(),
            body: r.body.to_vec().into(),
        })
    }

    #[napi]
    pub fn send_text<'env>(&self, env: &'env Env, text: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let ws = self.socket()?;
        env.spawn_future(async move { ws.lock().await.send_text(&text).await.map_err(failed) })
    }

    #[napi]
    pub fn send_bytes<'env>(&self, env: &'env Env, bytes: Buffer) -> napi::Result<PromiseRaw<'env, ()>> {
        let ws = self.socket()?;
        let bytes = bytes.to_vec();
        env.spawn_future(async move { ws.lock().await.send_binary(bytes).await.map_err(failed) })
    }

    /// Send text frame bytes that are not UTF-8 (to test the server's refusal).
    #[napi]
    pub fn send_invalid_text<'env>(&self, env: &'env Env, bytes: Buffer) -> napi::Result<PromiseRaw<'env, ()>> {
        let ws = self.socket()?;
        let bytes = bytes.to_vec();
        env.spawn_future(async move { ws.lock().await.send_invalid_utf8_text(&bytes).await.map_err(failed) })
    }

    #[napi]
    pub fn ping<'env>(&self, env: &'env Env, payload: Buffer) -> napi::Result<PromiseRaw<'env, ()>> {
        let ws = self.socket()?;
        let payload = payload.to_vec();
        env.spawn_future(async move { ws.lock().await.ping(payload).await.map_err(failed) })
    }

    #[napi]
    pub fn close<'env>(&self, env: &'env Env, code: u32, reason: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let ws = self.socket()?;
        let code = u16::try_from(code).map_err(|_| napi::Error::from_reason(format!("invalid close code {code}")))?;
        env.spawn_future(async move { ws.lock().await.close(code, &reason).await.map_err(failed) })
    }

    /// The next frame from the server.
    #[napi]
    pub fn recv<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Frame>> {
        let ws = self.socket()?;
        env.spawn_future(async move {
            let mut frame = Frame {
                text: None,
                bytes: None,
                pong: None,
                close_code: None,
                close_reason: None,
                ended: false,
            };
            match ws.lock().await.recv().await {
                Some(WsFrame::Text(t)) => frame.text = Some(t),
                Some(WsFrame::Binary(b)) => frame.bytes = Some(b.to_vec().into()),
                Some(WsFrame::Pong(p)) => frame.pong = Some(p.to_vec().into()),
                Some(WsFrame::Close(code, reason)) => {
                    frame.close_code = Some(u32::from(code));
                    frame.close_reason = Some(reason);
                }
                None => frame.ended = true,
            }
            Ok(frame)
        })
    }
}

/// One read of a stream.
type Read<T> = for<'a> fn(&'a mut TestStreamResponse) -> BoxFuture<'a, napi::Result<Option<T>>>;

/// A response read as it arrives (streams and server-sent events that may never end).
#[napi_derive::napi]
pub struct NativeStream {
    status: u32,
    headers: Vec<(String, String)>,
    /// `None` once closed.
    body: Arc<Mutex<Option<TestStreamResponse>>>,
    /// Set by `close()`: ends a read in progress (which holds `body`).
    closing: tokio::sync::watch::Sender<bool>,
}

impl NativeStream {
    pub fn new(response: TestStreamResponse) -> Self {
        Self {
            status: u32::from(response.status),
            headers: header_list(&response.headers),
            body: Arc::new(Mutex::new(Some(response))),
            closing: tokio::sync::watch::Sender::new(false),
        }
    }

    /// `read` on the open stream; `None` once closed, also when `close()` interrupts it.
    fn read<'env, T>(&self, env: &'env Env, read: Read<T>) -> napi::Result<PromiseRaw<'env, Option<T>>>
    where
        T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    {
        let body = Arc::clone(&self.body);
        let mut closing = self.closing.subscribe();
        env.spawn_future(async move {
            let mut body = body.lock().await;
            let Some(stream) = body.as_mut() else { return Ok(None) };
            tokio::select! {
                read = read(stream) => read,
                _ = closing.wait_for(|closed| *closed) => Ok(None),
            }
        })
    }
}

#[napi_derive::napi]
impl NativeStream {
    #[napi(getter)]
    pub fn status(&self) -> u32 {
        self.status
    }

    #[napi(getter)]
    pub fn headers(&self) -> Vec<(String, String)> {
        self.headers.clone()
    }

    /// The next chunk; `null` at the end (or once closed); rejects when the stream failed.
    #[napi]
    pub fn next_chunk<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<Buffer>>> {
        self.read(env, |stream| {
            Box::pin(async move {
                match stream.next_chunk().await {
                    Some(Ok(bytes)) => Ok(Some(Buffer::from(bytes.to_vec()))),
                    Some(Err(e)) => Err(napi::Error::from_reason(e)),
                    None => Ok(None),
                }
            })
        })
    }

    /// The next server-sent event block exactly as sent; `null` when the stream ended.
    #[napi]
    pub fn next_event<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        self.read(env, |stream| {
            Box::pin(async move { Ok(stream.next_event_text().await) })
        })
    }

    /// Drop the response as a client that disconnects would.
    #[napi]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        self.closing.send_replace(true);
        let body = Arc::clone(&self.body);
        env.spawn_future(async move {
            body.lock().await.take();
            Ok(())
        })
    }
}
