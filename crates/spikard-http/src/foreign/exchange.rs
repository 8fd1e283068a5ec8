//! A request handed to a foreign application as messages, and the response built from what
//! it sends: the shape of ASGI's `receive`/`send` (and of any server interface where the
//! app pulls its body and pushes its response). A binding mounts such an app
//! ([`crate::mount`]) and only converts: [`serve`] reads the body, calls the binding's
//! `start` with an [`Exchange`], and answers with what the app sends through it.
//!
//! - A body of known length up to 64 KiB is read before the app starts (one message, no
//!   wait); others are forwarded chunk by chunk as they arrive, a few chunks ahead of the
//!   app, within `max_body_size` (413 while no response started).
//! - The response starts with the first body after the start: a single body is sent whole
//!   with its length, more chunks are streamed with back-pressure ([`Exchange::body`]
//!   answers `false` while the client is not reading; [`Exchange::writable`] wakes when it is).
//! - [`Message::Disconnect`] once the response is complete or the client left; sending
//!   after the client left is [`ExchangeError::Disconnected`].
//! - The app's failure before the response started is a logged 500 problem (after: the
//!   response is cut short); no start within `start_timeout` is a 504 problem.
//!
//! A binding's [`Wake`] resolves its waiters (an asyncio future, a promise) from any
//! thread; waiters are only resolved once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, Request, Response, StatusCode};
use spikard_core::error::HttpProblem;
use spikard_core::SpikardError;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::body_stream::BodyStream;
use crate::layer::BoxError;
use crate::response::error_response;

/// Bodies of known length up to this are read before the app starts.
const READ_WHOLE: u64 = 64 * 1024;
/// Request chunks forwarded ahead of the app; response chunks queued for the client.
const AHEAD: usize = 4;

/// What the app receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A piece of the request body; `true` when more follows.
    Body(Bytes, bool),
    /// The response is complete or the client left.
    Disconnect,
}

/// What sending could not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The client left (or the request was already answered, by a timeout).
    #[error("the client closed the connection")]
    Disconnected,
    /// The app broke the protocol (a body before the start, a second start).
    #[error("{0}")]
    Protocol(&'static str),
}

/// Resolves a binding's waiters from any thread.
pub trait Wake: Send + Sync + 'static {
    type Waiter: Send + 'static;
    /// Resolve `waiter`: with the next message, or with `None` when the client has room again.
    fn wake(&self, waiter: Self::Waiter, message: Option<Message>);
}

/// Settings of an exchange.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_size: usize,
    pub start_timeout: Duration,
}

struct State<T> {
    inbox: VecDeque<(Bytes, bool)>,
    disconnected: bool,
    waiter: Option<T>,
    respond: Option<oneshot::Sender<Response<Body>>>,
    start: Option<(StatusCode, HeaderMap)>,
    stream: Option<mpsc::Sender<Result<Bytes, BoxError>>>,
}

struct Shared<W: Wake> {
    state: Mutex<State<W::Waiter>>,
    wake: W,
    /// Signalled when the app took a message (the forwarder waits for room).
    room: Notify,
    /// The runtime serving the request (the app's calls come from its own thread).
    runtime: tokio::runtime::Handle,
}

impl<W: Wake> Shared<W> {
    fn lock(&self) -> MutexGuard<'_, State<W::Waiter>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn disconnect(&self) {
        let waiter = {
            let mut state = self.lock();
            state.disconnected = true;
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            self.wake.wake(waiter, Some(Message::Disconnect));
        }
    }

    fn deliver(&self, chunk: Bytes, more: bool) {
        let mut state = self.lock();
        match state.waiter.take() {
            Some(waiter) => {
                drop(state);
                self.wake.wake(waiter, Some(Message::Body(chunk, more)));
                self.room.notify_one();
            }
            None => state.inbox.push_back((chunk, more)),
        }
    }

    fn answer(&self, response: Response<Body>) {
        if let Some(tx) = self.lock().respond.take() {
            let _ = tx.send(response);
        }
    }
}

/// One request as the app sees it (cheap to clone; every clone is the same exchange).
pub struct Exchange<W: Wake> {
    shared: Arc<Shared<W>>,
}

impl<W: Wake> Clone for Exchange<W> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<W: Wake> Exchange<W> {
    /// The next message if one is ready (`None`: wait with [`Exchange::wait`]).
    pub fn receive(&self) -> Option<Message> {
        let mut state = self.shared.lock();
        if let Some((chunk, more)) = state.inbox.pop_front() {
            drop(state);
            self.shared.room.notify_one();
            return Some(Message::Body(chunk, more));
        }
        state.disconnected.then_some(Message::Disconnect)
    }

    /// Wait for the next message: `Ok(Some(message))` when one is ready now (the waiter is
    /// not kept), else the waiter is woken with it. One waiter at a time.
    pub fn wait(&self, waiter: W::Waiter) -> Result<Option<Message>, ExchangeError> {
        if let Some(message) = self.receive() {
            return Ok(Some(message));
        }
        let mut state = self.shared.lock();
        if state.disconnected {
            return Ok(Some(Message::Disconnect));
        }
        if state.waiter.is_some() {
            return Err(ExchangeError::Protocol("receive is already being awaited"));
        }
        state.waiter = Some(waiter);
        Ok(None)
    }

