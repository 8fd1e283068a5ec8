//! Python DTOs from the component schemas: a `msgspec.Struct` per object schema (fields
//! renamed to their wire names where the Python name differs; an optional field is
//! `msgspec.UNSET` until set, and left out of the JSON then, so `null` is only sent where
//! the schema allows it) and a type alias for every other schema. What msgspec cannot convert (a
//! union of several object types, an alias that refers to itself) is typed `Any`; the
//! route's schema, which is the document's, still validates it.

use std::collections::HashMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::model::{deref, Api};
use crate::names::{pascal, snake, unique, unreserved, PYTHON_KEYWORDS};
use crate::types::{fields_of, is_struct, ty_of, Ty};

/// Names the generated modules import, which classes must not shadow.
const TAKEN: [&str; 12] = [
    "Any",
    "Literal",
    "TypeAlias",
    "Annotated",
    "Struct",
    "msgspec",
    "Body",
    "Path",
    "Query",
    "Header",
    "Cookie",
    "field",
];

/// Python names of the component schemas.
pub struct PyModels {
    /// Component name → class or alias name.
    pub names: HashMap<String, String>,
    /// Components emitted as classes.
    pub structs: Vec<String>,
    /// Classes that are variants of a discriminated union: component → (tag field, tag).
    tags: HashMap<String, (String, String)>,
    schemas: Map<String, Value>,
}

/// The variants of a discriminated `oneOf`/`anyOf` msgspec can tell apart by a tag: each a
/// struct whose discriminator property is required and fixed to one string by the schema
/// (`enum: [v]` or `const: v`), so the tag always agrees with the data.
fn tagged_variants(
    schema: &Value,
    schemas: &Map<String, Value>,
    structs: &[String],
) -> Option<Vec<(String, String, String)>> {
    let field = schema.get("discriminator")?.get("propertyName")?.as_str()?;
    let variants = schema.get("oneOf").or_else(|| schema.get("anyOf"))?.as_array()?;
    let mut out = Vec::new();
    for v in variants {
        let member = crate::types::ref_name(v).filter(|m| structs.contains(m))?;
        let fields = fields_of(deref(&schemas[&member], schemas), schemas);
        let f = fields.iter().find(|f| f.name == field && f.required)?;
        let Ty::Literal(values) = &f.ty else { return None };
        let [value] = values.as_slice() else { return None };
        if out.iter().any(|(_, _, t): &(String, String, String)| t == value) {
            return None;
        }
        out.push((member, field.to_owned(), value.clone()));
    }
    Some(out)
}

impl PyModels {
    pub fn new(api: &Api) -> Self {
        let keys: Vec<String> = api.schemas.keys().cloned().collect();
        let py = unique(keys.iter().map(|k| pascal(k)), &TAKEN);
        let structs: Vec<String> = keys
            .iter()
            .filter(|k| is_struct(&api.schemas[*k], &api.schemas))
            .cloned()
            .collect();
        let mut tags: HashMap<String, (String, String)> = HashMap::new();
        for (name, schema) in &api.schemas {
            if structs.contains(name) {
                continue;
            }
            let Some(variants) = tagged_variants(schema, &api.schemas, &structs) else {
                continue;
            };
            // A class takes one tag: a variant of two unions must be tagged alike in both.
            let agrees = variants
                .iter()
                .all(|(m, f, t)| tags.get(m).is_none_or(|(f2, t2)| f2 == f && t2 == t));
            if agrees {
                for (m, f, t) in variants {
                    tags.insert(m, (f, t));
                }
            }
        }
        Self {
            names: keys.iter().cloned().zip(py).collect(),
            structs,
            tags,
            schemas: api.schemas.clone(),
        }
    }

