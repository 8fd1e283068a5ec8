//! `benchmark-harness`: runs each contestant server (pinned to CPU 0) against the built-in
//! load generator (pinned to CPU 1), several timed rounds per workload, and writes
//! `results.json` and `results.md`.
//!
//! It builds nothing: the Rust contestants are the release binaries next to this executable
//! (`cargo build --release -p benchmark-harness`); the peer frameworks are apps in `apps/`,
//! whose packages it installs into `work/` on first use (`peers.rs`).

mod contestants;
mod peers;
mod process;
mod report;
mod run;

use std::path::{Path, PathBuf};
use std::process::Command;

use benchmark_harness::workload::{self, Workload};

use crate::contestants::{Dirs, Runtime};
use crate::peers::Installer;
use crate::process::{clock_ticks_per_sec, command_ok, utc_now};
use crate::report::{markdown, Machine, Pinning, Report, Settings};
use crate::run::{run_workload, Ctx};

const BASELINE: &str = "raw-axum";
const SERVER_CPU: &str = "0";
const LOADGEN_CPU: &str = "1";

const USAGE: &str = "\
usage: benchmark-harness [options]

Runs the contestant servers (the Rust ones are release binaries next to this executable; the
peer frameworks are apps in apps/, installed into work/ on first use) and measures them.
Build first: cargo build --release -p benchmark-harness

