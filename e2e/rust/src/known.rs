//! Known failures: fixtures (or whole categories) that cannot pass yet, each with its reason.
//! A listed fixture that passes is reported, so the list never goes stale.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::fixture::Fixture;
use crate::play::Outcome;

#[derive(Debug, Default, Deserialize)]
pub struct KnownFailures {
    /// Category name -> reason.
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// `category/file.json` -> reason.
    #[serde(default)]
    pub fixtures: BTreeMap<String, String>,
}

impl KnownFailures {
    pub fn load(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The reason a fixture is expected to fail, if listed.
    pub fn reason(&self, id: &str, category: &str) -> Option<&str> {
        self.fixtures
            .get(id)
            .or_else(|| self.categories.get(category))
            .map(String::as_str)
    }
}

/// A run's counts; [`Tally::add`] prints a line per failure.
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Tally {
    /// Count one fixture's outcome by the known-failure rules: a listed fixture that fails is
    /// skipped, one that passes fails the run (the list is stale); a fixture of a listed
    /// category may pass.
    pub fn add(&mut self, f: &Fixture, outcome: Outcome, known: &KnownFailures) {
        match (outcome, known.reason(&f.id, &f.category)) {
            (Outcome::Passed, None) => self.passed += 1,
            (Outcome::Passed, Some(_)) if !known.fixtures.contains_key(&f.id) => self.passed += 1,
            (Outcome::Passed, Some(reason)) => {
                self.failed += 1;
                println!(
                    "FAIL {}: listed as a known failure ({reason}) but passes; remove it from e2e/known_failures.json",
                    f.id
                );
            }
            (Outcome::Failed(_), Some(reason)) => {
                self.skipped += 1;
                println!("known {}: {reason}", f.id);
            }
            (Outcome::Failed(problems), None) => {
                self.failed += 1;
                for p in problems {
                    println!("FAIL {}: {p}", f.id);
                }
            }
        }
    }

    /// The summary line.
    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}
