//! Buffered `multipart/form-data` parsing (RFC 7578 / RFC 2046) and encoding.
//!
//! The whole body is already in memory and size-limited by the caller; this module
//! splits it into text fields and uploaded files. It never panics, whatever the input.
//!
//! ```
//! use spikard_core::body::multipart::{boundary_from_content_type, encode_multipart, parse_multipart, UploadedFile};
//! let file = UploadedFile {
//!     field_name: "doc".into(),
//!     filename: "a.txt".into(),
//!     content_type: "text/plain".into(),
//!     data: b"hello".to_vec(),
//! };
//! let (content_type, body) = encode_multipart(&[("title".into(), "Hi".into())], &[file.clone()]);
//! let boundary = boundary_from_content_type(&content_type).unwrap();
//! let parsed = parse_multipart(&body, &boundary).unwrap();
//! assert_eq!(parsed.fields, vec![("title".to_owned(), "Hi".to_owned())]);
//! assert_eq!(parsed.files, vec![file]);
//! ```

/// Content type given to a file part that declares none.
pub const DEFAULT_FILE_CONTENT_TYPE: &str = "application/octet-stream";
/// Maximum number of parts in one body.
pub const MAX_PARTS: usize = 1000;
/// Maximum size in bytes of one part's header block.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Maximum boundary length (RFC 2046).
const MAX_BOUNDARY_LEN: usize = 70;

/// One uploaded file from a multipart body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form field name (`name` parameter of Content-Disposition).
    pub field_name: String,
    /// The client-supplied filename (possibly empty), verbatim.
    pub filename: String,
    /// The part's Content-Type, or `application/octet-stream` when absent.
    pub content_type: String,
    /// The file's bytes.
    pub data: Vec<u8>,
}

/// A parsed multipart body: text fields and files, each in body order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultipartBody {
    /// `(name, value)` of each non-file part.
    pub fields: Vec<(String, String)>,
    /// Each part whose Content-Disposition has a `filename` (or `filename*`) parameter.
    pub files: Vec<UploadedFile>,
}

/// Why a multipart body could not be parsed. Part numbers are 1-based.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MultipartError {
    /// No boundary was given.
    #[error("multipart/form-data requires a boundary parameter")]
    MissingBoundary,
    /// The boundary is longer than 70 characters or has forbidden characters.
    #[error("Invalid multipart boundary: it must be 1 to 70 printable ASCII characters")]
    InvalidBoundary,
    /// The body does not contain the opening boundary delimiter.
    #[error("Multipart body does not contain the boundary delimiter")]
    MissingDelimiter,
    /// The body ends before the closing boundary delimiter.
    #[error("Multipart body is missing the closing boundary delimiter")]
    MissingClosingDelimiter,
    /// A part's header block is not terminated or has a line that is not a header.
    #[error("Malformed headers in multipart part {part}")]
    MalformedHeaders {
        /// 1-based part number.
        part: usize,
    },
    /// A part has no Content-Disposition header.
    #[error("Multipart part {part} has no Content-Disposition header")]
    MissingContentDisposition {
        /// 1-based part number.
        part: usize,
    },
    /// A part's Content-Disposition has no `name` parameter.
    #[error("Multipart part {part} has no name in its Content-Disposition header")]
    MissingName {
        /// 1-based part number.
        part: usize,
    },
    /// A text field's value is not valid UTF-8.
    #[error("Multipart field '{name}' is not valid UTF-8")]
    FieldNotUtf8 {
        /// The field name.
        name: String,
    },
    /// The body has more parts than allowed.
    #[error("Multipart body has more than {limit} parts")]
    TooManyParts {
        /// The maximum number of parts.
        limit: usize,
    },
    /// A part's header block is larger than allowed.
    #[error("Headers of multipart part {part} exceed {limit} bytes")]
    HeadersTooLarge {
        /// 1-based part number.
        part: usize,
        /// The maximum header block size in bytes.
        limit: usize,
    },
}

/// Boundary from a Content-Type value like `multipart/form-data; boundary="abc"`
/// (quoted or not, case-insensitive parameter name). `None` when absent or empty.
/// The boundary is not validated here; [`parse_multipart`] does that.
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    let (_, params) = content_type.split_once(';')?;
    parse_params(params)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// Parse a buffered `multipart/form-data` body delimited by `boundary`.
