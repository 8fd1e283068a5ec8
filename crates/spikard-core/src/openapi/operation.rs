//! One operation: parameters, request body per media type, responses (declared,
//! the default success, the 422 validation problem, 401 for protected routes).

use serde_json::{json, Map, Value};

use super::schema::SchemaRegistry;
use super::security::SecuritySchemes;
use super::{ChannelKind, RouteDoc};
use crate::params::{types_of, ParamSource, ParamSpec};
use crate::route_pattern::{RoutePattern, SegmentKind};

const PROBLEM_JSON: &str = "application/problem+json";

pub(super) struct Generator {
    pub schemas: SchemaRegistry,
    pub security: SecuritySchemes,
    pub uses_validation: bool,
    pub uses_auth: bool,
    pub uses_forbidden: bool,
}

/// "get_user_by_id" → "Get User By Id".
fn title_case(name: &str) -> String {
    name.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The parameter style for a delimited array (headers are comma-separated by default).
fn style_for(source: ParamSource, separator: &str) -> Option<&'static str> {
    match (source, separator) {
        (ParamSource::Query | ParamSource::Cookie, ",") => Some("form"),
        (ParamSource::Query, "|") => Some("pipeDelimited"),
        (ParamSource::Query, " " | "%20") => Some("spaceDelimited"),
        _ => None,
    }
}

impl Generator {
    pub fn operation(&mut self, route: &RouteDoc) -> Map<String, Value> {
        let mut op = Map::new();
        if !route.doc.tags.is_empty() {
            op.insert("tags".into(), json!(route.doc.tags));
        }
        let summary = route
            .doc
            .summary
            .clone()
            .or_else(|| route.handler_name.as_deref().map(title_case).filter(|s| !s.is_empty()));
        if let Some(s) = summary {
            op.insert("summary".into(), json!(s));
        }
        if let Some(d) = &route.doc.description {
            op.insert("description".into(), json!(d));
        }
        let parameters = self.parameters(route);
        let validates = !parameters.is_empty();
        if validates {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        let body = self.request_body(route);
        let validates = validates || body.is_some();
        if let Some(body) = body {
            op.insert("requestBody".into(), body);
        }
        op.insert("responses".into(), Value::Object(self.responses(route, validates)));
        if let Some(requirements) = self.security.requirements(route) {
            op.insert("security".into(), requirements);
        }
        if route.doc.deprecated {
            op.insert("deprecated".into(), json!(true));
        }
        op
    }

    fn parameters(&mut self, route: &RouteDoc) -> Vec<Value> {
        let mut out = Vec::new();
        if let Ok(pattern) = RoutePattern::parse(&route.path) {
            for (name, kind) in pattern.params() {
                let mut schema = route
                    .path_params
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| kind.default_schema());
                if let (Some(obj), Value::Object(default)) = (schema.as_object_mut(), kind.default_schema()) {
                    for (k, v) in default {
                        obj.entry(k).or_insert(v);
                    }
                }
                let mut param = self.parameter(name, ParamSource::Path, &schema);
                if kind == SegmentKind::Path && param.get("description").is_none() {
                    param["description"] = json!("The rest of the path; may contain `/`.");
                }
                out.push(param);
            }
        }
        for (source, map) in [
            (ParamSource::Query, &route.query),
            (ParamSource::Header, &route.headers),
            (ParamSource::Cookie, &route.cookies),
        ] {
            for (name, schema) in map {
                out.push(self.parameter(name, source, schema));
            }
        }
        out
    }

    fn parameter(&mut self, name: &str, source: ParamSource, declared: &Value) -> Value {
        let spec = ParamSpec::from_schema(name, source, declared);
        let location = match source {
            ParamSource::Path => "path",
            ParamSource::Query => "query",
            ParamSource::Header => "header",
            ParamSource::Cookie => "cookie",
        };
        let mut p = Map::new();
        p.insert("name".into(), json!(name));
        p.insert("in".into(), json!(location));
        p.insert("required".into(), json!(spec.required));
        if let Some(d) = spec.schema.get("description") {
            p.insert("description".into(), d.clone());
        }
        if spec.schema.get("deprecated") == Some(&Value::Bool(true)) {
            p.insert("deprecated".into(), json!(true));
        }
        let is_array = types_of(&spec.schema).contains(&"array");
        if let (true, Some(sep)) = (is_array, spec.separator.as_deref()) {
            if let Some(style) = style_for(source, sep) {
                p.insert("style".into(), json!(style));
                p.insert("explode".into(), json!(false));
            }
        }
        p.insert("schema".into(), self.schemas.add(spec.schema, false));
        Value::Object(p)
    }

