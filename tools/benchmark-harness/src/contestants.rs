//! The contestants, read from `contestants.json` (one entry each): name, language, install
//! step, start command, environment and port handling. Adding one is an app folder plus an
//! entry; see the README, "Adding a contestant".
//!
//! Placeholders in `command` and `env` values: `{port}` (also always in `$PORT`),
//! `{connections}`, `{bin_dir}` (the Rust contestant binaries), `{harness}` (the harness
//! folder), `{work}` (its managed `work/` folder), `{python}` (the managed venv's python) and
//! `{node_modules}` (the managed npm packages).
//!
//! Every server also gets a private temp folder, `work/tmp/<name>-<port>`, as `$TMPDIR`
//! (unless its `env` sets one), deleted with its contents once the server has stopped: Rack's
//! multipart parser writes every upload to a `RackMultipart*` file in it, and the files not yet
//! collected when Puma is killed would otherwise pile up in `/tmp` run after run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::process::Launch;

/// The whole configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// Install steps by name, shared by the contestants that name them.
    #[serde(default)]
    pub(crate) installs: BTreeMap<String, Install>,
    /// In report order.
    pub(crate) contestants: Vec<Contestant>,
}

/// How a runtime's packages get into `work/` (see `install.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Install {
    /// `pip` (venv + `pip install -r file`), `npm` (`npm install` of the `file` manifest),
    /// `check` (run `commands`, install nothing: system packages) or `commands` (run
    /// `commands` in the harness folder, e.g. building a binding).
    pub(crate) kind: String,
    /// Requirements file or package manifest, relative to the harness folder.
    #[serde(default)]
    pub(crate) file: Option<String>,
    /// Folder under `work/` (pip, npm).
    #[serde(default)]
    pub(crate) work: Option<String>,
    #[serde(default)]
    pub(crate) commands: Vec<Vec<String>>,
    /// Shown when the step fails.
    #[serde(default)]
    pub(crate) hint: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Contestant {
    pub(crate) name: String,
    /// `rust` for binaries of this crate; otherwise the language `--peers` filters by.
    pub(crate) language: String,
    /// One line for the report: framework, server, how validation is done.
    pub(crate) description: String,
    /// Name of an entry in `installs`, run once per run before the first start.
    #[serde(default)]
    pub(crate) install: Option<String>,
    /// Working directory, relative to the harness folder.
    #[serde(default)]
    pub(crate) dir: Option<String>,
    /// Program and arguments (placeholders allowed).
    pub(crate) command: Vec<String>,
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
    /// Minimum warm-up whatever `--warmup` says (JIT runtimes: V8 needs a few seconds of load
    /// before its optimizing compiler has caught up).
    #[serde(default)]
    pub(crate) min_warmup_s: f64,
    /// Workloads this contestant cannot serve, with the reason (reported as skipped).
    #[serde(default)]
    pub(crate) unsupported: BTreeMap<String, String>,
}

impl Config {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let config: Config = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut names: Vec<&str> = config.contestants.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("contestant {:?} appears twice", w[0]));
        }
        for c in &config.contestants {
            if c.command.is_empty() {
                return Err(format!("contestant {:?} has an empty command", c.name));
            }
            if let Some(i) = c.install.as_ref().filter(|i| !config.installs.contains_key(*i)) {
                return Err(format!("contestant {:?} names the unknown install step {i:?}", c.name));
            }
        }
        Ok(config)
    }

    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub(crate) fn find(&self, name: &str) -> Option<&Contestant> {
        self.contestants.iter().find(|c| c.name == name)
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.contestants.iter().map(|c| c.name.clone()).collect()
    }
}

/// Where the harness's files are: `apps/` and `contestants.json` (committed), `work/`
/// (installed runtimes and packages, gitignored), and the Rust binaries.
#[derive(Clone, Debug)]
pub(crate) struct Dirs {
    pub(crate) bin: PathBuf,
    pub(crate) harness: PathBuf,
}

impl Dirs {
    pub(crate) fn work(&self) -> PathBuf {
        self.harness.join("work")
    }

    pub(crate) fn python(&self) -> PathBuf {
        self.work().join("py").join("bin").join("python")
    }

    /// Replaces the placeholders in `s`.
    pub(crate) fn expand(&self, s: &str, port: u16, connections: usize) -> String {
        s.replace("{port}", &port.to_string())
            .replace("{connections}", &connections.to_string())
            .replace("{bin_dir}", &self.bin.display().to_string())
            .replace("{harness}", &self.harness.display().to_string())
            .replace("{python}", &self.python().display().to_string())
            .replace(
                "{node_modules}",
                &self.work().join("node").join("node_modules").display().to_string(),
            )
            .replace("{work}", &self.work().display().to_string())
    }
}

