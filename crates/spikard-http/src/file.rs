//! A file as an answer: a handler's file response (`FileResponse` in the bindings,
//! [`ResponseBody::File`]) and the static-file mounts share it.
//!
//! - `ETag` and `Last-Modified`, with 304 for `If-None-Match` (weak comparison) or else
//!   `If-Modified-Since`;
//! - single byte ranges: 206 with `Content-Range`, `If-Range` honoured, several ranges
//!   answered with the whole file, an unsatisfiable one a 416 problem with
//!   `Content-Range: bytes */LEN`; `Accept-Ranges: bytes`;
//! - `Content-Type` from the response's own header, else the file name's extension;
//!   `Content-Disposition` (`attachment` or `inline`, RFC 6266 with an RFC 5987
//!   `filename*` when the name is not plain ASCII) when a download name is given;
//! - files on disk are read whole up to 256 KiB and streamed beyond; a path that is not a
//!   readable file is the application's error (a logged 500, the path never leaks).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use spikard_http::file::{answer, Conditions, FileBody};
//! use spikard_http::{HandlerResponse, ResponseBody};
//! let file = FileBody::bytes("hello world", std::time::UNIX_EPOCH).download("hi.txt");
//! let mut request = http::HeaderMap::new();
//! request.insert(http::header::RANGE, "bytes=0-4".parse().unwrap());
//! let response = HandlerResponse::new(http::StatusCode::OK, ResponseBody::File(Box::new(file)));
//! let response = answer(response, &Conditions::of(&request)).await;
//! assert_eq!(response.status, 206);
//! assert_eq!(response.headers["content-range"], "bytes 0-4/11");
//! assert_eq!(response.headers["content-type"], "text/plain");
//! assert_eq!(response.headers["content-disposition"], "attachment; filename=\"hi.txt\"");
//! # });
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use spikard_core::error::HttpProblem;
use spikard_core::SpikardError;

use crate::middleware::static_files::content_type_for;
use crate::response::{error_response, HandlerResponse, ResponseBody};

/// Files up to this size are read in one go; larger ones are streamed.
#[cfg(feature = "server")]
const READ_WHOLE_LIMIT: u64 = 256 * 1024;

/// Where a file's bytes are.
#[derive(Debug)]
pub enum FileSource {
    /// In memory, with the time it was last modified.
    Bytes(Bytes, SystemTime),
    /// On disk, read when the response is sent.
    #[cfg(feature = "server")]
    Path(std::path::PathBuf),
}

/// A file a handler answers with.
#[derive(Debug)]
pub struct FileBody {
    pub source: FileSource,
    /// The name a browser saves it under (`Content-Disposition`); also gives the content
    /// type when the response sets none.
    pub filename: Option<String>,
    /// `inline` rather than `attachment` in `Content-Disposition`.
    pub inline: bool,
}

impl FileBody {
    #[cfg(feature = "server")]
    pub fn path(path: impl Into<std::path::PathBuf>) -> Self {
        Self::new(FileSource::Path(path.into()))
    }

    pub fn bytes(bytes: impl Into<Bytes>, modified: SystemTime) -> Self {
        Self::new(FileSource::Bytes(bytes.into(), modified))
    }

    fn new(source: FileSource) -> Self {
        Self {
            source,
            filename: None,
            inline: false,
        }
    }

    /// Offer it as a download named `name`.
    #[must_use]
    pub fn download(mut self, name: impl Into<String>) -> Self {
        self.filename = Some(name.into());
        self
    }

    /// Name it but ask the browser to show it (`Content-Disposition: inline`).
    #[must_use]
    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }
}

/// The request headers a file answer depends on (`Range`, `If-Range`, `If-None-Match`,
/// `If-Modified-Since`), kept when the request is handed to the handler.
#[derive(Debug, Default)]
pub struct Conditions(HeaderMap);

const CONDITIONAL: [HeaderName; 4] = [
    header::RANGE,
    header::IF_RANGE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
];

impl Conditions {
    pub fn of(headers: &HeaderMap) -> Self {
        let mut kept = HeaderMap::new();
        for name in CONDITIONAL {
            if let Some(v) = headers.get(&name) {
                kept.insert(name, v.clone());
            }
        }
        Self(kept)
    }
}

/// A file found, described for [`respond`].
pub(crate) struct Found {
    pub len: u64,
    pub modified: SystemTime,
    pub etag: HeaderValue,
    pub content_type: HeaderValue,
    pub source: FileSource,
}

