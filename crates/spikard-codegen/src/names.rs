//! Identifiers in the target languages from names in the document, with collisions
//! resolved deterministically: names are assigned in document order and a name already
//! taken gets the next free number (`Pet`, `Pet2`).

use heck::{ToSnakeCase, ToUpperCamelCase};

pub const PYTHON_KEYWORDS: [&str; 38] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "match", "case", "type",
];

pub const RUST_KEYWORDS: [&str; 51] = [
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

/// Letters, digits and `_` only (others become `_`, runs collapsed by the case conversion).
fn words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
}

/// `pet-store.v2` → `PetStoreV2`; a leading digit gets a `M` prefix.
pub fn pascal(raw: &str) -> String {
    let s = words(raw).to_upper_camel_case();
    if s.is_empty() {
        "Model".into()
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("M{s}")
    } else {
        s
    }
}

/// `petId` → `pet_id`, `X-Request-ID` → `x_request_id`; a leading digit gets a `n` prefix.
pub fn snake(raw: &str) -> String {
    let s = words(raw).to_snake_case();
    if s.is_empty() {
        "value".into()
    } else if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("n{s}")
    } else {
        s
    }
}

/// A name not in `reserved`: `name_` when it is.
pub fn unreserved(name: String, reserved: &[&str]) -> String {
    if reserved.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// Assign unique names in order: the second `pet` becomes `pet2`, as does anything in `taken`.
pub fn unique(candidates: impl IntoIterator<Item = String>, taken: &[&str]) -> Vec<String> {
    let mut used: Vec<String> = taken.iter().map(|s| (*s).to_owned()).collect();
    let mut out = Vec::new();
    for base in candidates {
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        used.push(name.clone());
        out.push(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_collisions() {
        assert_eq!(pascal("pet-store.v2"), "PetStoreV2");
        assert_eq!(pascal("200_response"), "M200Response");
        assert_eq!(snake("X-Request-ID"), "x_request_id");
        assert_eq!(snake("petId"), "pet_id");
        assert_eq!(unreserved(snake("class"), &PYTHON_KEYWORDS), "class_");
        let names = unique(["Pet", "pet", "Pet_"].iter().map(|s| pascal(s)), &["Any"]);
        assert_eq!(names, ["Pet", "Pet2", "Pet3"]);
    }
}
