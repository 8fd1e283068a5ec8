//! Plays every fixture of `testing_data/` (or `SPIKARD_FIXTURES=DIR`) and ends with
//! `N passed, M failed`. Fixtures listed in `e2e/known_failures.json` with a reason
//! are counted as skipped; a listed fixture that passes fails the run (stale list).

use std::path::{Path, PathBuf};

use spikard_e2e::fixture::load_dir;
use spikard_e2e::known::KnownFailures;
use spikard_e2e::{play_fixture, Outcome};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

fn fixture_dir() -> PathBuf {
    match std::env::var("SPIKARD_FIXTURES") {
        Ok(dir) if !dir.is_empty() => {
            let p = PathBuf::from(&dir);
            if p.is_absolute() || p.exists() {
                p
            } else {
                workspace_root().join(p)
            }
        }
        _ => workspace_root().join("testing_data"),
    }
}

fn main() {
    let dir = fixture_dir();
    let fixtures = match load_dir(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if fixtures.is_empty() {
        eprintln!("no fixtures found in {}", dir.display());
        std::process::exit(2);
    }
    let known = KnownFailures::load(&workspace_root().join("e2e/known_failures.json")).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    println!("playing {} fixtures from {}", fixtures.len(), dir.display());
    for f in &fixtures {
        if f.json.get("skip").and_then(serde_json::Value::as_bool) == Some(true) {
            skipped += 1;
            continue;
        }
        let outcome = runtime.block_on(play_fixture(f));
        match (outcome, known.reason(&f.id, &f.category)) {
            (Outcome::Passed, None) => passed += 1,
            (Outcome::Passed, Some(_)) if !known.fixtures.contains_key(&f.id) => passed += 1,
            (Outcome::Passed, Some(reason)) => {
                failed += 1;
                println!(
                    "FAIL {}: listed as a known failure ({reason}) but passes; remove it from e2e/known_failures.json",
                    f.id
                );
            }
            (Outcome::Failed(_), Some(reason)) => {
                skipped += 1;
                println!("known {}: {reason}", f.id);
            }
            (Outcome::Failed(problems), None) => {
                failed += 1;
                for p in problems {
                    println!("FAIL {}: {p}", f.id);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        std::process::exit(1);
    }
}
