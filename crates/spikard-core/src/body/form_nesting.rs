//! Bracket notation in form bodies, as HTML forms and `qs`-style clients write it.
//!
//! `user[name]=Ada&user[age]=36` becomes `{"user": {"name": "Ada", "age": "36"}}` and
//! `tags[0]=a&tags[1]=b` becomes `{"tags": ["a", "b"]}`. Indices must be consecutive from 0:
//! a form with holes (`tags[0]=a&tags[2]=c`) is refused with the missing indices, rather than
//! silently shifting values to other positions. Keys the body schema declares literally
//! (a property named `a[b]`) and keys without a well-formed `[...]` suffix are left alone.
//!
//! ```
//! use serde_json::{json, Map};
//! use spikard_core::body::form_nesting::nest_brackets;
//! let mut form = Map::new();
//! form.insert("user[name]".into(), json!("Ada"));
//! form.insert("tags[1]".into(), json!("b"));
//! form.insert("tags[0]".into(), json!("a"));
//! let nested = nest_brackets(form, None).unwrap();
//! assert_eq!(nested["user"], json!({"name": "Ada"}));
//! assert_eq!(nested["tags"], json!(["a", "b"]));
//! ```

use serde_json::{Map, Value};

/// At most this many absent indices are listed in a [`SparseIndices`] error.
pub const MAX_REPORTED_MISSING: usize = 20;

/// Array indices of a bracketed field that are not consecutive from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparseIndices {
    /// Path of the array inside the body (`["items"]`, `["order", "lines"]`).
    pub path: Vec<String>,
    /// The indices between 0 and the highest one given that are absent (the first
    /// [`MAX_REPORTED_MISSING`] of them).
    pub missing: Vec<u64>,
}

/// Expand bracketed keys into nested objects and arrays. `schema` (the body schema) lists
/// the property names that must stay literal.
pub fn nest_brackets(form: Map<String, Value>, schema: Option<&Value>) -> Result<Map<String, Value>, SparseIndices> {
    let declared = schema.and_then(|s| s.get("properties")).and_then(Value::as_object);
    if !form
        .keys()
        .any(|k| split_key(k).is_some() && !declared.is_some_and(|d| d.contains_key(k)))
    {
        return Ok(form);
    }
    let mut root = Map::new();
    let mut nested: Vec<String> = Vec::new();
    for (key, value) in form {
        match split_key(&key).filter(|_| !declared.is_some_and(|d| d.contains_key(&key))) {
            Some(segments) => {
                if !nested.contains(&segments[0]) {
                    nested.push(segments[0].clone());
                }
                insert_path(&mut root, &segments, value);
            }
            None => {
                root.insert(key, value);
            }
        }
    }
    for name in nested {
        if let Some(v) = root.remove(&name) {
            let v = arrays_from_indices(v, &mut vec![name.clone()])?;
            root.insert(name, v);
        }
    }
    Ok(root)
}

/// `a[b][0]` → `["a", "b", "0"]`; `None` for a key without a well-formed bracket suffix.
fn split_key(key: &str) -> Option<Vec<String>> {
    let open = key.find('[')?;
    if open == 0 || !key.ends_with(']') {
        return None;
    }
    let mut segments = vec![key[..open].to_owned()];
    let mut rest = &key[open..];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let segment = &inner[..close];
        if segment.is_empty() || segment.contains('[') {
            return None;
        }
        segments.push(segment.to_owned());
        rest = &inner[close + 1..];
    }
    Some(segments)
}

fn insert_path(map: &mut Map<String, Value>, segments: &[String], value: Value) {
    let (first, rest) = match segments.split_first() {
        Some(split) => split,
        None => return,
    };
    if rest.is_empty() {
        map.insert(first.clone(), value);
        return;
    }
    let entry = map.entry(first.clone()).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        // `a=1&a[b]=2`: the nested form wins over the scalar, as in most form parsers.
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(child) = entry {
        insert_path(child, rest, value);
    }
}

