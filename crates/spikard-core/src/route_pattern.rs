//! Route patterns with typed segments: `/users/{id:int}/files/{rest:path}`.
//!
//! ```
//! use spikard_core::route_pattern::{RoutePattern, SegmentKind};
//! let p = RoutePattern::parse("/users/{id:int}").unwrap();
//! assert_eq!(p.param_names(), vec!["id"]);
//! assert!(matches!(p.segments()[1], spikard_core::route_pattern::Segment::Param { kind: SegmentKind::Int, .. }));
//! ```

use serde_json::{json, Value};

use crate::error::SpikardError;

/// The type written after the colon in `{name:type}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    String,
    Int,
    Float,
    Uuid,
    Date,
    DateTime,
    Path,
}

impl SegmentKind {
    /// Every kind by the one name a pattern spells it with (`{id}` is a `str`).
    pub const NAMES: [(&'static str, Self); 7] = [
        ("str", Self::String),
        ("int", Self::Int),
        ("float", Self::Float),
        ("uuid", Self::Uuid),
        ("date", Self::Date),
        ("datetime", Self::DateTime),
        ("path", Self::Path),
    ];

    /// The kind a pattern names (one spelling each: `{id:integer}` is not `{id:int}`).
    pub fn parse(name: &str) -> Option<Self> {
        if name.is_empty() {
            return Some(Self::String);
        }
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, kind)| *kind)
    }

    /// The known names, for errors: `str, int, float, uuid, date, datetime, path`.
    pub fn known() -> String {
        Self::NAMES.map(|(n, _)| n).join(", ")
    }

    /// The JSON Schema a segment of this kind implies when the route gives none.
    pub fn default_schema(self) -> Value {
        match self {
            Self::String | Self::Path => json!({"type": "string"}),
            Self::Int => json!({"type": "integer"}),
            Self::Float => json!({"type": "number"}),
            Self::Uuid => json!({"type": "string", "format": "uuid"}),
            Self::Date => json!({"type": "string", "format": "date"}),
            Self::DateTime => json!({"type": "string", "format": "date-time"}),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Static(String),
    Param { name: String, kind: SegmentKind },
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    raw: String,
    segments: Vec<Segment>,
}

impl RoutePattern {
    /// Parse a pattern. A malformed one is `InvalidRoute`; a segment type nobody knows
    /// (`{id:integer}`) is `Config`, listing the known ones.
    pub fn parse(raw: &str) -> Result<Self, SpikardError> {
        Self::parse_parts(raw).map_err(|e| match e {
            PatternError::Invalid(msg) => SpikardError::InvalidRoute(msg),
            PatternError::UnknownType(ty) => SpikardError::Config(format!(
                "route '{raw}': unknown parameter type '{ty}' (known: {})",
                SegmentKind::known()
            )),
        })
    }

    fn parse_parts(raw: &str) -> Result<Self, PatternError> {
        if !raw.starts_with('/') {
            return Err(PatternError::Invalid(format!("route '{raw}' must start with '/'")));
        }
        let parts: Vec<&str> = raw[1..].split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut seen = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if let Some(inner) = part.strip_prefix('{') {
                let invalid = |msg: String| PatternError::Invalid(format!("route '{raw}': {msg}"));
                let inner = inner
                    .strip_suffix('}')
                    .ok_or_else(|| invalid(format!("unclosed '{{' in segment '{part}'")))?;
                let (name, ty) = inner.split_once(':').unwrap_or((inner, ""));
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(invalid(format!("invalid parameter name '{name}'")));
                }
                let kind = SegmentKind::parse(ty).ok_or_else(|| PatternError::UnknownType(ty.to_owned()))?;
                if kind == SegmentKind::Path && i + 1 != parts.len() {
                    return Err(invalid("a path parameter must be the last segment".into()));
                }
                if seen.contains(&name) {
                    return Err(invalid(format!("parameter '{name}' appears twice")));
                }
                seen.push(name);
                segments.push(Segment::Param {
                    name: name.to_owned(),
                    kind,
                });
            } else if part.contains('{') || part.contains('}') {
                return Err(PatternError::Invalid(format!(
                    "route '{raw}': a parameter must fill a whole segment ('{part}')"
                )));
            } else {
                segments.push(Segment::Static((*part).to_owned()));
            }
        }
        Ok(Self {
            raw: raw.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn param_names(&self) -> Vec<&str> {
        self.params().map(|(n, _)| n).collect()
    }

    pub fn params(&self) -> impl Iterator<Item = (&str, SegmentKind)> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param { name, kind } => Some((name.as_str(), *kind)),
            Segment::Static(_) => None,
        })
    }
}

enum PatternError {
    Invalid(String),
    UnknownType(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_kinds() {
        let p = RoutePattern::parse("/a/{x}/{i:int}/{f:float}/{u:uuid}/{d:date}/{t:datetime}/{r:path}").unwrap();
        let kinds: Vec<_> = p.params().map(|(_, k)| k).collect();
        assert_eq!(
            kinds,
            vec![
                SegmentKind::String,
                SegmentKind::Int,
                SegmentKind::Float,
                SegmentKind::Uuid,
                SegmentKind::Date,
                SegmentKind::DateTime,
                SegmentKind::Path
            ]
        );
    }

    #[test]
    fn rejects_bad_patterns() {
        assert!(RoutePattern::parse("a").is_err());
        assert!(RoutePattern::parse("/{r:path}/x").is_err());
        assert!(matches!(
            RoutePattern::parse("/{x}/{x}"),
            Err(SpikardError::InvalidRoute(_))
        ));
        assert!(RoutePattern::parse("/{x}/{x}").is_err());
        assert!(RoutePattern::parse("/pre{x}").is_err());
        assert!(RoutePattern::parse("/{x").is_err());
    }

    #[test]
    fn unknown_types_are_config_errors_listing_the_known_ones() {
        for ty in ["nope", "integer", "string", "number", "date-time"] {
            let Err(SpikardError::Config(msg)) = RoutePattern::parse(&format!("/users/{{id:{ty}}}")) else {
                panic!("{ty} accepted");
            };
            assert_eq!(
                msg,
                format!("route '/users/{{id:{ty}}}': unknown parameter type '{ty}' (known: str, int, float, uuid, date, datetime, path)")
            );
        }
        assert!(RoutePattern::parse("/{x:str}").is_ok());
    }

    #[test]
    fn trailing_slash_is_a_segment() {
        let p = RoutePattern::parse("/items/").unwrap();
        assert_eq!(p.segments().len(), 2);
        assert_eq!(p.segments()[1], Segment::Static(String::new()));
    }
}
