//! Route patterns with typed segments: `/users/{id:int}/files/{rest:path}`.
//!
//! ```
//! use spikard_core::route_pattern::{RoutePattern, SegmentKind};
//! let p = RoutePattern::parse("/users/{id:int}").unwrap();
//! assert_eq!(p.param_names(), vec!["id"]);
//! assert!(matches!(p.segments()[1], spikard_core::route_pattern::Segment::Param { kind: SegmentKind::Int, .. }));
//! ```

use serde_json::{json, Value};

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
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "" | "str" | "string" => Self::String,
            "int" | "integer" => Self::Int,
            "float" | "number" => Self::Float,
            "uuid" => Self::Uuid,
            "date" => Self::Date,
            "datetime" | "date-time" => Self::DateTime,
            "path" => Self::Path,
            _ => return None,
        })
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
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !raw.starts_with('/') {
            return Err(format!("route '{raw}' must start with '/'"));
        }
        let parts: Vec<&str> = raw[1..].split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut seen = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if let Some(inner) = part.strip_prefix('{') {
                let inner = inner
                    .strip_suffix('}')
                    .ok_or_else(|| format!("route '{raw}': unclosed '{{' in segment '{part}'"))?;
                let (name, ty) = inner.split_once(':').unwrap_or((inner, ""));
                if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(format!("route '{raw}': invalid parameter name '{name}'"));
                }
                let kind =
                    SegmentKind::parse(ty).ok_or_else(|| format!("route '{raw}': unknown parameter type '{ty}'"))?;
                if kind == SegmentKind::Path && i + 1 != parts.len() {
                    return Err(format!("route '{raw}': a path parameter must be the last segment"));
                }
                if seen.contains(&name) {
                    return Err(format!("route '{raw}': parameter '{name}' appears twice"));
                }
                seen.push(name);
                segments.push(Segment::Param {
                    name: name.to_owned(),
                    kind,
                });
            } else if part.contains('{') || part.contains('}') {
                return Err(format!(
                    "route '{raw}': a parameter must fill a whole segment ('{part}')"
                ));
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
        assert!(RoutePattern::parse("/{x:nope}").is_err());
        assert!(RoutePattern::parse("/{x}/{x}").is_err());
        assert!(RoutePattern::parse("/pre{x}").is_err());
        assert!(RoutePattern::parse("/{x").is_err());
    }

    #[test]
    fn trailing_slash_is_a_segment() {
        let p = RoutePattern::parse("/items/").unwrap();
        assert_eq!(p.segments().len(), 2);
        assert_eq!(p.segments()[1], Segment::Static(String::new()));
    }
}
