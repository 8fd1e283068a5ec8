//! Route specs (binding-neutral, serde) and their compiled parameter and body plans.
//!
//! A [`RouteSpec`] is what every binding registers about a route besides its handler;
//! [`RoutePlan::compile`] turns it into the coercion and validation plans the request
//! path runs (no tokio, no I/O: the WebAssembly binding uses it as is).
//!
//! ```
//! use spikard_core::route::{RoutePlan, RouteSpec};
//! let mut spec = RouteSpec::new("get", "/users/{id:int}");
//! spec.parameters.query.insert("q".into(), serde_json::json!({"type": "string"}));
//! let plan = RoutePlan::compile(&spec, 64).unwrap();
//! assert_eq!(plan.pattern.param_names(), ["id"]);
//! assert!(RoutePlan::compile(&RouteSpec::new("get", "/a/{x:nope}"), 64).is_err());
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::{CorsConfig, RouteMiddleware};
use crate::openapi::OperationDoc;
use crate::params::{ParamSource, ParamSpec, ParameterPlan};
use crate::request_body::{BodyPlan, FileSpec};
use crate::route_pattern::RoutePattern;
use crate::SpikardError;

/// Parameter schemas by source, each a JSON Schema with optional `required`,
/// `optional`, `default` and `separator` keys.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParameterSpecs {
    pub path: Map<String, Value>,
    pub query: Map<String, Value>,
    #[serde(alias = "header")]
    pub headers: Map<String, Value>,
    #[serde(alias = "cookie")]
    pub cookies: Map<String, Value>,
    pub files: Map<String, Value>,
}

/// What a route serves; documentation generators (OpenAPI, AsyncAPI) tell routes apart by it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteKind {
    /// An ordinary request/response route.
    #[default]
    Http,
    /// A server-sent events stream (`event_schema` describes each event's data).
    Sse,
    /// A WebSocket endpoint (`message_schema` validates incoming messages).
    #[serde(alias = "ws")]
    WebSocket,
}

/// Everything registered about a route except its handler.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub method: String,
    /// Pattern such as `/users/{id:int}`.
    #[serde(alias = "route")]
    pub path: String,
    #[serde(default)]
    pub parameters: ParameterSpecs,
    /// JSON Schema for the body, whatever its encoding.
    #[serde(default)]
    pub body_schema: Option<Value>,
    /// The body may be left out (OpenAPI's `requestBody.required: false`): a request with an
    /// empty body skips body decoding and validation (the handler sees no body); one that
    /// sends a body has it validated against `body_schema` as usual.
    #[serde(default)]
    pub body_optional: bool,
    /// The one media type accepted (default: JSON, urlencoded and multipart).
    #[serde(default)]
    pub content_type: Option<String>,
    /// Per-route body size limit in bytes (overrides the server's).
    #[serde(default)]
    pub max_body_size: Option<usize>,
    /// Per-route JSON nesting limit.
    #[serde(default)]
    pub max_nesting_depth: Option<usize>,
    /// Free-form name for logs and docs.
    #[serde(default)]
    pub handler_name: Option<String>,
    /// Middleware settings overriding the server-wide ones for this route.
    #[serde(default)]
    pub middleware: RouteMiddleware,
    /// CORS for this route (same as `middleware.cors`).
    #[serde(default)]
    pub cors: Option<CorsConfig>,
    /// HTTP, SSE or WebSocket.
    #[serde(default)]
    pub kind: RouteKind,
    /// JSON Schema of incoming WebSocket messages; a message failing it gets an error frame.
    #[serde(default)]
    pub message_schema: Option<Value>,
    /// JSON Schema of the data of each SSE event (enforced: the stream ends at the first event
    /// breaking it) or of outgoing WebSocket messages (documents only).
    #[serde(default)]
    pub event_schema: Option<Value>,
    /// Largest incoming WebSocket message in bytes (default: the body size limit); beyond, close 1009.
    #[serde(default)]
    pub max_message_size: Option<usize>,
    /// The status of the results the handler answers with 200 (FastAPI's `status_code=`,
    /// `201` for a creation): a plain value, or a response left at 200. Documented as the
    /// operation's success response.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// Hand the request over as received, for a mounted app of another framework (Rack,
    /// WSGI): the body is neither decoded nor validated (it declares no body), a query
    /// string that does not parse is left to the handler, and the request carries its
    /// `RawTarget` (spikard-http).
    #[serde(default)]
    pub raw_request: bool,
    /// Hand the body to the handler unread, as a stream it pulls chunk by chunk
    /// (`BodyStream` in the request's extensions, spikard-http), for uploads and proxies
    /// that must not hold a whole body in memory. The body is neither decoded nor validated
    /// (the route declares no body); the size limit (`max_body_size`) is checked against
    /// `Content-Length` before the handler and against the bytes as they are read.
    #[serde(default)]
    pub stream_body: bool,
    /// OpenAPI documentation: `tags`, `summary`, `description`, `operation_id`, `deprecated`,
    /// `include_in_schema`, `response_schema`, `responses` (flattened: the same keys as the route's).
    #[serde(flatten)]
    pub doc: OperationDoc,
}

