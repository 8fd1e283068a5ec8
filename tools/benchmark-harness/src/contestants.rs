//! The contestants: the two Rust servers built by this crate, and the peer frameworks, each a
//! small app under `apps/<runtime>/` plus one line in [`ALL`].

use std::path::{Path, PathBuf};

use crate::process::Launch;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Runtime {
    /// A binary of this crate, found next to the harness executable.
    Rust,
    /// An app in `apps/python`, run by the venv in `work/py`.
    Python,
    /// An app in `apps/node`, run by `node` with the packages in `work/node`.
    Node,
    /// A Rack app in `apps/ruby`, run by `puma` (Debian: `apt-get install puma ruby-sinatra ruby-rack`).
    Ruby,
}

impl Runtime {
    /// Minimum warm-up before measuring, whatever `--warmup` says: V8 needs a few seconds of
    /// load before its optimizing compiler has caught up (Express and Hono served 1.5 to 9 times
    /// fewer requests after 0-0.2 s than after 3 s of warm-up in a test on a 2-core VM).
    pub(crate) fn min_warmup_s(self) -> f64 {
        match self {
            Runtime::Node => 3.0,
            Runtime::Rust | Runtime::Python | Runtime::Ruby => 0.0,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Runtime::Rust => "rust",
            Runtime::Python => "python",
            Runtime::Node => "node",
            Runtime::Ruby => "ruby",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Contestant {
    pub(crate) name: &'static str,
    pub(crate) runtime: Runtime,
    /// For peers, the interpreter's arguments (run in the app folder); `{port}` in them is
    /// replaced by the port (which is also in `$PORT`), `{connections}` by `--connections` (Puma
    /// closes keep-alive connections it has no thread for). Rust contestants get `--port N`.
    pub(crate) args: &'static [&'static str],
    /// One line for the report: framework, server, how validation is done.
    pub(crate) description: &'static str,
}

const fn rust(name: &'static str, description: &'static str) -> Contestant {
    Contestant {
        name,
        runtime: Runtime::Rust,
        args: &[],
        description,
    }
}

const fn peer(
    name: &'static str,
    runtime: Runtime,
    args: &'static [&'static str],
    description: &'static str,
) -> Contestant {
    Contestant {
        name,
        runtime,
        args,
        description,
    }
}

/// Every contestant, in report order. Servers run as one process with one worker.
#[rustfmt::skip]
pub(crate) const ALL: &[Contestant] = &[
    rust("raw-axum", "axum 0.8, hand validation"),
    rust("spikard-rust", "Spikard Rust API, schema validation"),
    peer("fastapi-uvicorn", Runtime::Python, &["-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1", "--no-access-log", "--log-level", "warning"], "FastAPI on uvicorn (uvloop, httptools), pydantic model"),
    peer("litestar-uvicorn", Runtime::Python, &["-m", "uvicorn", "litestar_app:app", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1", "--no-access-log", "--log-level", "warning"], "Litestar on uvicorn (uvloop, httptools), msgspec Struct"),
    peer("granian-rsgi", Runtime::Python, &["-m", "granian", "--interface", "rsgi", "--host", "127.0.0.1", "--port", "{port}", "--workers", "1", "--runtime-threads", "1", "--no-ws", "--log-level", "warning", "granian_rsgi:app"], "raw RSGI app on Granian, hand validation"),
    peer("robyn", Runtime::Python, &["robyn_app.py", "--processes", "1", "--workers", "1", "--log-level", "WARN"], "Robyn, hand validation"),
    peer("fastify", Runtime::Node, &["fastify.js"], "Fastify, JSON schema (Ajv)"),
    peer("express", Runtime::Node, &["express.js"], "Express 5, hand validation"),
    peer("hono-node", Runtime::Node, &["hono.js"], "Hono on @hono/node-server, hand validation"),
    peer("sinatra-puma", Runtime::Ruby, &["-b", "tcp://127.0.0.1:{port}", "-w", "0", "-t", "{connections}:{connections}", "-e", "production", "sinatra.ru"], "Sinatra on Puma (single mode, one thread per connection), hand validation"),
    peer("rack-puma", Runtime::Ruby, &["-b", "tcp://127.0.0.1:{port}", "-w", "0", "-t", "{connections}:{connections}", "-e", "production", "rack.ru"], "raw Rack app on Puma (single mode, one thread per connection), hand validation"),
];

pub(crate) fn find(name: &str) -> Option<&'static Contestant> {
    ALL.iter().find(|c| c.name == name)
}

pub(crate) fn names() -> Vec<&'static str> {
    ALL.iter().map(|c| c.name).collect()
}

/// Where the harness's own files are: `apps/` (peer apps, committed) and `work/` (installed
/// runtimes and packages, gitignored).
#[derive(Clone, Debug)]
pub(crate) struct Dirs {
    pub(crate) bin: PathBuf,
    pub(crate) harness: PathBuf,
}

impl Dirs {
    pub(crate) fn apps(&self, runtime: Runtime) -> PathBuf {
        self.harness.join("apps").join(runtime.name())
    }

