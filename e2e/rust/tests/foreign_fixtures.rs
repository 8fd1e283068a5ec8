//! Plays every fixture of `testing_data/` (or `SPIKARD_FIXTURES=DIR`) through the
//! foreign-call layer with the test-only binding (`spikard_e2e::foreign_binding`), once
//! with sync and once with async functions, and ends with `N passed, M failed, K skipped`.
//! The known-failure rules are those of `tests/fixtures.rs` (`e2e/known_failures.json`).
//! Fixtures of a category the layer cannot play yet (`foreign_binding::NOT_PLAYED`) are
//! counted as skipped, and the category is named once with the reason.

use std::collections::BTreeSet;
use std::time::Duration;

use spikard_e2e::fixture::{fixture_dir, load_dir, workspace_root};
use spikard_e2e::foreign_binding::{not_played, play_fixture, Mode};
use spikard_e2e::known::{KnownFailures, Tally};
use spikard_e2e::Outcome;

/// A fixture that has not finished by then (a reply that never comes) fails instead of
/// stalling the run.
const FIXTURE_LIMIT: Duration = Duration::from_secs(10);

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
    let mut named = BTreeSet::new();
    println!(
        "playing {} fixtures from {} through the foreign-call layer",
        fixtures.len(),
        dir.display()
    );
    for f in &fixtures {
        if f.json.get("skip").and_then(serde_json::Value::as_bool) == Some(true) {
            tally.skipped += 1;
            continue;
        }
        if let Some((category, reason)) = not_played(f) {
            if named.insert(category) {
                println!("not played through the foreign layer: {category} ({reason})");
            }
            tally.skipped += 1;
            continue;
        }
        let mut problems = Vec::new();
        for (mode, label) in [(Mode::Sync, "sync"), (Mode::Async, "async")] {
            let played = runtime.block_on(async { tokio::time::timeout(FIXTURE_LIMIT, play_fixture(f, mode)).await });
            let played = played
                .unwrap_or_else(|_| Outcome::Failed(vec![format!("no outcome within {} s", FIXTURE_LIMIT.as_secs())]));
            if let Outcome::Failed(p) = played {
                problems.extend(p.into_iter().map(|p| format!("[{label}] {p}")));
            }
        }
        let outcome = if problems.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(problems)
        };
        tally.add(f, outcome, &known);
    }
    println!("{}", tally.summary());
    if tally.failed > 0 {
        std::process::exit(1);
    }
}