/// The answer for a response whose body is a [`FileBody`] (any other response is returned
/// as it is): its status and headers stay unless the request's conditions change them (304,
/// 206, 416).
pub async fn answer(mut response: HandlerResponse, conditions: &Conditions) -> HandlerResponse {
    let ResponseBody::File(file) = std::mem::replace(&mut response.body, ResponseBody::Empty) else {
        return response;
    };
    let FileBody {
        source,
        filename,
        inline,
    } = *file;
    let named = filename.as_deref();
    let declared = response.headers.remove(header::CONTENT_TYPE);
    let content_type = |path: &str| {
        declared
            .clone()
            .unwrap_or_else(|| HeaderValue::from_static(content_type_for(named.unwrap_or(path))))
    };
    let found = match source {
        FileSource::Bytes(bytes, modified) => Found {
            len: bytes.len() as u64,
            etag: content_etag(&bytes),
            modified,
            content_type: content_type(""),
            source: FileSource::Bytes(bytes, modified),
        },
        #[cfg(feature = "server")]
        FileSource::Path(path) => match tokio::fs::metadata(&path).await {
            Ok(meta) if meta.is_file() => {
                let modified = meta.modified().unwrap_or(UNIX_EPOCH);
                let nanos = modified.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
                Found {
                    len: meta.len(),
                    etag: etag(meta.len(), nanos),
                    modified,
                    content_type: content_type(&path.to_string_lossy()),
                    source: FileSource::Path(path),
                }
            }
            _ => {
                return error_response(&SpikardError::Internal(format!(
                    "file response: '{}' is not a readable file",
                    path.display()
                )))
            }
        },
    };
    if let Some(name) = named {
        if let Ok(v) = HeaderValue::from_str(&disposition(name, inline)) {
            response.headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    // Conditions apply to a file answered with 200; another status sends the whole file.
    let none = HeaderMap::new();
    let request = if response.status == StatusCode::OK {
        &conditions.0
    } else {
        &none
    };
    respond(response, found, request).await
}

/// The `ETag` of a file on disk: its length and modification time.
pub(crate) fn etag(len: u64, modified_nanos: u128) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{len:x}-{modified_nanos:x}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `ETag` of bytes in memory: their length and FNV-1a (64 bit) hash.
pub(crate) fn content_etag(bytes: &[u8]) -> HeaderValue {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    HeaderValue::from_str(&format!("\"{:x}-{hash:016x}\"", bytes.len())).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `attachment; filename="…"`, with `filename*=UTF-8''…` for a name that is not plain ASCII.
fn disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let plain = name
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        return format!("{kind}; filename=\"{name}\"");
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename*=UTF-8''{encoded}")
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
async fn read_disk(path: &std::path::Path, start: u64, len: u64) -> std::io::Result<ResponseBody> {
    use futures_util::TryStreamExt;
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = tokio::fs::File::open(path).await?;
    if start > 0 {
        file.seek(std::io::SeekFrom::Start(start)).await?;
    }
    if len <= READ_WHOLE_LIMIT {
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(len).read_to_end(&mut buf).await?;
        return Ok(ResponseBody::Bytes(buf.into()));
    }
    let stream = tokio_util::io::ReaderStream::new(file.take(len)).map_err(Into::into);
    Ok(ResponseBody::Stream(Box::pin(stream)))
}

/// Validators, conditional requests, ranges and the body of a found file, on `response`
/// (its status and headers are the base).
pub(crate) async fn respond(mut response: HandlerResponse, found: Found, request: &HeaderMap) -> HandlerResponse {
    let Found {
        len,
        modified,
        etag,
        content_type,
        source,
    } = found;
    let h = &mut response.headers;
    h.insert(header::ETAG, etag.clone());
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    if not_modified(request, &etag, modified) {
        response.status = StatusCode::NOT_MODIFIED;
        return response;
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, content_type);
    let if_range_ok = request
        .get(header::IF_RANGE)
        .is_none_or(|v| v == etag || httpdate::parse_http_date(v.to_str().unwrap_or("")).is_ok_and(|d| d == modified));
    let range = match request
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
            return error_response(&err.into());
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    if matches!(range, Ok(Some(_))) {
        response.status = StatusCode::PARTIAL_CONTENT;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            response.headers.insert(header::CONTENT_RANGE, v);
        }
    }
    response
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    let body: std::io::Result<ResponseBody> = match source {
        FileSource::Bytes(bytes, _) => Ok(ResponseBody::Bytes(
            bytes.slice(usize::try_from(start).unwrap_or(0)..usize::try_from(start + count).unwrap_or(0)),
        )),
        #[cfg(feature = "server")]
        FileSource::Path(path) => read_disk(&path, start, count).await,
    };
    match body {
        Ok(b) => response.body = b,
        Err(e) => return error_response(&SpikardError::Internal(format!("file read failed: {e}"))),
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

    #[test]
    fn dispositions() {
        assert_eq!(disposition("a b.txt", false), "attachment; filename=\"a b.txt\"");
        assert_eq!(disposition("r.pdf", true), "inline; filename=\"r.pdf\"");
        assert_eq!(
            disposition("résumé \"1\".pdf", false),
            "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.pdf"
        );
    }
}
