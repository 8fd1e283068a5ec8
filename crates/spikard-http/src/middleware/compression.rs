//! Response compression (gzip, brotli) negotiated from `Accept-Encoding`.
//!
//! The coding is the acceptable one with the highest q-value (`q=0` refuses a
//! coding, `*` stands for any coding not named); on a tie brotli wins over gzip.
//! A response is sent as it is when it is a `HEAD` answer, a 1xx/204/206/304,
//! already has a `Content-Encoding`, carries `Cache-Control: no-transform`, is an
//! already-compressed type (images except SVG, audio, video, fonts, archives),
//! is `text/event-stream`, or has a known size below `min_size`. Eligible
//! responses get `Vary: Accept-Encoding` whether or not they are compressed.
//! Streaming bodies are compressed chunk by chunk (each chunk flushed, so a
//! stream is never held back); a body whose whole content is one frame is
//! compressed in one go.
//!
//! Brotli needs the crate's `brotli` feature (on for the servers; its encoder and
//! dictionary are most of a megabyte, so the WebAssembly module leaves it out, the
//! edge host usually compressing responses itself): without it `brotli: true` is
//! ignored and gzip is negotiated alone.
//!
//! Why hand-written, not tower-http's `CompressionLayer`: configured per route from serde
//! config, honours `no-transform`, skips HEAD/204/304 and compressed media types, never
//! answers 406, and costs less per request it passes through; compressing costs the same
//! (measured: `docs/middleware.md`).
//!
//! ```
//! use spikard_http::middleware::compression::{negotiate, Encoding};
//! assert_eq!(negotiate("gzip, br", true, true), Some(Encoding::Brotli));
//! assert_eq!(negotiate("br;q=0.5, gzip", true, true), Some(Encoding::Gzip));
//! assert_eq!(negotiate("gzip;q=0", true, true), None);
//! ```

use std::io::Write;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use axum::body::Body;
use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use spikard_core::config::CompressionConfig;

use super::{Context, Middleware};
use crate::handler::RequestData;

/// A content coding this middleware produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    pub fn header_value(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Gzip => "gzip",
            Self::Brotli => "br",
        })
    }
}