    /// The response's status and headers (sent with the first body).
    pub fn start(&self, status: StatusCode, headers: HeaderMap) -> Result<(), ExchangeError> {
        let mut state = self.shared.lock();
        if state.start.is_some() || state.stream.is_some() {
            return Err(ExchangeError::Protocol("the response was already started"));
        }
        state.start = Some((status, headers));
        Ok(())
    }

    /// A piece of the response body (`more`: others follow). `Ok(false)`: the client is
    /// not reading yet; wait with [`Exchange::writable`] and send it again.
    pub fn body(&self, data: &[u8], more: bool) -> Result<bool, ExchangeError> {
        let mut state = self.shared.lock();
        if let Some(tx) = &state.stream {
            if !data.is_empty() {
                match tx.try_send(Ok(Bytes::copy_from_slice(data))) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => return Ok(false),
                    Err(mpsc::error::TrySendError::Closed(_)) => return Err(ExchangeError::Disconnected),
                }
            }
            if !more {
                state.stream = None;
            }
            return Ok(true);
        }
        let Some((status, headers)) = state.start.take() else {
            return Err(if state.disconnected && state.respond.is_none() {
                ExchangeError::Disconnected
            } else {
                ExchangeError::Protocol("a response body was sent before the response start")
            });
        };
        let Some(respond) = state.respond.take() else {
            return Err(ExchangeError::Disconnected);
        };
        let body = if more {
            let (tx, rx) = mpsc::channel(AHEAD);
            if !data.is_empty() {
                let _ = tx.try_send(Ok(Bytes::copy_from_slice(data)));
            }
            state.stream = Some(tx);
            Body::from_stream(client_stream(rx, Closed(Arc::clone(&self.shared))))
        } else {
            Body::from(Bytes::copy_from_slice(data))
        };
        drop(state);
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        if respond.send(response).is_err() {
            return Err(ExchangeError::Disconnected);
        }
        if !more {
            self.shared.disconnect();
        }
        Ok(true)
    }

    /// Wake `waiter` (with `None`) once the client has room for another chunk.
    pub fn writable(&self, waiter: W::Waiter) {
        let tx = self.shared.lock().stream.clone();
        let shared = Arc::clone(&self.shared);
        self.shared.runtime.spawn(async move {
            if let Some(tx) = tx {
                drop(tx.reserve().await);
            }
            shared.wake.wake(waiter, None);
        });
    }

    /// The app returned (`failed`: it raised, already logged by the binding): answer if it
    /// never did (a started response with an empty body, else a 500 problem), end a stream.
    pub fn finish(&self, failed: bool) {
        let (start, stream, unanswered) = {
            let mut state = self.shared.lock();
            (state.start.take(), state.stream.take(), state.respond.is_some())
        };
        if let (Some(tx), true) = (stream, failed) {
            let _ = tx.try_send(Err("the application failed while sending the response".into()));
        }
        if unanswered {
            let response = match (start, failed) {
                (Some((status, headers)), false) => {
                    let mut r = Response::new(Body::empty());
                    *r.status_mut() = status;
                    *r.headers_mut() = headers;
                    r
                }
                (_, true) => error_response(&SpikardError::Internal("the application failed".into())).into_http(false),
                (None, false) => {
                    error_response(&SpikardError::Internal("the application sent no response".into())).into_http(false)
                }
            };
            self.shared.answer(response);
        }
        self.shared.disconnect();
    }
}

/// Dropped with the streamed body (sent, or the client left): the app gets [`Message::Disconnect`].
struct Closed<W: Wake>(Arc<Shared<W>>);

impl<W: Wake> Drop for Closed<W> {
    fn drop(&mut self) {
        self.0.disconnect();
    }
}

fn client_stream<W: Wake>(
    mut rx: mpsc::Receiver<Result<Bytes, BoxError>>,
    closed: Closed<W>,
) -> impl futures_util::Stream<Item = Result<Bytes, BoxError>> + Send {
    futures_util::stream::poll_fn(move |cx| {
        let _ = &closed;
        rx.poll_recv(cx)
    })
}

/// Marks the exchange disconnected if the request's future is dropped unanswered (the client left).
struct Watch<W: Wake>(Arc<Shared<W>>);

impl<W: Wake> Drop for Watch<W> {
    fn drop(&mut self) {
        if self.0.lock().respond.is_some() {
            self.0.disconnect();
        }
    }
}

