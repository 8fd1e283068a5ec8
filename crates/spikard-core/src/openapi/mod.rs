//! OpenAPI 3.1 and AsyncAPI 3.0 documents generated from route descriptions.
//!
//! Pure: the HTTP layer turns its registered routes into [`RouteDoc`]s (with the
//! effective auth settings of each route) and serves the resulting JSON.
//!
//! ```
//! use serde_json::json;
//! use spikard_core::config::OpenApiConfig;
//! use spikard_core::openapi::{openapi_document, RouteDoc};
//! let mut route = RouteDoc::new("GET", "/users/{id:int}");
//! route.doc.summary = Some("Get a user".into());
//! let doc = openapi_document(&OpenApiConfig::default(), &[route]);
//! assert_eq!(doc["openapi"], "3.1.0");
//! let op = &doc["paths"]["/users/{id}"]["get"];
//! assert_eq!(op["operationId"], "get_users_id");
//! assert_eq!(op["parameters"][0]["schema"], json!({"type": "integer", "format": "int64"}));
//! assert_eq!(op["responses"]["422"]["$ref"], "#/components/responses/ValidationProblem");
//! ```

pub mod asyncapi;
mod operation;
pub mod schema;
mod security;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::config::{ApiKeyConfig, JwtConfig, OpenApiConfig};
use crate::route_pattern::{RoutePattern, Segment};
use schema::SchemaRegistry;

pub use asyncapi::{asyncapi_document, ChannelDoc, ChannelKind};

/// Documentation of one operation; every field is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationDoc {
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// Unique operation name (generated from method and path when absent).
    pub operation_id: Option<String>,
    pub deprecated: bool,
    /// `false` leaves the route out of the documents.
    pub include_in_schema: bool,
    /// JSON Schema of the successful JSON response.
    pub response_schema: Option<Value>,
    /// Declared responses by status (`"200"`, `"404"`, `"4XX"`, `"default"`).
    pub responses: BTreeMap<String, ResponseDoc>,
}

impl Default for OperationDoc {
    fn default() -> Self {
        Self {
            tags: Vec::new(),
            summary: None,
            description: None,
            operation_id: None,
            deprecated: false,
            include_in_schema: true,
            response_schema: None,
            responses: BTreeMap::new(),
        }
    }
}

/// One declared response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseDoc {
    pub description: Option<String>,
    /// Body schema (none: no body documented).
    pub schema: Option<Value>,
    /// Media type of the body (default `application/json`).
    pub content_type: Option<String>,
}

/// What the generator needs to know about a route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteDoc {
    pub method: String,
    /// Pattern such as `/users/{id:int}`.
    pub path: String,
    /// Parameter schemas by source, as routes declare them (`required`/`optional`/`default`/`separator` keys allowed).
    pub path_params: Map<String, Value>,
    pub query: Map<String, Value>,
    pub headers: Map<String, Value>,
    pub cookies: Map<String, Value>,
    /// Multipart file parts (`required`, `content_type` list, size limits).
    pub files: Map<String, Value>,
    pub body_schema: Option<Value>,
    /// The body may be left out (`requestBody.required: false`).
    pub body_optional: bool,
    /// The one media type the body is accepted in.
    pub content_type: Option<String>,
    /// Free-form handler name (used for a summary when none is given).
    pub handler_name: Option<String>,
    pub doc: OperationDoc,
    /// JWT auth in force for this route (enabled only).
    pub jwt_auth: Option<JwtConfig>,
    /// API key auth in force for this route (enabled only).
    pub api_key_auth: Option<ApiKeyConfig>,
    /// A WebSocket or SSE route: WebSocket routes are left to the AsyncAPI document,
    /// SSE routes are documented with a `text/event-stream` response.
    pub channel: Option<ChannelKind>,
    /// The status of a successful answer (default 200), the route's `status_code`.
    pub success_status: Option<u16>,
    /// Rate limiting covers the route (429 documented).
    pub rate_limit: bool,
    /// A request timeout covers the route (408 documented).
    pub request_timeout: bool,
}

impl RouteDoc {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            ..Default::default()
        }
    }
}

/// The OpenAPI form of a route pattern: `/users/{id:int}` → `/users/{id}`.
pub fn openapi_path(pattern: &str) -> String {
    let Ok(parsed) = RoutePattern::parse(pattern) else {
        return pattern.to_owned();
    };
    let mut out = String::with_capacity(pattern.len());
    for seg in parsed.segments() {
        out.push('/');
        match seg {
            Segment::Static(s) => out.push_str(s),
            Segment::Param { name, .. } => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

/// A stable operation id from method and path: `GET /users/{id:int}` → `get_users_id`.
pub fn default_operation_id(method: &str, pattern: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    let path = openapi_path(pattern);
    let mut words = 0;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let part: String = part
            .trim_matches(|c| c == '{' || c == '}')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        id.push('_');
        id.push_str(&part);
        words += 1;
    }
    if words == 0 {
        id.push_str("_root");
    }
    id
}

fn title_or_none(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

const METHOD_ORDER: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Generate the OpenAPI 3.1 document for `routes`.
pub fn openapi_document(config: &OpenApiConfig, routes: &[RouteDoc]) -> Value {
    let mut routes: Vec<&RouteDoc> = routes
        .iter()
        .filter(|r| r.doc.include_in_schema && r.channel != Some(ChannelKind::WebSocket))
        .filter(|r| METHOD_ORDER.contains(&r.method.to_ascii_lowercase().as_str()))
        .collect();
    let method_rank = |m: &str| METHOD_ORDER.iter().position(|x| m.eq_ignore_ascii_case(x));
    routes.sort_by(|a, b| {
        (openapi_path(&a.path), method_rank(&a.method)).cmp(&(openapi_path(&b.path), method_rank(&b.method)))
    });

    let mut gen = operation::Generator {
        schemas: SchemaRegistry::default(),
        security: security::SecuritySchemes::default(),
        problems: Default::default(),
    };
    let mut used_ids: Vec<String> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    let mut paths = Map::new();
    for route in routes {
        let mut op = gen.operation(route);
        let wanted = route
            .doc
            .operation_id
            .clone()
            .unwrap_or_else(|| default_operation_id(&route.method, &route.path));
        let mut id = wanted.clone();
        let mut n = 2;
        while used_ids.contains(&id) {
            id = format!("{wanted}_{n}");
            n += 1;
        }
        used_ids.push(id.clone());
        op.insert("operationId".into(), Value::String(id));
        for t in &route.doc.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        let item = paths
            .entry(openapi_path(&route.path))
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(item) = item {
            item.insert(route.method.to_ascii_lowercase(), Value::Object(op));
        }
    }

    let mut info = Map::new();
    info.insert("title".into(), json!(config.title));
    info.insert("version".into(), json!(config.version));
    if let Some(d) = &config.description {
        info.insert("description".into(), json!(d));
    }
    let mut doc = Map::new();
    doc.insert("openapi".into(), json!("3.1.0"));
    doc.insert("info".into(), Value::Object(info));
    if !tags.is_empty() {
        doc.insert(
            "tags".into(),
            Value::Array(tags.into_iter().map(|t| json!({"name": t})).collect()),
        );
    }
    doc.insert("paths".into(), Value::Object(paths));
    let components = gen.components();
    if !components.is_empty() {
        doc.insert("components".into(), Value::Object(components));
    }
    Value::Object(doc)
}

#[cfg(test)]
mod tests;