/// Objects whose keys are all indices become arrays, checked for holes, recursively.
fn arrays_from_indices(value: Value, path: &mut Vec<String>) -> Result<Value, SparseIndices> {
    let Value::Object(map) = value else {
        return Ok(value);
    };
    let indexed: Option<Vec<u64>> = map.keys().map(|k| index_of(k)).collect();
    if let Some(mut indices) = indexed.filter(|i| !i.is_empty()) {
        indices.sort_unstable();
        let highest = indices[indices.len() - 1];
        // Indices are distinct, so they are 0..len exactly when the highest is len - 1.
        if highest >= indices.len() as u64 {
            // The first few holes only: `a[999999999999]=x` must not list (or allocate) them all.
            let missing = (0..highest)
                .filter(|i| indices.binary_search(i).is_err())
                .take(MAX_REPORTED_MISSING)
                .collect();
            return Err(SparseIndices {
                path: path.clone(),
                missing,
            });
        }
        let mut items: Vec<(u64, Value)> = map.into_iter().map(|(k, v)| (index_of(&k).unwrap_or(0), v)).collect();
        items.sort_by_key(|(i, _)| *i);
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items {
            path.push(i.to_string());
            out.push(arrays_from_indices(v, path)?);
            path.pop();
        }
        return Ok(Value::Array(out));
    }
    let mut out = Map::new();
    for (k, v) in map {
        path.push(k.clone());
        let v = arrays_from_indices(v, path)?;
        path.pop();
        out.insert(k, v);
    }
    Ok(Value::Object(out))
}

/// A decimal array index without sign or leading zeros (`"0"`, `"12"`); 64-bit on every
/// target (a `usize` would read `a[4294967296]` differently on wasm32).
fn index_of(key: &str) -> Option<u64> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn nests_objects_and_arrays() {
        let f = form(&[
            ("order[id]", json!("7")),
            ("order[lines][0][sku]", json!("A")),
            ("order[lines][1][sku]", json!("B")),
            ("note", json!("x")),
        ]);
        let n = nest_brackets(f, None).unwrap();
        assert_eq!(n["order"], json!({"id": "7", "lines": [{"sku": "A"}, {"sku": "B"}]}));
        assert_eq!(n["note"], json!("x"));
    }

    #[test]
    fn holes_are_reported_with_their_path() {
        let f = form(&[("ids[0]", json!("a")), ("ids[3]", json!("d"))]);
        let err = nest_brackets(f, None).unwrap_err();
        assert_eq!(err.path, vec!["ids".to_owned()]);
        assert_eq!(err.missing, vec![1, 2]);
        let f = form(&[("ids[1]", json!("b"))]);
        assert_eq!(nest_brackets(f, None).unwrap_err().missing, vec![0]);
    }

    #[test]
    fn a_huge_index_lists_only_the_first_holes() {
        // Found by the `query_urlencoded` fuzz target: every absent index was collected
        // (`s[2777777777777374]=40` exhausted memory; `usize::MAX` overflowed `highest + 1`).
        for huge in ["2777777777777374", "18446744073709551615"] {
            let f = form(&[("s[0]", json!("a")), (&format!("s[{huge}]"), json!("b"))]);
            let err = nest_brackets(f, None).unwrap_err();
            assert_eq!(err.path, vec!["s".to_owned()]);
            assert_eq!(err.missing, (1..=MAX_REPORTED_MISSING as u64).collect::<Vec<_>>());
        }
    }

    #[test]
    fn literal_and_malformed_keys_stay_flat() {
        let schema = json!({"properties": {"a[b]": {"type": "string"}}});
        let f = form(&[
            ("a[b]", json!("1")),
            ("[x]", json!("2")),
            ("c[d", json!("3")),
            ("e[]f]", json!("4")),
        ]);
        let n = nest_brackets(f.clone(), Some(&schema)).unwrap();
        assert_eq!(n, f);
    }

    #[test]
    fn leading_zero_keys_are_names_not_indices() {
        let f = form(&[("m[01]", json!("x"))]);
        assert_eq!(nest_brackets(f, None).unwrap()["m"], json!({"01": "x"}));
    }
}