options:
  --duration SECS       length of each timed round (default 5)
  --rounds N            timed rounds per contestant and workload (default 3)
  --connections N       keep-alive connections (default 32)
  --warmup SECS         warm-up per contestant and workload, not measured (default 1)
  --quick               1 round of 2 s, 0.5 s warm-up
  --out DIR             where results.json and results.md go (default docs/benchmarks)
  --contestants A,B     only these contestants (default: all; see below)
  --peers WHICH         none (Rust contestants only), all (default), or runtimes: python,node,ruby
  --install             reinstall the peers' packages even if work/ looks up to date
  --harness-dir DIR     where apps/ and work/ are (default: this crate's source folder)
  --workloads A,B       only these workloads (default: get-json,post-validated)
  --base-port N         give contestants fixed ports N, N+1, ... (default: free ports)
  --bin-dir DIR         where the contestant binaries are (default: this executable's dir)
  --startup-timeout S   how long a server may take to answer (default 10)
  -h, --help            this text";

fn usage() -> String {
    format!("{USAGE}\n\ncontestants: {}", contestants::names().join(", "))
}

#[derive(Clone, Debug)]
struct Options {
    duration: f64,
    rounds: usize,
    connections: usize,
    warmup: f64,
    out: PathBuf,
    contestants: Vec<String>,
    workloads: Vec<String>,
    base_port: Option<u16>,
    bin_dir: Option<PathBuf>,
    startup_timeout: f64,
    install: bool,
    harness_dir: PathBuf,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        duration: 5.0,
        rounds: 3,
        connections: 32,
        warmup: 1.0,
        out: PathBuf::from("docs/benchmarks"),
        contestants: contestants::names().iter().map(|s| s.to_string()).collect(),
        workloads: workload::all().iter().map(|w| w.name.to_string()).collect(),
        base_port: None,
        bin_dir: None,
        startup_timeout: 10.0,
        install: false,
        harness_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    };
    let mut peers: Option<String> = None;
    let mut quick = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{name} needs a value"))
        };
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: invalid value {v:?}"))
        }
        match flag {
            "-h" | "--help" => return Err(String::new()),
            "--quick" => quick = true,
            "--duration" => o.duration = num(flag, value(flag)?)?,
            "--rounds" => o.rounds = num(flag, value(flag)?)?,
            "--connections" | "-c" => o.connections = num(flag, value(flag)?)?,
            "--warmup" => o.warmup = num(flag, value(flag)?)?,
            "--out" => o.out = PathBuf::from(value(flag)?),
            "--contestants" => o.contestants = value(flag)?.split(',').map(str::to_string).collect(),
            "--workloads" => o.workloads = value(flag)?.split(',').map(str::to_string).collect(),
            "--base-port" => o.base_port = Some(num(flag, value(flag)?)?),
            "--bin-dir" => o.bin_dir = Some(PathBuf::from(value(flag)?)),
            "--startup-timeout" => o.startup_timeout = num(flag, value(flag)?)?,
            "--peers" => peers = Some(value(flag)?),
            "--install" => o.install = true,
            "--harness-dir" => o.harness_dir = PathBuf::from(value(flag)?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if quick {
        o.rounds = 1;
        o.duration = 2.0;
        o.warmup = 0.5;
    }
    if o.rounds == 0 || o.connections == 0 || o.duration.is_nan() || o.duration <= 0.0 {
        return Err("--rounds, --connections and --duration must be positive".into());
    }
    if o.warmup.is_nan() || o.warmup < 0.0 || o.startup_timeout.is_nan() || o.startup_timeout <= 0.0 {
        return Err("--warmup must be >= 0 and --startup-timeout > 0".into());
    }
    let known: Vec<&str> = workload::all().iter().map(|w| w.name).collect();
    for w in &o.workloads {
        if !known.contains(&w.as_str()) {
            return Err(format!("unknown workload {w:?} (known: {})", known.join(", ")));
        }
    }
    for c in &o.contestants {
        if contestants::find(c).is_none() {
            return Err(format!(
                "unknown contestant {c:?} (known: {})",
                contestants::names().join(", ")
            ));
        }
    }
    if let Some(p) = peers {
        let runtimes: Vec<Runtime> = match p.as_str() {
            "all" => vec![Runtime::Python, Runtime::Node, Runtime::Ruby],
            "none" => Vec::new(),
            list => list
                .split(',')
                .map(|r| match r {
                    "python" => Ok(Runtime::Python),
                    "node" => Ok(Runtime::Node),
                    "ruby" => Ok(Runtime::Ruby),
                    other => Err(format!(
                        "--peers: unknown value {other:?} (none, all, python, node, ruby)"
                    )),
                })
                .collect::<Result<_, _>>()?,
        };
        o.contestants.retain(|c| {
            contestants::find(c).is_some_and(|c| c.runtime == Runtime::Rust || runtimes.contains(&c.runtime))
        });
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{}", usage());
            return;
        }
        Err(e) => {
            eprintln!("benchmark-harness: {e}\n\n{}", usage());
            std::process::exit(2);
        }
    };
    let bin_dir = match opts.bin_dir.clone().or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }) {
        Some(d) => d,
        None => {
            eprintln!("benchmark-harness: cannot determine the binary directory; pass --bin-dir");
            std::process::exit(2);
        }
    };

    // Pin this process (all its threads, and every thread created later) to the load
    // generator's CPU before the runtime exists; servers go to the other CPU.
    let logical_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut note = None;
    let (pin_server, loadgen_pinned) = if logical_cpus < 2 {
        note = Some(format!(
            "only {logical_cpus} CPU available: server and load generator share it; numbers are not comparable to pinned runs"
        ));
        (false, false)
    } else {
        let pid = std::process::id().to_string();
        let server_ok = command_ok(Command::new("taskset").args(["-c", SERVER_CPU, "true"]));
        let self_ok = command_ok(Command::new("taskset").args(["-a", "-cp", LOADGEN_CPU, &pid]));
        let mut problems = Vec::new();
        if let Err(e) = &server_ok {
            problems.push(format!("cannot pin servers with taskset ({e})"));
        }
        if let Err(e) = &self_ok {
            problems.push(format!("cannot pin the load generator with taskset ({e})"));
        }
        if !problems.is_empty() {
            note = Some(problems.join("; "));
        }
        (server_ok.is_ok(), self_ok.is_ok())
    };
    if let Some(n) = &note {
        eprintln!("benchmark-harness: warning: {n}");
    }

    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("benchmark-harness: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let dirs = Dirs {
        bin: bin_dir,
        harness: opts.harness_dir.clone(),
    };
    let mut ctx = Ctx {
        next_port: opts.base_port,
        opts: opts.clone(),
        installer: Installer::new(dirs.clone(), opts.install),
        dirs,
        pin_server,
        ticks_per_sec: clock_ticks_per_sec(),
    };
    eprintln!(
        "benchmark-harness: contestants from {}; {} round(s) x {} s, {} connections, {} s warm-up",
        ctx.dirs.bin.display(),
        opts.rounds,
        opts.duration,
        opts.connections,
        opts.warmup
    );
    let workloads: Vec<Workload> = workload::all()
        .into_iter()
        .filter(|w| opts.workloads.iter().any(|n| n == w.name))
        .collect();
    let mut results = Vec::new();
    for w in &workloads {
        results.extend(runtime.block_on(run_workload(&mut ctx, w)));
    }

    let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_string())
    });
    let git_revision = Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string());
    let report = Report {
        generated_at_utc: utc_now(),
        command: std::iter::once("benchmark-harness".to_string())
            .chain(args)
            .collect::<Vec<_>>()
            .join(" "),
        git_revision,
        machine: Machine {
            cpu_model,
            logical_cpus,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_string()),
        },
        settings: Settings {
            duration_s: opts.duration,
            rounds: opts.rounds,
            connections: opts.connections,
            warmup_s: opts.warmup,
            http: "HTTP/1.1 keep-alive, closed loop",
        },
        pinning: Pinning {
            server_cpus: SERVER_CPU,
            loadgen_cpus: LOADGEN_CPU,
            server_pinned: pin_server,
            loadgen_pinned,
            note,
        },
        results,
    };
    let md = markdown(&report);
    let written = std::fs::create_dir_all(&opts.out)
        .and_then(|()| {
            let json = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
            std::fs::write(opts.out.join("results.json"), json + "\n")
        })
        .and_then(|()| std::fs::write(opts.out.join("results.md"), &md));
    print!("{md}");
    match written {
        Ok(()) => eprintln!(
            "benchmark-harness: wrote {} and {}",
            opts.out.join("results.json").display(),
            opts.out.join("results.md").display()
        ),
        Err(e) => {
            eprintln!("benchmark-harness: cannot write results to {}: {e}", opts.out.display());
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn defaults_and_quick() {
        let o = parse_args(&[]).unwrap();
        assert_eq!((o.duration, o.rounds, o.connections), (5.0, 3, 32));
        assert_eq!(o.out, PathBuf::from("docs/benchmarks"));
        let o = parse_args(&args("--quick --connections=8 --out /tmp/x")).unwrap();
        assert_eq!((o.duration, o.rounds, o.connections), (2.0, 1, 8));
        assert_eq!(o.out, PathBuf::from("/tmp/x"));
        assert!(parse_args(&args("--rounds 0")).is_err());
        assert!(parse_args(&args("--workloads nope")).is_err());
        assert!(parse_args(&args("--bogus")).is_err());
    }

    #[test]
    fn contestant_selection() {
        let all = parse_args(&[]).unwrap().contestants;
        assert_eq!(all, contestants::names());
        assert!(all.iter().any(|c| c == "fastapi-uvicorn") && all.iter().any(|c| c == "fastify"));
        let o = parse_args(&args("--peers none")).unwrap();
        assert_eq!(o.contestants, ["raw-axum", "spikard-rust"]);
        let o = parse_args(&args("--peers node")).unwrap();
        assert!(o.contestants.iter().all(|c| {
            let r = contestants::find(c).unwrap().runtime;
            r == Runtime::Rust || r == Runtime::Node
        }));
        assert!(o.contestants.iter().any(|c| c == "express"));
        let o = parse_args(&args("--contestants raw-axum,robyn --peers none")).unwrap();
        assert_eq!(o.contestants, ["raw-axum"]);
        assert!(parse_args(&args("--peers cobol")).is_err());
        assert!(parse_args(&args("--contestants nope")).is_err());
    }
}
