//! The binding-neutral part of the request object handed to foreign code.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use http::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use crate::handler::RequestData;

/// The binding-neutral part of a request object handed to foreign code: the shared,
/// validated request and the headers its `reply_header` asked for. A binding's request
/// class wraps one.
#[derive(Debug)]
pub struct RequestView {
    pub data: Arc<RequestData>,
    reply_headers: Mutex<Vec<(HeaderName, HeaderValue)>>,
}

impl RequestView {
    pub fn new(data: Arc<RequestData>) -> Self {
        Self {
            data,
            reply_headers: Mutex::default(),
        }
    }

    /// Add a header to the response this request gets, whoever produces it; an invalid
    /// name or value is refused with a message for the language's exception.
    pub fn reply_header(&self, name: &str, value: &str) -> Result<(), String> {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("{name:?} is not a valid header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| format!("{value:?} is not a valid header value"))?;
        if let Ok(mut headers) = self.reply_headers.lock() {
            headers.push((name, value));
        }
        Ok(())
    }

    /// The headers asked for so far (taken: a second call gets none).
    pub fn take_reply_headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        self.reply_headers
            .lock()
            .map(|mut h| std::mem::take(&mut *h))
            .unwrap_or_default()
    }
}

impl RequestView {
    /// Query parameters as the request object shows them: the declared ones coerced (with
    /// their defaults), the others as sent (a repeated key gives a list).
    pub fn query(&self) -> Map<String, Value> {
        let data = &self.data;
        let mut out = Map::new();
        for (k, v) in &data.raw_query {
            if data.query_params.contains_key(k) {
                continue;
            }
            match out.get_mut(k) {
                Some(Value::Array(list)) => list.push(Value::String(v.clone())),
                Some(existing) => *existing = Value::Array(vec![existing.take(), Value::String(v.clone())]),
                None => {
                    out.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        for (k, v) in &data.query_params {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    /// Headers by lowercase name; a repeated header's values joined with `, `.
    pub fn headers(&self) -> Map<String, Value> {
        let headers = &self.data.headers;
        headers
            .keys()
            .map(|name| {
                let values: Vec<_> = headers
                    .get_all(name)
                    .iter()
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .collect();
                (name.as_str().to_owned(), Value::String(values.join(", ")))
            })
            .collect()
    }

    /// Cookies sent with the request.
    pub fn cookies(&self) -> Map<String, Value> {
        self.data
            .cookies()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    }

    /// A part of the request as JSON, by the name request objects show it under: `method`,
    /// `path`, `path_params`, `query_params` ([`Self::query`]), `headers`, `cookies`, `state`,
    /// `client` (the IP address, or null), `form` (the decoded form fields, or an empty
    /// object) and `json` ([`Self::json`]); `None` for any other name.
    pub fn part(&self, name: &str) -> Option<Result<Cow<'_, Value>, String>> {
        let data = &self.data;
        let object = Value::Object;
        Some(Ok(Cow::Owned(match name {
            "method" => Value::String(data.method.as_str().to_owned()),
            "path" => Value::String(data.path.clone()),
            "path_params" => object(data.path_params.clone()),
            "query_params" => object(self.query()),
            "headers" => object(self.headers()),
            "cookies" => object(self.cookies()),
            "state" => object(data.state.clone()),
            "client" => data.client_ip.map_or(Value::Null, |ip| Value::String(ip.to_string())),
            "form" => match &data.body {
                Value::Object(map) if is_form(&data.headers) => object(map.clone()),
                _ => object(Map::new()),
            },
            "json" => return Some(self.json()),
            _ => return None,
        })))
    }

    /// The decoded, validated body (JSON, or a form's fields); `null` when absent. A route
    /// that declares no body leaves it undecoded: it is parsed here.
    pub fn json(&self) -> Result<Cow<'_, Value>, String> {
        let data = &self.data;
        if data.body.is_null() && !data.raw_body.is_empty() {
            let parsed = serde_json::from_slice(&data.raw_body).map_err(|e| format!("body is not JSON: {e}"))?;
            return Ok(Cow::Owned(parsed));
        }
        Ok(Cow::Borrowed(&data.body))
    }
}

/// Whether the request's body is a form (urlencoded or multipart), as `form` reads it.
fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded") || v.starts_with("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn views_of_the_query_headers_and_cookies() {
        let mut headers = http::HeaderMap::new();
        headers.append("x-a", "1".parse().unwrap());
        headers.append("x-a", "2".parse().unwrap());
        headers.append("cookie", "s=abc; t=1".parse().unwrap());
        let mut data = RequestData::new(http::Method::GET, "/".into(), headers);
        data.raw_query = vec![
            ("tag".into(), "a".into()),
            ("tag".into(), "b".into()),
            ("n".into(), "5".into()),
        ];
        data.query_params.insert("n".into(), json!(5));
        let view = RequestView::new(Arc::new(data));
        assert_eq!(Value::Object(view.query()), json!({"tag": ["a", "b"], "n": 5}));
        assert_eq!(view.headers()["x-a"], "1, 2");
        assert_eq!(Value::Object(view.cookies()), json!({"s": "abc", "t": "1"}));
        assert_eq!(
            *view.part("query_params").unwrap().unwrap(),
            json!({"tag": ["a", "b"], "n": 5})
        );
        assert_eq!(*view.part("client").unwrap().unwrap(), Value::Null);
        assert_eq!(*view.part("json").unwrap().unwrap(), Value::Null);
        assert!(view.part("moon").is_none());
        assert!(view.reply_header("bad name", "x").is_err());
        view.reply_header("x-ok", "y").unwrap();
        assert_eq!(view.take_reply_headers().len(), 1);
    }
}
