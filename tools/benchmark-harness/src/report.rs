//! Result records: what `results.json` holds (rendered by `markdown.rs` and `chart.rs`).

use serde::{Deserialize, Serialize};

use crate::contestants::Contestant;
use crate::cpu::CoreUse;
use crate::soak::SoakEntry;

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
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
    /// core (from /proc/stat ticks, both cores together; `server_core` and `loadgen_core`
    /// say which core it was taken from).
    pub(crate) other_cpu_pct: Option<f64>,
    /// How the server's core was used during the round (its process, other processes,
    /// interrupts, steal).
    #[serde(default)]
    pub(crate) server_core: Option<CoreUse>,
    /// How the load generator's core was used during the round.
    #[serde(default)]
    pub(crate) loadgen_core: Option<CoreUse>,
    /// Why the round cannot be trusted (another process or the hypervisor took a share of
    /// one of the two cores), if so.
    #[serde(default)]
    pub(crate) disturbed: Option<String>,
    /// How long the harness waited before the round for both cores to be idle.
    #[serde(default)]
    pub(crate) waited_for_quiet_s: Option<f64>,
}

impl RoundReport {
    /// The largest share of either core taken by something other than the measured work.
    pub(crate) fn disturbance_pct(&self) -> f64 {
        [self.server_core, self.loadgen_core]
            .iter()
            .flatten()
            .map(CoreUse::disturbance_pct)
            .fold(0.0, f64::max)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Ok,
    Skipped,
    Failed,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
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
    /// Disturbed rounds that were re-run (and the re-run kept instead), kept for the record.
    #[serde(default)]
    pub(crate) discarded_rounds: Vec<RoundReport>,
    /// What the harness had to correct or wants the reader to know (e.g. threads re-pinned).
    #[serde(default)]
    pub(crate) notes: Vec<String>,
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
    pub(crate) fn new(workload: &str, contestant: &Contestant) -> Self {
        Self {
            workload: workload.into(),
            contestant: contestant.name.clone(),
            description: Some(contestant.description.clone()),
            status: Status::Ok,
            reason: None,
            port: None,
            time_to_first_response_ms: None,
            warmup_s: None,
            rounds: Vec::new(),
            discarded_rounds: Vec::new(),
            notes: Vec::new(),
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
        self.status = Status::Skipped;
        self.reason = Some(reason);
    }

    pub(crate) fn fail(&mut self, reason: String) {
        self.status = Status::Failed;
        self.reason = Some(reason);
    }

    /// `SKIPPED: reason` / `FAILED: reason` / `ok`.
    pub(crate) fn status_line(&self) -> String {
        let reason = self.reason.as_deref().unwrap_or("");
        match self.status {
            Status::Ok => "ok".into(),
            Status::Skipped => format!("SKIPPED: {reason}"),
            Status::Failed => format!("FAILED: {reason}"),
        }
    }

    pub(crate) fn is_ok(&self) -> bool {
        matches!(self.status, Status::Ok)
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Report {
    pub(crate) generated_at_utc: String,
    pub(crate) command: String,
    pub(crate) git_revision: Option<String>,
    pub(crate) machine: Machine,
    pub(crate) settings: Settings,
    pub(crate) pinning: Pinning,
    pub(crate) workloads: Vec<WorkloadInfo>,
    pub(crate) results: Vec<Entry>,
    /// The memory soak (`--soak N`), one entry per contestant.
    #[serde(default)]
    pub(crate) soak: Vec<SoakEntry>,
}

/// What a workload sends (for the report).
#[derive(Serialize, Deserialize)]
pub(crate) struct WorkloadInfo {
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) request: String,
    pub(crate) request_body_bytes: usize,
    pub(crate) validated: bool,
}

impl WorkloadInfo {
    pub(crate) fn of(w: &benchmark_harness::workload::Workload) -> Self {
        Self {
            name: w.name.to_string(),
            summary: w.summary.to_string(),
            request: format!("{} {}", w.method, w.path),
            request_body_bytes: w.body.as_ref().map_or(0, |b| b.len()),
            validated: w.validated,
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Machine {
    pub(crate) cpu_model: Option<String>,
    pub(crate) logical_cpus: usize,
    pub(crate) kernel: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Settings {
    pub(crate) duration_s: f64,
    pub(crate) rounds: usize,
    pub(crate) connections: usize,
    pub(crate) warmup_s: f64,
    pub(crate) http: String,
    /// `builtin` (hyper client, every answer checked) or `wrk` (sampled answers checked).
    pub(crate) loadgen: String,
    /// Longest wait before a round for both cores to be idle (`--quiet-wait`).
    #[serde(default)]
    pub(crate) quiet_wait_s: Option<f64>,
    /// How many times a disturbed round is re-run (`--retries`).
    #[serde(default)]
    pub(crate) retries: Option<usize>,
    /// Requests per contestant in the memory soak (`--soak`), and its workload.
    #[serde(default)]
    pub(crate) soak_requests: Option<u64>,
    #[serde(default)]
    pub(crate) soak_workload: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Pinning {
    pub(crate) server_cpus: String,
    pub(crate) loadgen_cpus: String,
    pub(crate) server_pinned: bool,
    pub(crate) loadgen_pinned: bool,
    pub(crate) note: Option<String>,
}

impl Report {
    /// Reads a `results.json` written by an earlier run (`--render`).
    pub(crate) fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not a results.json of this harness: {e}", path.display()))
    }

    /// Median over all measured rounds of the servers' CPU use (100 = one full core).
    pub(crate) fn median_server_cpu_pct(&self) -> Option<f64> {
        let mut v: Vec<f64> = self
            .results
            .iter()
            .flat_map(|e| e.rounds.iter().filter_map(|r| r.server_cpu_pct))
            .collect();
        v.sort_by(f64::total_cmp);
        (!v.is_empty()).then(|| crate::process::median(&v))
    }
}
