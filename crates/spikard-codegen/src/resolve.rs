//! `$ref` resolution: a document and the files it refers to become one bundled document.
//!
//! - A `$ref` where a schema is expected (a media type's or parameter's `schema`, and
//!   inside schemas) always ends up as `#/components/schemas/<Name>`: the root document's
//!   own components keep their names, any other schema it reaches (another file's
//!   component, a whole file, a pointer into a schema) becomes a component named after
//!   its last pointer token or file stem, numbered (`Pet2`) when the name is taken, in
//!   the order the references are met. Cycles between schemas are therefore harmless.
//! - Any other `$ref` (parameters, request bodies, responses, headers, path items,
//!   examples) is replaced by what it points to; a cycle among those is an error.
//! - Remote (`http:`) references are refused; a missing file or target is an error at
//!   the pointer of the `$ref`.
//!
//! ```
//! use serde_json::json;
//! use spikard_codegen::resolve::bundle_value;
//! let doc = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
//!   "paths": {"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/Limit"}],
//!     "responses": {"200": {"description": "ok"}}}}},
//!   "components": {"parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}}}});
//! let bundled = bundle_value(doc, std::path::Path::new("api.json")).unwrap();
//! assert_eq!(bundled["paths"]["/a"]["get"]["parameters"][0]["name"], "limit");
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{child, CodegenError, Result};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Schema keywords holding one schema.
const ONE_SCHEMA: [&str; 12] = [
    "items",
    "additionalProperties",
    "not",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
    "contentSchema",
];
/// Schema keywords holding a map of schemas.
const SCHEMA_MAPS: [&str; 5] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
/// Schema keywords holding a list of schemas.
const SCHEMA_LISTS: [&str; 4] = ["allOf", "anyOf", "oneOf", "prefixItems"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Schema,
    Other,
}

struct Resolver {
    docs: HashMap<PathBuf, Value>,
    /// (file, fragment) of each schema made a component, to its name.
    names: HashMap<(PathBuf, String), String>,
    taken: HashSet<String>,
    /// Components still to process, in the order they were met.
    pending: Vec<(PathBuf, String, String)>,
    components: Vec<(String, Value)>,
    /// Non-schema references being inlined (cycle detection).
    inlining: Vec<(PathBuf, String)>,
}

/// Bundle the document in `file` (and the files it refers to).
pub fn bundle(file: &Path) -> Result<Value> {
    let root = crate::load::load(file)?;
    bundle_value(root, file)
}

/// Bundle an already parsed root document that was read from `file` (relative
/// references are resolved from its directory).
pub fn bundle_value(root: Value, file: &Path) -> Result<Value> {
    let file = canonical(file);
    let mut r = Resolver {
        docs: HashMap::new(),
        names: HashMap::new(),
        taken: HashSet::new(),
        pending: Vec::new(),
        components: Vec::new(),
        inlining: Vec::new(),
    };
    let own: Vec<String> = root
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for name in &own {
        let fragment = format!("/components/schemas/{}", crate::error::escape_token(name));
        r.names.insert((file.clone(), fragment.clone()), name.clone());
        r.taken.insert(name.clone());
        r.pending.push((file.clone(), fragment, name.clone()));
    }
    r.docs.insert(file.clone(), root.clone());

    let Value::Object(obj) = root else {
        return Err(CodegenError::invalid(
            &file,
            "",
            "an OpenAPI document is a JSON/YAML object",
        ));
    };
    let mut out = Map::new();
    for (key, value) in obj {
        if key == "components" {
            continue;
        }
        let ptr = child("", &key);
        out.insert(key, r.process(value, &file, &ptr, Ctx::Other)?);
    }
    let mut i = 0;
    while i < r.pending.len() {
        let (f, fragment, _) = r.pending[i].clone();
        let target = r.lookup(&f, &fragment, &f, &fragment)?;
        let processed = r.process(target, &f, &fragment, Ctx::Schema)?;
        r.components.push((r.pending[i].2.clone(), processed));
        i += 1;
    }
    let mut components = out_components(&r.docs[&file]);
    if !r.components.is_empty() {
        components.insert("schemas".into(), Value::Object(r.components.into_iter().collect()));
    }
    if !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }
    Ok(Value::Object(out))
}

