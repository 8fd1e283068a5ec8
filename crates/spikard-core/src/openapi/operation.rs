//! One operation: parameters, request body per media type, responses: the declared
//! ones, the success status (`status_code`, 200 by default; no content for 204 and 304),
//! and every problem the framework itself may answer the operation with, each a shared
//! `application/problem+json` response over the `ProblemDetails` schema (RFC 9457):
//!
//! | status | when |
//! |---|---|
//! | 400 `BadRequest` | always (a malformed query string, body or `Content-Length`) |
//! | 401 `Unauthorized` | JWT or API-key auth covers the route |
//! | 403 `Forbidden` | the route's JWT auth requires claims |
//! | 408 `RequestTimeout` | the route accepts a body (a stalled body) or has a request timeout |
//! | 413 `PayloadTooLarge` | the route accepts a body (the body size limit) |
//! | 415 `UnsupportedMediaType` | the route accepts a body (in its declared media types only) |
//! | 422 `ValidationProblem` | the route validates parameters or a body |
//! | 429 `TooManyRequests` | rate limiting covers the route |
//!
//! A declared error response (4XX, 5XX) without a schema is the problem an application's
//! HTTP error is answered with. 404 and 405 for a path or method no route serves are not
//! operations' answers and are not listed.

use std::collections::{BTreeMap, BTreeSet};

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
    /// The shared problem responses (and schemas) the operations refer to.
    pub problems: BTreeSet<FrameworkResponse>,
}

/// A problem the framework answers with, documented once under `components`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FrameworkResponse {
    /// The `ProblemDetails` schema alone (a declared error response refers to it).
    Details,
    BadRequest,
    Unauthorized,
    Forbidden,
    RequestTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationProblem,
    TooManyRequests,
}

impl FrameworkResponse {
    fn status(self) -> &'static str {
        match self {
            Self::Details => "default",
            Self::BadRequest => "400",
            Self::Unauthorized => "401",
            Self::Forbidden => "403",
            Self::RequestTimeout => "408",
            Self::PayloadTooLarge => "413",
            Self::UnsupportedMediaType => "415",
            Self::ValidationProblem => "422",
            Self::TooManyRequests => "429",
        }
    }

    /// The name under `components/responses`.
    fn name(self) -> &'static str {
        match self {
            Self::Details => "ProblemDetails",
            Self::BadRequest => "BadRequest",
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::RequestTimeout => "RequestTimeout",
            Self::PayloadTooLarge => "PayloadTooLarge",
            Self::UnsupportedMediaType => "UnsupportedMediaType",
            Self::ValidationProblem => "ValidationProblem",
            Self::TooManyRequests => "TooManyRequests",
        }
    }

    /// The shared response: its description, an example, and the headers it carries.
    fn response(self) -> Value {
        let problem = |code: &str, title: &str, status: u16, detail: &str| json!({"type": format!("https://spikard.dev/errors/{code}"), "title": title, "status": status, "detail": detail});
        let (description, example, headers) = match self {
            Self::Details => return Value::Null,
            Self::BadRequest => (
                "Malformed request (query string, body or Content-Length)",
                problem(
                    "malformed-json",
                    "Malformed JSON",
                    400,
                    "Invalid JSON: expected value at line 1 column 1",
                ),
                None,
            ),
            Self::Unauthorized => (
                "Missing or invalid credentials",
                problem(
                    "unauthorized",
                    "Missing or invalid Authorization header",
                    401,
                    "Expected 'Authorization: Bearer <token>'",
                ),
                Some(("WWW-Authenticate", "The authentication scheme(s) the operation accepts")),
            ),
            Self::Forbidden => (
                "Valid credentials without the claims this operation requires",
                problem("forbidden", "Forbidden", 403, "Required claim 'role' missing from JWT"),
                Some(("WWW-Authenticate", "The scope error (`insufficient_scope`)")),
            ),
            Self::RequestTimeout => (
                "The request (or its body) did not complete in time",
                problem(
                    "request-timeout",
                    "Request Timeout",
                    408,
                    "Request did not complete within 30 seconds",
                ),
                None,
            ),
            Self::PayloadTooLarge => (
                "Request body larger than the body size limit",
                problem(
                    "payload-too-large",
                    "Payload Too Large",
                    413,
                    "Request body size exceeds maximum allowed size of 10485760 bytes",
                ),
                None,
            ),
            Self::UnsupportedMediaType => (
                "Request body in a media type or charset the operation does not accept",
                problem(
                    "unsupported-media-type",
                    "Unsupported Media Type",
                    415,
                    "Unsupported media type",
                ),
                None,
            ),
            Self::ValidationProblem => {
                let mut example = problem(
                    "validation-error",
                    "Request Validation Failed",
                    422,
                    "1 validation error in request",
                );
                example["errors"] =
                    json!([{"type": "missing", "loc": ["query", "limit"], "msg": "Field required", "input": null}]);
                return json!({"description": "Validation Error",
                "content": {PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/ValidationProblem"},
                    "example": example
                }}});
            }
            Self::TooManyRequests => (
                "Rate limit exceeded",
                problem(
                    "too-many-requests",
                    "Too Many Requests",
                    429,
                    "Rate limit exceeded; retry after 1 seconds",
                ),
                Some(("Retry-After", "Seconds to wait before retrying")),
            ),
        };
        let mut r = json!({"description": description});
        if let Some((name, what)) = headers {
            r["headers"] = json!({name: {"description": what, "schema": {"type": "string"}}});
        }
        r["content"] = json!({PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/ProblemDetails"},
            "example": example
        }});
        r
    }
}