/// Serve `request` through a foreign app: `start` gets the request's parts and its
/// [`Exchange`] and sets the app running (it must call [`Exchange::finish`] when the app
/// returns); the response is what the app sends (see the module docs).
pub async fn serve<W, F>(request: Request<Body>, wake: W, limits: Limits, start: F) -> Response<Body>
where
    W: Wake,
    F: FnOnce(&http::request::Parts, Exchange<W>) -> Result<(), SpikardError>,
{
    let (parts, body) = request.into_parts();
    let head = parts.method == http::Method::HEAD;
    let mut stream = match BodyStream::new(body, &parts.headers, limits.max_body_size) {
        Ok(s) => s,
        Err(e) => return error_response(&e).into_http(head),
    };
    let (respond, answered) = oneshot::channel();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            inbox: VecDeque::new(),
            disconnected: false,
            waiter: None,
            respond: Some(respond),
            start: None,
            stream: None,
        }),
        wake,
        room: Notify::new(),
        runtime: tokio::runtime::Handle::current(),
    });
    let known = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if known.is_some_and(|n| n <= READ_WHOLE)
        || known.is_none() && !parts.headers.contains_key(http::header::TRANSFER_ENCODING)
    {
        let mut buf = Vec::with_capacity(usize::try_from(known.unwrap_or(0)).unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(c) => buf.extend_from_slice(&c),
                Err(e) => return error_response(&e).into_http(head),
            }
        }
        shared.lock().inbox.push_back((Bytes::from(buf), false));
    } else {
        tokio::spawn(forward(Arc::clone(&shared), stream));
    }
    let exchange = Exchange {
        shared: Arc::clone(&shared),
    };
    if let Err(e) = start(&parts, exchange) {
        return error_response(&e).into_http(head);
    }
    let watch = Watch(Arc::clone(&shared));
    let response = match tokio::time::timeout(limits.start_timeout, answered).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => error_response(&SpikardError::Internal("the response was lost".into())).into_http(head),
        Err(_) => {
            shared.lock().respond = None;
            shared.disconnect();
            let detail = format!(
                "The application did not start a response within {} s",
                limits.start_timeout.as_secs_f64()
            );
            error_response(&HttpProblem::new(504, detail).into()).into_http(head)
        }
    };
    drop(watch);
    response
}

/// Forward a streamed request body to the app, a few chunks ahead of it.
async fn forward<W: Wake>(shared: Arc<Shared<W>>, mut stream: BodyStream) {
    loop {
        let room = shared.room.notified();
        let (disconnected, full) = {
            let state = shared.lock();
            (state.disconnected, state.inbox.len() >= AHEAD)
        };
        if disconnected {
            return;
        }
        if full {
            room.await;
            continue;
        }
        match stream.next().await {
            Some(Ok(chunk)) => shared.deliver(chunk, true),
            Some(Err(e)) => {
                // Too large, stalled or cut short: answered here while no response started.
                shared.answer(error_response(&e).into_http(false));
                shared.disconnect();
                return;
            }
            None => {
                shared.deliver(Bytes::new(), false);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waiters are channels; a wake sends the message.
    struct Chan;

    impl Wake for Chan {
        type Waiter = std::sync::mpsc::Sender<Option<Message>>;
        fn wake(&self, waiter: Self::Waiter, message: Option<Message>) {
            let _ = waiter.send(message);
        }
    }

    fn limits() -> Limits {
        Limits {
            max_body_size: 1 << 20,
            start_timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn a_small_body_in_one_message_and_a_whole_response() {
        let request = Request::post("/").body(Body::from("hello")).unwrap();
        let response = serve(request, Chan, limits(), |_parts, ex| {
            assert_eq!(ex.receive(), Some(Message::Body("hello".into(), false)));
            assert_eq!(ex.receive(), None);
            assert_eq!(
                ex.body(b"x", false),
                Err(ExchangeError::Protocol(
                    "a response body was sent before the response start"
                ))
            );
            ex.start(StatusCode::CREATED, HeaderMap::new()).unwrap();
            assert_eq!(ex.body(b"done", false), Ok(true));
            assert_eq!(ex.receive(), Some(Message::Disconnect));
            ex.finish(false);
            Ok(())
        })
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let bytes = axum::body::to_bytes(response.into_body(), 100).await.unwrap();
        assert_eq!(bytes, "done");
    }

    #[tokio::test]
    async fn failures_and_silence_are_problems() {
        let request = Request::get("/").body(Body::empty()).unwrap();
        let failed = serve(request, Chan, limits(), |_p, ex| {
            ex.finish(true);
            Ok(())
        })
        .await;
        assert_eq!(failed.status(), 500);
        let request = Request::get("/").body(Body::empty()).unwrap();
        let quick = Limits {
            start_timeout: Duration::from_millis(20),
            ..limits()
        };
        let kept = std::sync::Arc::new(Mutex::new(None));
        let keep = kept.clone();
        let silent = serve(request, Chan, quick, move |_p, ex| {
            *keep.lock().unwrap() = Some(ex);
            Ok(())
        })
        .await;
        assert_eq!(silent.status(), 504);
        let ex = kept.lock().unwrap().take().unwrap();
        assert_eq!(ex.receive(), Some(Message::Body(Bytes::new(), false)));
        assert_eq!(ex.receive(), Some(Message::Disconnect));
        ex.start(StatusCode::OK, HeaderMap::new()).unwrap();
        assert_eq!(ex.body(b"late", false), Err(ExchangeError::Disconnected));
    }
}
