//! The in-memory test client (`Spikard::Native::Client`) over the core's
//! [`BlockingClient`], its streamed responses and WebSockets. Every blocking call runs with
//! the GVL released, so the app's Ruby threads run the handlers meanwhile.

use magnus::value::ReprValue;
use magnus::{Error, RArray, RString, Ruby, Value as RValue};
use spikard_http::testing::{
    header_list, BlockingClient, BlockingStream, BlockingWebSocket, ClientError, RequestBody, WsFrame,
};

use crate::app::NativeApp;
use crate::convert::{binary, pairs};
use crate::errors::{argument, server_error};
use std::sync::Arc;

use crate::gvl::interruptible;

fn client_error(ruby: &Ruby, e: &ClientError) -> Error {
    argument(ruby, e.to_string())
}

fn interrupted(ruby: &Ruby) -> Error {
    Error::new(ruby.exception_runtime_error(), "the test client's call was interrupted")
}

/// `[status, [[name, value], ...], body]`.
fn response(ruby: &Ruby, status: u16, headers: &http::HeaderMap, body: &[u8]) -> RArray {
    let out = ruby.ary_new_capa(3);
    let _ = out.push(status);
    let _ = out.push(pairs(ruby, &header_list(headers)));
    let _ = out.push(binary(ruby, body));
    out
}

#[magnus::wrap(class = "Spikard::Native::Client", free_immediately, size)]
pub struct NativeClient(Arc<BlockingClient>);

impl NativeClient {
    pub fn new(ruby: &Ruby, app: &NativeApp) -> Result<Self, Error> {
        let client = BlockingClient::new(app.pipeline(ruby)?).map_err(|e| server_error(ruby, &e))?;
        Ok(Self(Arc::new(client)))
    }

    /// One request: `[status, header pairs, body]`.
    pub fn request(
        ruby: &Ruby,
        rb_self: &Self,
        method: String,
        target: String,
        headers: Vec<(String, String)>,
        body: Option<RString>,
    ) -> Result<RArray, Error> {
        // SAFETY: copied before any Ruby code runs.
        let body = body.map_or(RequestBody::Empty, |b| {
            RequestBody::Bytes(unsafe { b.as_slice() }.to_vec().into())
        });
        let client = Arc::clone(&rb_self.0);
        let sent =
            interruptible(move || client.request(&method, &target, &headers, body)).ok_or_else(|| interrupted(ruby))?;
        let res = sent.map_err(|e| client_error(ruby, &e))?;
        Ok(response(ruby, res.status, &res.headers, &res.body))
    }

    /// A bodiless request whose response is read as it arrives.
    pub fn stream(
        ruby: &Ruby,
        rb_self: &Self,
        method: String,
        target: String,
        headers: Vec<(String, String)>,
    ) -> Result<NativeStream, Error> {
        let client = Arc::clone(&rb_self.0);
        let sent = interruptible(move || client.stream(&method, &target, &headers)).ok_or_else(|| interrupted(ruby))?;
        sent.map(|s| NativeStream(Arc::new(s)))
            .map_err(|e| client_error(ruby, &e))
    }

    /// Open a WebSocket: the socket, or `[status, header pairs, body]` of the refusal.
    pub fn websocket(
        ruby: &Ruby,
        rb_self: &Self,
        target: String,
        headers: Vec<(String, String)>,
    ) -> Result<RValue, Error> {
        let client = Arc::clone(&rb_self.0);
        let opened = interruptible(move || client.websocket(&target, &headers)).ok_or_else(|| interrupted(ruby))?;
        match opened {
            Ok(ws) => Ok(ruby.into_value(NativeWebSocket(Arc::new(ws)))),
            Err(ClientError::Refused(r)) => Ok(response(ruby, r.status, &r.headers, &r.body).as_value()),
            Err(e) => Err(client_error(ruby, &e)),
        }
    }
}

#[magnus::wrap(class = "Spikard::Native::Stream", free_immediately, size)]
pub struct NativeStream(Arc<BlockingStream>);

impl NativeStream {
    pub fn status(&self) -> u16 {
        self.0.status
    }