/// The best coding the client accepts among the enabled ones (`None`: send as is).
pub fn negotiate(accept: &str, gzip: bool, brotli: bool) -> Option<Encoding> {
    let (mut q_gzip, mut q_br, mut q_any) = (None::<f32>, None::<f32>, None::<f32>);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let mut q = 1.0f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))
                        .unwrap_or(0.0);
                }
            }
        }
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            q_gzip = Some(q_gzip.map_or(q, |old| old.max(q)));
        } else if coding.eq_ignore_ascii_case("br") {
            q_br = Some(q_br.map_or(q, |old| old.max(q)));
        } else if coding == "*" {
            q_any = Some(q);
        }
    }
    let q_br = if brotli { q_br.or(q_any).unwrap_or(0.0) } else { 0.0 };
    let q_gzip = if gzip { q_gzip.or(q_any).unwrap_or(0.0) } else { 0.0 };
    if q_br > 0.0 && q_br >= q_gzip {
        Some(Encoding::Brotli)
    } else if q_gzip > 0.0 {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// Whether a media type is worth compressing (already-compressed types and SSE are not).
pub fn compressible(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let (kind, sub) = essence.split_once('/').unwrap_or((essence, ""));
    let sub_in = |list: &[&str]| list.iter().any(|s| sub.eq_ignore_ascii_case(s));
    if kind.eq_ignore_ascii_case("image") {
        sub_in(&["svg+xml", "bmp", "x-icon", "vnd.microsoft.icon"])
    } else if kind.eq_ignore_ascii_case("audio") || kind.eq_ignore_ascii_case("video") {
        false
    } else if kind.eq_ignore_ascii_case("font") {
        !sub_in(&["woff", "woff2"])
    } else if kind.eq_ignore_ascii_case("text") {
        !sub.eq_ignore_ascii_case("event-stream")
    } else if kind.eq_ignore_ascii_case("application") {
        !sub_in(&[
            "zip",
            "gzip",
            "x-gzip",
            "x-bzip2",
            "x-xz",
            "zstd",
            "x-7z-compressed",
            "x-rar-compressed",
            "vnd.rar",
            "x-tar",
            "brotli",
            "x-brotli",
            "pdf",
            "wasm",
            "octet-stream",
            "grpc",
        ])
    } else {
        true
    }
}

/// The compression middleware.
#[derive(Debug)]
pub struct Compression {
    gzip: bool,
    brotli: bool,
    min_size: u64,
    quality: u32,
}

impl Compression {
    pub fn new(config: &CompressionConfig) -> Self {
        Self {
            gzip: config.gzip,
            brotli: config.brotli && cfg!(feature = "brotli"),
            min_size: config.min_size as u64,
            quality: config.quality,
        }
    }

    /// Cheapest checks first: most responses of a small API are below `min_size`.
    fn eligible(&self, ctx: &Context, response: &Response<Body>) -> bool {
        let status = response.status();
        if ctx.method == Method::HEAD
            || status.is_informational()
            || matches!(
                status,
                StatusCode::NO_CONTENT | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
            )
            || response
                .body()
                .size_hint()
                .exact()
                .is_some_and(|n| n < self.min_size.max(1))
        {
            return false;
        }
        let h = response.headers();
        if h.contains_key(header::CONTENT_ENCODING) || h.contains_key(header::CONTENT_RANGE) {
            return false;
        }
        let no_transform = h
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-transform")));
        !no_transform
            && h.get(header::CONTENT_TYPE)
                .is_none_or(|ct| ct.to_str().is_ok_and(compressible))
    }
}

impl Middleware for Compression {
    fn name(&self) -> &'static str {
        "compression"
    }

    fn on_request(&self, request: &mut RequestData, ctx: &mut Context) -> Result<(), Box<Response<Body>>> {
        ctx.encoding = request
            .headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| negotiate(v, self.gzip, self.brotli));
        Ok(())
    }

    fn on_response(&self, ctx: &Context, response: &mut Response<Body>) {
        if !self.eligible(ctx, response) {
            return;
        }
        super::cors::add_vary(response.headers_mut(), "Accept-Encoding");
        let Some((encoding, encoder)) = ctx.encoding.and_then(|e| Some((e, Encoder::new(e, self.quality)?))) else {
            return;
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_ENCODING, encoding.header_value());
        headers.remove(header::CONTENT_LENGTH);
        headers.remove(header::ACCEPT_RANGES);
        // The compressed bytes differ, so a strong validator becomes a weak one.
        if let Some(etag) = headers.get(header::ETAG).and_then(|v| v.to_str().ok()) {
            if !etag.starts_with("W/") {
                if let Ok(weak) = HeaderValue::from_str(&format!("W/{etag}")) {
                    headers.insert(header::ETAG, weak);
                }
            }
        }
        let body = std::mem::take(response.body_mut());
        *response.body_mut() = Body::new(CompressedBody {
            inner: body,
            encoder: Some(encoder),
        });
    }
}

enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    #[cfg(feature = "brotli")]
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
}

impl Encoder {
    /// An encoder for `encoding` (`None`: this build has no encoder for it).
    fn new(encoding: Encoding, quality: u32) -> Option<Self> {
        match encoding {
            Encoding::Gzip => Some(Self::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(quality.min(9)),
            ))),
            #[cfg(feature = "brotli")]
            Encoding::Brotli => Some(Self::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                quality.min(11),
                22,
            )))),
            #[cfg(not(feature = "brotli"))]
            Encoding::Brotli => None,
        }
    }

    /// Compress a chunk and flush, returning the bytes produced so far.
    fn chunk(&mut self, data: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Self::Gzip(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
            #[cfg(feature = "brotli")]
            Self::Brotli(e) => {
                e.write_all(data)?;
                e.flush()?;
                Ok(Bytes::from(std::mem::take(e.get_mut())))
            }
        }
    }

    /// Compress the last data and close the stream.
    fn finish(self, data: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Self::Gzip(mut e) => {
                e.write_all(data)?;
                e.finish().map(Bytes::from)
            }
            #[cfg(feature = "brotli")]
            Self::Brotli(mut e) => {
                e.write_all(data)?;
                Ok(Bytes::from(e.into_inner()))
            }
        }
    }
}

