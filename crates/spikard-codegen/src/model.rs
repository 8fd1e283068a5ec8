//! The language-neutral model of a document: operations (method, path, parameters with
//! location, schema and whether required, the request body, the responses) and the
//! component schemas, all normalised to JSON Schema 2020-12 with `$ref`s of the form
//! `#/components/schemas/<Name>`.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{child, CodegenError, Result};
use crate::normalize::normalize_schema;
use crate::validate;
use spikard_core::openapi::default_operation_id;

/// HTTP methods in the order operations of one path are listed.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A whole document.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    /// The document's `openapi` version (`3.0.3`, `3.1.0`).
    pub openapi: String,
    pub operations: Vec<Operation>,
    /// Component schemas by name, in document order (then the bundled ones).
    pub schemas: Map<String, Value>,
}

/// Where a parameter is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The name as on the wire (header names as written in the document).
    pub name: String,
    pub location: ParamLocation,
    pub required: bool,
    pub schema: Value,
    pub description: Option<String>,
    pub deprecated: bool,
    /// The delimiter of an array sent as one value (`style: form, explode: false` → `,`).
    pub separator: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    pub required: bool,
    pub content_type: String,
    pub schema: Option<Value>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// `200`, `4XX`, `default`.
    pub status: String,
    pub description: String,
    pub content_type: Option<String>,
    pub schema: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The `operationId`, or one made from method and path (`get_pets_petId`); unique.
    pub id: String,
    /// Whether `id` is the document's own.
    pub explicit_id: bool,
    /// Upper case.
    pub method: String,
    /// The OpenAPI path (`/pets/{petId}`).
    pub path: String,
    /// The Spikard route pattern (`/pets/{petId:int}`).
    pub pattern: String,
    pub tags: Vec<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
}

impl Operation {
    /// The status a successful call answers with: the lowest declared 2xx (200 when none).
    pub fn success_status(&self) -> u16 {
        self.responses
            .iter()
            .filter_map(|r| r.status.parse::<u16>().ok())
            .filter(|s| (200..300).contains(s))
            .min()
            .unwrap_or(200)
    }

    /// The declared response of [`success_status`](Self::success_status), if any.
    pub fn success_response(&self) -> Option<&Response> {
        let status = self.success_status().to_string();
        self.responses.iter().find(|r| r.status == status)
    }

    /// The first tag (`default` when there is none): the module the handler goes in.
    pub fn group(&self) -> &str {
        self.tags.first().map(String::as_str).unwrap_or("default")
    }
}

/// The preferred media type of a `content` map: JSON first, then any `+json`, then the first.
pub fn pick_media(content: &Map<String, Value>) -> Option<(&String, &Value)> {
    content
        .iter()
        .find(|(k, _)| k.split(';').next().unwrap_or("").trim() == "application/json")
        .or_else(|| content.iter().find(|(k, _)| k.contains("+json")))
        .or_else(|| content.iter().next())
}

/// Follow `#/components/schemas/X` references (not cyclically) to the schema they name.
pub fn deref<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    let mut current = schema;
    for _ in 0..32 {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .and_then(|n| schemas.get(&n.replace("~1", "/").replace("~0", "~")))
        {
            Some(next) => current = next,
            None => return current,
        }
    }
    current
}

impl Api {
    /// Read, bundle and model the document in `file`.
    pub fn load(file: &Path) -> Result<Self> {
        let root = crate::load::load(file)?;
        Self::from_document(root, file)
    }

