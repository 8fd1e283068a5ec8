//! Argument plans: for each argument of a foreign function, where its value comes from.
//!
//! A binding declares, once at registration, how its function is called: each
//! argument's name, its source (a path/query/header/cookie parameter, the body or one
//! of its fields, the request object, a dependency, a state value, uploaded files), the key it is found
//! under, and what to pass when the request lacks it (nothing, so the function's own
//! default applies; null; or a JSON default). Per request the core builds the values
//! from the validated request without copying them ([`ArgPlan::values`]).
//!
//! ```
//! use spikard_http::foreign::{ArgPlan, ArgSpec};
//! let args: Vec<ArgSpec> = serde_json::from_value(serde_json::json!([
//!     {"name": "user_id", "source": "path"},
//!     {"name": "verbose", "source": "query", "optional": true},
//!     {"name": "db", "source": "dependency"},
//! ])).unwrap();
//! let plan = ArgPlan::compile(args).unwrap();
//! assert_eq!(plan.dependencies(), ["db"]);
//! ```

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::call::Arg;
use crate::di::Dependencies;
use crate::handler::RequestData;

/// Where an argument's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgSource {
    Path,
    Query,
    Header,
    Cookie,
    /// The decoded, validated body (absent when the request has none).
    Body,
    /// One member of the decoded body object, by `key`: a form field, or a JSON body
    /// member when a function takes several body values (absent when the body lacks it).
    Field,
    /// The request object.
    Request,
    /// The first uploaded file of a multipart field.
    File,
    /// Every uploaded file of a multipart field.
    Files,
    /// A resolved dependency, by name.
    Dependency,
    /// A value hooks or middleware left in the request `state`.
    State,
}

/// One argument of a foreign function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgSpec {
    /// The parameter's name in the function (its keyword, unless `positional`).
    pub name: String,
    pub source: ArgSource,
    /// The name in the request (default: `name`); header names are case-insensitive.
    #[serde(default)]
    pub key: Option<String>,
    /// Pass it by position (in declaration order, before the keyword arguments).
    #[serde(default)]
    pub positional: bool,
    /// Pass null when the request lacks it (otherwise the function's default applies).
    #[serde(default)]
    pub optional: bool,
    /// Pass this value when the request lacks it.
    #[serde(default)]
    pub default: Option<Value>,
    /// A conversion the binding applies to the value first (an index into the objects
    /// registered with the declaration, e.g. a class building a struct from a dict).
    #[serde(default)]
    pub converter: Option<usize>,
}

impl ArgSpec {
    /// An argument of `name` from `source`, found under its own name.
    pub fn new(name: impl Into<String>, source: ArgSource) -> Self {
        Self {
            name: name.into(),
            source,
            key: None,
            positional: false,
            optional: false,
            default: None,
            converter: None,
        }
    }
}

/// A function's arguments, checked and ready to fill per request.
#[derive(Debug, Clone, Default)]
pub struct ArgPlan {
    args: Arc<[ArgSpec]>,
}

impl ArgPlan {
    /// Check the arguments: names are unique, positional ones come first, the request
    /// object takes no key. Keys default to the name; header keys are lowercased.
    pub fn compile(args: Vec<ArgSpec>) -> Result<Self, String> {
        let mut seen_keyword = false;
        let mut out = Vec::with_capacity(args.len());
        for (i, mut arg) in args.into_iter().enumerate() {
            if arg.name.is_empty() && !arg.positional {
                return Err(format!("args[{i}]: a keyword argument needs a name"));
            }
            if !arg.name.is_empty() && out.iter().any(|a: &ArgSpec| a.name == arg.name) {
                return Err(format!("args[{i}]: argument '{}' is declared twice", arg.name));
            }
            if arg.positional && seen_keyword {
                return Err(format!(
                    "args[{i}]: positional argument '{}' follows a keyword argument",
                    arg.name
                ));
            }
            seen_keyword |= !arg.positional;
            if arg.optional && arg.default.is_some() {
                return Err(format!("args[{i}]: '{}' is both optional and has a default", arg.name));
            }
            let key = arg.key.take().unwrap_or_else(|| arg.name.clone());
            arg.key = Some(match arg.source {
                ArgSource::Header => key.to_ascii_lowercase(),
                _ => key,
            });
            out.push(arg);
        }
        Ok(Self { args: out.into() })
    }

    pub fn args(&self) -> &[ArgSpec] {
        &self.args
    }

    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// The names of the dependencies the function takes, each once.
    pub fn dependencies(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for arg in self.args.iter().filter(|a| a.source == ArgSource::Dependency) {
            let key = key(arg);
            if !names.iter().any(|n| n == key) {
                names.push(key.to_owned());
            }
        }
        names
    }