    fn request_body(&mut self, route: &RouteDoc) -> Option<Value> {
        if route.body_schema.is_none() && route.files.is_empty() && route.content_type.is_none() {
            return None;
        }
        let media = match (&route.content_type, route.files.is_empty()) {
            (Some(ct), _) => ct.split(';').next().unwrap_or(ct).trim().to_ascii_lowercase(),
            (None, false) => "multipart/form-data".into(),
            (None, true) => "application/json".into(),
        };
        let mut media_obj = Map::new();
        let schema = if media == "multipart/form-data" {
            let (schema, encoding) = self.multipart_schema(route);
            if !encoding.is_empty() {
                media_obj.insert("encoding".into(), Value::Object(encoding));
            }
            schema
        } else {
            route.body_schema.clone().map(|s| self.schemas.add(s, true))
        };
        if let Some(schema) = schema {
            media_obj.insert("schema".into(), schema);
        }
        let required = (route.body_schema.is_some() && !route.body_optional)
            || route
                .files
                .values()
                .any(|f| f.get("required").and_then(Value::as_bool).unwrap_or(false));
        Some(json!({"required": required, "content": {media: media_obj}}))
    }

    /// The body schema with a binary string property per file part, and the parts' allowed types.
    fn multipart_schema(&mut self, route: &RouteDoc) -> (Option<Value>, Map<String, Value>) {
        let mut encoding = Map::new();
        if route.files.is_empty() {
            return (route.body_schema.clone().map(|s| self.schemas.add(s, true)), encoding);
        }
        let base = route
            .body_schema
            .clone()
            .map(|s| self.schemas.add(s, false))
            .unwrap_or_else(|| json!({"type": "object"}));
        let Value::Object(mut obj) = base else {
            return (Some(base), encoding);
        };
        let mut props = match obj.remove("properties") {
            Some(Value::Object(p)) => p,
            _ => Map::new(),
        };
        let mut required: Vec<Value> = match obj.remove("required") {
            Some(Value::Array(r)) => r,
            _ => Vec::new(),
        };
        for (name, file) in &route.files {
            let types: Vec<&str> = match file.get("content_type") {
                Some(Value::Array(t)) => t.iter().filter_map(Value::as_str).collect(),
                Some(Value::String(t)) => vec![t.as_str()],
                _ => Vec::new(),
            };
            let mut prop = json!({"type": "string", "format": "binary"});
            if let [single] = types.as_slice() {
                prop["contentMediaType"] = json!(single);
            }
            if let Some(max) = file.get("max_size").and_then(Value::as_u64) {
                prop["description"] = json!(format!("At most {max} bytes."));
            }
            props.entry(name.clone()).or_insert(prop);
            if !types.is_empty() {
                encoding.insert(name.clone(), json!({"contentType": types.join(", ")}));
            }
            if file.get("required").and_then(Value::as_bool).unwrap_or(false) && !required.contains(&json!(name)) {
                required.push(json!(name));
            }
        }
        obj.insert("type".into(), json!("object"));
        obj.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            obj.insert("required".into(), Value::Array(required));
        }
        (Some(Value::Object(obj)), encoding)
    }

    fn responses(&mut self, route: &RouteDoc, validates: bool) -> Map<String, Value> {
        let mut out = Map::new();
        let has_success = route
            .doc
            .responses
            .keys()
            .any(|k| k.starts_with('2') || k.starts_with('3') || k == "default");
        if !has_success && route.channel == Some(ChannelKind::Sse) {
            out.insert(
                "200".into(),
                json!({"description": "A stream of server-sent events (see the AsyncAPI document for their data)",
                       "content": {"text/event-stream": {"schema": {"type": "string"}}}}),
            );
        } else if !has_success {
            let mut ok = json!({"description": "Successful Response"});
            if let Some(schema) = &route.doc.response_schema {
                ok["content"] = json!({"application/json": {"schema": self.schemas.add(schema.clone(), true)}});
            }
            out.insert(route.success_status.unwrap_or(200).to_string(), ok);
        }
        for (status, declared) in &route.doc.responses {
            let description = declared
                .description
                .clone()
                .unwrap_or_else(|| default_description(status).into());
            let mut r = json!({"description": description});
            let schema = declared.schema.clone().or_else(|| {
                status
                    .starts_with('2')
                    .then(|| route.doc.response_schema.clone())
                    .flatten()
            });
            if let Some(schema) = schema {
                let media = declared.content_type.as_deref().unwrap_or("application/json");
                r["content"] = json!({media: {"schema": self.schemas.add(schema, true)}});
            }
            out.insert(status.clone(), r);
        }
        if validates && !out.contains_key("422") {
            self.uses_validation = true;
            out.insert(
                "422".into(),
                json!({"$ref": "#/components/responses/ValidationProblem"}),
            );
        }
        if (route.jwt_auth.is_some() || route.api_key_auth.is_some()) && !out.contains_key("401") {
            self.uses_auth = true;
            out.insert("401".into(), json!({"$ref": "#/components/responses/Unauthorized"}));
        }
        let needs_claims = route.jwt_auth.as_ref().is_some_and(|j| !j.required_claims.is_empty());
        if needs_claims && !out.contains_key("403") {
            self.uses_forbidden = true;
            out.insert("403".into(), json!({"$ref": "#/components/responses/Forbidden"}));
        }
        out
    }

    /// `components`: schemas, shared problem responses, security schemes.
    pub fn components(mut self) -> Map<String, Value> {
        let mut responses = Map::new();
        if self.uses_validation || self.uses_auth || self.uses_forbidden {
            self.schemas.insert("ProblemDetails", problem_details_schema());
        }
        if self.uses_validation {
            self.schemas.insert("ValidationError", validation_error_schema());
            self.schemas.insert(
                "ValidationProblem",
                json!({
                    "allOf": [
                        {"$ref": "#/components/schemas/ProblemDetails"},
                        {"type": "object", "required": ["errors"], "properties": {
                            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}}
                        }}
                    ]
                }),
            );
            responses.insert(
                "ValidationProblem".into(),
                json!({"description": "Validation Error",
                       "content": {PROBLEM_JSON: {
                           "schema": {"$ref": "#/components/schemas/ValidationProblem"},
                           "example": {
                               "type": "https://spikard.dev/errors/validation-error",
                               "title": "Request Validation Failed",
                               "status": 422,
                               "detail": "1 validation error in request",
                               "errors": [{"type": "missing", "loc": ["query", "limit"], "msg": "Field required", "input": null}]
                           }
                       }}}),
            );
        }
        if self.uses_auth {
            responses.insert(
                "Unauthorized".into(),
                json!({"description": "Missing or invalid credentials",
                "content": {PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/ProblemDetails"},
                    "example": {
                        "type": "https://spikard.dev/errors/unauthorized",
                        "title": "Missing or invalid Authorization header",
                        "status": 401,
                        "detail": "Expected 'Authorization: Bearer <token>'"
                    }
                }}}),
            );
        }
        if self.uses_forbidden {
            responses.insert(
                "Forbidden".into(),
                json!({"description": "Valid credentials without the claims this operation requires",
                       "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}),
            );
        }
        let mut out = Map::new();
        let schemas = self.schemas.into_schemas();
        if !schemas.is_empty() {
            out.insert("schemas".into(), Value::Object(schemas));
        }
        if !responses.is_empty() {
            out.insert("responses".into(), Value::Object(responses));
        }
        let schemes = self.security.into_schemes();
        if !schemes.is_empty() {
            out.insert("securitySchemes".into(), Value::Object(schemes));
        }
        out
    }
}

fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "Successful Response",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No Content",
        "301" | "302" | "303" | "307" | "308" => "Redirect",
        "304" => "Not Modified",
        "400" => "Bad Request",
        "401" => "Unauthorized",
        "403" => "Forbidden",
        "404" => "Not Found",
        "409" => "Conflict",
        "422" => "Validation Error",
        "default" => "Unexpected error",
        s if s.starts_with('2') => "Success",
        s if s.starts_with('4') => "Client Error",
        s if s.starts_with('5') => "Server Error",
        _ => "Response",
    }
}

/// RFC 9457 problem details, as every error response carries.
pub fn problem_details_schema() -> Value {
    json!({
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 100, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"}
        },
        "additionalProperties": true
    })
}

/// One entry of a validation problem's `errors` (pydantic v2 vocabulary).
pub fn validation_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "loc", "msg"],
        "properties": {
            "type": {"type": "string", "examples": ["missing", "int_parsing", "greater_than"]},
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"},
            "input": {},
            "ctx": {"type": "object"}
        }
    })
}
