//! A route's response model applied to its handler's results, as FastAPI applies its
//! `response_model`: the one path every binding and the Rust API go through.
//!
//! [`ResponseModelCheck::for_route`] compiles the JSON Schema once, at registration (a
//! bad schema is an [`SpikardError::InvalidRoute`] naming the route) and makes it the
//! route's documented response unless the route documents one itself
//! (`doc.response_schema`). [`ResponseModelCheck::around`] wraps the route's handler:
//! a JSON result of status 200 is conformed by [`spikard_core::response_model`]
//! (undeclared fields dropped, the rest validated); a result breaking the model is the
//! application's bug, logged with the route and the failing fields (never the values)
//! and answered with the generic 500 problem.
//!
//! ```
//! use std::sync::Arc;
//! use serde_json::json;
//! use spikard_http::response_model::ResponseModelCheck;
//! use spikard_http::{HandlerResponse, RouteSpec};
//!
//! let mut spec = RouteSpec::new("GET", "/users/{id:int}");
//! let schema = json!({"type": "object", "properties": {"id": {"type": "integer"}}});
//! let check = ResponseModelCheck::for_route(&mut spec, &schema).unwrap();
//! assert_eq!(spec.doc.response_schema, Some(schema)); // it documents the route
//! let sent = check.check(HandlerResponse::json(json!({"id": 1, "secret": "x"}))).unwrap();
//! assert_eq!(format!("{:?}", sent.body), r#"Json(Object {"id": Number(1)})"#);
//! let refused = check.check(HandlerResponse::json(json!({"id": "one"}))).unwrap_err();
//! assert!(refused.to_string().contains("route GET /users/{id:int}"));
//! assert!(ResponseModelCheck::for_route(&mut spec, &json!({"type": 12})).is_err());
//! ```

use std::sync::Arc;

use http::{header, StatusCode};
use serde_json::Value;
use spikard_core::response_model::{describe, ResponseModel};
use spikard_core::SpikardError;

use crate::handler::{BoxFuture, Handler, HandlerResult, RequestData};
use crate::response::{HandlerResponse, ResponseBody};
use crate::route::RouteSpec;

/// A route's compiled response model and the route it belongs to (named in logs).
#[derive(Clone, Debug)]
pub struct ResponseModelCheck {
    model: Arc<ResponseModel>,
    route: Arc<str>,
}

impl ResponseModelCheck {
    /// A check of `model` for the route named `route` in logs (`route GET /users`).
    pub fn new(model: Arc<ResponseModel>, route: impl Into<Arc<str>>) -> Self {
        Self {
            model,
            route: route.into(),
        }
    }

    /// Compile `schema` as the response model of `spec`'s route. It documents the route
    /// unless `spec.doc.response_schema` is already given (that one wins in the documents;
    /// the model is still what is checked).
    pub fn for_route(spec: &mut RouteSpec, schema: &Value) -> Result<Self, SpikardError> {
        let model = ResponseModel::compile(schema)
            .map_err(|e| SpikardError::InvalidRoute(format!("{} {}: response_model: {e}", spec.method, spec.path)))?;
        spec.doc.response_schema.get_or_insert_with(|| schema.clone());
        Ok(Self::new(
            Arc::new(model),
            format!("route {} {}", spec.method.to_ascii_uppercase(), spec.path),
        ))
    }

    /// The schema it was compiled from.
    pub fn schema(&self) -> &Value {
        self.model.schema()
    }