    fn kind(&self, ty: &Ty, depth: usize) -> &'static str {
        match ty {
            Ty::Named(n) if self.tags.contains_key(n) => "tagged",
            Ty::Map(_) => "object",
            Ty::List(_) => "array",
            Ty::Str | Ty::Literal(_) => "string",
            Ty::Named(n) if self.structs.contains(n) => "object",
            Ty::Named(n) if depth < 8 => self.kind(&ty_of(&self.schemas[n], &self.schemas), depth + 1),
            Ty::Union(_) => "union",
            _ => "other",
        }
    }

    /// Whether msgspec can convert into this union: at most one member of each kind
    /// (object, array, string).
    fn union_ok(&self, tys: &[Ty]) -> bool {
        for kind in ["object", "array", "string", "union"] {
            let n = tys.iter().filter(|t| self.kind(t, 0) == kind).count();
            if n > 1 || (kind == "union" && n > 0) {
                return false;
            }
        }
        // Tagged structs go together when they share the tag field (and no untagged object joins them).
        let tag_fields: Vec<&String> = tys
            .iter()
            .filter_map(|t| match t {
                Ty::Named(n) => self.tags.get(n).map(|(f, _)| f),
                _ => None,
            })
            .collect();
        let objects = tys.iter().filter(|t| self.kind(t, 0) == "object").count();
        if !tag_fields.is_empty() && (objects > 0 || tag_fields.iter().any(|f| *f != tag_fields[0])) {
            return false;
        }
        !tys.iter().any(|t| matches!(t, Ty::Any))
    }

    /// The Python annotation of a type; `prefix` qualifies model names (`models.`).
    pub fn annotation(&self, ty: &Ty, prefix: &str) -> String {
        match ty {
            Ty::Any => "Any".into(),
            Ty::Str => "str".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Null => "None".into(),
            Ty::List(t) => format!("list[{}]", self.annotation(t, prefix)),
            Ty::Map(t) => format!("dict[str, {}]", self.annotation(t, prefix)),
            Ty::Named(n) => format!("{prefix}{}", self.names[n]),
            Ty::Literal(values) => {
                let quoted: Vec<String> = values.iter().map(|v| py_str(v)).collect();
                format!("Literal[{}]", quoted.join(", "))
            }
            Ty::Optional(t) => {
                let inner = self.annotation(t, prefix);
                // `Any` (a union that fell back to it, too) already takes None.
                if inner == "Any" {
                    inner
                } else {
                    format!("{inner} | None")
                }
            }
            Ty::Union(tys) => {
                if !self.union_ok(tys) {
                    return "Any".into();
                }
                let parts: Vec<String> = tys.iter().map(|t| self.annotation(t, prefix)).collect();
                parts.join(" | ")
            }
        }
    }

    /// The `models.py` module.
    pub fn module(&self, api: &Api) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\"\"\"Data transfer objects of {} (generated by `spikard generate openapi` from the\ncomponent schemas; the routes validate requests against the document's own schemas).\"\"\"\n",
            py_doc(&api.title)
        );
        out.push_str("from __future__ import annotations\n\n");
        let body = self.body(api);
        let mut typing = Vec::new();
        for name in ["Any", "Literal", "TypeAlias"] {
            if contains_word(&body, name) {
                typing.push(name);
            }
        }
        if !typing.is_empty() {
            let _ = writeln!(out, "from typing import {}\n", typing.join(", "));
        }
        if body.contains("msgspec.") {
            out.push_str("import msgspec\n");
        }
        if body.is_empty() {
            out.push_str("__all__: list[str] = []\n");
        } else {
            out.push_str("\n\n");
            out.push_str(body.trim_end());
            out.push('\n');
        }
        out
    }

    fn body(&self, api: &Api) -> String {
        let mut out = String::new();
        for name in api.schemas.keys().filter(|k| self.structs.contains(k)) {
            out.push_str(&self.class(name, &api.schemas[name]));
            out.push_str("\n\n");
        }
        for name in self.alias_order(api) {
            let schema = &api.schemas[&name];
            let ty = ty_of(schema, &api.schemas);
            let mut annotation = self.annotation(&ty, "");
            if self.refers_to_itself(&name, &ty) {
                annotation = "Any".into();
            }
            if let Some(d) = schema.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "#: {}", one_line(d));
            }
            let _ = writeln!(out, "{}: TypeAlias = {annotation}\n", self.names[&name]);
        }
        out
    }

    fn refers_to_itself(&self, name: &str, ty: &Ty) -> bool {
        let mut seen = vec![name.to_owned()];
        let mut stack = vec![ty.clone()];
        while let Some(t) = stack.pop() {
            match t {
                Ty::Named(n) if n == name => return true,
                Ty::Named(n) if !self.structs.contains(&n) && !seen.contains(&n) => {
                    seen.push(n.clone());
                    stack.push(ty_of(&self.schemas[&n], &self.schemas));
                }
                Ty::List(t) | Ty::Map(t) | Ty::Optional(t) => stack.push(*t),
                Ty::Union(ts) => stack.extend(ts),
                _ => {}
            }
        }
        false
    }

    /// Aliases after the aliases they use (their values are evaluated at import).
    fn alias_order(&self, api: &Api) -> Vec<String> {
        let aliases: Vec<String> = api
            .schemas
            .keys()
            .filter(|k| !self.structs.contains(k))
            .cloned()
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut visiting: Vec<String> = Vec::new();
        fn visit(n: &str, m: &PyModels, aliases: &[String], done: &mut Vec<String>, visiting: &mut Vec<String>) {
            if done.iter().any(|d| d == n) || visiting.iter().any(|d| d == n) {
                return;
            }
            visiting.push(n.to_owned());
            let mut deps = Vec::new();
            collect_named(&ty_of(&m.schemas[n], &m.schemas), &mut deps);
            for d in deps {
                if aliases.contains(&d) {
                    visit(&d, m, aliases, done, visiting);
                }
            }
            visiting.pop();
            done.push(n.to_owned());
        }
        for a in &aliases {
            visit(a, self, &aliases, &mut done, &mut visiting);
        }
        done
    }

    fn class(&self, name: &str, schema: &Value) -> String {
        let schema = deref(schema, &self.schemas);
        let fields = fields_of(schema, &self.schemas);
        let py_names = unique(
            fields.iter().map(|f| unreserved(snake(&f.name), &PYTHON_KEYWORDS)),
            &["msgspec"],
        );
        let tag = self.tags.get(name);
        let options = tag.map_or_else(String::new, |(f, t)| {
            format!(", tag_field={}, tag={}", py_str(f), py_str(t))
        });
        let mut out = format!("class {}(msgspec.Struct, kw_only=True{options}):\n", self.names[name]);
        let doc = schema
            .get("description")
            .and_then(Value::as_str)
            .map_or_else(|| format!("The `{name}` schema."), one_line);
        let _ = writeln!(out, "    \"\"\"{}\"\"\"\n", py_doc(&doc));
        if fields.iter().all(|f| tag.is_some_and(|(field, _)| *field == f.name)) {
            out.push_str("    pass\n");
        }
        for (f, py) in fields.iter().zip(&py_names) {
            if tag.is_some_and(|(field, _)| *field == f.name) {
                continue; // msgspec writes and checks the tag itself
            }
            // An optional field is left out when unset (`UNSET`): null only where the schema allows it.
            let mut annotation = self.annotation(&f.ty, "");
            if !f.required && annotation != "Any" {
                annotation = match annotation.strip_suffix(" | None") {
                    Some(inner) => format!("{inner} | msgspec.UnsetType | None"),
                    None => format!("{annotation} | msgspec.UnsetType"),
                };
            }
            let renamed = py != &f.name;
            let default = match (f.required, renamed) {
                (true, false) => String::new(),
                (true, true) => format!(" = msgspec.field(name={})", py_str(&f.name)),
                (false, false) => " = msgspec.UNSET".into(),
                (false, true) => format!(" = msgspec.field(default=msgspec.UNSET, name={})", py_str(&f.name)),
            };
            let _ = writeln!(out, "    {py}: {annotation}{default}");
        }
        out
    }
}

fn collect_named(ty: &Ty, out: &mut Vec<String>) {
    match ty {
        Ty::Named(n) => out.push(n.clone()),
        Ty::List(t) | Ty::Map(t) | Ty::Optional(t) => collect_named(t, out),
        Ty::Union(ts) => ts.iter().for_each(|t| collect_named(t, out)),
        _ => {}
    }
}

/// Whether `word` occurs in `text` as a whole identifier (not after a `.`).
pub fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        boundary(before) && after.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// A Python string literal (JSON's escapes are Python's).
pub fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Text safe inside a `"""docstring"""`.
pub fn py_doc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace("\"\"\"", "'''")
        .trim_end_matches('"')
        .to_owned()
}

/// The first line of a description, trimmed.
pub fn one_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned();
    if line.chars().count() > 100 {
        let cut: String = line.chars().take(97).collect();
        format!("{}...", cut.trim_end())
    } else {
        line
    }
}
