//! What dependencies read from the request, merged into the routes that use them.
//!
//! A dependency's factory may read path, query, header and cookie parameters and the body
//! like a handler ([`RequestInputs`], declared with [`Dependency::with_inputs`]). The route
//! validates, coerces and documents them as its own: [`merge`] adds the inputs of every
//! dependency the route (its handler and hooks) uses, directly or through other
//! dependencies, to the route's spec. A parameter both declare must be declared alike;
//! otherwise the route is refused, naming the dependency and the parameter.
//!
//! ```
//! use serde_json::json;
//! use spikard_http::di::{merge_inputs, Dependency, DependencyRegistry, RequestInputs, Resolved, RouteDependencies};
//! use spikard_http::RouteSpec;
//! let mut app = DependencyRegistry::default();
//! let mut inputs = RequestInputs::default();
//! inputs.parameters.query.insert("skip".into(), json!({"type": "integer", "default": 0}));
//! app.insert("paging", Dependency::value(Resolved::json(json!(null))).with_inputs(inputs));
//! let spec = RouteSpec::new("GET", "/items");
//! let merged = merge_inputs(&spec, &RouteDependencies::needing(["paging"]), std::iter::empty(), &app).unwrap();
//! assert_eq!(merged.parameters.query["skip"], json!({"type": "integer", "default": 0}));
//! ```

use serde_json::{Map, Value};
use spikard_core::SpikardError;

use super::registry::{Dependency, DependencyRegistry, RequestInputs, RouteDependencies};
use crate::route::RouteSpec;

