//! `benchmark-harness`: runs each contestant server (pinned to CPU 0) against the built-in
//! load generator (pinned to CPU 1), several timed rounds per workload, and writes
//! `results.json` and `results.md`.
//!
//! It builds nothing: contestants are the release binaries next to this executable
//! (`cargo build --release -p benchmark-harness`).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use benchmark_harness::loadgen::{self, LoadConfig, Stop};
use benchmark_harness::workload::{self, Workload};
use serde::Serialize;

const BASELINE: &str = "raw-axum";
const CONTESTANTS: &[&str] = &["raw-axum", "spikard-rust"];
const SERVER_CPU: &str = "0";
const LOADGEN_CPU: &str = "1";

const USAGE: &str = "\
usage: benchmark-harness [options]

Runs the contestant servers (release binaries next to this executable) and measures them.
Build first: cargo build --release -p benchmark-harness

options:
  --duration SECS       length of each timed round (default 5)
  --rounds N            timed rounds per contestant and workload (default 3)
  --connections N       keep-alive connections (default 32)
  --warmup SECS         warm-up per contestant and workload, not measured (default 1)
  --quick               1 round of 2 s, 0.5 s warm-up
  --out DIR             where results.json and results.md go (default docs/benchmarks)
  --contestants A,B     only these contestants (default: raw-axum,spikard-rust)
  --workloads A,B       only these workloads (default: get-json,post-validated)
  --base-port N         give contestants fixed ports N, N+1, ... (default: free ports)
  --bin-dir DIR         where the contestant binaries are (default: this executable's dir)
  --startup-timeout S   how long a server may take to answer (default 10)
  -h, --help            this text";

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
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        duration: 5.0,
        rounds: 3,
        connections: 32,
        warmup: 1.0,
        out: PathBuf::from("docs/benchmarks"),
        contestants: CONTESTANTS.iter().map(|s| s.to_string()).collect(),
        workloads: workload::all().iter().map(|w| w.name.to_string()).collect(),
        base_port: None,
        bin_dir: None,
        startup_timeout: 10.0,
    };
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
        if !CONTESTANTS.contains(&c.as_str()) {
            return Err(format!("unknown contestant {c:?} (known: {})", CONTESTANTS.join(", ")));
        }
    }
    Ok(o)
}

// ---------------------------------------------------------------------------------------
// Results

#[derive(Serialize, Clone, Debug)]
struct RoundReport {
    requests_ok: u64,
    errors: u64,
    elapsed_s: f64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Server process CPU time / wall time during the round (100 = one full core).
    server_cpu_pct: Option<f64>,
    /// This process's (the load generator's) CPU time / wall time during the round.
    loadgen_cpu_pct: Option<f64>,
    /// Server CPU time per correct response, in microseconds (a throughput-independent
    /// cost measure: valid even when the load generator, not the server, is the bottleneck).
    server_cpu_us_per_request: Option<f64>,
    /// user+system CPU used on the machine by everything else during the round, in % of one
    /// core (from /proc/stat ticks; an indicator that undercounts, not an exact figure:
    /// anything above ~10 means the round was disturbed).
    other_cpu_pct: Option<f64>,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Skipped,
    Failed,
}

#[derive(Serialize, Clone, Debug)]
struct Entry {
    workload: String,
    contestant: String,
    status: Status,
    reason: Option<String>,
    port: Option<u16>,
    time_to_first_response_ms: Option<f64>,
    rounds: Vec<RoundReport>,
    median_rps: Option<f64>,
    min_rps: Option<f64>,
    max_rps: Option<f64>,
    /// Over all rounds' responses together.
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// Median throughput / raw-axum's median throughput on the same workload, same run.
    ratio_vs_raw_axum: Option<f64>,
    /// VmHWM of the server process at the end of the workload.
    peak_rss_mb: Option<f64>,
    /// Median over rounds of the server's CPU time per response.
    server_cpu_us_per_request: Option<f64>,
    /// raw-axum's median CPU time per response divided by this contestant's
    /// (like the throughput ratio: below 1 means more expensive than raw axum).
    cpu_efficiency_vs_raw_axum: Option<f64>,
}

