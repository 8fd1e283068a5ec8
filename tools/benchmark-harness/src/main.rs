//! `benchmark-harness`: runs each contestant server (pinned to CPU 0) against the load
//! generator (pinned to CPU 1) on every workload, several timed rounds each, and writes
//! `results.json`, `results.md` and `results.svg` (ratio to raw axum per workload); with
//! `--soak N`, also (or only) a memory soak per contestant.
//!
//! It builds nothing: the Rust contestants are the release binaries next to this executable
//! (`cargo build --release -p benchmark-harness`); the peer frameworks are apps in `apps/`
//! listed in `contestants.json`, whose packages it installs into `work/` on first use.

mod cli;
mod contestants;
mod cpu;
mod install;
mod markdown;
mod process;
mod progress;
mod report;
mod run;
mod soak;
mod start;

use std::path::{Path, PathBuf};
use std::process::Command;

use benchmark_harness::workload::{self, Workload};
use benchmark_harness::{chart, wrk};

pub(crate) use crate::cli::{LoadGen, Options};
use crate::contestants::{Config, Dirs};
use crate::install::Installer;
use crate::process::{clock_ticks_per_sec, command_ok, utc_now};
use crate::progress::{note, Progress};
use crate::report::{Machine, Pinning, Report, Settings, WorkloadInfo};
use crate::run::{run_workload, Ctx};

const BASELINE: &str = "raw-axum";
const SERVER_CPU: &str = "0";
const LOADGEN_CPU: &str = "1";

fn exit_with(msg: &str, code: i32) -> ! {
    eprintln!("benchmark-harness: {msg}");
    std::process::exit(code)
}

/// Pins this process (all its threads, and every thread and child created later) to the
/// load generator's CPU; servers go to the other. Returns (pin servers, loadgen pinned, note).
fn pin(logical_cpus: usize) -> (bool, bool, Option<String>) {
    if logical_cpus < 2 {
        let n = format!("only {logical_cpus} CPU available: server and load generator share it; numbers are not comparable to pinned runs");
        return (false, false, Some(n));
    }
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
    (
        server_ok.is_ok(),
        self_ok.is_ok(),
        (!problems.is_empty()).then(|| problems.join("; ")),
    )
}

fn machine(logical_cpus: usize) -> Machine {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|r| r.trim_start_matches([' ', '\t', ':']).trim().to_string())
    });
    Machine {
        cpu_model,
        logical_cpus,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string()),
    }
}

fn git_revision() -> Option<String> {
    Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
}

/// Writes results.json, results.md, results.svg (and the README section if asked).
fn write_outputs(report: &Report, opts: &Options) -> Result<Vec<PathBuf>, String> {
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())? + "\n";
    let svg = chart::render(
        "Throughput relative to raw axum (median req/s ratio; higher is better)",
        &format!(
            "{}, {} logical CPUs; {} load generator, {} connections, {} × {} s rounds; {}",
            report.machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
            report.machine.logical_cpus,
            report.settings.loadgen,
            report.settings.connections,
            report.settings.rounds,
            report.settings.duration_s,
            report.generated_at_utc
        ),
        &markdown::chart_groups(report),
    );
    let mut files = vec![("results.json", json), ("results.md", markdown::markdown(report))];
    if !report.results.is_empty() {
        files.push(("results.svg", svg));
    }
    let mut written = Vec::new();
    for (name, text) in files {
        let path = out.join(name);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(path);
    }
    if let Some(readme) = &opts.readme {
        let text = std::fs::read_to_string(readme).map_err(|e| format!("cannot read {}: {e}", readme.display()))?;
        let new = markdown::splice(&text, &markdown::readme_section(report))
            .map_err(|e| format!("{}: {e}", readme.display()))?;
        std::fs::write(readme, new).map_err(|e| format!("cannot write {}: {e}", readme.display()))?;
        written.push(readme.clone());
    }
    Ok(written)
}