/// `spec` with the request inputs of every dependency the route uses (the handler's
/// `needs` and `hook_needs`, and what those depend on; route overrides first). Missing
/// dependencies and cycles are left to the dependency graph's own checks.
pub fn merge_inputs<'a>(
    spec: &RouteSpec,
    route: &RouteDependencies,
    hook_needs: impl IntoIterator<Item = &'a String>,
    app: &DependencyRegistry,
) -> Result<RouteSpec, SpikardError> {
    let lookup = |name: &str| -> Option<&Dependency> { route.overrides.get(name).or_else(|| app.get(name)) };
    let mut pending: Vec<String> = route
        .needs
        .iter()
        .cloned()
        .chain(hook_needs.into_iter().cloned())
        .collect();
    pending.reverse();
    let mut seen: Vec<String> = Vec::new();
    let mut used: Vec<(String, &RequestInputs)> = Vec::new();
    while let Some(name) = pending.pop() {
        if seen.contains(&name) {
            continue;
        }
        let Some(dependency) = lookup(&name) else {
            seen.push(name);
            continue;
        };
        if !dependency.inputs.is_empty() {
            used.push((name.clone(), &dependency.inputs));
        }
        pending.extend(dependency.depends_on.iter().rev().cloned());
        seen.push(name);
    }
    if used.is_empty() {
        return Ok(spec.clone());
    }
    let route_name = format!("route {} {}", spec.method.to_ascii_uppercase(), spec.path);
    let mut merged = spec.clone();
    // Who declared each parameter first, for conflicts.
    let mut owners: Vec<(&'static str, String, String)> = Vec::new();
    for (name, inputs) in used {
        let p = &inputs.parameters;
        let m = &mut merged.parameters;
        for (section, theirs, ours) in [
            ("path", &p.path, &mut m.path),
            ("query", &p.query, &mut m.query),
            ("header", &p.headers, &mut m.headers),
            ("cookie", &p.cookies, &mut m.cookies),
            ("file", &p.files, &mut m.files),
        ] {
            add_section(&route_name, &name, section, theirs, ours, &mut owners)?;
        }
        if let Some(body) = &inputs.body_schema {
            match &merged.body_schema {
                None => merged.body_schema = Some(body.clone()),
                Some(existing) if existing == body => {}
                Some(_) => {
                    return Err(SpikardError::Config(format!(
                        "{route_name}: dependency '{name}' reads a body of another schema than the route's: \
                         a request has one body, so they must declare the same"
                    )))
                }
            }
        }
    }
    Ok(merged)
}

fn add_section(
    route: &str,
    dependency: &str,
    section: &'static str,
    theirs: &Map<String, Value>,
    ours: &mut Map<String, Value>,
    owners: &mut Vec<(&'static str, String, String)>,
) -> Result<(), SpikardError> {
    for (param, schema) in theirs {
        match ours.get(param) {
            None => {
                ours.insert(param.clone(), schema.clone());
                owners.push((section, param.clone(), dependency.to_owned()));
            }
            Some(existing) if existing == schema => {}
            Some(_) => {
                let first = owners
                    .iter()
                    .find(|(s, p, _)| *s == section && p == param)
                    .map_or("the handler".to_owned(), |(_, _, d)| format!("dependency '{d}'"));
                return Err(SpikardError::Config(format!(
                    "{route}: dependency '{dependency}' declares {section} parameter '{param}' unlike {first}: \
                     a parameter read in several places needs one declaration"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::di::Resolved;
    use serde_json::json;

    fn with_query(depends_on: &[&str], query: Value) -> Dependency {
        let mut inputs = RequestInputs::default();
        inputs.parameters.query = query.as_object().unwrap().clone();
        Dependency::value(Resolved::json(Value::Null))
            .depends_on(depends_on.iter().copied())
            .with_inputs(inputs)
    }

    #[test]
    fn nested_dependencies_add_their_parameters_once() {
        let mut app = DependencyRegistry::default();
        app.insert(
            "common",
            with_query(&["paging"], json!({"q": {"type": "string", "optional": true}})),
        );
        app.insert(
            "paging",
            with_query(&[], json!({"skip": {"type": "integer", "default": 0}})),
        );
        let mut spec = RouteSpec::new("GET", "/items");
        spec.parameters
            .query
            .insert("skip".into(), json!({"type": "integer", "default": 0}));
        let route = RouteDependencies::needing(["common", "paging"]);
        let merged = merge_inputs(&spec, &route, std::iter::empty(), &app).unwrap();
        let names: Vec<_> = merged.parameters.query.keys().cloned().collect();
        assert_eq!(names, ["skip", "q"]);
    }

    #[test]
    fn a_parameter_declared_differently_is_refused_naming_both() {
        let mut app = DependencyRegistry::default();
        app.insert("a", with_query(&[], json!({"q": {"type": "string"}})));
        app.insert("b", with_query(&[], json!({"q": {"type": "integer"}})));
        let spec = RouteSpec::new("GET", "/x");
        let err = merge_inputs(&spec, &RouteDependencies::needing(["a", "b"]), std::iter::empty(), &app).unwrap_err();
        assert_eq!(
            err.to_string(),
            "route GET /x: dependency 'b' declares query parameter 'q' unlike dependency 'a': \
             a parameter read in several places needs one declaration"
        );
        let mut own = RouteSpec::new("GET", "/x");
        own.parameters.query.insert("q".into(), json!({"type": "boolean"}));
        let err = merge_inputs(&own, &RouteDependencies::needing(["a"]), std::iter::empty(), &app).unwrap_err();
        assert!(err.to_string().contains("unlike the handler"));
    }

    #[test]
    fn route_overrides_and_hooks_count() {
        let mut app = DependencyRegistry::default();
        app.insert("a", with_query(&[], json!({"app": {"type": "string"}})));
        let mut route = RouteDependencies::default();
        route
            .overrides
            .insert("a", with_query(&[], json!({"own": {"type": "string"}})));
        let hook = vec!["a".to_owned()];
        let merged = merge_inputs(&RouteSpec::new("GET", "/x"), &route, &hook, &app).unwrap();
        assert!(merged.parameters.query.contains_key("own") && !merged.parameters.query.contains_key("app"));
    }
}