/// How to start `c` on `port`, or why it cannot be started.
pub(crate) fn launch(c: &Contestant, port: u16, connections: usize, dirs: &Dirs) -> Result<Launch, String> {
    let mut args = c.command.iter().map(|a| dirs.expand(a, port, connections));
    let program = PathBuf::from(args.next().ok_or("empty command")?);
    if program.components().count() > 1 && !program.is_file() {
        let hint = if c.language == "rust" {
            " (cargo build --release -p benchmark-harness)"
        } else {
            ""
        };
        return Err(format!("{} not found{hint}", program.display()));
    }
    let mut env = vec![("PORT".to_string(), port.to_string())];
    env.extend(
        c.env
            .iter()
            .map(|(k, v)| (k.clone(), dirs.expand(v, port, connections))),
    );
    let cwd = match &c.dir {
        Some(d) => {
            let dir = dirs.harness.join(d);
            if !dir.is_dir() {
                return Err(format!("app folder {} not found (pass --harness-dir)", dir.display()));
            }
            Some(dir)
        }
        None => None,
    };
    Ok(Launch {
        program,
        args: args.collect(),
        env,
        cwd,
        tmp: Some(dirs.work().join("tmp").join(format!("{}-{port}", c.name))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Config {
        Config::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("contestants.json")).unwrap()
    }

    #[test]
    fn the_shipped_config_is_valid_and_every_peer_gets_its_port() {
        let config = shipped();
        assert_eq!(&config.names()[..2], ["raw-axum", "spikard-rust"]);
        // A harness folder as the install steps leave it (the peers' venv interpreter exists), with
        // the real apps: the check must not depend on whether this checkout has run an install.
        let harness = std::env::temp_dir().join(format!("bench-harness-config-test-{}", std::process::id()));
        std::fs::create_dir_all(harness.join("work/py/bin")).unwrap();
        std::fs::write(harness.join("work/py/bin/python"), "").unwrap();
        let apps = harness.join("apps");
        if !apps.exists() {
            std::os::unix::fs::symlink(Path::new(env!("CARGO_MANIFEST_DIR")).join("apps"), &apps).unwrap();
        }
        let dirs = Dirs {
            bin: PathBuf::from("/nonexistent"),
            harness: harness.clone(),
        };
        for c in config.contestants.iter().filter(|c| c.language != "rust") {
            let l = launch(c, 4321, 32, &dirs).unwrap();
            assert!(l.env.contains(&("PORT".into(), "4321".into())), "{}", c.name);
            assert_eq!(
                l.tmp.as_deref(),
                Some(harness.join("work/tmp").join(format!("{}-4321", c.name)).as_path())
            );
            assert!(
                !l.args
                    .iter()
                    .chain(l.env.iter().map(|(_, v)| v))
                    .any(|a| a.contains('{')),
                "{}",
                c.name
            );
            let app = l.cwd.unwrap().join(
                l.args
                    .iter()
                    .find(|a| [".py", ".js", ".mjs", ".ru", ".rb"].iter().any(|e| a.ends_with(e)) || a.contains(":app"))
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap(),
            );
            let app = if app.extension().is_none() {
                app.with_extension("py")
            } else {
                app
            };
            assert!(app.is_file(), "{}: {}", c.name, app.display());
        }
        let err = launch(config.find("raw-axum").unwrap(), 1, 32, &dirs).unwrap_err();
        assert!(err.contains("cargo build --release"), "{err}");
        std::fs::remove_dir_all(&harness).unwrap();
        for w in config.contestants.iter().flat_map(|c| c.unsupported.keys()) {
            assert!(benchmark_harness::workload::find(w).is_some(), "unknown workload {w}");
        }
    }

    #[test]
    fn bad_configs_are_refused_with_a_reason() {
        let one = r#"{"name": "a", "language": "x", "description": "d", "command": ["a"]}"#;
        assert!(Config::parse(&format!(r#"{{"contestants": [{one}, {one}]}}"#))
            .unwrap_err()
            .contains("twice"));
        let bad = r#"{"contestants": [{"name": "a", "language": "x", "description": "d", "command": ["a"], "install": "nope"}]}"#;
        assert!(Config::parse(bad).unwrap_err().contains("unknown install step"));
        assert!(Config::parse(r#"{"contestants": [], "extra": 1}"#).is_err());
    }

    #[test]
    fn placeholders_are_expanded() {
        let dirs = Dirs {
            bin: PathBuf::from("/b"),
            harness: PathBuf::from("/h"),
        };
        assert_eq!(dirs.expand("{bin_dir}/x:{port}:{connections}", 80, 4), "/b/x:80:4");
        assert_eq!(dirs.expand("{python}", 1, 1), "/h/work/py/bin/python");
        assert_eq!(dirs.expand("{node_modules}", 1, 1), "/h/work/node/node_modules");
    }
}
