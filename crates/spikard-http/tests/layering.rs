//! Lower modules never import upper ones: middleware, WebSocket, DI, responses,
//! handlers, hooks and the other building blocks must not name the pipeline,
//! the server, the test client or the documentation routes (which are built on
//! top of them). A problem response, for instance, comes from
//! `response::error_response`, not from the pipeline.

use std::fs;
use std::path::{Path, PathBuf};

/// Modules (a file `src/NAME.rs` and/or a directory `src/NAME/`) below the pipeline.
const LOWER: [&str; 14] = [
    "background",
    "client_ip",
    "cookies",
    "di",
    "handler",
    "hooks",
    "layer",
    "limits",
    "middleware",
    "response",
    "route",
    "sse",
    "streaming",
    "websocket",
];

/// Modules built on the lower ones (`service`: the pipeline as a tower service).
const UPPER: [&str; 5] = ["pipeline", "server", "service", "testing", "docs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn lower_files() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for module in LOWER {
        let file = src.join(format!("{module}.rs"));
        if file.is_file() {
            files.push(file);
        }
        rust_files(&src.join(module), &mut files);
    }
    files.sort();
    files
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` starts with the identifier `word` (not merely a longer name).
fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word).is_some_and(|rest| !rest.starts_with(is_ident))
}

/// The upper modules `text` starts with.
fn names(text: &str) -> impl Iterator<Item = &'static str> + '_ {
    UPPER.into_iter().filter(move |m| starts_with_word(text, m))
}

/// Where a scan stands inside a grouped `crate::{...}` import, across lines.
#[derive(Default)]
struct Group {
    /// Brace depth inside the group (0: not in one).
    depth: usize,
    /// The next item of the group's top level has not started yet.
    item_start: bool,
}

/// The upper modules one line names: `crate::pipeline...`, or a top-level item of
/// a grouped `crate::{...}` import (possibly spread over lines).
fn upper_mentions(line: &str, group: &mut Group) -> Vec<&'static str> {
    let mut found = Vec::new();
    for (at, c) in line.char_indices() {
        let rest = &line[at..];
        if group.depth == 0 {
            if let Some(path) = rest.strip_prefix("crate::") {
                found.extend(names(path));
            }
            if c == '{' && line[..at].ends_with("crate::") {
                *group = Group {
                    depth: 1,
                    item_start: true,
                };
            }
            continue;
        }
        match c {
            '{' => group.depth += 1,
            '}' => group.depth -= 1,
            ',' if group.depth == 1 => group.item_start = true,
            c if c.is_whitespace() => {}
            _ if group.item_start && group.depth == 1 => {
                found.extend(names(rest));
                group.item_start = false;
            }
            _ => {}
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[test]
fn lower_modules_do_not_import_upper_ones() {
    let files = lower_files();
    assert!(files.len() > 20, "the lower modules were not found: {files:?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offences = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut group = Group::default();
        for (n, line) in text.lines().enumerate() {
            for module in upper_mentions(line, &mut group) {
                let name = file.strip_prefix(root).unwrap_or(file).display();
                offences.push(format!("{name}:{}: mentions crate::{module}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "lower modules import upper ones:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_paths_and_grouped_imports() {
    let mut group = Group::default();
    assert_eq!(
        upper_mentions("use crate::pipeline::error_response;", &mut group),
        ["pipeline"]
    );
    assert_eq!(
        upper_mentions("    return crate::server::serve(x);", &mut group),
        ["server"]
    );
    assert!(upper_mentions("use crate::pipelines::x; use crate::documents;", &mut group).is_empty());
    assert_eq!(
        upper_mentions("use crate::{handler::RequestData, docs};", &mut group),
        ["docs"]
    );
    assert_eq!(group.depth, 0);
    assert_eq!(
        upper_mentions("use crate::{a::{b, c}, docs::mount};", &mut group),
        ["docs"]
    );
    assert!(upper_mentions("use crate::{a::{pipeline, c}};", &mut group).is_empty());
    assert!(upper_mentions("use crate::{", &mut group).is_empty());
    assert_eq!(group.depth, 1);
    assert_eq!(upper_mentions("    testing::TestClient,", &mut group), ["testing"]);
    assert!(upper_mentions("};", &mut group).is_empty());
    assert_eq!(group.depth, 0);
    assert!(upper_mentions("    testing::TestClient,", &mut group).is_empty());
}
