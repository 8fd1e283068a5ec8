//! Comparing a response with a fixture's expectation (status, body, headers, cookies).

use serde_json::Value;
use spikard::TestResponse;

use crate::fixture::Fixture;
use crate::play::is_problem;

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Every difference, as one line each; empty when the response matches.
pub fn compare(f: &Fixture, res: &TestResponse, app_answers: bool) -> Vec<String> {
    let mut out = Vec::new();
    let expected = f.expected();
    let status = f.expected_status();
    if res.status != status {
        out.push(format!(
            "status {} != expected {status}; body {}",
            res.status,
            truncate(&res.text())
        ));
        return out;
    }
    match expected.get("body") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(_)) if crate::features::streaming::expected_body(f).is_some() => {
            let want = crate::features::streaming::expected_body(f).unwrap_or_default();
            if res.body[..] != want[..] {
                out.push(format!(
                    "streamed body {:?} != the chunks {:?}",
                    truncate(&res.text()),
                    truncate(&String::from_utf8_lossy(&want))
                ));
            }
        }
        Some(Value::String(s)) => {
            if res.text() != *s {
                out.push(format!(
                    "body {:?} != expected {:?}",
                    truncate(&res.text()),
                    truncate(s)
                ));
            }
        }
        Some(body) if !app_answers && !is_problem(body) => {
            let got = res.json();
            let detail_ok = got.get("detail").and_then(Value::as_str).is_some_and(|d| !d.is_empty());
            if !is_problem(&got) || !detail_ok {
                out.push(format!(
                    "expected a problem object with a detail, got {}",
                    truncate(&res.text())
                ));
            }
        }
        Some(body) => {
            let got = res.json();
            if got != *body {
                out.push(format!(
                    "body {} != expected {}",
                    truncate(&got.to_string()),
                    truncate(&body.to_string())
                ));
            }
        }
    }
    if let Some(Value::Array(errors)) = expected.get("validation_errors") {
        let got = res.json().get("errors").cloned().unwrap_or(Value::Null);
        if got != Value::Array(errors.clone()) {
            out.push(format!(
                "errors {} != expected {}",
                truncate(&got.to_string()),
                truncate(&Value::Array(errors.clone()).to_string())
            ));
        }
    }
    if let Some(Value::Object(partial)) = expected.get("body_partial") {
        let got = res.json();
        for (k, v) in partial {
            if got.get(k) != Some(v) {
                out.push(format!("body.{k} = {:?}, expected {v}", got.get(k)));
            }
        }
    }
    if let Some(Value::Object(headers)) = expected.get("headers") {
        for (name, want) in headers {
            // A header expected as JSON null must not be sent (as `<<absent>>`).
            let want = if want.is_null() {
                "<<absent>>"
            } else {
                want.as_str().unwrap_or("")
            };
            let got = res.header(name);
            let ok = match (want, got) {
                ("<<absent>>", g) => g.is_none(),
                ("<<present>>" | ".*", g) => g.is_some(),
                ("<<uuid>>", Some(g)) => is_uuid(g),
                (w, Some(g)) if w.contains(".*") => matches_pattern(w, g),
                (w, Some(g)) => w == g,
                (_, None) => false,
            };
            if !ok {
                out.push(format!("header {name}: {got:?}, expected {want:?}"));
            }
        }
    }
    if let Some(Value::Object(cookies)) = expected.get("cookies") {
        let set: Vec<String> = res
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect();
        for (name, spec) in cookies {
            let want = crate::play::cookie_from(name, spec).to_header_value();
            if !set.iter().any(|s| s == &want) {
                out.push(format!("set-cookie {want:?} missing; got {set:?}"));
            }
        }
    }
    out
}

/// A header pattern where each `.*` stands for any run of characters (`.*ms`).
fn matches_pattern(pattern: &str, got: &str) -> bool {
    let parts: Vec<&str> = pattern.split(".*").collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !got.starts_with(first) || got.len() < first.len() + last.len() || !got.ends_with(last) {
        return false;
    }
    let mut rest = &got[first.len()..got.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn truncate(s: &str) -> String {
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s.to_owned()
    }
}
