//! The protocol's envelopes, as the reference exposure writes them: success
//! `{"ok": true, "result": ...}` (`{"ok": true}` for an event without result) and error
//! `{"ok": false, "error": {"message", "code", "id"?, "data"?, "httpCode"?}}`, sent as
//! `application/json; charset=utf-8` in the Runner serializer's format.

use bytes::Bytes;
use http::StatusCode;
use spikard_http::{HandlerResponse, ResponseBody};

use crate::registry::TaskError;
use crate::serializer::{stringify, Object, Value};

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// An error answer: its HTTP status and what the envelope's `error` carries.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolError {
    pub status: u16,
    pub message: String,
    pub code: String,
    /// The typed error's id, data and HTTP code (for the client's `errorRegistry`).
    pub id: Option<String>,
    pub data: Option<Value>,
    pub http_code: Option<u16>,
}

impl ProtocolError {
    pub fn new(status: u16, message: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: code.into(),
            id: None,
            data: None,
            http_code: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(404, "Not Found", "NOT_FOUND")
    }

    pub fn invalid_json() -> Self {
        Self::new(400, "Invalid JSON body", "INVALID_JSON")
    }

    pub fn payload_too_large(message: &str) -> Self {
        Self::new(413, message, "PAYLOAD_TOO_LARGE")
    }

    pub fn internal() -> Self {
        Self::new(500, "Internal Error", "INTERNAL_ERROR")
    }

    pub fn aborted() -> Self {
        Self::new(499, "Client Closed Request", "REQUEST_ABORTED")
    }

    /// What a Spikard refusal (a problem) becomes under the tunnel's base path, with the
    /// reference's words where it has them.
    pub fn for_status(status: u16) -> Self {
        match status {
            400 => Self::new(400, "Bad Request", "BAD_REQUEST"),
            401 => Self::new(401, "Unauthorized", "UNAUTHORIZED"),
            403 => Self::new(403, "Forbidden", "FORBIDDEN"),
            404 => Self::not_found(),
            405 => Self::new(405, "Method Not Allowed", "METHOD_NOT_ALLOWED"),
            408 => Self::new(408, "Request Timeout", "REQUEST_TIMEOUT"),
            413 => Self::payload_too_large("Payload too large"),
            415 => Self::new(415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE"),
            429 => Self::new(429, "Too Many Requests", "RATE_LIMITED"),
            500 => Self::internal(),
            other => Self::new(
                other,
                StatusCode::from_u16(other)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("Error"),
                format!("HTTP_{other}"),
            ),
        }
    }

    /// A body read that failed (Spikard's limit, a stall, a broken body).
    pub fn from_body_error(err: &spikard::Error) -> Self {
        match err.0.status() {
            413 => Self::payload_too_large("Payload too large"),
            408 => Self::for_status(408),
            _ => Self::new(400, "Failed to read request body", "INVALID_REQUEST"),
        }
    }

    /// A failed task or listener, as the reference answers it: typed errors with their id,
    /// data and status; anything else a generic 500 (the detail logged, not sent).
    pub fn from_task_error(err: &TaskError, what: &str) -> Self {
        match err {
            TaskError::App {
                id,
                message,
                data,
                http_code,
            } => Self {
                status: http_code.unwrap_or(500),
                message: message.clone(),
                code: "INTERNAL_ERROR".into(),
                id: Some(id.clone()),
                data: Some(data.clone()),
                http_code: *http_code,
            },
            TaskError::Cancelled => Self::aborted(),
            other => {
                tracing::error!(target: "runner_tunnel", error = %other, "{what} failed");
                Self::internal()
            }
        }
    }

    /// The envelope's `error` member. A 500 that is not a typed error shows a code only
    /// (its message is the generic one), as the reference's sanitizer does.
    pub fn to_value(&self) -> Value {
        let mut error = Object::new();
        let message = if self.status == 500 && self.id.is_none() {
            "Internal Error"
        } else {
            self.message.as_str()
        };
        error.insert("message".into(), Value::from(message));
        error.insert("code".into(), Value::from(self.code.as_str()));
        if let Some(id) = &self.id {
            error.insert("id".into(), Value::from(id.as_str()));
        }
        if let Some(data) = &self.data {
            error.insert("data".into(), data.clone());
        }
        if let Some(code) = self.http_code.filter(|c| (100..=599).contains(c)) {
            error.insert("httpCode".into(), Value::from(f64::from(code)));
        }
        Value::object([("ok", Value::Bool(false)), ("error", Value::Object(error))])
    }

    pub fn into_response(self) -> HandlerResponse {
        respond(self.status, &self.to_value())
    }
}

/// `{"ok": true, "result": result}`, or `{"ok": true}` without a result.
pub fn ok(result: Option<Value>) -> Value {
    let mut body = Object::new();
    body.insert("ok".into(), Value::Bool(true));
    if let Some(result) = result {
        body.insert("result".into(), result);
    }
    Value::Object(body)
}

/// An envelope as a response; a value the serializer cannot write (an invalid date) is a 500.
pub fn respond(status: u16, body: &Value) -> HandlerResponse {
    let (status, bytes) = match stringify(body) {
        Ok(bytes) => (status, bytes),
        Err(e) => {
            tracing::error!(target: "runner_tunnel", error = %e, "the result cannot be serialized");
            (
                500,
                stringify(&ProtocolError::internal().to_value()).unwrap_or_default(),
            )
        }
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HandlerResponse::new(status, ResponseBody::Bytes(Bytes::from(bytes)));
    response.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &Value) -> String {
        String::from_utf8(stringify(value).unwrap()).unwrap()
    }

    #[test]
    fn success_envelopes() {
        assert_eq!(text(&ok(Some(Value::from(3.0)))), r#"{"ok":true,"result":3}"#);
        assert_eq!(text(&ok(None)), r#"{"ok":true}"#);
        assert_eq!(
            text(&ok(Some(Value::Undefined))),
            r#"{"ok":true,"result":{"__type":"Undefined","value":null}}"#
        );
    }

    #[test]
    fn typed_errors_carry_id_data_and_status() {
        let err =
            TaskError::app("app.errors.Boom", "boom x", Value::object([("why", Value::from("x"))])).with_http_code(409);
        let p = ProtocolError::from_task_error(&err, "task");
        assert_eq!(p.status, 409);
        assert_eq!(
            text(&p.to_value()),
            r#"{"ok":false,"error":{"message":"boom x","code":"INTERNAL_ERROR","id":"app.errors.Boom","data":{"why":"x"},"httpCode":409}}"#
        );
        let untyped = ProtocolError::from_task_error(&TaskError::internal("db down"), "task");
        assert_eq!(untyped.status, 500);
        assert_eq!(
            text(&untyped.to_value()),
            r#"{"ok":false,"error":{"message":"Internal Error","code":"INTERNAL_ERROR"}}"#
        );
        let hidden = ProtocolError::new(500, "Missing file part for id F1", "MISSING_FILE_PART");
        assert_eq!(
            text(&hidden.to_value()),
            r#"{"ok":false,"error":{"message":"Internal Error","code":"MISSING_FILE_PART"}}"#
        );
    }

    #[test]
    fn refusals_use_the_reference_words() {
        assert_eq!(ProtocolError::for_status(401).code, "UNAUTHORIZED");
        assert_eq!(ProtocolError::for_status(413).message, "Payload too large");
        assert_eq!(ProtocolError::for_status(418).code, "HTTP_418");
        let response = ProtocolError::for_status(405).into_response();
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers[http::header::CONTENT_TYPE], JSON_CONTENT_TYPE);
    }
}