/// A body compressed as it is polled.
struct CompressedBody {
    inner: Body,
    /// `None` once the stream is finished.
    encoder: Option<Encoder>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl HttpBody for CompressedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            if this.encoder.is_none() {
                return Poll::Ready(None);
            }
            let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(None) => {
                    let Some(encoder) = this.encoder.take() else { continue };
                    let out = encoder.finish(&[])?;
                    return Poll::Ready((!out.is_empty()).then(|| Ok(Frame::data(out))));
                }
            };
            let Ok(data) = frame.into_data() else { continue };
            let out = if this.inner.is_end_stream() {
                match this.encoder.take() {
                    Some(encoder) => encoder.finish(&data)?,
                    None => continue,
                }
            } else {
                match this.encoder.as_mut() {
                    Some(encoder) => encoder.chunk(&data)?,
                    None => continue,
                }
            };
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(out))));
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::io::Read;

    #[test]
    fn negotiation_by_q_value_then_server_preference() {
        assert_eq!(negotiate("gzip", true, true), Some(Encoding::Gzip));
        assert_eq!(negotiate("br;q=1, gzip;q=1", true, true), Some(Encoding::Brotli));
        assert_eq!(negotiate("br;q=0.2, gzip;q=0.8", true, true), Some(Encoding::Gzip));
        assert_eq!(negotiate("*", true, false), Some(Encoding::Gzip));
        assert_eq!(negotiate("*;q=0.5, br;q=0", true, true), Some(Encoding::Gzip));
        assert_eq!(negotiate("br", true, false), None);
        assert_eq!(negotiate("identity, deflate", true, true), None);
        assert_eq!(negotiate("gzip;q=bogus", true, true), None);
    }

    #[test]
    fn compressed_types() {
        assert!(compressible("application/json"));
        assert!(compressible("text/html; charset=utf-8"));
        assert!(compressible("image/svg+xml"));
        assert!(compressible("Application/JSON"));
        assert!(!compressible("IMAGE/PNG"));
        for t in [
            "image/png",
            "video/mp4",
            "font/woff2",
            "application/zip",
            "text/event-stream",
        ] {
            assert!(!compressible(t), "{t}");
        }
    }

    fn gunzip(b: &[u8]) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(b).read_to_string(&mut s).unwrap();
        s
    }

    #[tokio::test]
    async fn streams_are_compressed_chunk_by_chunk() {
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from("hello ")), Ok(Bytes::from("world"))];
        let mut body = CompressedBody {
            inner: Body::from_stream(futures_util::stream::iter(chunks)),
            encoder: Encoder::new(Encoding::Gzip, 4),
        };
        let mut frames = 0;
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            frames += 1;
            out.extend_from_slice(&frame.unwrap().into_data().unwrap());
        }
        assert!(frames >= 2);
        assert_eq!(gunzip(&out), "hello world");
    }

    #[tokio::test]
    #[cfg(feature = "brotli")]
    async fn full_bodies_in_one_go_and_brotli_round_trip() {
        let text = "spikard ".repeat(200);
        let body = CompressedBody {
            inner: Body::from(text.clone()),
            encoder: Encoder::new(Encoding::Brotli, 4),
        };
        let bytes = body.collect().await.unwrap().to_bytes();
        assert!(bytes.len() < text.len());
        let mut out = String::new();
        brotli::Decompressor::new(&bytes[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
    }
}
