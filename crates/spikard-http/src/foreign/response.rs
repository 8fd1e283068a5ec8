//! Responses described by a binding's response objects, and responses as its response hooks
//! see them: the same rules for every binding.

use std::borrow::Cow;

use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::response::{HandlerResponse, ResponseBody};

/// What a response object sets besides its body.
#[derive(Debug, Default)]
pub struct ResponseMeta {
    pub status: u16,
    /// Each header once per value, in order; a `content-type` header wins over `media_type`.
    pub headers: Vec<(String, String)>,
    pub media_type: Option<String>,
    /// `Set-Cookie` header values.
    pub cookies: Vec<String>,
}

impl ResponseMeta {
    /// `response` with this status, media type, headers and cookies; an invalid one is
    /// refused with a message for the language's exception.
    pub fn apply(self, mut response: HandlerResponse) -> Result<HandlerResponse, String> {
        response.status = StatusCode::from_u16(self.status).map_err(|_| format!("invalid status {}", self.status))?;
        if self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            response.headers.remove(header::CONTENT_TYPE);
        } else if let Some(media) = &self.media_type {
            let v = HeaderValue::from_str(media).map_err(|e| format!("invalid media_type: {e}"))?;
            response.headers.insert(header::CONTENT_TYPE, v);
        }
        for (name, value) in &self.headers {
            response = response.try_header(name, value)?;
        }
        for cookie in &self.cookies {
            let v = HeaderValue::from_str(cookie).map_err(|e| format!("invalid cookie: {e}"))?;
            response.headers.append(header::SET_COOKIE, v);
        }
        Ok(response)
    }
}

/// A response's headers as a response hook sees them: by name, a repeated header (and
/// `Set-Cookie` always) as a list of values.
pub fn headers_view(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        let mut values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let value = if name == header::SET_COOKIE || values.len() > 1 {
            Value::Array(values)
        } else {
            values.swap_remove(0)
        };
        out.insert(name.as_str().to_owned(), value);
    }
    out
}

/// A response body as a response hook sees it (the core never shows it a streamed body).
pub enum BodyView<'a> {
    None,
    Bytes(&'a [u8]),
    Json(Cow<'a, Value>),
}

/// The body of `response` for a response hook; JSON bytes are parsed back.
pub fn body_view(body: &ResponseBody) -> Result<BodyView<'_>, String> {
    Ok(match body {
        ResponseBody::Bytes(b) => BodyView::Bytes(b),
        ResponseBody::Json(v) => BodyView::Json(Cow::Borrowed(v)),
        ResponseBody::JsonBytes(b) => BodyView::Json(Cow::Owned(
            serde_json::from_slice(b).map_err(|e| format!("response is not JSON: {e}"))?,
        )),
        _ => BodyView::None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_sets_status_type_headers_and_cookies() {
        let meta = ResponseMeta {
            status: 201,
            headers: vec![("x-a".into(), "1".into()), ("x-a".into(), "2".into())],
            media_type: Some("text/csv".into()),
            cookies: vec!["s=1".into()],
        };
        let r = meta.apply(HandlerResponse::text("a,b")).unwrap();
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.headers[header::CONTENT_TYPE], "text/csv");
        let view = headers_view(&r.headers);
        assert_eq!(view["x-a"], json!(["1", "2"]));
        assert_eq!(view["set-cookie"], json!(["s=1"]));
        let typed = ResponseMeta {
            status: 200,
            headers: vec![("Content-Type".into(), "a/b".into())],
            media_type: Some("text/csv".into()),
            ..ResponseMeta::default()
        };
        assert_eq!(
            typed.apply(HandlerResponse::text("x")).unwrap().headers[header::CONTENT_TYPE],
            "a/b"
        );
        assert!(ResponseMeta::default().apply(HandlerResponse::text("x")).is_err());
    }
}
