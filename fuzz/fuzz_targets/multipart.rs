//! `multipart/form-data`: the boundary from a Content-Type, the part parser, MIME sniffing
//! of uploaded files, and an encode/parse round trip of what was parsed.
//!
//! Input: a request in the format of `spikard_fuzz::parse_wire`; its `content-type`
//! header gives the boundary (the input's first line is used when there is none) and
//! its body is the multipart body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spikard_core::body::multipart::{boundary_from_content_type, encode_multipart, parse_multipart, MultipartError};
use spikard_core::body::{detect_mime, magic_hex, mime_matches};

fuzz_target!(|data: &[u8]| {
    let wire = spikard_fuzz::parse_wire(data);
    let content_type = wire
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(b"content-type"))
        .and_then(|(_, v)| std::str::from_utf8(v).ok());
    let boundary = match content_type {
        Some(ct) => boundary_from_content_type(ct),
        None => std::str::from_utf8(wire.target).ok().map(str::to_owned),
    };
    let Some(boundary) = boundary else {
        return;
    };
    let Ok(parsed) = parse_multipart(wire.body, &boundary) else {
        return;
    };
    for file in &parsed.files {
        let _ = magic_hex(&file.data);
        if let Some(mime) = detect_mime(&file.data) {
            let _ = mime_matches(&file.content_type, mime);
        }
    }
    // What the parser returns, encoded again, parses to the same values and files. Names
    // keep their text unless they hold CR or LF, which the encoder writes as `%0D`/`%0A`
    // (as browsers do) and a parser leaves as written.
    let (ct, body) = encode_multipart(&parsed.fields, &parsed.files);
    let again_boundary = boundary_from_content_type(&ct).expect("encode_multipart names its boundary");
    let again = match parse_multipart(&body, &again_boundary) {
        Ok(again) => again,
        // Escaping (and bytes that were not UTF-8, now U+FFFD) can grow a part's headers
        // past the limit the parser enforces; nothing else may fail.
        Err(MultipartError::HeadersTooLarge { .. }) => return,
        Err(e) => panic!("an encoded body does not parse: {e}"),
    };
    let plain = |name: &str| !name.contains(['\r', '\n']);
    assert_eq!(again.fields.len(), parsed.fields.len());
    for ((ka, va), (kb, vb)) in again.fields.iter().zip(&parsed.fields) {
        assert_eq!(va, vb);
        if plain(kb) {
            assert_eq!(ka, kb);
        }
    }
    assert_eq!(again.files.len(), parsed.files.len());
    for (a, b) in again.files.iter().zip(&parsed.files) {
        if plain(&b.field_name) {
            assert_eq!(a.field_name, b.field_name);
        }
        assert_eq!(a.data, b.data);
    }
});
