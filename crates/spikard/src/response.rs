//! What Rust handlers may return.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use spikard_http::{Cookie, HandlerResponse, ResponseBody};

use crate::error::Error;

/// Conversion of a handler's return value into a response.
pub trait IntoResponse {
    fn into_response(self) -> Result<HandlerResponse, Error>;
}

/// A JSON response body from any serialisable value.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    /// Serialised straight to bytes, in one pass (a route's response model reads them back).
    fn into_response(self) -> Result<HandlerResponse, Error> {
        let bytes = serde_json::to_vec(&self.0)?;
        let mut response = HandlerResponse::new(StatusCode::OK, ResponseBody::JsonBytes(Bytes::from(bytes)));
        response.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }
}

impl IntoResponse for Value {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::json(self))
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::text(self))
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::text(self))
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Response::new(StatusCode::OK)
            .bytes(self, "application/octet-stream")
            .into_response()
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::new(StatusCode::NO_CONTENT, ResponseBody::Empty))
    }
}

impl IntoResponse for StatusCode {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::new(self, ResponseBody::Empty))
    }
}

impl IntoResponse for HandlerResponse {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(self)
    }
}

impl<R: IntoResponse> IntoResponse for (StatusCode, R) {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(self.1.into_response()?.with_status(self.0))
    }
}

impl<R: IntoResponse, E: Into<Error>> IntoResponse for Result<R, E> {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        self.map_err(Into::into)?.into_response()
    }
}

/// A response built step by step: status, headers, cookies, then a body.
#[derive(Debug)]
pub struct Response {
    inner: HandlerResponse,
    error: Option<String>,
}

impl Response {
    pub fn new(status: StatusCode) -> Self {
        Self {
            inner: HandlerResponse::new(status, ResponseBody::Empty),
            error: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if self.error.is_none() {
            let taken = std::mem::replace(
                &mut self.inner,
                HandlerResponse::new(StatusCode::OK, ResponseBody::Empty),
            );
            match taken.try_header(name, value) {
                Ok(r) => self.inner = r,
                Err(e) => self.error = Some(e),
            }
        }
        self
    }

    pub fn cookie(mut self, cookie: Cookie) -> Self {
        self.inner = self.inner.cookie(&cookie);
        self
    }

    pub fn json<T: Serialize>(mut self, value: &T) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => self.inner.body = ResponseBody::Json(v),
            Err(e) => self.error = Some(e.to_string()),
        }
        self
    }

    pub fn text(self, text: impl Into<String>) -> Self {
        self.bytes(Bytes::from(text.into()), "text/plain; charset=utf-8")
    }

    /// Raw bytes with a content type (kept if a `Content-Type` header was already set).
    pub fn bytes(mut self, body: impl Into<Bytes>, content_type: &str) -> Self {
        if !self.inner.headers.contains_key(http::header::CONTENT_TYPE) {
            self = self.header("content-type", content_type);
        }
        self.inner.body = ResponseBody::Bytes(body.into());
        self
    }

    /// A chunked body from a stream of byte chunks.
    pub fn stream<S, B, E>(mut self, stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.inner.body = ResponseBody::Stream(Box::pin(stream.map(|r| r.map(Into::into).map_err(Into::into))));
        self
    }
}

/// A file as the answer: `ETag`/`Last-Modified`, 304s, byte ranges and the content type
/// by extension come from the core (`spikard_http::file`); read when the response is sent.
///
/// ```no_run
/// # use spikard::{get, App, Ctx, FileResponse};
/// let mut app = App::new();
/// app.route(get("/report").handler(|_ctx: Ctx| async { FileResponse::new("reports/latest.pdf").download("report.pdf") }));
/// ```
#[derive(Debug)]
pub struct FileResponse(spikard_http::file::FileBody);

impl FileResponse {
    /// The file at `path` (a path that is not a readable file is a logged 500).
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self(spikard_http::file::FileBody::path(path))
    }

    /// Bytes in memory, answered as a file last modified at `modified`.
    pub fn bytes(bytes: impl Into<Bytes>, modified: std::time::SystemTime) -> Self {
        Self(spikard_http::file::FileBody::bytes(bytes, modified))
    }

    /// Offered as a download named `name` (`Content-Disposition: attachment`).
    #[must_use]
    pub fn download(self, name: impl Into<String>) -> Self {
        Self(self.0.download(name))
    }

    /// Named `name` but shown by the browser (`Content-Disposition: inline`).
    #[must_use]
    pub fn inline(self, name: impl Into<String>) -> Self {
        Self(self.0.download(name).inline())
    }
}

impl IntoResponse for FileResponse {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        Ok(HandlerResponse::new(
            StatusCode::OK,
            ResponseBody::File(Box::new(self.0)),
        ))
    }
}

impl IntoResponse for Response {
    fn into_response(self) -> Result<HandlerResponse, Error> {
        match self.error {
            Some(e) => Err(Error::internal(e)),
            None => Ok(self.inner),
        }
    }
}
