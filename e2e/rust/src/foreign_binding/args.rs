//! A fixture handler's argument plan (every path, query, header and cookie parameter,
//! the body and the uploaded files), and the values the handler must receive for the
//! fixture's request, so the runner checks what the core hands over through the plan.
//!
//! A value is expected only where the fixture says unambiguously what was sent: a query
//! parameter given in `query_params` (not in a raw query string), a header or cookie
//! given as such, a path segment the pattern matches one to one, a JSON body validated
//! by the route's schema, file parts. It is coerced by the core's own rules
//! ([`coerce_str`]): the check is about where values come from, not how they are
//! coerced (the fixtures' validation answers pin that). A parameter the request lacks
//! arrives as its schema default, as null (declared `optional`) or as the plan's own
//! default (declared with `default`); the plan alternates the two so both are used.

use serde_json::{json, Map, Value};
use spikard_core::params::{coerce_str, types_of, ParamSource, ParamSpec};
use spikard_core::route_pattern::{RoutePattern, Segment, SegmentKind};
use spikard_http::RouteSpec;

use crate::fixture::{expand_templates, file_of, scalar, Fixture};

/// What an argument must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// Passed, whatever its value.
    Present,
    Equal(Value),
}

/// The values a handler must receive.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// By argument name.
    pub values: Vec<(String, Want)>,
    /// Pairs of arguments that must be the same value (one dependency instance).
    pub same: Vec<(String, String)>,
}

impl Wanted {
    /// Every difference between `args` (one recorded call) and what is wanted.
    pub fn check(&self, args: &Map<String, Value>) -> Vec<String> {
        let mut out = Vec::new();
        for (name, want) in &self.values {
            match (want, args.get(name)) {
                (Want::Present, Some(_)) => {}
                (Want::Equal(w), Some(got)) if got == w => {}
                (_, None) => out.push(format!("the handler was not given argument '{name}'")),
                (Want::Equal(w), Some(got)) => {
                    out.push(format!("the handler's argument '{name}' was {got}, expected {w}"));
                }
            }
        }
        for (a, b) in &self.same {
            if args.get(a) != args.get(b) {
                out.push(format!(
                    "the handler's arguments '{a}' and '{b}' are not the same instance"
                ));
            }
        }
        out
    }
}

