//! The answer for a found file: validators, conditional requests, byte ranges, the body.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use spikard_core::error::HttpProblem;
use spikard_core::SpikardError;

use super::{Found, Mount};
use crate::response::error_response;

/// Files up to this size are read in one go; larger ones are streamed.
#[cfg(feature = "server")]
const READ_WHOLE_LIMIT: u64 = 256 * 1024;

/// Media type by file extension (`application/octet-stream` when unknown).
pub fn content_type_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "css" => "text/css",
        "js" | "mjs" => "text/javascript",
        "csv" => "text/csv",
        "md" => "text/markdown",
        "xml" => "application/xml",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(feature = "server")]
fn disk_etag(len: u64, modified: SystemTime) -> HeaderValue {
    let nanos = modified.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    HeaderValue::from_str(&format!("\"{len:x}-{nanos:x}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `If-None-Match` (weak comparison) or else `If-Modified-Since` says the client's copy is current.
fn not_modified(headers: &HeaderMap, etag: &HeaderValue, modified: SystemTime) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.to_str().unwrap_or("").trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    since.is_some_and(|since| secs(modified) <= secs(since))
}

/// A `Range` no byte of the file satisfies (answered with 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// A single byte range: `Ok(None)` for no (or an ignored) range, `Err` when unsatisfiable.
pub fn parse_range(value: &str, len: u64) -> Result<Option<(u64, u64)>, Unsatisfiable> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // several ranges: the whole file is a valid answer
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        let Ok(n) = end.parse::<u64>() else { return Ok(None) };
        if n == 0 || len == 0 {
            return Err(Unsatisfiable);
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let Ok(s) = start.parse::<u64>() else { return Ok(None) };
        let e = if end.is_empty() {
            len.saturating_sub(1)
        } else {
            match end.parse::<u64>() {
                Ok(e) if e >= s => e.min(len.saturating_sub(1)),
                _ => return Ok(None),
            }
        };
        if s >= len {
            return Err(Unsatisfiable);
        }
        (s, e)
    };
    Ok(Some(range))
}

#[cfg(feature = "server")]
async fn read_disk(path: &std::path::Path, start: u64, len: u64) -> std::io::Result<Body> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = tokio::fs::File::open(path).await?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await?;
    }
    if len <= READ_WHOLE_LIMIT {
        let mut buf = Vec::with_capacity(len as usize);
        file.take(len).read_to_end(&mut buf).await?;
        return Ok(Body::from(buf));
    }
    Ok(Body::from_stream(tokio_util::io::ReaderStream::new(file.take(len))))
}

pub(super) async fn respond(mount: &Mount, found: Found, method: &Method, headers: &HeaderMap) -> Response<Body> {
    let (len, modified, etag, content_type) = match &found {
        Found::Memory(bytes, etag, built, ct) => (bytes.len() as u64, *built, etag.clone(), *ct),
        #[cfg(feature = "server")]
        Found::Disk(_, len, modified, ct) => (*len, *modified, disk_etag(*len, *modified), *ct),
    };
    let mut response = Response::new(Body::empty());
    let h = response.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&httpdate::fmt_http_date(modified)).unwrap_or(HeaderValue::from_static("")),
    );
    if let Some(cc) = &mount.cache_control {
        h.insert(header::CACHE_CONTROL, cc.clone());
    }
    if not_modified(headers, &etag, modified) {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v == etag || httpdate::parse_http_date(v.to_str().unwrap_or("")).is_ok_and(|d| d == modified));
    let range = match headers
        .get(header::RANGE)
        .filter(|_| if_range_ok)
        .and_then(|v| v.to_str().ok())
    {
        Some(v) => parse_range(v, len),
        None => Ok(None),
    };
    let (start, end) = match range {
        Ok(Some(r)) => r,
        Ok(None) => (0, len.saturating_sub(1)),
        Err(Unsatisfiable) => {
            let err = HttpProblem::new(416, format!("Range not satisfiable for a {len}-byte file"))
                .header(header::CONTENT_RANGE.as_str(), format!("bytes */{len}"));
            return error_response(&err.into()).into_http(method == Method::HEAD);
        }
    };
    let partial = matches!(range, Ok(Some(_)));
    let count = if len == 0 { 0 } else { end - start + 1 };
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
    }
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    if method == Method::HEAD {
        return response;
    }
    let body: std::io::Result<Body> = match found {
        Found::Memory(bytes, ..) => Ok(Body::from(bytes.slice(start as usize..(start + count) as usize))),
        #[cfg(feature = "server")]
        Found::Disk(path, ..) => read_disk(&path, start, count).await,
    };
    match body {
        Ok(b) => *response.body_mut() = b,
        Err(e) => {
            return error_response(&SpikardError::Internal(format!("static file read failed: {e}"))).into_http(false)
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-4", 10), Ok(Some((0, 4))));
        assert_eq!(parse_range("bytes=5-", 10), Ok(Some((5, 9))));
        assert_eq!(parse_range("bytes=-3", 10), Ok(Some((7, 9))));
        assert_eq!(parse_range("bytes=8-100", 10), Ok(Some((8, 9))));
        assert_eq!(parse_range("bytes=10-", 10), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=-0", 10), Err(Unsatisfiable));
        assert_eq!(parse_range("bytes=0-1,3-4", 10), Ok(None));
        assert_eq!(parse_range("items=0-1", 10), Ok(None));
        assert_eq!(parse_range("bytes=5-2", 10), Ok(None));
    }

    #[test]
    fn conditional_requests() {
        let etag = HeaderValue::from_static("\"a-1\"");
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"a-1\""));
        assert!(not_modified(&h, &etag, t));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&httpdate::fmt_http_date(t)).unwrap(),
        );
        assert!(!not_modified(&h, &etag, t), "If-None-Match takes precedence");
        h.remove(header::IF_NONE_MATCH);
        assert!(not_modified(&h, &etag, t));
    }
}
