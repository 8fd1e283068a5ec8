//! A segment trie that maps a method and a decoded path to a route value.
//!
//! Static segments win over parameters, parameters over a trailing `{rest:path}`.
//! Two routes with the same shape and method conflict at registration.
//!
//! ```
//! use spikard_core::router::{Router, RouteMatch};
//! let mut r = Router::new();
//! r.insert("GET", "/users/{id:int}", 1).unwrap();
//! r.insert("GET", "/users/me", 2).unwrap();
//! match r.find("GET", "/users/42").unwrap() {
//!     RouteMatch::Found { value, params } => { assert_eq!(*value, 1); assert_eq!(params[0].1, "42"); }
//!     _ => unreachable!(),
//! }
//! ```

use std::collections::HashMap;

use crate::error::SpikardError;
use crate::route_pattern::{RoutePattern, Segment, SegmentKind};

/// Order in which methods are listed in an `Allow` header.
const METHOD_ORDER: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

struct Entry<T> {
    method: String,
    pattern: RoutePattern,
    value: T,
}

struct Node<T> {
    statics: HashMap<String, Node<T>>,
    param: Option<Box<Node<T>>>,
    catch_all: Vec<Entry<T>>,
    routes: Vec<Entry<T>>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            statics: HashMap::new(),
            param: None,
            catch_all: Vec::new(),
            routes: Vec::new(),
        }
    }
}

/// Outcome of a lookup.
pub enum RouteMatch<'a, T> {
    /// Matched: the value and the raw (decoded) parameter values by name.
    Found {
        value: &'a T,
        params: Vec<(&'a str, String)>,
    },
    /// The path exists for other methods (listed in `Allow` order).
    MethodNotAllowed {
        allow: Vec<String>,
    },
    NotFound,
}

pub struct Router<T> {
    root: Node<T>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Router<T> {
    pub fn new() -> Self {
        Self { root: Node::default() }
    }

    /// Register a route. A route of the same method and shape is a conflict.
    pub fn insert(&mut self, method: &str, pattern: &str, value: T) -> Result<(), SpikardError> {
        let pattern = RoutePattern::parse(pattern)?;
        let method = method.to_ascii_uppercase();
        let mut node = &mut self.root;
        let mut catch_all = false;
        for seg in pattern.segments() {
            match seg {
                Segment::Static(s) => node = node.statics.entry(s.clone()).or_default(),
                Segment::Param {
                    kind: SegmentKind::Path,
                    ..
                } => catch_all = true,
                Segment::Param { .. } => node = node.param.get_or_insert_with(Default::default),
            }
        }
        let list = if catch_all {
            &mut node.catch_all
        } else {
            &mut node.routes
        };
        if let Some(existing) = list.iter().find(|e| e.method == method) {
            return Err(SpikardError::RouteConflict(format!(
                "route {method} {} conflicts with already registered {} {}",
                pattern.as_str(),
                existing.method,
                existing.pattern.as_str()
            )));
        }
        list.push(Entry { method, pattern, value });
        Ok(())
    }

    /// The value registered for `method` and exactly this pattern, to replace it.
    pub fn get_mut(&mut self, method: &str, pattern: &str) -> Option<&mut T> {
        let pattern = RoutePattern::parse(pattern).ok()?;
        let method = method.to_ascii_uppercase();
        let mut node = &mut self.root;
        let mut catch_all = false;
        for seg in pattern.segments() {
            match seg {
                Segment::Static(s) => node = node.statics.get_mut(s)?,
                Segment::Param {
                    kind: SegmentKind::Path,
                    ..
                } => catch_all = true,
                Segment::Param { .. } => node = node.param.as_deref_mut()?,
            }
        }
        let list = if catch_all {
            &mut node.catch_all
        } else {
            &mut node.routes
        };
        list.iter_mut()
            .find(|e| e.method == method && e.pattern == pattern)
            .map(|e| &mut e.value)
    }

    /// Look up a decoded path given as its segments (the part after the leading `/`, split on `/`).
    pub fn find<'a>(&'a self, method: &str, path: &str) -> Option<RouteMatch<'a, T>> {
        let path = path.strip_prefix('/')?;
        let segments: Vec<&str> = path.split('/').collect();
        let mut values = Vec::new();
        let (entries, rest) = lookup(&self.root, &segments, &mut values)?;
        let entry = entries.iter().find(|e| e.method == method).or_else(|| {
            if method == "HEAD" {
                entries.iter().find(|e| e.method == "GET")
            } else {
                None
            }
        });
        Some(match entry {
            Some(e) => {
                let mut params: Vec<(&str, String)> = Vec::new();
                let mut it = values.into_iter();
                for (name, kind) in e.pattern.params() {
                    let v = if kind == SegmentKind::Path {
                        rest.clone().unwrap_or_default()
                    } else {
                        it.next().unwrap_or_default()
                    };
                    params.push((name, v));
                }
                RouteMatch::Found {
                    value: &e.value,
                    params,
                }
            }
            None => {
                let mut allow: Vec<String> = Vec::new();
                for e in entries {
                    allow.push(e.method.clone());
                    if e.method == "GET" {
                        allow.push("HEAD".into());
                    }
                }
                allow.sort_by_key(|m| METHOD_ORDER.iter().position(|o| o == m).unwrap_or(usize::MAX));
                allow.dedup();
                RouteMatch::MethodNotAllowed { allow }
            }
        })
    }

    /// Convenience wrapper returning the framework's 404/405 errors.
    pub fn resolve<'a>(&'a self, method: &str, path: &str) -> Result<Resolved<'a, T>, SpikardError> {
        match self.find(method, path) {
            Some(RouteMatch::Found { value, params }) => Ok((value, params)),
            Some(RouteMatch::MethodNotAllowed { allow }) => Err(SpikardError::MethodNotAllowed {
                method: method.to_owned(),
                path: path.to_owned(),
                allow,
            }),
            _ => Err(SpikardError::NotFound {
                method: method.to_owned(),
                path: path.to_owned(),
            }),
        }
    }
}