    /// Whether the function takes the request object.
    pub fn takes_request(&self) -> bool {
        self.args.iter().any(|a| a.source == ArgSource::Request)
    }

    /// The argument values for one call, in declaration order: `shared` is the request
    /// shown to a `Request` argument, `deps` the dependencies (a handler's come from the
    /// request's extensions).
    pub fn values<'a>(
        &'a self,
        data: &'a RequestData,
        shared: Option<&'a Arc<RequestData>>,
        deps: Option<&'a Dependencies>,
    ) -> Vec<Arg<'a>> {
        self.args
            .iter()
            .map(|arg| {
                let found = lookup(arg, data, shared, deps);
                match found {
                    Arg::Absent if arg.optional => Arg::Null,
                    Arg::Absent => arg.default.as_ref().map_or(Arg::Absent, Arg::Json),
                    found => found,
                }
            })
            .collect()
    }
}

fn key(arg: &ArgSpec) -> &str {
    arg.key.as_deref().unwrap_or(&arg.name)
}

fn lookup<'a>(
    arg: &'a ArgSpec,
    data: &'a RequestData,
    shared: Option<&'a Arc<RequestData>>,
    deps: Option<&'a Dependencies>,
) -> Arg<'a> {
    let json = |v: Option<&'a Value>| v.map_or(Arg::Absent, Arg::Json);
    let k = key(arg);
    match arg.source {
        ArgSource::Path => json(data.path_params.get(k)),
        ArgSource::Query => json(data.query_params.get(k)),
        ArgSource::Header => json(data.header_params.get(k)),
        ArgSource::Cookie => json(data.cookie_params.get(k)),
        ArgSource::State => json(data.state.get(k)),
        ArgSource::Body if data.body.is_null() => Arg::Absent,
        ArgSource::Body => Arg::Json(&data.body),
        ArgSource::Field => json(data.body.get(k)),
        ArgSource::Request => shared.map_or(Arg::Absent, Arg::Request),
        ArgSource::Dependency => deps
            .or_else(|| data.extensions.get::<Dependencies>())
            .and_then(|d| d.get(k))
            .map_or(Arg::Absent, Arg::Dependency),
        ArgSource::File => data
            .files
            .iter()
            .find(|f| f.field_name == k)
            .map_or(Arg::Absent, Arg::File),
        ArgSource::Files => {
            let files: Vec<_> = data.files.iter().filter(|f| f.field_name == k).collect();
            if files.is_empty() {
                Arg::Absent
            } else {
                Arg::Files(files)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(v: Value) -> Result<ArgPlan, String> {
        ArgPlan::compile(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn values_follow_the_declaration() {
        let plan = plan(json!([
            {"name": "id", "source": "path"},
            {"name": "q", "source": "query", "optional": true},
            {"name": "limit", "source": "query", "default": 10},
            {"name": "token", "source": "header", "key": "X-Token"},
            {"name": "payload", "source": "body"},
            {"name": "user", "source": "field", "key": "username"},
            {"name": "note", "source": "field", "optional": true},
        ]))
        .unwrap();
        let mut data = RequestData::new(http::Method::GET, "/".into(), Default::default());
        data.path_params.insert("id".into(), json!(7));
        data.header_params.insert("x-token".into(), json!("t"));
        let values = plan.values(&data, None, None);
        assert!(matches!(values[0], Arg::Json(v) if v == &json!(7)));
        assert!(matches!(values[1], Arg::Null));
        assert!(matches!(values[2], Arg::Json(v) if v == &json!(10)));
        assert!(matches!(values[3], Arg::Json(v) if v == &json!("t")));
        assert!(matches!(values[4], Arg::Absent));
        assert!(matches!(values[5], Arg::Absent));
        data.body = json!({"username": "ada"});
        let values = plan.values(&data, None, None);
        assert!(matches!(values[5], Arg::Json(v) if v == &json!("ada")));
        assert!(matches!(values[6], Arg::Null));
    }

    #[test]
    fn bad_plans_name_the_argument() {
        let twice = plan(json!([{"name": "a", "source": "query"}, {"name": "a", "source": "path"}]));
        assert_eq!(twice.unwrap_err(), "args[1]: argument 'a' is declared twice");
        let order =
            plan(json!([{"name": "a", "source": "query"}, {"name": "r", "source": "request", "positional": true}]));
        assert!(order.unwrap_err().contains("follows a keyword argument"));
        let unknown: Result<Vec<ArgSpec>, _> = serde_json::from_value(json!([{"name": "a", "source": "moon"}]));
        assert!(unknown.is_err());
    }
}