/// The handler's parameter arguments (as `ArgSpec` JSON) and what each must be.
/// The first optional parameter is declared `optional` when `null_first`, with a default
/// otherwise; the next one the other way, and so on.
pub fn parameters(f: &Fixture, spec: &RouteSpec, null_first: bool) -> Result<(Vec<Value>, Wanted), String> {
    let request = expand_templates(f.request());
    let mut args = Vec::new();
    let mut wanted = Wanted::default();
    let mut null_next = null_first;
    // `want`: `None` for an optional parameter the request lacks.
    let mut add = |args: &mut Vec<Value>, source: &str, name: &str, ps: Option<&ParamSpec>, want: Option<Want>| {
        let arg_name = format!("{source}:{name}");
        let mut arg = json!({"name": arg_name, "source": source, "key": name});
        let mut absent = Value::Null;
        // A parameter that may be absent without a default of its own: null, or the plan's default.
        if ps.is_some_and(|p| !p.required && p.default.is_none()) {
            null_next = !null_next;
            if !null_next {
                arg["optional"] = json!(true);
            } else {
                absent = json!({"absent": arg_name});
                arg["default"] = absent.clone();
            }
        }
        args.push(arg);
        wanted.values.push((arg_name, want.unwrap_or(Want::Equal(absent))));
    };

    // Path: every parameter of the pattern.
    let pattern = RoutePattern::parse(&spec.path).map_err(|e| e.to_string())?;
    let segments = path_segments(&request, pattern.segments());
    for (i, segment) in pattern.segments().iter().enumerate() {
        let Segment::Param { name, kind } = segment else {
            continue;
        };
        let mut schema = spec
            .parameters
            .path
            .get(name)
            .cloned()
            .unwrap_or_else(|| kind.default_schema());
        if let (Some(obj), Value::Object(default)) = (schema.as_object_mut(), kind.default_schema()) {
            for (k, v) in default {
                obj.entry(k).or_insert(v);
            }
        }
        let ps = ParamSpec::from_schema(name, ParamSource::Path, &schema);
        let raw = segments.as_ref().and_then(|s| match kind {
            SegmentKind::Path => Some(s[i..].join("/")),
            _ => s.get(i).cloned(),
        });
        let want = raw.map_or(Want::Present, |r| Want::Equal(coerce_str(&r, &ps.schema)));
        add(&mut args, "path", name, None, Some(want));
    }

    // Query: known when the fixture gives it in `query_params` only.
    let raw_query = request["path"].as_str().unwrap_or("").contains('?') || request.get("query_string").is_some();
    for (name, schema) in &spec.parameters.query {
        let ps = ParamSpec::from_schema(name, ParamSource::Query, schema);
        let sent = if raw_query {
            Sent::Unknown
        } else {
            match request.get("query_params").and_then(|q| q.get(name)) {
                None => Sent::Absent,
                Some(Value::Array(items)) => Sent::Values(items.iter().map(scalar).collect()),
                Some(v) => Sent::Values(vec![scalar(v)]),
            }
        };
        add(&mut args, "query", name, Some(&ps), want_of(&ps, sent, false));
    }

    // Headers: known when given in `headers` (the client sets the content type and cookies itself).
    let headers = request.get("headers").and_then(Value::as_object);
    for (name, schema) in &spec.parameters.headers {
        let ps = ParamSpec::from_schema(name, ParamSource::Header, schema);
        let lower = name.to_ascii_lowercase();
        let given = headers.and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
        let sent = match given {
            _ if ["content-type", "content-length", "cookie", "host"].contains(&lower.as_str()) => Sent::Unknown,
            Some((_, v)) if http::HeaderValue::from_str(&scalar(v)).is_ok() => Sent::Values(vec![scalar(v)]),
            Some(_) => Sent::Unknown,
            None => Sent::Absent,
        };
        add(&mut args, "header", name, Some(&ps), want_of(&ps, sent, true));
    }

    // Cookies: known when given in `cookies` (not in a raw Cookie header).
    let raw_cookie = headers.is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("cookie")));
    for (name, schema) in &spec.parameters.cookies {
        let ps = ParamSpec::from_schema(name, ParamSource::Cookie, schema);
        let sent = match request.get("cookies").and_then(|c| c.get(name)) {
            _ if raw_cookie => Sent::Unknown,
            Some(v) if scalar(v).contains(['"', '%', ';']) => Sent::Unknown,
            Some(v) => Sent::Values(vec![scalar(v)]),
            None => Sent::Absent,
        };
        add(&mut args, "cookie", name, Some(&ps), want_of(&ps, sent, false));
    }

    // The body: null when the request has none, the request's JSON when the route validates it.
    args.push(json!({"name": "body", "source": "body", "optional": true}));
    let has = |k: &str| request.get(k).is_some_and(|v| !v.is_null());
    let content_type = request
        .get("content_type")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            headers
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")))
                .map(|(_, v)| scalar(v))
        });
    let others = ["body_raw", "form_data", "data", "files"].iter().any(|k| has(k));
    match request.get("body") {
        None | Some(Value::Null) if !others => wanted.values.push(("body".into(), Want::Equal(Value::Null))),
        Some(b @ (Value::Object(_) | Value::Array(_)))
            if !others
                && spec.body_schema.is_some()
                && content_type
                    .as_deref()
                    .is_none_or(|c| c.to_ascii_lowercase().contains("json")) =>
        {
            wanted.values.push(("body".into(), Want::Equal(b.clone())));
        }
        _ => {}
    }

    // Uploaded files: one part as `file`, several as `files`.
    let parts: Vec<Value> = request
        .get("files")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    let file = file_of(p);
                    json!({"field": file.field_name, "filename": file.filename, "size": file.data.len()})
                })
                .collect()
        })
        .unwrap_or_default();
    for name in spec.parameters.files.keys() {
        let mine: Vec<Value> = parts.iter().filter(|p| p["field"] == json!(name)).cloned().collect();
        let (source, want) = match mine.len() {
            0 => ("files", Value::Null),
            1 => ("file", mine[0].clone()),
            _ => ("files", Value::Array(mine)),
        };
        let arg_name = format!("{source}:{name}");
        args.push(json!({"name": arg_name, "source": source, "key": name, "optional": true}));
        wanted.values.push((arg_name, Want::Equal(want)));
    }
    Ok((args, wanted))
}

/// What the fixture's request sends of a parameter.
enum Sent {
    /// Not sent.
    Absent,
    /// Sent as these values (in order).
    Values(Vec<String>),
    /// Cannot tell from the fixture.
    Unknown,
}

/// What the handler must get for a parameter; `None` for an optional one the request lacks.
fn want_of(ps: &ParamSpec, sent: Sent, header: bool) -> Option<Want> {
    Some(match sent {
        Sent::Unknown => Want::Present,
        Sent::Absent => match &ps.default {
            Some(d) => Want::Equal(d.clone()),
            None if !ps.required => return None,
            None => Want::Present,
        },
        Sent::Values(values) => {
            if types_of(&ps.schema).contains(&"array") {
                if ps.separator.is_some() {
                    return Some(Want::Present);
                }
                let parts: Vec<&str> = if header {
                    values.iter().flat_map(|v| v.split(',')).map(str::trim).collect()
                } else {
                    values.iter().map(String::as_str).collect()
                };
                let items = ps.schema.get("items").cloned().unwrap_or(Value::Bool(true));
                Want::Equal(Value::Array(parts.into_iter().map(|p| coerce_str(p, &items)).collect()))
            } else {
                values
                    .last()
                    .map_or(Want::Present, |v| Want::Equal(coerce_str(v, &ps.schema)))
            }
        }
    })
}

/// The request path's segments, decoded, when they line up with the pattern's.
fn path_segments(request: &Value, pattern: &[Segment]) -> Option<Vec<String>> {
    let path = request["path"].as_str()?.split('?').next()?;
    let raw: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let catch_all = matches!(
        pattern.last(),
        Some(Segment::Param {
            kind: SegmentKind::Path,
            ..
        })
    );
    if raw.len() != pattern.len() && !(catch_all && raw.len() >= pattern.len()) {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    for s in raw {
        let decoded = spikard_http::pipeline::decode_path(s).ok()?;
        if decoded.contains('/') {
            return None;
        }
        out.push(decoded);
    }
    Some(out)
}
