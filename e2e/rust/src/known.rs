//! Known failures: fixtures (or whole categories) that cannot pass yet, each with its reason.
//! A listed fixture that passes is reported, so the list never goes stale.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

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