    pub(crate) fn work(&self, runtime: Runtime) -> PathBuf {
        self.harness.join("work").join(match runtime {
            Runtime::Python => "py",
            other => other.name(),
        })
    }

    pub(crate) fn python(&self) -> PathBuf {
        self.work(Runtime::Python).join("bin").join("python")
    }
}

/// How to start `c` on `port`, or why it cannot be started.
pub(crate) fn launch(c: &Contestant, port: u16, connections: usize, dirs: &Dirs) -> Result<Launch, String> {
    let port_s = port.to_string();
    let mut env = vec![("PORT".to_string(), port_s.clone())];
    let args = |extra: &[&str]| -> Vec<String> {
        extra
            .iter()
            .map(|a| {
                a.replace("{port}", &port_s)
                    .replace("{connections}", &connections.to_string())
            })
            .collect()
    };
    let (program, cwd) = match c.runtime {
        Runtime::Rust => {
            let binary = dirs.bin.join(c.name);
            if !binary.is_file() {
                return Err(format!(
                    "binary {} not found (cargo build --release -p benchmark-harness)",
                    binary.display()
                ));
            }
            env.push(("RUST_LOG".into(), "warn".into()));
            return Ok(Launch {
                program: binary,
                args: args(&["--port", "{port}"]),
                env,
                cwd: None,
            });
        }
        Runtime::Python => {
            env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
            (dirs.python(), dirs.apps(Runtime::Python))
        }
        Runtime::Node => {
            let modules = dirs.work(Runtime::Node).join("node_modules");
            env.push(("NODE_PATH".into(), modules.display().to_string()));
            env.push(("NODE_ENV".into(), "production".into()));
            (PathBuf::from("node"), dirs.apps(Runtime::Node))
        }
        Runtime::Ruby => (PathBuf::from("puma"), dirs.apps(Runtime::Ruby)),
    };
    check_app_dir(&cwd)?;
    Ok(Launch {
        program,
        args: args(c.args),
        env,
        cwd: Some(cwd),
    })
}

fn check_app_dir(dir: &Path) -> Result<(), String> {
    if dir.is_dir() {
        Ok(())
    } else {
        Err(format!("app folder {} not found (pass --harness-dir)", dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_peers_get_the_port() {
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let dirs = Dirs {
            bin: PathBuf::from("/nonexistent"),
            harness: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        };
        for c in ALL.iter().filter(|c| c.runtime != Runtime::Rust) {
            let l = launch(c, 4321, 32, &dirs).unwrap();
            assert!(l.env.contains(&("PORT".into(), "4321".into())), "{}", c.name);
            assert!(!l.args.iter().any(|a| a.contains('{')), "{}", c.name);
        }
        assert!(launch(find("raw-axum").unwrap(), 1, 32, &dirs).is_err());
    }
}
