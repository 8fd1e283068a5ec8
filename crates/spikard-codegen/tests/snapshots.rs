//! Snapshot tests: the resolver's bundled document and the Python and Rust projects
//! generated from small documents, compared file by file with the checked-in output under
//! `tests/snapshots/`. `SPIKARD_UPDATE_SNAPSHOTS=1` rewrites them (`./task snapshots:cli`);
//! review the diff before committing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use spikard_codegen::emit::{Dto, Lang, Options};
use spikard_codegen::output::Files;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn read_tree(dir: &Path, base: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        // Tool caches (ruff's, Python's) that linting a snapshot leaves are not part of it.
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        if path.is_dir() {
            read_tree(&path, base, out);
        } else {
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            out.insert(rel, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// Compare `files` with the snapshot directory `name` (or rewrite it).
fn snapshot(name: &str, files: &Files) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("SPIKARD_UPDATE_SNAPSHOTS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        files.write(&dir, true).unwrap();
        return;
    }
    let mut stored = BTreeMap::new();
    read_tree(&dir, &dir, &mut stored);
    assert!(
        !stored.is_empty(),
        "no snapshot at {}: run ./task snapshots:cli",
        dir.display()
    );
    let generated: Vec<&PathBuf> = files.0.keys().collect();
    let expected: Vec<&PathBuf> = stored.keys().collect();
    assert_eq!(
        generated, expected,
        "{name}: the generated files differ from the snapshot's"
    );
    for (path, content) in &files.0 {
        assert_eq!(
            content,
            &stored[path],
            "{name}: {} differs from the snapshot",
            path.display()
        );
    }
}

fn options(name: &str) -> Options {
    Options {
        name: name.into(),
        dto: Dto::Msgspec,
        spikard_dependency: Some("{ path = \"../spikard\" }".into()),
    }
}

fn bundled(spec: &Path) -> Files {
    let doc = spikard_codegen::resolve::bundle(spec).unwrap();
    let mut files = Files::default();
    files.add("bundled.json", spikard_codegen::emit::pretty(&doc));
    files
}

#[test]
fn multi_file_document() {
    let spec = data("multi-file/openapi.yaml");
    snapshot("multi-file/resolved", &bundled(&spec));
    snapshot(
        "multi-file/python",
        &spikard_codegen::generate_openapi(&spec, Lang::Python, &options("petstore")).unwrap(),
    );
    snapshot(
        "multi-file/rust",
        &spikard_codegen::generate_openapi(&spec, Lang::Rust, &options("petstore")).unwrap(),
    );
}

#[test]
fn shapes_document() {
    let spec = data("shapes.json");
    snapshot("shapes/resolved", &bundled(&spec));
    snapshot(
        "shapes/python",
        &spikard_codegen::generate_openapi(&spec, Lang::Python, &options("shapes")).unwrap(),
    );
    snapshot(
        "shapes/rust",
        &spikard_codegen::generate_openapi(&spec, Lang::Rust, &options("shapes")).unwrap(),
    );
}

#[test]
fn generating_twice_gives_the_same_files() {
    let spec = data("shapes.json");
    for lang in [Lang::Python, Lang::Rust] {
        let a = spikard_codegen::generate_openapi(&spec, lang, &options("shapes")).unwrap();
        let b = spikard_codegen::generate_openapi(&spec, lang, &options("shapes")).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn init_projects() {
    for (lang, name) in [(Lang::Python, "init/python"), (Lang::Rust, "init/rust")] {
        snapshot(
            name,
            &spikard_codegen::emit::init::generate(lang, &options("hello")).unwrap(),
        );
    }
}
