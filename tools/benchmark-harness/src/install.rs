//! Install steps (the `installs` of `contestants.json`): getting a runtime's packages into
//! the harness's `work/` folder (gitignored), once per run and only when needed.
//!
//! - `pip`: a venv in `work/<work>` (`python3 -m venv`, or `$BENCH_PYTHON -m venv`), then
//!   `pip install -r <file>`.
//! - `npm`: `<file>` (a package.json) copied to `work/<work>`, then `npm install` there.
//! - `check`: nothing is installed (system packages need root); each command must succeed,
//!   otherwise the contestants are skipped with the step's hint.
//! - `commands`: each command is run in the harness folder (e.g. building a binding).
//!
//! `pip` and `npm` are skipped when `work/<work>/.installed` holds the same requirements
//! text (edits trigger a reinstall); `--install` forces them. A failed step makes the
//! contestants that use it *skipped*, with the reason.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::contestants::{Dirs, Install};

const STAMP: &str = ".installed";

pub(crate) struct Installer {
    dirs: Dirs,
    force: bool,
    done: HashMap<String, Result<(), String>>,
}

impl Installer {
    pub(crate) fn new(dirs: Dirs, force: bool) -> Self {
        Self {
            dirs,
            force,
            done: HashMap::new(),
        }
    }

    /// Runs the install step `name` (at most one attempt per run).
    pub(crate) fn ensure(&mut self, name: &str, step: &Install) -> Result<(), String> {
        if let Some(r) = self.done.get(name) {
            return r.clone();
        }
        crate::progress::note(&format!("preparing {name} ({})", step.kind));
        let r = match step.kind.as_str() {
            "pip" => self.pip(step),
            "npm" => self.npm(step),
            "check" => self.commands(step, false),
            "commands" => self.commands(step, true),
            other => Err(format!("unknown install kind {other:?} (pip, npm, check, commands)")),
        };
        let r = r.map_err(|e| match &step.hint {
            Some(h) => format!("{e}; {h}"),
            None => e,
        });
        if let Err(e) = &r {
            crate::progress::note(&format!("install step {name} failed: {e}"));
        }
        self.done.insert(name.to_string(), r.clone());
        r
    }

    fn up_to_date(&self, work: &Path, wanted: &str) -> bool {
        !self.force && std::fs::read_to_string(work.join(STAMP)).is_ok_and(|s| s == wanted)
    }

    fn inputs(&self, step: &Install) -> Result<(String, std::path::PathBuf), String> {
        let file = self
            .dirs
            .harness
            .join(step.file.as_deref().ok_or("install step needs \"file\"")?);
        let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let work = self
            .dirs
            .work()
            .join(step.work.as_deref().ok_or("install step needs \"work\"")?);
        Ok((text, work))
    }

    fn pip(&self, step: &Install) -> Result<(), String> {
        let (wanted, work) = self.inputs(step)?;
        let python = work.join("bin").join("python");
        if python.is_file() && self.up_to_date(&work, &wanted) {
            return Ok(());
        }
        if !python.is_file() {
            let base = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
            crate::progress::note(&format!("creating the Python venv {}", work.display()));
            run(Command::new(&base).arg("-m").arg("venv").arg(&work), "python3 -m venv")?;
        }
        crate::progress::note(&format!("pip install -r {}", step.file.as_deref().unwrap_or("")));
        run(
            Command::new(&python)
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r"])
                .arg(self.dirs.harness.join(step.file.as_deref().unwrap_or_default())),
            "pip install",
        )?;
        write_stamp(&work, &wanted)
    }

    fn npm(&self, step: &Install) -> Result<(), String> {
        run(Command::new("node").arg("--version"), "node --version")?;
        let (wanted, work) = self.inputs(step)?;
        if work.join("node_modules").is_dir() && self.up_to_date(&work, &wanted) {
            return Ok(());
        }
        std::fs::create_dir_all(&work)
            .and_then(|()| std::fs::write(work.join("package.json"), &wanted))
            .map_err(|e| format!("cannot prepare {}: {e}", work.display()))?;
        crate::progress::note(&format!("npm install in {}", work.display()));
        run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"])
                .current_dir(&work),
            "npm install",
        )?;
        write_stamp(&work, &wanted)
    }

    fn commands(&self, step: &Install, in_harness: bool) -> Result<(), String> {
        for cmd in &step.commands {
            let args: Vec<String> = cmd.iter().map(|a| self.dirs.expand(a, 0, 0)).collect();
            let Some((program, rest)) = args.split_first() else {
                continue;
            };
            let mut c = Command::new(program);
            c.args(rest);
            if in_harness {
                c.current_dir(&self.dirs.harness);
            }
            run(&mut c, &args.join(" "))?;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn installer() -> Installer {
        Installer::new(
            Dirs {
                bin: PathBuf::from("/nonexistent"),
                harness: std::env::temp_dir(),
            },
            false,
        )
    }

    fn step(kind: &str, commands: &[&[&str]]) -> Install {
        Install {
            kind: kind.into(),
            file: None,
            work: None,
            commands: commands
                .iter()
                .map(|c| c.iter().map(|s| s.to_string()).collect())
                .collect(),
            hint: Some("apt-get install it".into()),
        }
    }

    #[test]
    fn failing_checks_name_the_command_and_the_hint_once_per_run() {
        let mut i = installer();
        let err = i.ensure("x", &step("check", &[&["true"], &["false"]])).unwrap_err();
        assert!(
            err.starts_with("false failed") && err.ends_with("apt-get install it"),
            "{err}"
        );
        // The result is remembered: a second call does not run anything.
        assert_eq!(i.ensure("x", &step("check", &[])).unwrap_err(), err);
        assert!(i.ensure("y", &step("commands", &[&["true"]])).is_ok());
        assert!(i
            .ensure("z", &step("bogus", &[]))
            .unwrap_err()
            .contains("unknown install kind"));
        let missing = i.ensure("w", &step("check", &[&["/nonexistent/tool"]])).unwrap_err();
        assert!(missing.contains("cannot run"), "{missing}");
    }
}
