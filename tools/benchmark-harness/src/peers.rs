//! Installing the peers' runtimes into `work/` (gitignored), once per run and only when needed.
//!
//! - Python: a venv in `work/py` (`python3 -m venv`, or `$BENCH_PYTHON -m venv`), then
//!   `pip install -r apps/python/requirements.txt`.
//! - Node: `apps/node/package.json` copied to `work/node`, then `npm install` there.
//! - Ruby: nothing is installed (system packages need root); the harness checks that `puma`
//!   runs and `rack` and `sinatra` load, and otherwise names the Debian packages to install.
//!
//! An install is skipped when `work/<runtime>/.installed` holds the same requirements text
//! (so edits to the requirements trigger a reinstall); `--install` forces it. A failed install
//! makes that runtime's contestants *skipped*, with the reason.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::contestants::{Dirs, Runtime};

const STAMP: &str = ".installed";

pub(crate) struct Installer {
    dirs: Dirs,
    force: bool,
    done: HashMap<Runtime, Result<(), String>>,
}

impl Installer {
    pub(crate) fn new(dirs: Dirs, force: bool) -> Self {
        Self {
            dirs,
            force,
            done: HashMap::new(),
        }
    }

    /// Makes sure `runtime`'s packages are installed (at most one attempt per run).
    pub(crate) fn ensure(&mut self, runtime: Runtime) -> Result<(), String> {
        if let Some(r) = self.done.get(&runtime) {
            return r.clone();
        }
        let r = match runtime {
            Runtime::Rust => Ok(()),
            Runtime::Python => self.python(),
            Runtime::Node => self.node(),
            Runtime::Ruby => ruby(),
        };
        if let Err(e) = &r {
            eprintln!("benchmark-harness: {} peers unavailable: {e}", runtime.name());
        }
        self.done.insert(runtime, r.clone());
        r
    }

    fn up_to_date(&self, work: &Path, wanted: &str) -> bool {
        !self.force && std::fs::read_to_string(work.join(STAMP)).is_ok_and(|s| s == wanted)
    }

    fn python(&self) -> Result<(), String> {
        let reqs = self.dirs.apps(Runtime::Python).join("requirements.txt");
        let wanted = std::fs::read_to_string(&reqs).map_err(|e| format!("cannot read {}: {e}", reqs.display()))?;
        let work = self.dirs.work(Runtime::Python);
        let python = self.dirs.python();
        if python.is_file() && self.up_to_date(&work, &wanted) {
            return Ok(());
        }
        if !python.is_file() {
            let base = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
            eprintln!("benchmark-harness: creating the Python venv {}", work.display());
            run(Command::new(&base).arg("-m").arg("venv").arg(&work), "python3 -m venv")?;
        }
        eprintln!("benchmark-harness: pip install -r {}", reqs.display());
        run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r"])
                .arg(&reqs),
            "pip install",
        )?;
        write_stamp(&work, &wanted)
    }

    fn node(&self) -> Result<(), String> {
        run(Command::new("node").arg("--version"), "node --version")?;
        let manifest = self.dirs.apps(Runtime::Node).join("package.json");
        let wanted =
            std::fs::read_to_string(&manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
        let work = self.dirs.work(Runtime::Node);
        if work.join("node_modules").is_dir() && self.up_to_date(&work, &wanted) {
            return Ok(());
        }
        std::fs::create_dir_all(&work)
            .and_then(|()| std::fs::write(work.join("package.json"), &wanted))
            .map_err(|e| format!("cannot prepare {}: {e}", work.display()))?;
        eprintln!("benchmark-harness: npm install in {}", work.display());
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"])
                .current_dir(&work),
            "npm install",
        )?;
        write_stamp(&work, &wanted)
    }
}

fn ruby() -> Result<(), String> {
    let hint = "install them with `apt-get install puma ruby-sinatra ruby-rack` (as root)";
    run(Command::new("puma").arg("--version"), "puma --version").map_err(|e| format!("{e}; {hint}"))?;
    run(
        Command::new("ruby").args(["-e", "require 'rack'; require 'sinatra/base'"]),
        "ruby -e \"require 'rack'; require 'sinatra/base'\"",
    )
    .map_err(|e| format!("{e}; {hint}"))
}

fn write_stamp(work: &Path, text: &str) -> Result<(), String> {
    std::fs::write(work.join(STAMP), text).map_err(|e| format!("cannot write {}: {e}", work.join(STAMP).display()))
}

/// Runs an install step; on failure, the error names the step and quotes the output's end.
fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: cannot run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(3)..].join(" | ");
    Err(format!("{what} failed ({}): {tail}", out.status))
}