impl RouteSpec {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            ..Default::default()
        }
    }
}

/// A route's request plans: its pattern, parameter coercion and validation, body decoding
/// and validation.
pub struct RoutePlan {
    pub pattern: RoutePattern,
    pub params: ParameterPlan,
    pub body: BodyPlan,
}

impl RoutePlan {
    /// Compile `spec`'s pattern, parameter schemas and body schema (`max_nesting_depth`
    /// unless the route sets its own); errors name the route and what is wrong.
    pub fn compile(spec: &RouteSpec, max_nesting_depth: usize) -> Result<Self, SpikardError> {
        let invalid = |msg: String| SpikardError::InvalidRoute(format!("{} {}: {msg}", spec.method, spec.path));
        let pattern = RoutePattern::parse(&spec.path)?;
        if spec.raw_request
            && (spec.body_schema.is_some() || spec.content_type.is_some() || !spec.parameters.files.is_empty())
        {
            return Err(invalid(
                "raw_request hands the body over as received: it declares no body_schema, content_type or files".into(),
            ));
        }
        if spec.stream_body
            && (spec.body_schema.is_some() || spec.content_type.is_some() || !spec.parameters.files.is_empty())
        {
            return Err(invalid(
                "stream_body hands the body over unread: it declares no body_schema, content_type or files".into(),
            ));
        }
        let mut specs = Vec::new();
        for (name, kind) in pattern.params() {
            let mut schema = spec
                .parameters
                .path
                .get(name)
                .cloned()
                .unwrap_or_else(|| kind.default_schema());
            // A typed segment adds its type/format to a declared schema that lacks one.
            if let (Some(obj), Value::Object(default)) = (schema.as_object_mut(), kind.default_schema()) {
                for (k, v) in default {
                    obj.entry(k).or_insert(v);
                }
            }
            specs.push(ParamSpec::from_schema(name, ParamSource::Path, &schema));
        }
        for name in spec.parameters.path.keys() {
            if !pattern.param_names().contains(&name.as_str()) {
                return Err(invalid(format!("path parameter '{name}' is not in the pattern")));
            }
        }
        for (source, map) in [
            (ParamSource::Query, &spec.parameters.query),
            (ParamSource::Header, &spec.parameters.headers),
            (ParamSource::Cookie, &spec.parameters.cookies),
        ] {
            for (name, schema) in map {
                specs.push(ParamSpec::from_schema(name, source, schema));
            }
        }
        let params = ParameterPlan::compile(specs).map_err(invalid)?;
        let mut files = Vec::new();
        for (name, v) in &spec.parameters.files {
            let mut f: FileSpec =
                serde_json::from_value(v.clone()).map_err(|e| invalid(format!("file '{name}': {e}")))?;
            f.name = name.clone();
            files.push(f);
        }
        let body = BodyPlan::compile(
            spec.body_schema.clone(),
            spec.content_type.clone(),
            spec.max_nesting_depth.unwrap_or(max_nesting_depth),
            files,
        )
        .map_err(invalid)?;
        Ok(Self { pattern, params, body })
    }
}