impl Entry {
    fn new(workload: &str, contestant: &str) -> Self {
        Self {
            workload: workload.into(),
            contestant: contestant.into(),
            status: Status::Ok,
            reason: None,
            port: None,
            time_to_first_response_ms: None,
            rounds: Vec::new(),
            median_rps: None,
            min_rps: None,
            max_rps: None,
            p50_ms: None,
            p99_ms: None,
            ratio_vs_raw_axum: None,
            peak_rss_mb: None,
            server_cpu_us_per_request: None,
            cpu_efficiency_vs_raw_axum: None,
        }
    }

    fn skip(&mut self, reason: String) {
        eprintln!("[{}] {}: SKIPPED: {reason}", self.workload, self.contestant);
        self.status = Status::Skipped;
        self.reason = Some(reason);
    }

    fn fail(&mut self, reason: String) {
        eprintln!("[{}] {}: FAILED: {reason}", self.workload, self.contestant);
        self.status = Status::Failed;
        self.reason = Some(reason);
    }

    fn is_ok(&self) -> bool {
        matches!(self.status, Status::Ok)
    }
}

#[derive(Serialize)]
struct Report {
    generated_at_utc: String,
    command: String,
    git_revision: Option<String>,
    machine: Machine,
    settings: Settings,
    pinning: Pinning,
    results: Vec<Entry>,
}

#[derive(Serialize)]
struct Machine {
    cpu_model: Option<String>,
    logical_cpus: usize,
    kernel: Option<String>,
}

#[derive(Serialize)]
struct Settings {
    duration_s: f64,
    rounds: usize,
    connections: usize,
    warmup_s: f64,
    http: &'static str,
}

#[derive(Serialize)]
struct Pinning {
    server_cpus: &'static str,
    loadgen_cpus: &'static str,
    server_pinned: bool,
    loadgen_pinned: bool,
    note: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Small /proc and process helpers

fn read_proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next()?.parse().ok())
}

/// CPU time used so far by a process (all its live threads), in nanoseconds: the sum of
/// `/proc/<pid>/task/*/schedstat` run times, or utime + stime from `/proc/<pid>/stat`
/// (clock-tick resolution) when schedstat is unavailable.
fn proc_cpu_ns(pid: &str, ticks_per_sec: f64) -> Option<u64> {
    let from_schedstat = || -> Option<u64> {
        let mut total = 0u64;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let path = task.ok()?.path().join("schedstat");
            // A thread may exit between listing and reading; skip it.
            if let Ok(text) = std::fs::read_to_string(path) {
                total += text.split_whitespace().next()?.parse::<u64>().ok()?;
            }
        }
        Some(total)
    };
    from_schedstat().or_else(|| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some((ticks as f64 / ticks_per_sec * 1e9) as u64)
    })
}

/// user + nice + system time of all CPUs together, in clock ticks (from `/proc/stat`).
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    (f.len() == 3).then(|| f.iter().sum())
}

fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn command_ok(cmd: &mut Command) -> Result<(), String> {
    match cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// A contestant server process. Killed on drop.
struct Server {
    child: Child,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
}

impl Server {
    fn spawn(binary: &Path, port: u16, pin: bool) -> Result<Self, String> {
        let mut cmd = if pin {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(SERVER_CPU).arg(binary);
            c
        } else {
            Command::new(binary)
        };
        cmd.arg("--port")
            .arg(port.to_string())
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == 20 {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        Ok(Self { child, stderr_tail })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                // Give the stderr reader a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(50));
                let tail = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
                let text: Vec<&str> = tail.iter().map(String::as_str).collect();
                Some(format!("server exited ({status}); stderr: {}", text.join(" | ")))
            }
            Ok(None) => None,
            Err(e) => Some(format!("cannot query server process: {e}")),
        }
    }

    fn peak_rss_mb(&self) -> Option<f64> {
        read_proc_status_kb(self.pid(), "VmHWM").map(|kb| kb as f64 / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

fn port_is_free(port: u16) -> Result<(), String> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("port {port} is already in use on 127.0.0.1 ({e})")),
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from the system clock (no date crate needed).
fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// ---------------------------------------------------------------------------------------
// Running

struct Ctx {
    opts: Options,
    bin_dir: PathBuf,
    pin_server: bool,
    ticks_per_sec: f64,
    next_port: Option<u16>,
}

struct Live {
    server: Server,
    addr: SocketAddr,
    latencies: Vec<u64>,
}

async fn wait_ready(server: &mut Server, addr: SocketAddr, timeout: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let probe = workload::get_json();
    loop {
        if let Some(msg) = server.exited() {
            return Err(msg);
        }
        let attempt = tokio::time::timeout(
            Duration::from_secs(1),
            loadgen::one_shot(addr, &probe.method, probe.path, None),
        )
        .await;
        if let Ok(Ok((status, body))) = attempt {
            // Make sure it is our server answering, not something else on the port.
            if let Some(msg) = server.exited() {
                return Err(msg);
            }
            let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            if status == probe.expected_status && parsed.as_ref() == Some(&probe.expected_body) {
                return Ok(started.elapsed());
            }
            return Err(format!(
                "GET /json answered {status} with {:?}, expected 200 {}",
                String::from_utf8_lossy(&body[..body.len().min(200)]),
                probe.expected_body
            ));
        }
        if started.elapsed() > timeout {
            return Err(format!("no answer on {addr} within {:.0} s", timeout.as_secs_f64()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn negative_checks(addr: SocketAddr, workload: &Workload) -> Result<(), String> {
    for check in workload::negative_checks(workload.name) {
        let (status, body) = loadgen::one_shot(addr, &check.method, check.path, check.body.as_ref()).await?;
        if status != check.expected_status {
            return Err(format!(
                "invalid request ({}) to {} {} got {status}, expected {} (body: {})",
                check.description,
                check.method,
                check.path,
                check.expected_status,
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
    }
    Ok(())
}

async fn start_contestant(ctx: &mut Ctx, workload: &Workload, entry: &mut Entry) -> Option<Live> {
    let binary = ctx.bin_dir.join(&entry.contestant);
    if !binary.is_file() {
        entry.skip(format!(
            "binary {} not found (cargo build --release -p benchmark-harness)",
            binary.display()
        ));
        return None;
    }
    let port = match ctx.next_port.as_mut() {
        Some(p) => {
            let port = *p;
            *p = p.wrapping_add(1);
            port
        }
        None => match free_port() {
            Ok(p) => p,
            Err(e) => {
                entry.skip(e);
                return None;
            }
        },
    };
    entry.port = Some(port);
    if let Err(e) = port_is_free(port) {
        entry.skip(e);
        return None;
    }
    let mut server = match Server::spawn(&binary, port, ctx.pin_server) {
        Ok(s) => s,
        Err(e) => {
            entry.skip(e);
            return None;
        }
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    match wait_ready(&mut server, addr, Duration::from_secs_f64(ctx.opts.startup_timeout)).await {
        Ok(ttfr) => {
            entry.time_to_first_response_ms = Some(ttfr.as_secs_f64() * 1e3);
            eprintln!(
                "[{}] {}: pid {} on port {port}, first response after {:.1} ms",
                workload.name,
                entry.contestant,
                server.pid(),
                ttfr.as_secs_f64() * 1e3
            );
        }
        Err(e) => {
            entry.skip(format!("server failed to start on port {port}: {e}"));
            return None;
        }
    }
    if let Err(e) = negative_checks(addr, workload).await {
        entry.fail(e);
        return None;
    }
    if ctx.opts.warmup > 0.0 {
        let cfg = LoadConfig {
            addr,
            connections: ctx.opts.connections,
            stop: Stop::Duration(Duration::from_secs_f64(ctx.opts.warmup)),
        };
        match loadgen::run(workload, &cfg).await {
            Ok(r) if r.passed() => {}
            Ok(r) => {
                entry.fail(format!(
                    "warm-up: {} wrong answers of {}; first: {}",
                    r.errors,
                    r.errors + r.ok,
                    r.first_error.unwrap_or_default()
                ));
                return None;
            }
            Err(e) => {
                entry.fail(format!("warm-up: {e}"));
                return None;
            }
        }
    }
    Some(Live {
        server,
        addr,
        latencies: Vec::new(),
    })
}

async fn run_workload(ctx: &mut Ctx, workload: &Workload) -> Vec<Entry> {
    let mut entries: Vec<Entry> = ctx
        .opts
        .contestants
        .iter()
        .map(|c| Entry::new(workload.name, c))
        .collect();
    // Start every contestant first (one at a time, so startup times are not disturbed),
    // then interleave their rounds so slow drift on the machine hits all of them alike.
    let mut live: Vec<Option<Live>> = Vec::new();
    for entry in entries.iter_mut() {
        live.push(start_contestant(ctx, workload, entry).await);
    }
    let rounds = ctx.opts.rounds;
    let self_pid = std::process::id().to_string();
    for round in 1..=rounds {
        for (entry, slot) in entries.iter_mut().zip(live.iter_mut()) {
            let Some(l) = slot.as_mut() else { continue };
            if let Some(msg) = l.server.exited() {
                entry.fail(format!("server died: {msg}"));
                *slot = None;
                continue;
            }
            let cfg = LoadConfig {
                addr: l.addr,
                connections: ctx.opts.connections,
                stop: Stop::Duration(Duration::from_secs_f64(ctx.opts.duration)),
            };
            let server_pid = l.server.pid().to_string();
            let tps = ctx.ticks_per_sec;
            let (s0, g0, m0) = (
                proc_cpu_ns(&server_pid, tps),
                proc_cpu_ns(&self_pid, tps),
                machine_busy_ticks(),
            );
            let result = loadgen::run(workload, &cfg).await;
            let (s1, g1, m1) = (
                proc_cpu_ns(&server_pid, tps),
                proc_cpu_ns(&self_pid, tps),
                machine_busy_ticks(),
            );
            let r = match result {
                Ok(r) => r,
                Err(e) => {
                    entry.fail(format!("round {round}: {e}"));
                    *slot = None;
                    continue;
                }
            };
            let wall = r.elapsed.as_secs_f64();
            let pct = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / 1e9 / wall * 100.0);
            // CPU used by anything other than this server and the load generator (other
            // processes on the machine disturb the measurement).
            let other_cpu_pct = m0.zip(m1).map(|(a, b)| {
                let machine_pct = b.saturating_sub(a) as f64 / tps / wall * 100.0;
                let ours = pct(s0, s1).unwrap_or(0.0) + pct(g0, g1).unwrap_or(0.0);
                (machine_pct - ours).max(0.0)
            });
            let server_cpu_us_per_request = s0
                .zip(s1)
                .filter(|_| r.ok > 0)
                .map(|(a, b)| b.saturating_sub(a) as f64 / 1e3 / r.ok as f64);
            let report = RoundReport {
                requests_ok: r.ok,
                errors: r.errors,
                elapsed_s: wall,
                rps: r.rps,
                p50_ms: r.p50_ms,
                p99_ms: r.p99_ms,
                max_ms: r.max_ms,
                server_cpu_pct: pct(s0, s1),
                loadgen_cpu_pct: pct(g0, g1),
                server_cpu_us_per_request,
                other_cpu_pct,
            };
            eprintln!(
                "[{}] {} round {round}/{rounds}: {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, {} ok, {} errors, server CPU {}, load generator CPU {}",
                workload.name,
                entry.contestant,
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.ok,
                r.errors,
                report.server_cpu_pct.map_or("?".into(), |p| format!("{p:.0}%")),
                report.loadgen_cpu_pct.map_or("?".into(), |p| format!("{p:.0}%")),
            );
            if report.server_cpu_pct.is_some_and(|p| p < 80.0) {
                eprintln!(
                    "[{}] {} round {round}/{rounds}: warning: server used only {:.0}% of its core: not saturated \
                     (other load on the machine, or the load generator is the bottleneck)",
                    workload.name,
                    entry.contestant,
                    report.server_cpu_pct.unwrap_or(0.0)
                );
            }
            if report.other_cpu_pct.is_some_and(|p| p > 10.0) {
                eprintln!(
                    "[{}] {} round {round}/{rounds}: warning: other processes used {:.0}% of a core during this round",
                    workload.name,
                    entry.contestant,
                    report.other_cpu_pct.unwrap_or(0.0)
                );
            }
            entry.rounds.push(report);
            if !r.passed() {
                entry.fail(format!(
                    "round {round}: {} wrong answers or errors of {}; first: {}",
                    r.errors,
                    r.errors + r.ok,
                    r.first_error.unwrap_or_else(|| "no responses".into())
                ));
                *slot = None;
                continue;
            }
            l.latencies.extend_from_slice(&r.latencies_ns);
        }
    }
    for (entry, slot) in entries.iter_mut().zip(live.iter_mut()) {
        let Some(mut l) = slot.take() else { continue };
        entry.peak_rss_mb = l.server.peak_rss_mb();
        if let Some(msg) = l.server.exited() {
            entry.fail(format!("server died: {msg}"));
            continue;
        }
        let mut rps: Vec<f64> = entry.rounds.iter().map(|r| r.rps).collect();
        rps.sort_by(f64::total_cmp);
        entry.median_rps = Some(median(&rps));
        entry.min_rps = rps.first().copied();
        entry.max_rps = rps.last().copied();
        l.latencies.sort_unstable();
        entry.p50_ms = Some(loadgen::percentile_ms(&l.latencies, 50.0));
        entry.p99_ms = Some(loadgen::percentile_ms(&l.latencies, 99.0));
        let mut cost: Vec<f64> = entry
            .rounds
            .iter()
            .filter_map(|r| r.server_cpu_us_per_request)
            .collect();
        cost.sort_by(f64::total_cmp);
        entry.server_cpu_us_per_request = (!cost.is_empty()).then(|| median(&cost));
        drop(l); // kills the server
    }
    let baseline = entries.iter().find(|e| e.contestant == BASELINE && e.is_ok());
    let base_rps = baseline.and_then(|e| e.median_rps);
    let base_cost = baseline.and_then(|e| e.server_cpu_us_per_request);
    for entry in entries.iter_mut().filter(|e| e.is_ok()) {
        entry.ratio_vs_raw_axum = base_rps.zip(entry.median_rps).map(|(b, m)| m / b);
        entry.cpu_efficiency_vs_raw_axum = base_cost.zip(entry.server_cpu_us_per_request).map(|(b, c)| b / c);
    }
    entries
}

// ---------------------------------------------------------------------------------------
// Output

fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".into(), |v| format!("{v:.decimals$}"))
}

fn markdown(report: &Report) -> String {
    let mut md = String::new();
    md.push_str("# Benchmark results\n\n");
    md.push_str(&format!(
        "Generated {} by `{}`{}.\n\n",
        report.generated_at_utc,
        report.command,
        report
            .git_revision
            .as_ref()
            .map_or(String::new(), |r| format!(" at revision `{r}`"))
    ));
    md.push_str(&format!(
        "Machine: {} ({} logical CPUs), Linux {}. Server pinned to CPU {} ({}), load generator to CPU {} ({}). \
         {} round(s) of {} s per contestant and workload after {} s warm-up, {} keep-alive HTTP/1.1 connections.\n\n",
        report.machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
        report.machine.logical_cpus,
        report.machine.kernel.as_deref().unwrap_or("?"),
        report.pinning.server_cpus,
        if report.pinning.server_pinned {
            "pinned"
        } else {
            "NOT pinned"
        },
        report.pinning.loadgen_cpus,
        if report.pinning.loadgen_pinned {
            "pinned"
        } else {
            "NOT pinned"
        },
        report.settings.rounds,
        report.settings.duration_s,
        report.settings.warmup_s,
        report.settings.connections,
    ));
    if let Some(note) = &report.pinning.note {
        md.push_str(&format!("**Note:** {note}\n\n"));
    }
    md.push_str(
        "| workload | contestant | median req/s | min req/s | max req/s | p99 ms | ratio vs raw axum | peak RSS MB |\n",
    );
    md.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for e in &report.results {
        match e.status {
            Status::Ok => md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                e.workload,
                e.contestant,
                fmt_opt(e.median_rps, 0),
                fmt_opt(e.min_rps, 0),
                fmt_opt(e.max_rps, 0),
                fmt_opt(e.p99_ms, 3),
                fmt_opt(e.ratio_vs_raw_axum, 2),
                fmt_opt(e.peak_rss_mb, 1),
            )),
            Status::Skipped | Status::Failed => md.push_str(&format!(
                "| {} | {} | {} | — | — | — | — | {} |\n",
                e.workload,
                e.contestant,
                if matches!(e.status, Status::Skipped) {
                    "skipped"
                } else {
                    "FAILED"
                },
                fmt_opt(e.peak_rss_mb, 1),
            )),
        }
    }
    let problems: Vec<&Entry> = report.results.iter().filter(|e| !e.is_ok()).collect();
    if !problems.is_empty() {
        md.push('\n');
        for e in problems {
            md.push_str(&format!(
                "- {} / {}: {}\n",
                e.workload,
                e.contestant,
                e.reason.as_deref().unwrap_or("?").replace('|', "\\|")
            ));
        }
    }
    md.push_str("\n| workload | contestant | p50 ms | server CPU µs/req | CPU efficiency vs raw axum | time to first response ms | server CPU % (per round) | load generator CPU % (per round) | other processes CPU % (per round) |\n");
    md.push_str("|---|---|---:|---:|---:|---:|---|---|---|\n");
    for e in &report.results {
        let cpus = |f: fn(&RoundReport) -> Option<f64>| {
            let v: Vec<String> = e.rounds.iter().map(|r| fmt_opt(f(r), 0)).collect();
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join(", ")
            }
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            e.workload,
            e.contestant,
            fmt_opt(e.p50_ms, 3),
            fmt_opt(e.server_cpu_us_per_request, 2),
            fmt_opt(e.cpu_efficiency_vs_raw_axum, 2),
            fmt_opt(e.time_to_first_response_ms, 1),
            cpus(|r| r.server_cpu_pct),
            cpus(|r| r.loadgen_cpu_pct),
            cpus(|r| r.other_cpu_pct),
        ));
    }
    md.push_str(
        "\nRatios compare median throughput with raw axum's on the same workload in the same run. \
         Server CPU near 100% means the server (one core) was the bottleneck; when it is well below 100% \
         the server and the load generator were taking turns (closed loop) and the throughput ratio \
         understates differences. Server CPU µs/req (thread run time from /proc, excluding softirq \
         network work) does not depend on that; CPU efficiency is raw axum's µs/req divided by the \
         contestant's.\n",
    );
    md
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("benchmark-harness: {e}\n\n{USAGE}");
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
    let mut ctx = Ctx {
        next_port: opts.base_port,
        opts: opts.clone(),
        bin_dir,
        pin_server,
        ticks_per_sec: clock_ticks_per_sec(),
    };
    eprintln!(
        "benchmark-harness: contestants from {}; {} round(s) x {} s, {} connections, {} s warm-up",
        ctx.bin_dir.display(),
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
    fn median_of_odd_and_even() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
    }

    #[test]
    fn own_cpu_time_is_readable() {
        assert!(proc_cpu_ns(&std::process::id().to_string(), 100.0).is_some());
    }
}