    /// Model an already parsed document (`file` locates relative references and errors).
    pub fn from_document(root: Value, file: &Path) -> Result<Self> {
        let openapi = validate::check_root(&root, file)?;
        let openapi30 = openapi.starts_with("3.0");
        let mut doc = crate::resolve::bundle_value(root, file)?;
        validate::check_bundled(&doc, file)?;
        normalize_document(&mut doc, openapi30);
        let info = &doc["info"];
        let schemas = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut api = Api {
            title: info["title"].as_str().unwrap_or("API").to_owned(),
            version: info["version"].as_str().unwrap_or("1.0.0").to_owned(),
            description: info.get("description").and_then(Value::as_str).map(str::to_owned),
            openapi,
            operations: Vec::new(),
            schemas,
        };
        let empty = Map::new();
        let paths = doc.get("paths").and_then(Value::as_object).unwrap_or(&empty);
        let mut used_ids: Vec<String> = Vec::new();
        for (path, item) in paths {
            let item_ptr = child("/paths", path);
            let shared = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let ptr = child(&item_ptr, method);
                let operation = api.operation(path, method, op, &shared, &mut used_ids, file, &ptr)?;
                api.operations.push(operation);
            }
        }
        validate::check_compiles(&api, file)?;
        Ok(api)
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        path: &str,
        method: &str,
        op: &Value,
        shared: &[Value],
        used_ids: &mut Vec<String>,
        file: &Path,
        ptr: &str,
    ) -> Result<Operation> {
        let mut params: Vec<Param> = Vec::new();
        let own = op
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in shared.iter().chain(own.iter()) {
            let param = parse_param(p);
            // An operation's parameter replaces the path item's of the same name and location.
            params.retain(|q| !(q.location == param.location && q.name.eq_ignore_ascii_case(&param.name)));
            params.push(param);
        }
        let pattern = self.pattern(path, &params, file, ptr)?;
        let explicit = op.get("operationId").and_then(Value::as_str).map(str::to_owned);
        let wanted = explicit.clone().unwrap_or_else(|| default_operation_id(method, path));
        let mut id = wanted.clone();
        let mut n = 2;
        while used_ids.contains(&id) {
            id = format!("{wanted}_{n}");
            n += 1;
        }
        used_ids.push(id.clone());
        let strings = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(Operation {
            explicit_id: explicit.as_deref() == Some(id.as_str()),
            id,
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            pattern,
            tags: op
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            summary: strings("summary"),
            description: strings("description"),
            deprecated: op.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
            params,
            body: op.get("requestBody").and_then(parse_body),
            responses: parse_responses(op.get("responses")),
        })
    }

    /// `/pets/{petId}` with an integer `petId` → `/pets/{petId:int}`.
    fn pattern(&self, path: &str, params: &[Param], file: &Path, ptr: &str) -> Result<String> {
        let mut out = String::new();
        let mut seen: Vec<&str> = Vec::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            out.push('/');
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                if segment.contains('{') {
                    return Err(CodegenError::invalid(
                        file,
                        ptr,
                        format!(
                            "path segment '{segment}' mixes text and a parameter, which Spikard routes cannot express"
                        ),
                    ));
                }
                out.push_str(segment);
                continue;
            };
            if seen.contains(&name) {
                return Err(CodegenError::invalid(
                    file,
                    ptr,
                    format!("path '{path}' names the parameter '{name}' twice (template names must be unique)"),
                ));
            }
            seen.push(name);
            let Some(param) = params
                .iter()
                .find(|p| p.location == ParamLocation::Path && p.name == name)
            else {
                return Err(CodegenError::invalid(
                    file,
                    ptr,
                    format!("path parameter '{name}' of '{path}' is not declared in `parameters`"),
                ));
            };
            let schema = deref(&param.schema, &self.schemas);
            let kind = match (
                crate::types::single_type(schema),
                schema.get("format").and_then(Value::as_str),
            ) {
                (Some("integer"), _) => ":int",
                (Some("number"), _) => ":float",
                (Some("string"), Some("uuid")) => ":uuid",
                (Some("string"), Some("date")) => ":date",
                (Some("string"), Some("date-time")) => ":datetime",
                _ => "",
            };
            out.push_str(&format!("{{{name}{kind}}}"));
        }
        if out.is_empty() {
            out.push('/');
        }
        Ok(out)
    }
}

fn parse_param(p: &Value) -> Param {
    let location = match p["in"].as_str() {
        Some("path") => ParamLocation::Path,
        Some("header") => ParamLocation::Header,
        Some("cookie") => ParamLocation::Cookie,
        _ => ParamLocation::Query,
    };
    let schema = p
        .get("schema")
        .cloned()
        .or_else(|| {
            p.get("content")
                .and_then(Value::as_object)
                .and_then(pick_media)
                .and_then(|(_, m)| m.get("schema").cloned())
        })
        .unwrap_or_else(|| Value::Object(Map::new()));
    let is_array = crate::types::single_type(&schema) == Some("array");
    let style = p.get("style").and_then(Value::as_str);
    let explode = p
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(matches!(style, None | Some("form")));
    let separator = match (is_array, location, style, explode) {
        (true, ParamLocation::Query | ParamLocation::Cookie, None | Some("form"), false) => Some(","),
        (true, ParamLocation::Query, Some("pipeDelimited"), _) => Some("|"),
        (true, ParamLocation::Query, Some("spaceDelimited"), _) => Some(" "),
        (true, ParamLocation::Header | ParamLocation::Path, _, _) => Some(","),
        _ => None,
    };
    Param {
        name: p["name"].as_str().unwrap_or("").to_owned(),
        location,
        required: location == ParamLocation::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false),
        schema,
        description: p.get("description").and_then(Value::as_str).map(str::to_owned),
        deprecated: p.get("deprecated").and_then(Value::as_bool).unwrap_or(false),
        separator: separator.map(str::to_owned),
    }
}

fn parse_body(body: &Value) -> Option<Body> {
    let content = body.get("content").and_then(Value::as_object)?;
    let (media, m) = pick_media(content)?;
    Some(Body {
        required: body.get("required").and_then(Value::as_bool).unwrap_or(false),
        content_type: media.clone(),
        schema: m.get("schema").cloned(),
        description: body.get("description").and_then(Value::as_str).map(str::to_owned),
    })
}

fn parse_responses(responses: Option<&Value>) -> Vec<Response> {
    let Some(Value::Object(map)) = responses else {
        return Vec::new();
    };
    map.iter()
        .map(|(status, r)| {
            let media = r.get("content").and_then(Value::as_object).and_then(pick_media);
            Response {
                status: status.clone(),
                description: r.get("description").and_then(Value::as_str).unwrap_or("").to_owned(),
                content_type: media.map(|(k, _)| k.clone()),
                schema: media.and_then(|(_, m)| m.get("schema").cloned()),
            }
        })
        .collect()
}

/// Normalise every schema of a bundled document (components, parameters, bodies, responses).
fn normalize_document(doc: &mut Value, openapi30: bool) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        schemas.values_mut().for_each(|s| normalize_schema(s, openapi30));
    }
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for item in paths.values_mut() {
            normalize_in(item, openapi30);
        }
    }
}

/// Every `schema` member below a path item.
fn normalize_in(value: &mut Value, openapi30: bool) {
    match value {
        Value::Object(obj) => {
            for (k, v) in obj.iter_mut() {
                if k == "schema" {
                    normalize_schema(v, openapi30);
                } else if k != "example" && k != "examples" {
                    normalize_in(v, openapi30);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalize_in(v, openapi30)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