/// The ratio matrix and the soak table on stdout (whichever the run has).
fn print_tables(report: &Report) {
    if !report.results.is_empty() {
        println!("{}", markdown::ratio_table(report));
    }
    if !report.soak.is_empty() {
        println!("{}", soak::table(&report.soak));
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn interrupted() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = term => {},
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = match cli::parse_args(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{}\n\nworkloads: {}", cli::USAGE, workload::names().join(", "));
            return;
        }
        Err(e) => exit_with(&format!("{e}\n\n{}", cli::USAGE), 2),
    };
    if let Some(path) = &opts.render {
        // Re-render an earlier run's results (tables, chart, README section); no measuring.
        let report = Report::load(path).unwrap_or_else(|e| exit_with(&e, 2));
        print_tables(&report);
        match write_outputs(&report, &opts) {
            Ok(files) => note(&format!(
                "rendered {}",
                files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(e) => exit_with(&e, 1),
        }
        return;
    }
    let config = Config::load(&opts.config_path()).unwrap_or_else(|e| exit_with(&e, 2));
    if let Err(e) = opts.select(&config) {
        exit_with(&format!("{e}\n\n{}", cli::USAGE), 2);
    }
    if opts.loadgen == LoadGen::Wrk {
        match wrk::check_installed() {
            Ok(v) => note(&format!("cross-checking with {v}")),
            Err(e) => exit_with(&e, 2),
        }
    }
    let bin_dir = opts
        .bin_dir
        .clone()
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| exit_with("cannot determine the binary directory; pass --bin-dir", 2));
    let logical_cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Before the runtime exists, so every thread inherits the pinning.
    let (pin_server, loadgen_pinned, mut pin_note) = pin(logical_cpus);
    if let Some(n) = &pin_note {
        note(&format!("warning: {n}"));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| exit_with(&format!("cannot start the runtime: {e}"), 1));
    if loadgen_pinned {
        let off = cpu::unpinned_threads(&[std::process::id()], LOADGEN_CPU);
        if !off.is_empty() {
            let n = format!("load generator threads not on CPU {LOADGEN_CPU}: {}", off.join(", "));
            note(&format!("warning: {n}"));
            pin_note = Some(pin_note.map_or(n.clone(), |p| format!("{p}; {n}")));
        }
    }
    let dirs = Dirs {
        bin: bin_dir,
        harness: opts.harness_dir.clone(),
    };
    let workloads: Vec<Workload> = workload::all()
        .into_iter()
        .filter(|w| opts.workloads.iter().any(|n| n == w.name))
        .collect();
    let soaks = if opts.soak.is_some() { opts.contestants.len() } else { 0 };
    let total = workloads.len() * opts.contestants.len() * opts.rounds + soaks;
    if !workloads.is_empty() {
        note(&format!(
            "{} contestant(s) × {} workload(s) × {} round(s) of {} s ({} s warm-up, {} connections, {} load generator)",
            opts.contestants.len(),
            workloads.len(),
            opts.rounds,
            opts.duration,
            opts.warmup,
            opts.connections,
            opts.loadgen.name()
        ));
    }
    if let Some(n) = opts.soak {
        note(&format!(
            "memory soak: {} contestant(s) × {n} {} requests ({} s warm-up, {} connections, builtin load generator)",
            opts.contestants.len(),
            opts.soak_workload,
            opts.warmup,
            opts.connections,
        ));
    }
    let mut ctx = Ctx {
        next_port: opts.base_port,
        opts: opts.clone(),
        config,
        installer: Installer::new(dirs.clone(), opts.install),
        dirs,
        progress: Progress::new(total),
        pin_server,
        ticks_per_sec: clock_ticks_per_sec(),
    };
    let measured = runtime.block_on(async {
        let all = async {
            let mut results = Vec::new();
            for w in &workloads {
                results.extend(run_workload(&mut ctx, w).await);
            }
            let soak = match opts.soak {
                Some(_) => soak::run_soak(&mut ctx).await,
                None => Vec::new(),
            };
            (results, soak)
        };
        // On Ctrl-C or SIGTERM the run is dropped, and with it every live server (each is
        // killed when dropped): none is left behind on the server's core.
        tokio::select! {
            r = all => Some(r),
            () = interrupted() => None,
        }
    });
    let Some((results, soak)) = measured else {
        exit_with("interrupted; the servers were stopped", 130)
    };
    let report = Report {
        generated_at_utc: utc_now(),
        command: std::iter::once("benchmark-harness".to_string())
            .chain(args)
            .collect::<Vec<_>>()
            .join(" "),
        git_revision: git_revision(),
        machine: machine(logical_cpus),
        settings: Settings {
            duration_s: opts.duration,
            rounds: opts.rounds,
            connections: opts.connections,
            warmup_s: opts.warmup,
            http: "HTTP/1.1 keep-alive, closed loop".into(),
            loadgen: opts.loadgen.name().into(),
            quiet_wait_s: Some(opts.quiet_wait),
            retries: Some(opts.retries),
            soak_requests: opts.soak,
            soak_workload: opts.soak.map(|_| opts.soak_workload.clone()),
        },
        pinning: Pinning {
            server_cpus: SERVER_CPU.into(),
            loadgen_cpus: LOADGEN_CPU.into(),
            server_pinned: pin_server,
            loadgen_pinned,
            note: pin_note,
        },
        workloads: workloads.iter().map(WorkloadInfo::of).collect(),
        results,
        soak,
    };
    print_tables(&report);
    match write_outputs(&report, &opts) {
        Ok(files) => note(&format!(
            "wrote {}",
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(e) => exit_with(&e, 1),
    }
}