///
/// Accepts a preamble and an epilogue, CRLF (or bare LF) line endings, transport
/// padding after delimiters, case-insensitive header names and folded header lines.
/// A part is a file when its Content-Disposition has a `filename` parameter (even an
/// empty one) or a `filename*` parameter; otherwise it is a text field that must be UTF-8.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Result<MultipartBody, MultipartError> {
    validate_boundary(boundary)?;
    // `\n--boundary`: a delimiter line is searched for as a whole (SIMD substring search).
    let mut line = Vec::with_capacity(boundary.len() + 3);
    line.extend_from_slice(b"\n--");
    line.extend_from_slice(boundary.as_bytes());
    let delimiter = Delimiters {
        line: memchr::memmem::Finder::new(&line),
        bare: &line[1..],
    };

    let mut result = MultipartBody::default();
    let (_, mut delim) = find_delimiter(body, &delimiter, 0, true).ok_or(MultipartError::MissingDelimiter)?;
    let mut part_number = 0;
    loop {
        let part_start = match delim.kind {
            DelimiterKind::Close => return Ok(result),
            DelimiterKind::Open { content_start } => content_start,
        };
        part_number += 1;
        if part_number > MAX_PARTS {
            return Err(MultipartError::TooManyParts { limit: MAX_PARTS });
        }
        let (part_end, next) =
            find_delimiter(body, &delimiter, part_start, false).ok_or(MultipartError::MissingClosingDelimiter)?;
        parse_part(&body[part_start..part_end], part_number, &mut result)?;
        delim = next;
    }
}

