//! `application/x-www-form-urlencoded` decoding, for form bodies and query strings.
//!
//! Decoding is strict: `+` is a space, `%XX` must be followed by two hex digits, and
//! the decoded bytes must be valid UTF-8. Anything else is an [`UrlencodedError`]
//! whose message is suitable for an RFC 9457 `detail`.
//!
//! ```
//! use spikard_core::body::urlencoded::{parse_pairs, parse_urlencoded};
//! let form = parse_urlencoded(b"name=Ada+Lovelace&tag=a&tag=b").unwrap();
//! assert_eq!(form["name"], "Ada Lovelace");
//! assert_eq!(form["tag"], serde_json::json!(["a", "b"]));
//! let pairs = parse_pairs(b"ids[]=1&ids[]=2").unwrap();
//! assert_eq!(pairs, vec![("ids".to_owned(), "1".to_owned()), ("ids".to_owned(), "2".to_owned())]);
//! ```

use serde_json::{Map, Value};

/// Why an urlencoded input could not be decoded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum UrlencodedError {
    /// A `%` not followed by two hex digits. `offset` is the byte offset of the `%` in the input.
    #[error("Invalid percent-encoding in {context} at byte {offset}")]
    InvalidPercentEncoding {
        /// What was being decoded: `"form body"` or `"query string"`.
        context: &'static str,
        /// Byte offset of the offending `%` in the whole input.
        offset: usize,
    },
    /// A key or value is not valid UTF-8 once percent-decoded.
    #[error("Invalid UTF-8 in {context} at byte {offset}")]
    InvalidUtf8 {
        /// What was being decoded: `"form body"` or `"query string"`.
        context: &'static str,
        /// Byte offset in the whole input of the key or value that is not UTF-8.
        offset: usize,
    },
}

const FORM_BODY: &str = "form body";
const QUERY_STRING: &str = "query string";

/// Parse an `application/x-www-form-urlencoded` body into a JSON object of strings.
///
/// `+` is a space; percent-decoding is strict: invalid escapes or bad UTF-8 are an error.
/// Repeated keys and `key[]` keys become arrays of strings (in order); a single plain key
/// stays a string. Empty segments (`a=1&&b=2`) are skipped; a segment without `=` has an
/// empty value. Keys keep the order of their first occurrence.
pub fn parse_urlencoded(input: &[u8]) -> Result<Map<String, Value>, UrlencodedError> {
    let mut map = Map::new();
    for segment in segments(input) {
        let (key, value) = decode_segment(input, segment, FORM_BODY)?;
        let (key, is_array) = strip_brackets(key);
        match map.get_mut(&key) {
            Some(Value::Array(items)) => items.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
            None => {
                let value = if is_array {
                    Value::Array(vec![Value::String(value)])
                } else {
                    Value::String(value)
                };
                map.insert(key, value);
            }
        }
    }
    Ok(map)
}

/// Same decoding for query strings, but returns ordered pairs `(key, value)` without
/// grouping; a `key[]` key has its brackets stripped.
pub fn parse_pairs(input: &[u8]) -> Result<Vec<(String, String)>, UrlencodedError> {
    segments(input)
        .map(|segment| {
            let (key, value) = decode_segment(input, segment, QUERY_STRING)?;
            Ok((strip_brackets(key).0, value))
        })
        .collect()
}

/// Byte ranges `(start, end)` of the non-empty `&`-separated segments.
fn segments(input: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut start = 0;
    input
        .split(|&b| b == b'&')
        .map(move |seg| {
            let range = (start, start + seg.len());
            start += seg.len() + 1;
            range
        })
        .filter(|(s, e)| s != e)
}

fn decode_segment(
    input: &[u8],
    (start, end): (usize, usize),
    context: &'static str,
) -> Result<(String, String), UrlencodedError> {
    let segment = &input[start..end];
    match segment.iter().position(|&b| b == b'=') {
        Some(eq) => {
            let key = decode(&segment[..eq], start, context)?;
            let value = decode(&segment[eq + 1..], start + eq + 1, context)?;
            Ok((key, value))
        }
        None => Ok((decode(segment, start, context)?, String::new())),
    }
}

