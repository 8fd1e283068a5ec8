//! The answer for a found file: media types by extension; validators, conditional requests,
//! byte ranges and the body come from [`crate::file`].

#[cfg(feature = "server")]
use std::time::UNIX_EPOCH;

use axum::body::Body;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::{Found, Mount};
use crate::file::{self, FileSource};
use crate::response::{HandlerResponse, ResponseBody};

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

/// The answer for a found file, through [`crate::file`] (validators, conditions, ranges).
pub(super) async fn respond(mount: &Mount, found: Found, method: &Method, headers: &HeaderMap) -> Response<Body> {
    let (len, modified, version, content_type, source) = match found {
        Found::Memory(bytes, etag, built, ct) => (
            bytes.len() as u64,
            built,
            Err(etag),
            ct,
            FileSource::Bytes(bytes, built),
        ),
        #[cfg(feature = "server")]
        Found::Disk(path, len, modified, ct) => {
            let nanos = modified.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            (len, modified, Ok(nanos), ct, FileSource::Path(path))
        }
    };
    let etag = match version {
        Ok(nanos) => file::etag(len, nanos),
        Err(etag) => etag,
    };
    let mut base = HandlerResponse::new(StatusCode::OK, ResponseBody::Empty);
    if let Some(cc) = &mount.cache_control {
        base.headers.insert(header::CACHE_CONTROL, cc.clone());
    }
    let found = file::Found {
        len,
        modified,
        etag,
        content_type: HeaderValue::from_static(content_type),
        source,
    };
    file::respond(base, found, headers)
        .await
        .into_http(method == Method::HEAD)
}
