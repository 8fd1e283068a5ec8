//! Request limits and raw input: target and header sizes, path decoding, the
//! body read against its size limit and against a stall ([`progress_body`]).
//!
//! Why hand-written, not tower-http's `RequestBodyLimitLayer`: the limit is per route, and
//! an oversize body is a 413 problem read against `Content-Length` and the bytes that
//! arrive; see `docs/middleware.md`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use http::header;
use http_body::Frame;
use http_body_util::{BodyExt, Limited};
use spikard_core::config::ServerConfig;
use spikard_core::SpikardError;

/// A request body that went `body_read_timeout_secs` without a byte while it was read.
#[derive(Debug, thiserror::Error)]
#[error("no request body bytes arrived for {} seconds", .0.as_secs_f64())]
pub struct BodyStalled(pub Duration);

/// The request body as the pipeline reads it: an error ([`BodyStalled`], answered as a 408
/// problem by [`read_body`]) when no byte arrives for `timeout` while it is being read. The
/// clock runs only while a reader waits, so a handler that reads late is not penalised.
pub fn progress_body<B>(body: B, timeout: Duration) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<crate::BoxError>,
{
    if http_body::Body::is_end_stream(&body) {
        // Nothing to read (a GET): no box, no timer.
        return Body::empty();
    }
    Body::new(ProgressBody {
        inner: body,
        timeout,
        sleep: None,
    })
}

struct ProgressBody<B> {
    inner: B,
    timeout: Duration,
    /// The deadline of the current wait (none until a read has to wait).
    sleep: Option<crate::rt::Timer>,
}

impl<B> http_body::Body for ProgressBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<crate::BoxError>,
{
    type Data = Bytes;
    type Error = crate::BoxError;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, crate::BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.sleep = None;
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this.sleep.get_or_insert_with(|| crate::rt::sleep(timeout));
                match Pin::new(sleep).poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyStalled(timeout))))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// How long the body stalled, when a [`BodyStalled`] is in an error's source chain.
pub(crate) fn stalled_for(err: &(dyn std::error::Error + 'static)) -> Option<f64> {
    stalled(err).map(|s| s.0.as_secs_f64())
}

/// The [`BodyStalled`] in an error's source chain.
fn stalled<'a>(mut err: &'a (dyn std::error::Error + 'static)) -> Option<&'a BodyStalled> {
    loop {
        if let Some(s) = err.downcast_ref::<BodyStalled>() {
            return Some(s);
        }
        err = err.source()?;
    }
}

/// Refuse an oversize request target (414) or header block (431).
pub fn check_head(parts: &http::request::Parts, config: &ServerConfig) -> Result<(), SpikardError> {
    let target_len = parts.uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > config.max_uri_length {
        return Err(SpikardError::UriTooLong {
            length: target_len,
            limit: config.max_uri_length,
        });
    }
    let header_size: usize = parts.headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if header_size > config.max_header_size {
        return Err(SpikardError::HeadersTooLarge {
            size: header_size,
            limit: config.max_header_size,
        });
    }
    Ok(())
}

/// Percent-decode a path, refusing malformed escapes and invalid UTF-8.
pub fn decode_path(raw: &str) -> Result<String, SpikardError> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
        if *b == b'%' && !(hex(i + 1) && hex(i + 2)) {
            return Err(SpikardError::BadRequest(format!(
                "Invalid percent-encoding in path at byte {i}"
            )));
        }
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| SpikardError::BadRequest("Path is not valid UTF-8 after percent-decoding".into()))
}

pub async fn read_body(body: Body, headers: &http::HeaderMap, limit: usize) -> Result<Bytes, SpikardError> {
    let declared = match headers.get(header::CONTENT_LENGTH) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .ok_or_else(|| SpikardError::BadRequest("Invalid Content-Length header".into()))?,
        ),
        None => None,
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(SpikardError::PayloadTooLarge { limit });
    }
    if declared.is_none_or(|n| n == 0) && http_body::Body::size_hint(&body).exact() == Some(0) {
        return Ok(Bytes::new());
    }
    let collected = Limited::new(body, limit).collect().await.map_err(|e| {
        if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
            SpikardError::PayloadTooLarge { limit }
        } else if let Some(s) = stalled(&*e) {
            SpikardError::RequestTimeout {
                seconds: s.0.as_secs_f64(),
            }
        } else {
            SpikardError::BadRequest(format!("Failed to read request body: {e}"))
        }
    })?;
    let bytes = collected.to_bytes();
    if let Some(n) = declared {
        if n != bytes.len() {
            return Err(SpikardError::BadRequest(format!(
                "Request body is {} bytes but Content-Length declares {n}",
                bytes.len()
            )));
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_decoding() {
        assert_eq!(decode_path("/a%20b").unwrap(), "/a b");
        assert!(decode_path("/a%zz").is_err());
        assert!(decode_path("/a%2").is_err());
        assert!(decode_path("/a%ff").is_err());
        assert_eq!(decode_path("/caf%C3%A9").unwrap(), "/café");
    }
}