/// Strictly decode one key or value; `base` is its offset in the whole input.
fn decode(bytes: &[u8], base: usize, context: &'static str) -> Result<String, UrlencodedError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(UrlencodedError::InvalidPercentEncoding {
                        context,
                        offset: base + i,
                    });
                };
                out.push((hi << 4) | lo);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| UrlencodedError::InvalidUtf8 { context, offset: base })
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `key[]` → (`key`, true); anything else is returned unchanged with `false`.
fn strip_brackets(mut key: String) -> (String, bool) {
    if key.len() > 2 && key.ends_with("[]") {
        key.truncate(key.len() - 2);
        (key, true)
    } else {
        (key, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_keys_stay_strings_and_plus_is_space() {
        let form = parse_urlencoded(b"name=John+Doe&email=j%40example.com&empty=&flag").unwrap();
        assert_eq!(
            Value::Object(form),
            json!({"name": "John Doe", "email": "j@example.com", "empty": "", "flag": ""})
        );
    }

    #[test]
    fn repeated_and_bracket_keys_become_arrays_in_order() {
        let form = parse_urlencoded(b"tag=a&x=1&tag=b&tag=c&ids[]=7&one[]=only").unwrap();
        assert_eq!(form["tag"], json!(["a", "b", "c"]));
        assert_eq!(form["x"], json!("1"));
        assert_eq!(form["ids"], json!(["7"]));
        assert_eq!(form["one"], json!(["only"]));
        let keys: Vec<&str> = form.keys().map(String::as_str).collect();
        assert_eq!(keys, ["tag", "x", "ids", "one"]);
        // Mixing `a` and `a[]` still groups under `a`.
        let form = parse_urlencoded(b"a=1&a[]=2&a=3").unwrap();
        assert_eq!(form["a"], json!(["1", "2", "3"]));
    }

    #[test]
    fn percent_decoding_handles_utf8_and_reserved_characters() {
        let form = parse_urlencoded(b"q=%E2%82%AC+%26+%2B%3d&k%5B%5D=v").unwrap();
        assert_eq!(form["q"], json!("€ & +="));
        // An encoded `[]` is still a bracket suffix once decoded.
        assert_eq!(form["k"], json!(["v"]));
        let form = parse_urlencoded("caf\u{e9}=ol\u{e9}".as_bytes()).unwrap();
        assert_eq!(form["café"], json!("olé"));
    }

    #[test]
    fn empty_segments_and_inputs_are_skipped() {
        assert!(parse_urlencoded(b"").unwrap().is_empty());
        assert!(parse_pairs(b"&&").unwrap().is_empty());
        let form = parse_urlencoded(b"&a=1&&b=2&").unwrap();
        assert_eq!(Value::Object(form), json!({"a": "1", "b": "2"}));
        // Only the first `=` splits.
        assert_eq!(parse_pairs(b"a=b=c").unwrap(), vec![("a".into(), "b=c".into())]);
        // `[]` alone is a key, not an empty key with brackets.
        assert_eq!(parse_pairs(b"[]=x").unwrap(), vec![("[]".into(), "x".into())]);
    }

    #[test]
    fn invalid_percent_encoding_reports_offset() {
        let err = parse_urlencoded(b"name=ok&bad=10%zz").unwrap_err();
        assert_eq!(
            err,
            UrlencodedError::InvalidPercentEncoding {
                context: "form body",
                offset: 14
            }
        );
        assert_eq!(err.to_string(), "Invalid percent-encoding in form body at byte 14");
        // Truncated escapes at the end of the input.
        assert!(matches!(
            parse_urlencoded(b"a=%"),
            Err(UrlencodedError::InvalidPercentEncoding { offset: 2, .. })
        ));
        assert!(matches!(
            parse_urlencoded(b"a=%4"),
            Err(UrlencodedError::InvalidPercentEncoding { offset: 2, .. })
        ));
        // In a key, too.
        assert!(matches!(
            parse_pairs(b"x=1&%g1=2"),
            Err(UrlencodedError::InvalidPercentEncoding {
                context: "query string",
                offset: 4
            })
        ));
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let err = parse_urlencoded(b"a=1&b=%FF%FE").unwrap_err();
        assert_eq!(
            err,
            UrlencodedError::InvalidUtf8 {
                context: "form body",
                offset: 6
            }
        );
        assert_eq!(err.to_string(), "Invalid UTF-8 in form body at byte 6");
        assert!(parse_pairs(b"\xff=1").is_err());
        // Multi-byte characters split across escapes are fine.
        assert_eq!(parse_pairs(b"%C3%A9").unwrap(), vec![("é".into(), String::new())]);
    }

    #[test]
    fn pairs_keep_order_and_duplicates() {
        let pairs = parse_pairs(b"b=2&a=1&b=3&tags[]=x&tags[]=y+z").unwrap();
        let expected: Vec<(String, String)> = [("b", "2"), ("a", "1"), ("b", "3"), ("tags", "x"), ("tags", "y z")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let samples: [&[u8]; 8] = [b"%", b"%%", b"=", b"==&=", b"&%2", b"\x00\xff%ff", b"a[]", b"%5B%5D"];
        for s in samples {
            let _ = parse_urlencoded(s);
            let _ = parse_pairs(s);
        }
        for len in 0..64u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37).wrapping_add(len)).collect();
            let _ = parse_urlencoded(&bytes);
            let _ = parse_pairs(&bytes);
        }
    }
}
