//! File type detection from magic numbers, and MIME type comparison.
//!
//! Only binary formats with distinctive signatures are detected; text formats (HTML,
//! JSON, CSV, SVG, ...) are never reported, so [`detect_mime`] returns `None` for them.
//!
//! ```
//! use spikard_core::body::magic::{detect_mime, magic_hex, mime_matches};
//! let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
//! assert_eq!(detect_mime(png), Some("image/png"));
//! assert_eq!(magic_hex(png), "89504e470d0a1a0a");
//! assert!(mime_matches("image/jpg", "image/jpeg"));
//! assert!(!mime_matches("image/jpeg", "image/png"));
//! ```

use std::fmt::Write as _;

/// A signature: `bytes` must appear at `offset`.
struct Signature {
    offset: usize,
    bytes: &'static [u8],
    mime: &'static str,
}

const fn sig(offset: usize, bytes: &'static [u8], mime: &'static str) -> Signature {
    Signature { offset, bytes, mime }
}

/// Fixed signatures, checked in order (longer and more specific ones first).
const SIGNATURES: &[Signature] = &[
    sig(0, b"\x89PNG\r\n\x1a\n", "image/png"),
    sig(0, b"\xff\xd8\xff", "image/jpeg"),
    sig(0, b"GIF87a", "image/gif"),
    sig(0, b"GIF89a", "image/gif"),
    sig(0, b"II*\0", "image/tiff"),
    sig(0, b"MM\0*", "image/tiff"),
    sig(0, b"8BPS", "image/vnd.adobe.photoshop"),
    sig(0, b"\0\0\x01\0", "image/x-icon"),
    sig(0, b"\0\0\0\x0cJXL \r\n\x87\n", "image/jxl"),
    sig(0, b"%PDF-", "application/pdf"),
    sig(0, b"{\\rtf", "application/rtf"),
    sig(0, b"PK\x03\x04", "application/zip"),
    sig(0, b"PK\x05\x06", "application/zip"),
    sig(0, b"PK\x07\x08", "application/zip"),
    sig(0, b"\x1f\x8b", "application/gzip"),
    sig(0, b"BZh", "application/x-bzip2"),
    sig(0, b"\xfd7zXZ\0", "application/x-xz"),
    sig(0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    sig(0, b"Rar!\x1a\x07", "application/vnd.rar"),
    sig(0, b"\x28\xb5\x2f\xfd", "application/zstd"),
    sig(257, b"ustar", "application/x-tar"),
    sig(0, b"\0asm", "application/wasm"),
    sig(0, b"\x7fELF", "application/x-executable"),
    sig(0, b"SQLite format 3\0", "application/vnd.sqlite3"),
    sig(0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    sig(0, b"ID3", "audio/mpeg"),
    sig(0, b"\xff\xfb", "audio/mpeg"),
    sig(0, b"\xff\xf3", "audio/mpeg"),
    sig(0, b"\xff\xf2", "audio/mpeg"),
    sig(0, b"fLaC", "audio/flac"),
    sig(0, b"OggS", "application/ogg"),
    sig(0, b"MThd", "audio/midi"),
    sig(0, b"#!AMR", "audio/amr"),
    sig(0, b"\x1aE\xdf\xa3", "video/webm"),
    sig(0, b"FLV\x01", "video/x-flv"),
    sig(0, b"wOFF", "font/woff"),
    sig(0, b"wOF2", "font/woff2"),
    sig(0, b"OTTO", "font/otf"),
    sig(0, b"\0\x01\0\0\0", "font/ttf"),
];

/// Detect a file's MIME type from its leading bytes: png, jpeg, gif, webp, bmp, pdf, zip,
/// gzip, tiff, ico, mp3 (ID3 or frame sync), mp4/ftyp family (mp4, m4a, mov, 3gp, heic,
/// avif), wasm, wav, avi, aiff, flac, ogg, webm/mkv, 7z, rar, bzip2, xz, zstd, tar,
/// psd, rtf, sqlite, woff/woff2/otf/ttf, ...; `None` if unknown.
pub fn detect_mime(data: &[u8]) -> Option<&'static str> {
    if let Some(mime) = detect_container(data) {
        return Some(mime);
    }
    if let Some(signature) = SIGNATURES
        .iter()
        .find(|s| data.get(s.offset..).is_some_and(|rest| rest.starts_with(s.bytes)))
    {
        return Some(signature.mime);
    }
    // BMP: "BM", then a 4-byte size and 4 reserved zero bytes (two letters alone are too weak).
    if data.len() >= 14 && data.starts_with(b"BM") && data[6..10] == [0, 0, 0, 0] {
        return Some("image/bmp");
    }
    None
}

/// Formats identified by a four-character code inside a container header.
fn detect_container(data: &[u8]) -> Option<&'static str> {
    if data.len() >= 12 && data.starts_with(b"RIFF") {
        return match &data[8..12] {
            b"WEBP" => Some("image/webp"),
            b"WAVE" => Some("audio/wav"),
            b"AVI " => Some("video/x-msvideo"),
            _ => None,
        };
    }
    if data.len() >= 12 && data.starts_with(b"FORM") {
        return match &data[8..12] {
            b"AIFF" | b"AIFC" => Some("audio/aiff"),
            _ => None,
        };
    }
    if data.len() >= 12 && &data[4..8] == b"ftyp" {
        return Some(match &data[8..12] {
            b"avif" | b"avis" => "image/avif",
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" => "image/heic",
            b"mif1" | b"msf1" => "image/heif",
            b"qt  " => "video/quicktime",
            b"M4A " | b"M4B " | b"M4P " => "audio/mp4",
            b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3gs7" | b"3ge6" | b"3ge7" | b"3gg6" => "video/3gpp",
            b"3g2a" | b"3g2b" | b"3g2c" => "video/3gpp2",
            _ => "video/mp4",
        });
    }
    None
}