    /// The response as it may be sent. Checked: a JSON body (no content type, or a JSON one)
    /// of status 200, what a handler's plain value becomes. A response the handler built
    /// with another status (201, 202, an error), any other body (text, bytes, a stream,
    /// SSE) passes as it is. A refusal is an internal error naming the route and the
    /// failing places (the client gets the generic 500 problem).
    pub fn check(&self, mut response: HandlerResponse) -> HandlerResult {
        if response.status != StatusCode::OK || !is_json(&response) {
            return Ok(response);
        }
        let value = match std::mem::replace(&mut response.body, ResponseBody::Empty) {
            ResponseBody::Json(v) => v,
            // serde_json's messages name a line and column, never the text.
            ResponseBody::JsonBytes(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| self.refused(&format!("the result is not JSON ({e})")))?
            }
            other => {
                response.body = other;
                return Ok(response);
            }
        };
        match self.model.conform(value) {
            Ok(value) => {
                response.body = ResponseBody::Json(value);
                Ok(response)
            }
            Err(errors) => Err(self.refused(&describe(&errors))),
        }
    }

    /// `handler` with its results checked.
    pub fn around(self, handler: Arc<dyn Handler>) -> Arc<dyn Handler> {
        Arc::new(Conformed { handler, check: self })
    }

    /// The logged error (the problem the client gets says nothing of it).
    fn refused(&self, what: &str) -> SpikardError {
        SpikardError::Internal(format!(
            "{}: the result does not match its response model: {what}",
            self.route
        ))
    }
}

fn is_json(response: &HandlerResponse) -> bool {
    if !matches!(response.body, ResponseBody::Json(_) | ResponseBody::JsonBytes(_)) {
        return false;
    }
    match response.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        }
    }
}

/// A handler whose results pass its route's response model.
struct Conformed {
    handler: Arc<dyn Handler>,
    check: ResponseModelCheck,
}

impl Handler for Conformed {
    fn call(&self, request: RequestData) -> BoxFuture<HandlerResult> {
        let pending = self.handler.call(request);
        let check = self.check.clone();
        Box::pin(async move { check.check(pending.await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    fn check() -> ResponseModelCheck {
        let mut spec = RouteSpec::new("GET", "/u");
        let schema = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
        ResponseModelCheck::for_route(&mut spec, &schema).unwrap()
    }

    fn body(r: &HandlerResponse) -> Value {
        match &r.body {
            ResponseBody::Json(v) => v.clone(),
            other => panic!("not JSON: {other:?}"),
        }
    }

    #[test]
    fn json_bytes_are_conformed_too() {
        let r = check()
            .check(HandlerResponse::new(
                StatusCode::OK,
                ResponseBody::JsonBytes(br#"{"id":1,"pw":"x"}"#.as_slice().into()),
            ))
            .unwrap();
        assert_eq!(body(&r), json!({"id": 1}));
    }

    #[test]
    fn other_statuses_and_bodies_pass_as_built() {
        let mut created = HandlerResponse::json(json!({"pw": "x"}));
        created.status = StatusCode::CREATED;
        assert_eq!(body(&check().check(created).unwrap()), json!({"pw": "x"}));
        let text = HandlerResponse::new(StatusCode::OK, ResponseBody::Bytes("pw".into()));
        assert!(matches!(check().check(text).unwrap().body, ResponseBody::Bytes(_)));
        let mut html = HandlerResponse::json(json!({"pw": "x"}));
        html.headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(body(&check().check(html).unwrap()), json!({"pw": "x"}));
        let mut problem = HandlerResponse::json(json!({"id": 1, "pw": "x"}));
        problem.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        assert_eq!(body(&check().check(problem).unwrap()), json!({"id": 1}));
    }

    #[test]
    fn a_mismatch_names_the_route_and_place_not_the_value() {
        let err = check()
            .check(HandlerResponse::json(json!({"id": "secret"})))
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SpikardError::Internal(_)));
        assert!(
            text.contains("route GET /u") && text.contains("int_parsing at id"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn an_explicit_response_schema_stays_documented() {
        let mut spec = RouteSpec::new("GET", "/u");
        spec.doc.response_schema = Some(json!({"title": "Documented"}));
        ResponseModelCheck::for_route(&mut spec, &json!({"type": "object"})).unwrap();
        assert_eq!(spec.doc.response_schema, Some(json!({"title": "Documented"})));
    }
}
