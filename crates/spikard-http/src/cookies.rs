//! Request cookie parsing and `Set-Cookie` building.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// Parse every `Cookie` header into ordered (name, value) pairs.
pub fn parse_cookie_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for value in headers.get_all(http::header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                let k = k.trim();
                if !k.is_empty() {
                    out.push((k.to_owned(), v.trim().trim_matches('"').to_owned()));
                }
            }
        }
    }
    out
}

/// A cookie to set on the response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub max_age: Option<i64>,
    pub path: Option<String>,
    pub domain: Option<String>,
    pub secure: bool,
    pub http_only: bool,
    /// `Strict`, `Lax` or `None`.
    pub same_site: Option<String>,
}

impl Cookie {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    /// The `Set-Cookie` header value.
    pub fn to_header_value(&self) -> String {
        let mut s = format!("{}={}", self.name, self.value);
        if let Some(age) = self.max_age {
            s.push_str(&format!("; Max-Age={age}"));
        }
        if let Some(d) = &self.domain {
            s.push_str(&format!("; Domain={d}"));
        }
        if let Some(p) = &self.path {
            s.push_str(&format!("; Path={p}"));
        }
        if self.secure {
            s.push_str("; Secure");
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if let Some(ss) = &self.same_site {
            let mut c = ss.chars();
            let cap: String = c
                .next()
                .map(|f| f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase())
                .unwrap_or_default();
            s.push_str(&format!("; SameSite={cap}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_builds() {
        let mut h = HeaderMap::new();
        h.append("cookie", "a=1; b=\"two\"".parse().unwrap());
        h.append("cookie", "c=3".parse().unwrap());
        assert_eq!(
            parse_cookie_headers(&h),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "two".into()),
                ("c".into(), "3".into())
            ]
        );
        let c = Cookie {
            max_age: Some(60),
            path: Some("/".into()),
            secure: true,
            http_only: true,
            same_site: Some("strict".into()),
            ..Cookie::new("s", "v")
        };
        assert_eq!(
            c.to_header_value(),
            "s=v; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Strict"
        );
    }
}
