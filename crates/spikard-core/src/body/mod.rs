//! Request body decoding that needs no I/O: `application/x-www-form-urlencoded`
//! ([`urlencoded`], with bracket notation expanded by [`form_nesting`]), buffered `multipart/form-data` ([`multipart`]), and file type
//! detection from magic numbers ([`magic`]).
//!
//! Every function here works on bytes already in memory and never panics on
//! malformed input; errors carry user-facing messages suitable for an RFC 9457 `detail`.

pub mod form_nesting;
pub mod magic;
pub mod multipart;
pub mod urlencoded;

pub use magic::{detect_mime, magic_hex, mime_matches};
pub use multipart::{
    boundary_from_content_type, encode_multipart, parse_multipart, MultipartBody, MultipartError, UploadedFile,
};
pub use urlencoded::{parse_pairs, parse_urlencoded, UrlencodedError};