/// The root's components other than schemas and the kinds every use inlines
/// (security schemes and the like are kept as they are).
fn out_components(root: &Value) -> Map<String, Value> {
    let inlined = [
        "schemas",
        "parameters",
        "requestBodies",
        "responses",
        "headers",
        "examples",
        "pathItems",
        "links",
        "callbacks",
    ];
    root.get("components")
        .and_then(Value::as_object)
        .map(|c| {
            c.iter()
                .filter(|(k, _)| !inlined.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Percent-decode a URI fragment.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last token of a pointer, unescaped (or the file stem for a whole file).
fn name_hint(file: &Path, fragment: &str) -> String {
    let token = fragment.rsplit('/').next().unwrap_or("");
    if token.is_empty() {
        return file.file_stem().and_then(|s| s.to_str()).unwrap_or("Schema").to_owned();
    }
    token.replace("~1", "/").replace("~0", "~")
}

impl Resolver {
    /// Split a reference met in `file` into the target file and its fragment (a pointer).
    fn target(&self, reference: &str, file: &Path, ptr: &str) -> Result<(PathBuf, String)> {
        let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if path.contains("://") {
            return Err(CodegenError::invalid(
                file,
                ptr,
                format!("remote $ref '{reference}' is not supported: download the document and refer to the file"),
            ));
        }
        let fragment = percent_decode(fragment);
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return Err(CodegenError::invalid(
                file,
                ptr,
                format!("$ref '{reference}': the fragment must be a JSON pointer (starting with '/')"),
            ));
        }
        if path.is_empty() {
            return Ok((file.to_path_buf(), fragment));
        }
        let base = file.parent().unwrap_or(Path::new("."));
        Ok((canonical(&base.join(percent_decode(path))), fragment))
    }

    fn lookup(&mut self, file: &Path, fragment: &str, from: &Path, ptr: &str) -> Result<Value> {
        if !self.docs.contains_key(file) {
            if !file.exists() {
                return Err(CodegenError::invalid(
                    from,
                    ptr,
                    format!("$ref to '{}': no such file", file.display()),
                ));
            }
            let doc = crate::load::load(file)?;
            self.docs.insert(file.to_path_buf(), doc);
        }
        self.docs[file].pointer(fragment).cloned().ok_or_else(|| {
            CodegenError::invalid(
                from,
                ptr,
                format!("$ref '{}#{fragment}' points to nothing", file.display()),
            )
        })
    }

    /// The component name of a schema reached through a reference (assigned on first use).
    fn component(&mut self, file: &Path, fragment: &str) -> String {
        let key = (file.to_path_buf(), fragment.to_owned());
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let base = name_hint(file, fragment);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        self.names.insert(key, name.clone());
        self.pending
            .push((file.to_path_buf(), fragment.to_owned(), name.clone()));
        name
    }

    fn process(&mut self, value: Value, file: &Path, ptr: &str, ctx: Ctx) -> Result<Value> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| self.process(v, file, &format!("{ptr}/{i}"), ctx))
                .collect::<Result<Vec<_>>>()
                .map(Value::Array),
            Value::Object(obj) => self.process_object(obj, file, ptr, ctx),
            other => Ok(other),
        }
    }

    fn process_object(&mut self, mut obj: Map<String, Value>, file: &Path, ptr: &str, ctx: Ctx) -> Result<Value> {
        if let Some(reference) = obj.remove("$ref") {
            let Value::String(reference) = reference else {
                return Err(CodegenError::invalid(file, child(ptr, "$ref"), "$ref must be a string"));
            };
            let (target_file, fragment) = self.target(&reference, file, &child(ptr, "$ref"))?;
            if ctx == Ctx::Schema {
                // Make sure it exists (and load its file) before naming it.
                self.lookup(&target_file, &fragment, file, &child(ptr, "$ref"))?;
                let name = self.component(&target_file, &fragment);
                let mut out = Map::new();
                out.insert("$ref".into(), Value::String(format!("{SCHEMA_PREFIX}{name}")));
                for (k, v) in obj {
                    let p = child(ptr, &k);
                    let v = self.schema_member(&k, v, file, &p)?;
                    out.insert(k, v);
                }
                return Ok(Value::Object(out));
            }
            let key = (target_file.clone(), fragment.clone());
            if self.inlining.contains(&key) {
                return Err(CodegenError::invalid(
                    file,
                    child(ptr, "$ref"),
                    format!("circular $ref '{reference}' (only schemas may refer to themselves)"),
                ));
            }
            let target = self.lookup(&target_file, &fragment, file, &child(ptr, "$ref"))?;
            self.inlining.push(key);
            let resolved = self.process(target, &target_file, &fragment, ctx);
            self.inlining.pop();
            let mut resolved = resolved?;
            // OpenAPI 3.1 lets `summary`/`description` beside a $ref override the target's.
            if let Value::Object(target) = &mut resolved {
                for (k, v) in obj {
                    target.insert(k, v);
                }
            }
            return Ok(resolved);
        }
        let mut out = Map::new();
        for (k, v) in obj {
            let p = child(ptr, &k);
            let v = match ctx {
                Ctx::Schema => self.schema_member(&k, v, file, &p)?,
                // Outside schemas only `example` is data (`default` is a response status there).
                Ctx::Other if k == "example" => v,
                Ctx::Other if k == "schema" => self.process(v, file, &p, Ctx::Schema)?,
                Ctx::Other => self.process(v, file, &p, Ctx::Other)?,
            };
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }

    /// One member of a schema object.
    fn schema_member(&mut self, key: &str, value: Value, file: &Path, ptr: &str) -> Result<Value> {
        if ONE_SCHEMA.contains(&key) || SCHEMA_LISTS.contains(&key) {
            return self.process(value, file, ptr, Ctx::Schema);
        }
        if SCHEMA_MAPS.contains(&key) {
            if let Value::Object(map) = value {
                let mut out = Map::new();
                for (k, v) in map {
                    let p = child(ptr, &k);
                    out.insert(k, self.process(v, file, &p, Ctx::Schema)?);
                }
                return Ok(Value::Object(out));
            }
            return Ok(value);
        }
        if key == "discriminator" {
            return self.discriminator(value, file, ptr);
        }
        Ok(value)
    }

    /// Mapping values that are references become references to the components.
    fn discriminator(&mut self, mut value: Value, file: &Path, ptr: &str) -> Result<Value> {
        if let Some(Value::Object(mapping)) = value.get_mut("mapping") {
            for (k, v) in mapping.iter_mut() {
                let Some(reference) = v.as_str() else { continue };
                if !reference.contains('#') && !reference.contains('/') && !reference.contains('.') {
                    continue; // a bare component name
                }
                let p = child(&child(ptr, "mapping"), k);
                let (target_file, fragment) = self.target(reference, file, &p)?;
                self.lookup(&target_file, &fragment, file, &p)?;
                let name = self.component(&target_file, &fragment);
                *v = Value::String(format!("{SCHEMA_PREFIX}{name}"));
            }
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests;
