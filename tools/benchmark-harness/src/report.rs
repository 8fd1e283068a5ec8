//! Result records (what `results.json` holds) and the Markdown rendering of a run.

use serde::Serialize;

// ---------------------------------------------------------------------------------------
// Results

#[derive(Serialize, Clone, Debug)]
pub(crate) struct RoundReport {
    pub(crate) requests_ok: u64,
    pub(crate) errors: u64,
    pub(crate) elapsed_s: f64,
    pub(crate) rps: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    /// Server process CPU time / wall time during the round (100 = one full core).
    pub(crate) server_cpu_pct: Option<f64>,
    /// This process's (the load generator's) CPU time / wall time during the round.
    pub(crate) loadgen_cpu_pct: Option<f64>,
    /// Server CPU time per correct response, in microseconds (a throughput-independent
    /// cost measure: valid even when the load generator, not the server, is the bottleneck).
    pub(crate) server_cpu_us_per_request: Option<f64>,
    /// user+system CPU used on the machine by everything else during the round, in % of one
    /// core (from /proc/stat ticks; an indicator that undercounts, not an exact figure:
    /// anything above ~10 means the round was disturbed).
    pub(crate) other_cpu_pct: Option<f64>,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Ok,
    Skipped,
    Failed,
}

#[derive(Serialize, Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) workload: String,
    pub(crate) contestant: String,
    /// Framework, server and how validation is done.
    pub(crate) description: Option<String>,
    pub(crate) status: Status,
    pub(crate) reason: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) time_to_first_response_ms: Option<f64>,
    /// Warm-up actually applied (`--warmup`, raised to the runtime's minimum for JIT runtimes).
    pub(crate) warmup_s: Option<f64>,
    pub(crate) rounds: Vec<RoundReport>,
    pub(crate) median_rps: Option<f64>,
    pub(crate) min_rps: Option<f64>,
    pub(crate) max_rps: Option<f64>,
    /// Over all rounds' responses together.
    pub(crate) p50_ms: Option<f64>,
    pub(crate) p99_ms: Option<f64>,
    /// Median throughput / raw-axum's median throughput on the same workload, same run.
    pub(crate) ratio_vs_raw_axum: Option<f64>,
    /// VmHWM of the server process at the end of the workload.
    pub(crate) peak_rss_mb: Option<f64>,
    /// Median over rounds of the server's CPU time per response.
    pub(crate) server_cpu_us_per_request: Option<f64>,
    /// raw-axum's median CPU time per response divided by this contestant's
    /// (like the throughput ratio: below 1 means more expensive than raw axum).
    pub(crate) cpu_efficiency_vs_raw_axum: Option<f64>,
}

impl Entry {
    pub(crate) fn new(workload: &str, contestant: &str) -> Self {
        Self {
            workload: workload.into(),
            contestant: contestant.into(),
            description: crate::contestants::find(contestant).map(|c| c.description.to_string()),
            status: Status::Ok,
            reason: None,
            port: None,
            time_to_first_response_ms: None,
            warmup_s: None,
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

    pub(crate) fn skip(&mut self, reason: String) {
        eprintln!("[{}] {}: SKIPPED: {reason}", self.workload, self.contestant);
        self.status = Status::Skipped;
        self.reason = Some(reason);
    }

    pub(crate) fn fail(&mut self, reason: String) {
        eprintln!("[{}] {}: FAILED: {reason}", self.workload, self.contestant);
        self.status = Status::Failed;
        self.reason = Some(reason);
    }

    pub(crate) fn is_ok(&self) -> bool {
        matches!(self.status, Status::Ok)
    }
}

#[derive(Serialize)]
pub(crate) struct Report {
    pub(crate) generated_at_utc: String,
    pub(crate) command: String,
    pub(crate) git_revision: Option<String>,
    pub(crate) machine: Machine,
    pub(crate) settings: Settings,
    pub(crate) pinning: Pinning,
    pub(crate) results: Vec<Entry>,
}

#[derive(Serialize)]
pub(crate) struct Machine {
    pub(crate) cpu_model: Option<String>,
    pub(crate) logical_cpus: usize,
    pub(crate) kernel: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct Settings {
    pub(crate) duration_s: f64,
    pub(crate) rounds: usize,
    pub(crate) connections: usize,
    pub(crate) warmup_s: f64,
    pub(crate) http: &'static str,
}

#[derive(Serialize)]
pub(crate) struct Pinning {
    pub(crate) server_cpus: &'static str,
    pub(crate) loadgen_cpus: &'static str,
    pub(crate) server_pinned: bool,
    pub(crate) loadgen_pinned: bool,
    pub(crate) note: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Output

pub(crate) fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".into(), |v| format!("{v:.decimals$}"))
}

pub(crate) fn markdown(report: &Report) -> String {
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
    let mut seen = Vec::new();
    for e in &report.results {
        if !seen.contains(&e.contestant.as_str()) {
            seen.push(e.contestant.as_str());
            let warmup = e
                .warmup_s
                .filter(|w| *w > report.settings.warmup_s)
                .map_or(String::new(), |w| format!(" (JIT runtime: warm-up raised to {w} s)"));
            md.push_str(&format!(
                "- `{}`: {}{warmup}\n",
                e.contestant,
                e.description.as_deref().unwrap_or("?")
            ));
        }
    }
    md.push('\n');
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