/// Hex (lowercase) of the first up to 8 bytes, e.g. `"89504e470d0a1a0a"`.
pub fn magic_hex(data: &[u8]) -> String {
    let mut out = String::with_capacity(16);
    for b in data.iter().take(8) {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Whether `declared` (a MIME type, parameters ignored, case-insensitive; `image/jpg`
/// counts as `image/jpeg`) agrees with `detected`.
///
/// Common aliases are equivalent (`application/x-gzip` = `application/gzip`,
/// `audio/mp3` = `audio/mpeg`, `audio/x-wav` = `audio/wav`, ...), members of a family
/// agree (`audio/ogg` with `application/ogg`, `video/x-matroska` with `video/webm`,
/// `audio/mp4` with `video/mp4`), ZIP-based formats (docx, xlsx, odt, epub, jar, ...)
/// agree with `application/zip`, and OLE-based Office formats (doc, xls, ppt, msg) with
/// `application/x-ole-storage`. `declared` may also be a wildcard: `image/*` or `*/*`.
pub fn mime_matches(declared: &str, detected: &str) -> bool {
    let declared = essence(declared);
    let detected = essence(detected);
    if declared.is_empty() || detected.is_empty() {
        return false;
    }
    if declared == "*/*" {
        return true;
    }
    if let Some(top) = declared.strip_suffix("/*") {
        return detected.split('/').next() == Some(top);
    }
    let declared = canonical(&declared);
    let detected = canonical(&detected);
    if declared == detected {
        return true;
    }
    match (family(declared), family(detected)) {
        (Some(a), Some(b)) if a == b => return true,
        _ => {}
    }
    (detected == "application/zip" && ZIP_BASED.contains(&declared))
        || (detected == "application/x-ole-storage" && OLE_BASED.contains(&declared))
}

/// The lowercase `type/subtype`, parameters and whitespace removed.
fn essence(mime: &str) -> String {
    mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Map an alias to its canonical name.
fn canonical(mime: &str) -> &str {
    match mime {
        "image/jpg" | "image/pjpeg" | "image/jpe" => "image/jpeg",
        "image/x-png" => "image/png",
        "image/x-ms-bmp" | "image/x-bmp" => "image/bmp",
        "image/vnd.microsoft.icon" | "image/ico" | "image/icon" => "image/x-icon",
        "image/x-tiff" => "image/tiff",
        "image/heic-sequence" => "image/heic",
        "image/heif-sequence" => "image/heif",
        "application/x-pdf" => "application/pdf",
        "text/rtf" => "application/rtf",
        "application/x-gzip" | "application/gzip-compressed" | "application/x-gzip-compressed" => "application/gzip",
        "application/x-zip-compressed" | "application/x-zip" | "multipart/x-zip" => "application/zip",
        "application/x-rar-compressed" | "application/x-rar" => "application/vnd.rar",
        "application/x-bzip" => "application/x-bzip2",
        "application/x-zstd" => "application/zstd",
        "application/x-sqlite3" => "application/vnd.sqlite3",
        "application/x-elf" | "application/x-sharedlib" => "application/x-executable",
        "application/x-photoshop" | "image/photoshop" | "image/x-photoshop" | "image/psd" => {
            "image/vnd.adobe.photoshop"
        }
        "audio/mp3" | "audio/x-mp3" | "audio/mpeg3" | "audio/x-mpeg" | "audio/mpg" => "audio/mpeg",
        "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => "audio/wav",
        "audio/x-flac" => "audio/flac",
        "audio/x-aiff" => "audio/aiff",
        "audio/mid" | "audio/x-midi" => "audio/midi",
        "video/avi" | "video/msvideo" => "video/x-msvideo",
        "application/font-woff" | "application/x-font-woff" => "font/woff",
        "application/x-font-otf" | "application/font-sfnt" => "font/otf",
        "application/x-font-ttf" | "application/x-font-truetype" => "font/ttf",
        other => other,
    }
}

/// Groups of types that share one container format and cannot be told apart by magic.
fn family(mime: &str) -> Option<u8> {
    match mime {
        "application/ogg" | "audio/ogg" | "video/ogg" | "audio/opus" | "audio/vorbis" => Some(1),
        "video/webm" | "audio/webm" | "video/x-matroska" | "audio/x-matroska" => Some(2),
        "video/mp4" | "audio/mp4" | "application/mp4" | "audio/x-m4a" | "audio/m4a" | "video/x-m4v" | "audio/aac" => {
            Some(3)
        }
        "image/heic" | "image/heif" => Some(4),
        "video/3gpp" | "audio/3gpp" | "video/3gpp2" | "audio/3gpp2" => Some(5),
        "font/ttf" | "font/otf" | "font/sfnt" => Some(6),
        _ => None,
    }
}

/// Declared types whose files are ZIP archives.
const ZIP_BASED: &[&str] = &[
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow",
    "application/vnd.openxmlformats-officedocument.presentationml.template",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/vnd.oasis.opendocument.graphics",
    "application/epub+zip",
    "application/java-archive",
    "application/x-java-archive",
    "application/vnd.android.package-archive",
    "application/vnd.apple.keynote",
    "application/vnd.apple.pages",
    "application/vnd.apple.numbers",
    "application/x-xpinstall",
    "model/vnd.usdz+zip",
];

/// Declared types whose files are OLE compound documents.
const OLE_BASED: &[&str] = &[
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "application/vnd.visio",
    "application/x-msi",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(prefix: &[u8]) -> Vec<u8> {
        let mut v = prefix.to_vec();
        v.resize(prefix.len().max(32), 0x11);
        v
    }

    #[test]
    fn detects_common_formats() {
        let cases: &[(&[u8], &str)] = &[
            (b"\x89PNG\r\n\x1a\n", "image/png"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
            (b"GIF89a", "image/gif"),
            (b"GIF87a", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
            (b"RIFF\x24\0\0\0AVI LIST", "video/x-msvideo"),
            (b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0", "image/bmp"),
            (b"%PDF-1.7\n", "application/pdf"),
            (b"PK\x03\x04\x14\0", "application/zip"),
            (b"PK\x05\x06", "application/zip"),
            (b"\x1f\x8b\x08\0", "application/gzip"),
            (b"II*\0\x08\0\0\0", "image/tiff"),
            (b"MM\0*\0\0\0\x08", "image/tiff"),
            (b"\0\0\x01\0\x01\0\x10\x10", "image/x-icon"),
            (b"ID3\x04\0\0", "audio/mpeg"),
            (b"\xff\xfb\x90\x64", "audio/mpeg"),
            (b"\0\0\0\x18ftypmp42\0\0\0\0", "video/mp4"),
            (b"\0\0\0\x20ftypisom\0\0\x02\0", "video/mp4"),
            (b"\0\0\0\x20ftypM4A \0\0\0\0", "audio/mp4"),
            (b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
            (b"\0\0\0\x18ftypheic\0\0\0\0", "image/heic"),
            (b"\0\0\0\x1cftypavif\0\0\0\0", "image/avif"),
            (b"\0asm\x01\0\0\0", "application/wasm"),
            (b"7z\xbc\xaf\x27\x1c\0\x04", "application/x-7z-compressed"),
            (b"Rar!\x1a\x07\x01\0", "application/vnd.rar"),
            (b"BZh91AY&SY", "application/x-bzip2"),
            (b"\xfd7zXZ\0\0\x04", "application/x-xz"),
            (b"fLaC\0\0\0\x22", "audio/flac"),
            (b"OggS\0\x02", "application/ogg"),
            (b"\x1aE\xdf\xa3\x9fB\x86\x81", "video/webm"),
            (b"FORM\0\0\0\x10AIFFCOMM", "audio/aiff"),
            (b"SQLite format 3\0", "application/vnd.sqlite3"),
            (b"wOF2\0\x01\0\0", "font/woff2"),
            (b"\x7fELF\x02\x01\x01", "application/x-executable"),
            (b"{\\rtf1\\ansi", "application/rtf"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(detect_mime(bytes), Some(*expected), "{}", magic_hex(bytes));
            assert_eq!(detect_mime(&padded(bytes)), Some(*expected));
        }
        let mut tar = vec![0u8; 512];
        tar[..5].copy_from_slice(b"a.txt");
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(detect_mime(&tar), Some("application/x-tar"));
    }

    #[test]
    fn unknown_text_and_short_inputs_are_none() {
        let cases: &[&[u8]] = &[
            b"",
            b"\x89PN",
            b"\xff\xd8",
            b"GIF8",
            b"hello world",
            b"{\"json\": true}",
            b"<!DOCTYPE html><html>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"BMW is a car brand, not a bitmap",
            b"BM",
            b"RIFF\0\0\0\0XXXX",
            b"RIFF",
            b"\0\0\0\x18ftyp",
            b"PK",
        ];
        for bytes in cases {
            assert_eq!(detect_mime(bytes), None, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn magic_hex_is_lowercase_and_capped_at_eight_bytes() {
        assert_eq!(magic_hex(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "89504e470d0a1a0a");
        assert_eq!(magic_hex(b"\xff\xd8\xff"), "ffd8ff");
        assert_eq!(magic_hex(b"\xAB"), "ab");
        assert_eq!(magic_hex(b""), "");
    }

    #[test]
    fn mime_matching_rules() {
        assert!(mime_matches("image/png", "image/png"));
        assert!(mime_matches("IMAGE/PNG", "image/png"));
        assert!(mime_matches("image/png; charset=binary", "image/png"));
        assert!(mime_matches(" image/jpg ", "image/jpeg"));
        assert!(mime_matches("image/jpeg", "image/jpg"));
        assert!(mime_matches("image/pjpeg", "image/jpeg"));
        assert!(mime_matches("application/x-gzip", "application/gzip"));
        assert!(mime_matches("audio/mp3", "audio/mpeg"));
        assert!(mime_matches("audio/x-wav", "audio/wav"));
        assert!(mime_matches("image/vnd.microsoft.icon", "image/x-icon"));
        assert!(mime_matches("audio/ogg", "application/ogg"));
        assert!(mime_matches("video/x-matroska", "video/webm"));
        assert!(mime_matches("audio/mp4", "video/mp4"));
        assert!(mime_matches(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/zip"
        ));
        assert!(mime_matches("application/msword", "application/x-ole-storage"));
        assert!(mime_matches("image/*", "image/webp"));
        assert!(mime_matches("*/*", "application/pdf"));

        assert!(!mime_matches("image/jpeg", "image/png"));
        assert!(!mime_matches("image/*", "application/pdf"));
        assert!(!mime_matches("application/pdf", "application/zip"));
        assert!(!mime_matches("text/plain", "application/x-executable"));
        // A ZIP is not a docx: the relation is one way.
        assert!(!mime_matches(
            "application/zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
        assert!(!mime_matches("", "image/png"));
        assert!(!mime_matches("image/png", ""));
        assert!(!mime_matches("application/octet-stream", "image/png"));
    }

    #[test]
    fn detected_types_match_their_own_declarations() {
        for s in SIGNATURES {
            assert!(mime_matches(s.mime, s.mime), "{}", s.mime);
        }
    }
}