/// Parameter integers are parsed as 64-bit signed: an integer schema (or array of
/// integers) without a `format` is documented `int64`, so clients generate values the
/// server reads.
fn with_int64_format(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else { return };
    let has_type = |obj: &Map<String, Value>, t: &str| match obj.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(ts)) => ts.iter().any(|x| x == t),
        _ => false,
    };
    if has_type(obj, "integer") && !obj.contains_key("format") {
        obj.insert("format".into(), json!("int64"));
    }
    if has_type(obj, "array") {
        if let Some(items) = obj.get_mut("items") {
            with_int64_format(items);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = obj.get_mut(key) {
            branches.iter_mut().for_each(with_int64_format);
        }
    }
}

/// Whether a response of this status may carry a body (not 204, 205, 304, nor 1XX).
fn may_have_content(status: &str) -> bool {
    !matches!(status, "204" | "205" | "304") && !status.starts_with('1')
}

/// A 4XX or 5XX status (or range).
fn is_error(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
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
        // The server reads an empty query value as null where the schema admits null.
        if source == ParamSource::Query && types_of(&spec.schema).contains(&"null") {
            p.insert("allowEmptyValue".into(), json!(true));
        }
        let is_array = types_of(&spec.schema).contains(&"array");
        if let (true, Some(sep)) = (is_array, spec.separator.as_deref()) {
            if let Some(style) = style_for(source, sep) {
                p.insert("style".into(), json!(style));
                p.insert("explode".into(), json!(false));
            }
        }
        let mut schema = spec.schema;
        with_int64_format(&mut schema);
        p.insert("schema".into(), self.schemas.add(schema, false));
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
        let mut out: BTreeMap<String, Value> = BTreeMap::new();
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
            let status = route.success_status.unwrap_or(200).to_string();
            let mut ok = json!({"description": default_description(&status)});
            if let (Some(schema), true) = (&route.doc.response_schema, may_have_content(&status)) {
                ok["content"] = json!({"application/json": {"schema": self.schemas.add(schema.clone(), true)}});
            }
            out.insert(status, ok);
        }
        for (status, declared) in &route.doc.responses {
            let description = declared
                .description
                .clone()
                .unwrap_or_else(|| default_description(status).into());
            let mut r = json!({"description": description});
            let schema = declared.schema.clone().or_else(|| {
                (status.starts_with('2') && may_have_content(status))
                    .then(|| route.doc.response_schema.clone())
                    .flatten()
            });
            if let Some(schema) = schema {
                let media = declared.content_type.as_deref().unwrap_or("application/json");
                r["content"] = json!({media: {"schema": self.schemas.add(schema, true)}});
            } else if is_error(status) && declared.content_type.is_none() {
                // An application's HTTP error is answered by the framework's problem builder.
                self.problems.insert(FrameworkResponse::Details);
                r["content"] = json!({PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}});
            }
            out.insert(status.clone(), r);
        }
        let has_body = route.body_schema.is_some() || !route.files.is_empty() || route.content_type.is_some();
        let needs_claims = route.jwt_auth.as_ref().is_some_and(|j| !j.required_claims.is_empty());
        let framework = [
            (FrameworkResponse::BadRequest, true),
            (
                FrameworkResponse::Unauthorized,
                route.jwt_auth.is_some() || route.api_key_auth.is_some(),
            ),
            (FrameworkResponse::Forbidden, needs_claims),
            (FrameworkResponse::RequestTimeout, has_body || route.request_timeout),
            (FrameworkResponse::PayloadTooLarge, has_body),
            (FrameworkResponse::UnsupportedMediaType, has_body),
            (FrameworkResponse::ValidationProblem, validates),
            (FrameworkResponse::TooManyRequests, route.rate_limit),
        ];
        for (problem, applies) in framework {
            if applies && !out.contains_key(problem.status()) {
                self.problems.insert(problem);
                out.insert(
                    problem.status().into(),
                    json!({"$ref": format!("#/components/responses/{}", problem.name())}),
                );
            }
        }
        out.into_iter().collect()
    }

    /// `components`: schemas, shared problem responses, security schemes.
    pub fn components(mut self) -> Map<String, Value> {
        let mut responses = Map::new();
        if !self.problems.is_empty() {
            self.schemas.insert("ProblemDetails", problem_details_schema());
        }
        if self.problems.contains(&FrameworkResponse::ValidationProblem) {
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
        }
        for problem in &self.problems {
            if *problem != FrameworkResponse::Details {
                responses.insert(problem.name().into(), problem.response());
            }
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
        "405" => "Method Not Allowed",
        "408" => "Request Timeout",
        "409" => "Conflict",
        "413" => "Payload Too Large",
        "415" => "Unsupported Media Type",
        "429" => "Too Many Requests",
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
