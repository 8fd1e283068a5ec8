//! Plays every fixture of `testing_data/` (or `SPIKARD_FIXTURES=DIR`) and ends with
//! `N passed, M failed`. Fixtures listed in `e2e/known_failures.json` with a reason
//! are counted as skipped; a listed fixture that passes fails the run (stale list).

use spikard_e2e::fixture::{fixture_dir, load_dir, workspace_root};
use spikard_e2e::known::{KnownFailures, Tally};
use spikard_e2e::play_fixture;

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
    let mut tally = Tally::default();
    println!("playing {} fixtures from {}", fixtures.len(), dir.display());
    for f in &fixtures {
        if f.json.get("skip").and_then(serde_json::Value::as_bool) == Some(true) {
            tally.skipped += 1;
            continue;
        }
        tally.add(f, runtime.block_on(play_fixture(f)), &known);
    }
    println!("{}", tally.summary());
    if tally.failed > 0 {
        std::process::exit(1);
    }
}