/// Encode a multipart body (used by test clients): returns
/// `(content_type_header_value, body bytes)`.
///
/// The boundary is chosen so that it does not occur in any value. Names and filenames are
/// quoted with `"` and `\` backslash-escaped (CR and LF become `%0D` / `%0A`); files with
/// an empty content type are sent as `application/octet-stream`.
pub fn encode_multipart(fields: &[(String, String)], files: &[UploadedFile]) -> (String, Vec<u8>) {
    let boundary = choose_boundary(fields, files);
    let mut body = Vec::new();
    for (name, value) in fields {
        push_part_start(&mut body, &boundary, name);
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for file in files {
        push_part_start(&mut body, &boundary, &file.field_name);
        body.extend_from_slice(b"; filename=\"");
        body.extend_from_slice(quote(&file.filename).as_bytes());
        body.extend_from_slice(b"\"\r\nContent-Type: ");
        let content_type: String = file.content_type.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        let content_type = content_type.trim();
        let content_type = if content_type.is_empty() {
            DEFAULT_FILE_CONTENT_TYPE
        } else {
            content_type
        };
        body.extend_from_slice(content_type.as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(&file.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    (format!("multipart/form-data; boundary={boundary}"), body)
}

// ---------------------------------------------------------------------------
// Parsing internals
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum DelimiterKind {
    /// An opening delimiter; the next part's content starts at this offset.
    Open { content_start: usize },
    /// The closing delimiter `--boundary--`.
    Close,
}

#[derive(Debug, Clone, Copy)]
struct Delimiter {
    kind: DelimiterKind,
}

fn validate_boundary(boundary: &str) -> Result<(), MultipartError> {
    if boundary.is_empty() {
        return Err(MultipartError::MissingBoundary);
    }
    let valid = boundary.len() <= MAX_BOUNDARY_LEN
        && boundary.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && !boundary.ends_with(' ');
    if valid {
        Ok(())
    } else {
        Err(MultipartError::InvalidBoundary)
    }
}

/// Find the next delimiter line at or after `from`.
///
/// A delimiter is `--boundary` at the start of a line (or, when `at_start`, at offset
/// `from` itself), followed either by `--` (close) or by optional spaces/tabs and a line
/// break. Returns the offset where the preceding content ends (its line break excluded)
/// and the delimiter found.
fn find_delimiter(body: &[u8], delimiter: &Delimiters<'_>, from: usize, at_start: bool) -> Option<(usize, Delimiter)> {
    if at_start {
        if let Some(kind) = delimiter_at(body, from, delimiter.bare) {
            return Some((from, Delimiter { kind }));
        }
    }
    let mut pos = from;
    while pos < body.len() {
        let newline = pos + delimiter.line.find(&body[pos..])?;
        if let Some(kind) = delimiter_at(body, newline + 1, delimiter.bare) {
            let content_end = if newline > from && body[newline - 1] == b'\r' {
                newline - 1
            } else {
                newline
            };
            return Some((content_end, Delimiter { kind }));
        }
        pos = newline + 1;
    }
    None
}

/// The delimiter of a body: `--boundary`, and a searcher for it at the start of a line.
struct Delimiters<'a> {
    line: memchr::memmem::Finder<'a>,
    bare: &'a [u8],
}

/// Whether a delimiter starts at `pos`, and of which kind.
fn delimiter_at(body: &[u8], pos: usize, delimiter: &[u8]) -> Option<DelimiterKind> {
    let rest = body.get(pos..)?;
    let after = rest.strip_prefix(delimiter)?;
    if after.starts_with(b"--") {
        return Some(DelimiterKind::Close);
    }
    let padding = after.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
    let line_break = match &after[padding..] {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] => 1,
        _ => return None,
    };
    Some(DelimiterKind::Open {
        content_start: pos + delimiter.len() + padding + line_break,
    })
}

fn parse_part(part: &[u8], number: usize, out: &mut MultipartBody) -> Result<(), MultipartError> {
    let (headers, content) = split_headers(part, number)?;
    let headers = parse_headers(headers, number)?;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let disposition =
        header("content-disposition").ok_or(MultipartError::MissingContentDisposition { part: number })?;
    let params = disposition
        .split_once(';')
        .map(|(_, params)| parse_params(params))
        .unwrap_or_default();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let name = param("name")
        .ok_or(MultipartError::MissingName { part: number })?
        .to_owned();
    let extended_filename = param("filename*");
    let filename = param("filename");
    if extended_filename.is_none() && filename.is_none() {
        let value =
            String::from_utf8(content.to_vec()).map_err(|_| MultipartError::FieldNotUtf8 { name: name.clone() })?;
        out.fields.push((name, value));
        return Ok(());
    }
    let filename = extended_filename
        .and_then(decode_ext_value)
        .or_else(|| filename.map(str::to_owned))
        .unwrap_or_default();
    let content_type = header("content-type")
        .map(str::trim)
        .filter(|ct| !ct.is_empty())
        .unwrap_or(DEFAULT_FILE_CONTENT_TYPE)
        .to_owned();
    out.files.push(UploadedFile {
        field_name: name,
        filename,
        content_type,
        data: content.to_vec(),
    });
    Ok(())
}

/// Split a part into its header block (without the blank line) and its content.
fn split_headers(part: &[u8], number: usize) -> Result<(&[u8], &[u8]), MultipartError> {
    // A part with no headers starts with the blank line directly.
    if let Some(content) = part.strip_prefix(b"\r\n") {
        return Ok((&[], content));
    }
    if let Some(content) = part.strip_prefix(b"\n") {
        return Ok((&[], content));
    }
    let mut pos = 0;
    while let Some(offset) = part[pos..].iter().position(|&b| b == b'\n') {
        let newline = pos + offset;
        if newline > MAX_HEADER_BYTES {
            break;
        }
        let next = &part[newline + 1..];
        if let Some(content) = next.strip_prefix(b"\r\n") {
            return Ok((&part[..newline + 1], content));
        }
        if let Some(content) = next.strip_prefix(b"\n") {
            return Ok((&part[..newline + 1], content));
        }
        pos = newline + 1;
    }
    if part.len() > MAX_HEADER_BYTES {
        Err(MultipartError::HeadersTooLarge {
            part: number,
            limit: MAX_HEADER_BYTES,
        })
    } else {
        Err(MultipartError::MalformedHeaders { part: number })
    }
}

/// Parse header lines into `(name, value)` pairs, unfolding continuation lines.
fn parse_headers(block: &[u8], number: usize) -> Result<Vec<(String, String)>, MultipartError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            let (_, value) = headers
                .last_mut()
                .ok_or(MultipartError::MalformedHeaders { part: number })?;
            value.push(' ');
            value.push_str(text.trim());
            continue;
        }
        let (name, value) = text
            .split_once(':')
            .ok_or(MultipartError::MalformedHeaders { part: number })?;
        let name = name.trim();
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(MultipartError::MalformedHeaders { part: number });
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    Ok(headers)
}