    pub fn headers(ruby: &Ruby, rb_self: &Self) -> RArray {
        pairs(ruby, &header_list(&rb_self.0.headers))
    }

    /// The next chunk, `nil` at the end.
    pub fn next_chunk(ruby: &Ruby, rb_self: &Self) -> Result<Option<RString>, Error> {
        let stream = Arc::clone(&rb_self.0);
        let read = interruptible(move || stream.next_chunk()).ok_or_else(|| interrupted(ruby))?;
        // A stream the server ended early ends here too (as a client sees it); the server
        // logged why.
        Ok(read.ok().flatten().map(|b| binary(ruby, &b)))
    }

    /// The next event block exactly as sent, `nil` at the end.
    pub fn next_event_text(ruby: &Ruby, rb_self: &Self) -> Result<Option<String>, Error> {
        let stream = Arc::clone(&rb_self.0);
        interruptible(move || stream.next_event_text()).ok_or_else(|| interrupted(ruby))
    }

    /// Stop reading: the server stops the stream, as when a client disconnects.
    pub fn close(&self) {
        let stream = Arc::clone(&self.0);
        let _ = interruptible(move || stream.close());
    }
}

#[magnus::wrap(class = "Spikard::Native::WebSocket", free_immediately, size)]
pub struct NativeWebSocket(Arc<BlockingWebSocket>);

impl NativeWebSocket {
    pub fn headers(ruby: &Ruby, rb_self: &Self) -> RArray {
        pairs(ruby, &header_list(&rb_self.0.headers))
    }

    pub fn send_text(ruby: &Ruby, rb_self: &Self, text: String) -> Result<(), Error> {
        let ws = Arc::clone(&rb_self.0);
        let sent = interruptible(move || ws.send_text(&text)).ok_or_else(|| interrupted(ruby))?;
        sent.map_err(|e| client_error(ruby, &e))
    }

    pub fn send_bytes(ruby: &Ruby, rb_self: &Self, data: RString) -> Result<(), Error> {
        // SAFETY: copied before any Ruby code runs.
        let data = unsafe { data.as_slice() }.to_vec();
        let ws = Arc::clone(&rb_self.0);
        let sent = interruptible(move || ws.send_binary(data)).ok_or_else(|| interrupted(ruby))?;
        sent.map_err(|e| client_error(ruby, &e))
    }

    pub fn close(ruby: &Ruby, rb_self: &Self, code: u16, reason: String) -> Result<(), Error> {
        let ws = Arc::clone(&rb_self.0);
        let sent = interruptible(move || ws.close(code, &reason)).ok_or_else(|| interrupted(ruby))?;
        sent.map_err(|e| client_error(ruby, &e))
    }

    /// The next frame: `[:text, str]`, `[:binary, str]`, `[:pong, str]`, `[:close, code,
    /// reason]`, or `nil` once the connection is gone.
    pub fn receive(ruby: &Ruby, rb_self: &Self) -> Result<RValue, Error> {
        let ws = Arc::clone(&rb_self.0);
        let frame = interruptible(move || ws.recv()).ok_or_else(|| interrupted(ruby))?;
        let sym = |s: &str| ruby.to_symbol(s);
        Ok(match frame {
            None => ruby.qnil().as_value(),
            Some(WsFrame::Text(t)) => ruby
                .ary_new_from_values(&[sym("text").as_value(), ruby.str_new(&t).as_value()])
                .as_value(),
            Some(WsFrame::Binary(b)) => ruby
                .ary_new_from_values(&[sym("binary").as_value(), binary(ruby, &b).as_value()])
                .as_value(),
            Some(WsFrame::Pong(b)) => ruby
                .ary_new_from_values(&[sym("pong").as_value(), binary(ruby, &b).as_value()])
                .as_value(),
            Some(WsFrame::Close(code, reason)) => {
                let arr = ruby.ary_new_capa(3);
                arr.push(sym("close"))?;
                arr.push(code)?;
                arr.push(ruby.str_new(&reason))?;
                arr.as_value()
            }
        })
    }
}