/// A matched route value with its raw parameter values by name.
pub type Resolved<'a, T> = (&'a T, Vec<(&'a str, String)>);

type Found<'a, T> = (&'a [Entry<T>], Option<String>);

fn lookup<'a, T>(node: &'a Node<T>, segs: &[&str], values: &mut Vec<String>) -> Option<Found<'a, T>> {
    let Some((first, rest)) = segs.split_first() else {
        if !node.routes.is_empty() {
            return Some((&node.routes, None));
        }
        return None;
    };
    if let Some(child) = node.statics.get(*first) {
        if let Some(found) = lookup(child, rest, values) {
            return Some(found);
        }
    }
    if let Some(child) = &node.param {
        if !first.is_empty() {
            values.push((*first).to_owned());
            if let Some(found) = lookup(child, rest, values) {
                return Some(found);
            }
            values.pop();
        }
    }
    if !node.catch_all.is_empty() && segs.iter().any(|s| !s.is_empty()) {
        return Some((&node.catch_all, Some(segs.join("/"))));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(r: &Router<u32>, m: &str, p: &str) -> Option<(u32, Vec<(String, String)>)> {
        match r.find(m, p)? {
            RouteMatch::Found { value, params } => {
                Some((*value, params.into_iter().map(|(a, b)| (a.to_owned(), b)).collect()))
            }
            _ => None,
        }
    }

    #[test]
    fn static_beats_param_and_catch_all() {
        let mut r = Router::new();
        r.insert("GET", "/files/{rest:path}", 1).unwrap();
        r.insert("GET", "/files/{name}", 2).unwrap();
        r.insert("GET", "/files/readme", 3).unwrap();
        assert_eq!(found(&r, "GET", "/files/readme").unwrap().0, 3);
        assert_eq!(found(&r, "GET", "/files/x").unwrap().0, 2);
        let (v, params) = found(&r, "GET", "/files/a/b/c").unwrap();
        assert_eq!(v, 1);
        assert_eq!(params, vec![("rest".to_owned(), "a/b/c".to_owned())]);
    }

    #[test]
    fn method_not_allowed_lists_allow_in_order() {
        let mut r = Router::new();
        r.insert("DELETE", "/items/{id}", 1).unwrap();
        r.insert("GET", "/items/{item_id}", 2).unwrap();
        match r.find("POST", "/items/1") {
            Some(RouteMatch::MethodNotAllowed { allow }) => assert_eq!(allow, vec!["GET", "HEAD", "DELETE"]),
            _ => panic!("expected 405"),
        }
        assert_eq!(found(&r, "HEAD", "/items/1").unwrap().0, 2);
        assert_eq!(found(&r, "GET", "/items/7").unwrap().1[0].0, "item_id");
        assert!(matches!(r.find("GET", "/nope"), None | Some(RouteMatch::NotFound)));
    }

    #[test]
    fn conflicts_name_both_routes() {
        let mut r = Router::new();
        r.insert("GET", "/users/{id:int}", 1).unwrap();
        let err = r.insert("GET", "/users/{name}", 2).unwrap_err().to_string();
        assert!(
            err.contains("/users/{name}") && err.contains("/users/{id:int}"),
            "{err}"
        );
        r.insert("POST", "/users/{name}", 3).unwrap();
    }

    #[test]
    fn trailing_slash_and_root() {
        let mut r = Router::new();
        r.insert("GET", "/", 1).unwrap();
        r.insert("GET", "/items/", 2).unwrap();
        r.insert("GET", "/items", 3).unwrap();
        assert_eq!(found(&r, "GET", "/").unwrap().0, 1);
        assert_eq!(found(&r, "GET", "/items/").unwrap().0, 2);
        assert_eq!(found(&r, "GET", "/items").unwrap().0, 3);
        assert!(found(&r, "GET", "/items//").is_none());
    }
}