/// Parse `; name=value; name="quoted \"value\""` parameters (input without the leading
/// media type or disposition type). Names are returned as written; values unquoted.
/// Inside quotes, a backslash escapes only `"` and `\`; other backslashes are literal
/// (browsers send Windows paths unescaped).
fn parse_params(input: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        // Skip separators and whitespace.
        while chars.next_if(|c| *c == ';' || c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return params;
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';') {
            name.push(c);
        }
        let name = name.trim().to_owned();
        if chars.next_if_eq(&'=').is_none() {
            // A bare token without a value: ignore it.
            continue;
        }
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.peek() {
                        Some(&next @ ('"' | '\\')) => {
                            value.push(next);
                            chars.next();
                        }
                        _ => value.push('\\'),
                    },
                    c => value.push(c),
                }
            }
            // Skip anything between the closing quote and the next separator.
            while chars.next_if(|c| *c != ';').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                value.push(c);
            }
            value = value.trim_end().to_owned();
        }
        if !name.is_empty() {
            params.push((name, value));
        }
    }
}

/// Decode an RFC 8187 extended value such as `UTF-8''na%C3%AFve.txt`.
/// `None` for an unknown charset or a malformed value.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    let bytes = percent_encoding::percent_decode_str(encoded).collect::<Vec<u8>>();
    if charset.eq_ignore_ascii_case("utf-8") {
        String::from_utf8(bytes).ok()
    } else if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        Some(bytes.into_iter().map(char::from).collect())
    } else if charset.eq_ignore_ascii_case("us-ascii") {
        bytes.is_ascii().then(|| bytes.into_iter().map(char::from).collect())
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Encoding internals
// ---------------------------------------------------------------------------

fn push_part_start(body: &mut Vec<u8>, boundary: &str, name: &str) {
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
    body.extend_from_slice(quote(name).as_bytes());
    body.extend_from_slice(b"\"");
}

/// Escape a parameter value for use inside double quotes.
fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A deterministic boundary that occurs in none of the values.
fn choose_boundary(fields: &[(String, String)], files: &[UploadedFile]) -> String {
    // FNV-1a over the names, so different forms get different-looking boundaries.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let names = fields
        .iter()
        .map(|(name, _)| name)
        .chain(files.iter().flat_map(|f| [&f.field_name, &f.filename]));
    for name in names {
        for &b in name.as_bytes().iter().chain(b"\0") {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut attempt: u64 = 0;
    loop {
        let boundary = format!("----SpikardFormBoundary{:016x}", hash.wrapping_add(attempt));
        let needle = boundary.as_bytes();
        let collides = fields
            .iter()
            .map(|(_, v)| v.as_bytes())
            .chain(files.iter().map(|f| f.data.as_slice()))
            .any(|haystack| contains(haystack, needle));
        if !collides {
            return boundary;
        }
        attempt += 1;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(field: &str, filename: &str, content_type: &str, data: &[u8]) -> UploadedFile {
        UploadedFile {
            field_name: field.into(),
            filename: filename.into(),
            content_type: content_type.into(),
            data: data.to_vec(),
        }
    }

    #[test]
    fn boundary_from_content_type_variants() {
        let cases = [
            ("multipart/form-data; boundary=abc123", Some("abc123")),
            ("multipart/form-data; boundary=\"quoted b\"", Some("quoted b")),
            ("multipart/form-data;BOUNDARY=Up", Some("Up")),
            ("Multipart/Form-Data; charset=utf-8; Boundary = \"x;y\" ", Some("x;y")),
            ("multipart/form-data; boundary=\"a\\\"b\"", Some("a\"b")),
            ("multipart/form-data; boundary=tok ; other=1", Some("tok")),
            ("multipart/form-data", None),
            ("multipart/form-data; boundary=", None),
            ("multipart/form-data; boundary=\"\"", None),
            ("multipart/form-data; charset=utf-8", None),
            ("", None),
        ];
        for (ct, expected) in cases {
            assert_eq!(boundary_from_content_type(ct).as_deref(), expected, "{ct}");
        }
    }

    #[test]
    fn parses_fields_and_files_with_crlf() {
        let body = b"--XyZ\r\n\
Content-Disposition: form-data; name=\"title\"\r\n\
\r\n\
Hello\r\nWorld\r\n\
--XyZ\r\n\
content-disposition: form-data; name=\"upload\"; filename=\"a.png\"\r\n\
CONTENT-TYPE: image/png\r\n\
\r\n\
\x89PNG\r\n\x1a\n\x00\xff\r\n\
--XyZ--\r\n";
        let parsed = parse_multipart(body, "XyZ").unwrap();
        assert_eq!(parsed.fields, vec![("title".into(), "Hello\r\nWorld".into())]);
        assert_eq!(
            parsed.files,
            vec![file("upload", "a.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\xff")]
        );
    }

    #[test]
    fn preamble_epilogue_and_padding() {
        let body = b"This is a preamble.\r\n--b1  \t\r\n\
Content-Disposition: form-data; name=a\r\n\r\n1\r\n\
--b1\r\n\
Content-Disposition: form-data; name=b\r\n\r\n\r\n\
--b1--\r\nepilogue --b1\r\ngarbage";
        let parsed = parse_multipart(body, "b1").unwrap();
        assert_eq!(
            parsed.fields,
            vec![("a".into(), "1".into()), ("b".into(), String::new())]
        );
        assert!(parsed.files.is_empty());
    }

    #[test]
    fn bare_lf_line_endings_are_accepted() {
        let body = b"--b\nContent-Disposition: form-data; name=\"x\"\n\nval\n--b\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\n\n\n--b--";
        let parsed = parse_multipart(body, "b").unwrap();
        assert_eq!(parsed.fields, vec![("x".into(), "val".into())]);
        assert_eq!(parsed.files, vec![file("f", "", "application/octet-stream", b"")]);
    }

    #[test]
    fn boundary_lookalikes_inside_content_are_not_delimiters() {
        let body = b"--abc\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\nline\r\n--abcdef\r\n--abc-x\r\n--abc\r\nContent-Disposition: form-data; name=\"u\"\r\n\r\n2\r\n--abc--";
        let parsed = parse_multipart(body, "abc").unwrap();
        assert_eq!(
            parsed.fields,
            vec![
                ("t".into(), "line\r\n--abcdef\r\n--abc-x".into()),
                ("u".into(), "2".into())
            ]
        );
    }

    #[test]
    fn filename_parameters() {
        let body = "--B\r\n\
Content-Disposition: form-data; name=\"a\"; filename=\"my \\\"quoted\\\" file.txt\"\r\n\r\nA\r\n\
--B\r\n\
Content-Disposition: form-data; name=\"b\"; filename=\"plain.txt\"; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt\r\n\r\nB\r\n\
--B\r\n\
Content-Disposition: form-data; name=\"c\"; filename*=utf-8'en'r%C3%A9sum%C3%A9.pdf\r\nContent-Type: application/pdf; x=y\r\n\r\nC\r\n\
--B\r\n\
Content-Disposition: form-data; name=\"d\"; filename=\"C:\\Users\\me\\x.txt\"\r\n\r\nD\r\n\
--B\r\n\
Content-Disposition: form-data; name=\"e\"; filename=\"caf\u{e9}.txt\"\r\nContent-Type:\r\n\r\nE\r\n\
--B\r\n\
Content-Disposition: form-data; name=\"f\"; filename=fallback.bin; filename*=bogus''x\r\n\r\nF\r\n\
--B--\r\n";
        let parsed = parse_multipart(body.as_bytes(), "B").unwrap();
        assert!(parsed.fields.is_empty());
        let names: Vec<(&str, &str, &str)> = parsed
            .files
            .iter()
            .map(|f| (f.field_name.as_str(), f.filename.as_str(), f.content_type.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", "my \"quoted\" file.txt", "application/octet-stream"),
                ("b", "naïve €.txt", "application/octet-stream"),
                ("c", "résumé.pdf", "application/pdf; x=y"),
                ("d", "C:\\Users\\me\\x.txt", "application/octet-stream"),
                ("e", "café.txt", "application/octet-stream"),
                ("f", "fallback.bin", "application/octet-stream"),
            ]
        );
        assert_eq!(parsed.files[2].data, b"C");
    }

    #[test]
    fn folded_headers_and_part_without_headers_error() {
        let body = b"--B\r\nContent-Disposition: form-data;\r\n\tname=\"folded\"\r\n\r\nv\r\n--B--";
        let parsed = parse_multipart(body, "B").unwrap();
        assert_eq!(parsed.fields, vec![("folded".into(), "v".into())]);

        let body = b"--B\r\n\r\nno headers\r\n--B--";
        assert_eq!(
            parse_multipart(body, "B"),
            Err(MultipartError::MissingContentDisposition { part: 1 })
        );
    }

    #[test]
    fn errors() {
        let ok_part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
        assert_eq!(parse_multipart(b"", ""), Err(MultipartError::MissingBoundary));
        assert_eq!(
            parse_multipart(b"", &"x".repeat(71)),
            Err(MultipartError::InvalidBoundary)
        );
        assert_eq!(parse_multipart(b"", "bad\r\nb"), Err(MultipartError::InvalidBoundary));
        assert_eq!(
            parse_multipart(b"no delimiter here", "B"),
            Err(MultipartError::MissingDelimiter)
        );
        assert_eq!(
            parse_multipart(ok_part.as_bytes(), "B"),
            Err(MultipartError::MissingClosingDelimiter)
        );
        assert_eq!(
            parse_multipart(format!("{ok_part}--B").as_bytes(), "B"),
            Err(MultipartError::MissingClosingDelimiter)
        );
        let missing_name = format!("{ok_part}--B\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\n1\r\n--B--");
        assert_eq!(
            parse_multipart(missing_name.as_bytes(), "B"),
            Err(MultipartError::MissingName { part: 2 })
        );
        let not_header = b"--B\r\nthis is not a header\r\n\r\n1\r\n--B--";
        assert_eq!(
            parse_multipart(not_header, "B"),
            Err(MultipartError::MalformedHeaders { part: 1 })
        );
        let unterminated = b"--B\r\nContent-Disposition: form-data; name=a\r\n--B--";
        assert_eq!(
            parse_multipart(unterminated, "B"),
            Err(MultipartError::MalformedHeaders { part: 1 })
        );
        let bad_utf8 = b"--B\r\nContent-Disposition: form-data; name=\"t\"\r\n\r\n\xff\xfe\r\n--B--";
        let err = parse_multipart(bad_utf8, "B").unwrap_err();
        assert_eq!(err, MultipartError::FieldNotUtf8 { name: "t".into() });
        assert_eq!(err.to_string(), "Multipart field 't' is not valid UTF-8");
    }

    #[test]
    fn part_and_header_limits() {
        let part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
        let at_limit = format!("{}--B--", part.repeat(MAX_PARTS));
        let parsed = parse_multipart(at_limit.as_bytes(), "B").unwrap();
        assert_eq!(parsed.fields.len(), MAX_PARTS);
        let over = format!("{}--B--", part.repeat(MAX_PARTS + 1));
        let err = parse_multipart(over.as_bytes(), "B").unwrap_err();
        assert_eq!(err, MultipartError::TooManyParts { limit: 1000 });
        assert_eq!(err.to_string(), "Multipart body has more than 1000 parts");

        let big = format!(
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Big: {}\r\n\r\n1\r\n--B--",
            "y".repeat(MAX_HEADER_BYTES)
        );
        assert_eq!(
            parse_multipart(big.as_bytes(), "B"),
            Err(MultipartError::HeadersTooLarge { part: 1, limit: 8192 })
        );
        // Large content after small headers is fine.
        let big_content = format!(
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n{}\r\n--B--",
            "z".repeat(3 * MAX_HEADER_BYTES)
        );
        let parsed = parse_multipart(big_content.as_bytes(), "B").unwrap();
        assert_eq!(parsed.fields[0].1.len(), 3 * MAX_HEADER_BYTES);
    }

    #[test]
    fn empty_multipart_body_with_only_close_delimiter() {
        let parsed = parse_multipart(b"--B--\r\n", "B").unwrap();
        assert_eq!(parsed, MultipartBody::default());
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let fields = vec![
            ("title".to_owned(), "Hello, world".to_owned()),
            ("multi\"line".to_owned(), "a\r\nb\r\n\r\n".to_owned()),
            ("title".to_owned(), String::new()),
            ("unicode".to_owned(), "naïve € ✓".to_owned()),
        ];
        let files = vec![
            file(
                "doc",
                "report \"final\".txt",
                "text/plain; charset=utf-8",
                b"line1\r\nline2\r\n",
            ),
            file("img", "C:\\path\\pic.png", "image/png", b"\x89PNG\r\n\x1a\n\0\0\r\n--"),
            file("img", "", "", b""),
            file(
                "bin",
                "données.bin",
                "application/octet-stream",
                &(0..=255u8).collect::<Vec<_>>(),
            ),
        ];
        let (content_type, body) = encode_multipart(&fields, &files);
        assert!(content_type.starts_with("multipart/form-data; boundary="));
        let boundary = boundary_from_content_type(&content_type).unwrap();
        let parsed = parse_multipart(&body, &boundary).unwrap();
        assert_eq!(parsed.fields, fields);
        let mut expected = files.clone();
        expected[2].content_type = DEFAULT_FILE_CONTENT_TYPE.into();
        assert_eq!(parsed.files, expected);

        let (_, empty) = encode_multipart(&[], &[]);
        let (ct, _) = encode_multipart(&[], &[]);
        let b = boundary_from_content_type(&ct).unwrap();
        assert_eq!(parse_multipart(&empty, &b).unwrap(), MultipartBody::default());
    }

    #[test]
    fn encode_avoids_boundaries_present_in_content() {
        // The first candidate boundary depends only on the names, so put it in a value.
        let (ct, _) = encode_multipart(&[("a".into(), "x".into())], &[]);
        let first = boundary_from_content_type(&ct).unwrap();
        let fields = vec![("a".to_owned(), format!("x\r\n--{first}--\r\n"))];
        let (ct, body) = encode_multipart(&fields, &[]);
        let boundary = boundary_from_content_type(&ct).unwrap();
        assert_ne!(boundary, first);
        assert_eq!(parse_multipart(&body, &boundary).unwrap().fields, fields);
        // Same for file data.
        let (ct, _) = encode_multipart(&[], &[file("f", "n", "", b"")]);
        let first = boundary_from_content_type(&ct).unwrap();
        let files_colliding = vec![file("f", "n", "text/plain", format!("--{first}--").as_bytes())];
        let (ct, body) = encode_multipart(&[], &files_colliding);
        let boundary = boundary_from_content_type(&ct).unwrap();
        assert_ne!(boundary, first);
        assert_eq!(parse_multipart(&body, &boundary).unwrap().files, files_colliding);
    }

    #[test]
    fn never_panics_on_truncated_or_garbage_bodies() {
        let files = vec![file("f", "a.bin", "application/octet-stream", b"\r\n--\r\n\0\xff")];
        let fields = vec![("k".to_owned(), "v".to_owned())];
        let (ct, body) = encode_multipart(&fields, &files);
        let boundary = boundary_from_content_type(&ct).unwrap();
        // Every truncation before the closing `--boundary--` fails; only the final CRLF is optional.
        for len in 0..body.len() {
            let result = parse_multipart(&body[..len], &boundary);
            if len < body.len() - 2 {
                assert!(result.is_err(), "truncated at {len} should fail");
            } else {
                assert_eq!(result.unwrap().files, files);
            }
        }
        // Every prefix removed and every single-byte corruption.
        for start in 0..body.len() {
            let _ = parse_multipart(&body[start..], &boundary);
        }
        for i in 0..body.len() {
            for replacement in [b'\r', b'\n', b'-', b'"', b';', b'\\', 0xff] {
                let mut corrupted = body.clone();
                corrupted[i] = replacement;
                let _ = parse_multipart(&corrupted, &boundary);
            }
        }
        // Pseudo-random garbage, with and without delimiters sprinkled in.
        let mut seed: u32 = 0x1234_5678;
        for round in 0..300 {
            let mut garbage = Vec::new();
            for _ in 0..(round % 97) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let pick = (seed % 12) as usize;
                let chunk: &[u8] = match pick {
                    0 => b"--B",
                    1 => b"\r\n",
                    2 => b"--",
                    3 => b"Content-Disposition: form-data; name=",
                    4 => b"\"",
                    5 => b"; filename*=UTF-8''%",
                    6 => b"\n",
                    7 => b":",
                    8 => b"\\",
                    _ => &[seed.to_le_bytes()[1]],
                };
                garbage.extend_from_slice(chunk);
            }
            let _ = parse_multipart(&garbage, "B");
        }
        for ct in ["boundary", ";", "a;b=\"", "x; boundary=\"\\", "; =; ==\"\"\\\""] {
            let _ = boundary_from_content_type(ct);
        }
    }
}
