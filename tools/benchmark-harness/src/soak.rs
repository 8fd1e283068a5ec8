//! The memory soak (`--soak N`): does a server's resident memory stay put under sustained
//! load? Per contestant: start it (pinned, checked and warmed up as for a timed round), read
//! the resident memory of its process group, send exactly N requests of one workload
//! (`--soak-workload`, default `get-json`) over the usual keep-alive connections with every
//! answer checked, sample the resident memory from `/proc/<pid>/status` (`VmRSS`, summed over
//! the group) every 100 ms meanwhile, and read it again 200 ms after the last answer.
//!
//! Reported: RSS at the start, the peak, the end, the growth (end − start) and the growth
//! over the second half of the requests (end − the RSS when half had been answered). A
//! server that allocates its steady-state memory early and then stays flat shows growth in
//! the first half only; one that leaks keeps growing in the second half too, so the trend is
//! "grows" when the second-half growth exceeds 1 MB and 2% of the half-way RSS.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchmark_harness::loadgen::{self, LoadConfig, Stop};
use benchmark_harness::workload;
use serde::{Deserialize, Serialize};

use crate::markdown::fmt_opt;
use crate::process::group_status_mb;
use crate::progress::Goal;
use crate::report::{Entry, Status};
use crate::run::Ctx;
use crate::start::{start, Live};

const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Samples kept in `results.json` per contestant (evenly thinned; the peak is always kept).
const MAX_SAMPLES: usize = 200;
/// Second-half growth above both of these means the memory is still growing.
const GROWS_MB: f64 = 1.0;
const GROWS_FRACTION: f64 = 0.02;

/// One reading of the server's resident memory.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub(crate) struct RssSample {
    /// Correct answers received so far.
    pub(crate) requests: u64,
    pub(crate) elapsed_s: f64,
    pub(crate) rss_mb: f64,
    /// The private (anonymous) part of it, `RssAnon`: the heap, without the mapped files
    /// (an extension module's code pages count in `rss_mb` but are shared and not a leak).
    #[serde(default)]
    pub(crate) anon_mb: Option<f64>,
}

/// One contestant's soak.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SoakEntry {
    pub(crate) contestant: String,
    pub(crate) description: Option<String>,
    pub(crate) workload: String,
    pub(crate) status: Status,
    pub(crate) reason: Option<String>,
    /// Requests asked for (`--soak`).
    pub(crate) requests: u64,
    pub(crate) requests_ok: u64,
    pub(crate) errors: u64,
    pub(crate) elapsed_s: Option<f64>,
    pub(crate) rps: Option<f64>,
    #[serde(flatten)]
    pub(crate) summary: RssSummary,
    /// The readings, thinned to at most 200 (the first, the last and the peak always kept).
    pub(crate) samples: Vec<RssSample>,
}

/// What the readings say.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct RssSummary {
    pub(crate) rss_start_mb: Option<f64>,
    pub(crate) rss_peak_mb: Option<f64>,
    pub(crate) rss_end_mb: Option<f64>,
    /// End − start.
    pub(crate) growth_mb: Option<f64>,
    /// End − the RSS when half of the requests had been answered.
    pub(crate) second_half_growth_mb: Option<f64>,
    /// Whether the second-half growth is above 1 MB and 2% of the half-way RSS.
    pub(crate) grows: Option<bool>,
    /// The private part (`RssAnon`) at the start and at the end.
    #[serde(default)]
    pub(crate) rss_anon_start_mb: Option<f64>,
    #[serde(default)]
    pub(crate) rss_anon_end_mb: Option<f64>,
}

/// Start, peak, end and growth from the readings (in order; the first before the first
/// request, the last after the last answer).
pub(crate) fn summarise(samples: &[RssSample]) -> RssSummary {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return RssSummary::default();
    };
    let peak = samples.iter().map(|s| s.rss_mb).fold(f64::MIN, f64::max);
    let half = last.requests / 2;
    let halfway = samples.iter().find(|s| s.requests >= half).unwrap_or(last);
    let second_half = last.rss_mb - halfway.rss_mb;
    RssSummary {
        rss_start_mb: Some(first.rss_mb),
        rss_peak_mb: Some(peak),
        rss_end_mb: Some(last.rss_mb),
        growth_mb: Some(last.rss_mb - first.rss_mb),
        second_half_growth_mb: Some(second_half),
        grows: Some(second_half > GROWS_MB.max(GROWS_FRACTION * halfway.rss_mb)),
        rss_anon_start_mb: first.anon_mb,
        rss_anon_end_mb: last.anon_mb,
    }
}

/// At most `max` samples, evenly spread, always with the first, the last and the peak.
pub(crate) fn thin(samples: &[RssSample], max: usize) -> Vec<RssSample> {
    if samples.len() <= max.max(3) {
        return samples.to_vec();
    }
    let peak = samples
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.rss_mb.total_cmp(&b.1.rss_mb))
        .map_or(0, |(i, _)| i);
    let step = (samples.len() - 1) as f64 / (max - 2) as f64;
    let mut keep: Vec<usize> = (0..max - 1).map(|k| (k as f64 * step).round() as usize).collect();
    keep.push(samples.len() - 1);
    keep.push(peak);
    keep.sort_unstable();
    keep.dedup();
    keep.into_iter().map(|i| samples[i]).collect()
}

impl SoakEntry {
    fn new(ctx: &Ctx, contestant: &str, description: Option<String>) -> Self {
        Self {
            contestant: contestant.to_string(),
            description,
            workload: ctx.opts.soak_workload.clone(),
            status: Status::Ok,
            reason: None,
            requests: ctx.opts.soak.unwrap_or(0),
            requests_ok: 0,
            errors: 0,
            elapsed_s: None,
            rps: None,
            summary: RssSummary::default(),
            samples: Vec::new(),
        }
    }

    pub(crate) fn is_ok(&self) -> bool {
        matches!(self.status, Status::Ok)
    }

    fn status_line(&self) -> String {
        match self.status {
            Status::Ok => format!(
                "soak: {} requests at {} req/s; RSS start {} MB, peak {} MB, end {} MB, growth {} MB ({} MB in the second half)",
                self.requests_ok,
                fmt_opt(self.rps, 0),
                fmt_opt(self.summary.rss_start_mb, 1),
                fmt_opt(self.summary.rss_peak_mb, 1),
                fmt_opt(self.summary.rss_end_mb, 1),
                fmt_opt(self.summary.growth_mb, 1),
                fmt_opt(self.summary.second_half_growth_mb, 1),
            ),
            Status::Skipped => format!("soak SKIPPED: {}", self.reason.as_deref().unwrap_or("")),
            Status::Failed => format!("soak FAILED: {}", self.reason.as_deref().unwrap_or("")),
        }
    }
}

/// Soaks every selected contestant, one at a time.
pub(crate) async fn run_soak(ctx: &mut Ctx) -> Vec<SoakEntry> {
    let Some(w) = workload::find(&ctx.opts.soak_workload) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in ctx.opts.contestants.clone() {
        let Some(contestant) = ctx.config.find(&name).cloned() else {
            continue;
        };
        let mut entry = Entry::new(w.name, &contestant);
        let mut soak = SoakEntry::new(ctx, &name, Some(contestant.description.clone()));
        match start(ctx, &contestant, &w, &mut entry).await {
            Some(mut live) => soak_one(ctx, &w, &mut live, &mut soak).await,
            None => {
                soak.status = entry.status.clone();
                soak.reason = entry.reason.clone();
            }
        }
        // The server was dropped above: killed, and gone, before the next one starts.
        ctx.progress.advance(1);
        ctx.progress.event(w.name, &name, &soak.status_line());
        out.push(soak);
    }
    out
}

async fn soak_one(ctx: &Ctx, w: &workload::Workload, live: &mut Live, soak: &mut SoakEntry) {
    let pgid = live.server.pid();
    let requests = soak.requests;
    let counter = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let read = move |requests: u64| {
        Some(RssSample {
            requests,
            elapsed_s: started.elapsed().as_secs_f64(),
            rss_mb: group_status_mb(pgid, "VmRSS")?,
            anon_mb: group_status_mb(pgid, "RssAnon"),
        })
    };
    let Some(first) = read(0) else {
        soak.status = Status::Failed;
        soak.reason = Some("cannot read the server's resident memory from /proc".into());
        return;
    };
    let mut samples = vec![first];
    // The sampler shares the load generator's thread: it reads a few /proc files per tick.
    let sampler = {
        let (counter, done) = (counter.clone(), done.clone());
        tokio::spawn(async move {
            let mut taken = Vec::new();
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            tick.tick().await;
            while !done.load(Ordering::Relaxed) {
                tick.tick().await;
                if let Some(sample) = read(counter.load(Ordering::Relaxed)) {
                    taken.push(sample);
                }
            }
            taken
        })
    };
    let cfg = LoadConfig {
        addr: live.addr,
        connections: ctx.opts.connections,
        stop: Stop::Requests(requests),
        progress: Some(counter.clone()),
    };
    let result = {
        let _live = ctx.progress.live(
            format!("{} · {} soak", w.name, live.name),
            counter.clone(),
            Goal::Requests(requests),
        );
        loadgen::run(w, &cfg).await
    };
    done.store(true, Ordering::Relaxed);
    samples.extend(sampler.await.unwrap_or_default());
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            soak.status = Status::Failed;
            soak.reason = Some(e);
            return;
        }
    };
    soak.requests_ok = r.ok;
    soak.errors = r.errors;
    soak.elapsed_s = Some(r.elapsed.as_secs_f64());
    soak.rps = Some(r.rps);
    if !r.passed() {
        soak.status = Status::Failed;
        soak.reason = Some(format!(
            "{} wrong answers or errors of {}; first: {}",
            r.errors,
            r.errors + r.ok,
            r.first_error.unwrap_or_else(|| "no responses".into())
        ));
        return;
    }
    // The end: once the connections are closed and the server has let go of them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    match read(r.ok) {
        Some(last) => samples.push(last),
        None => {
            soak.status = Status::Failed;
            soak.reason = Some(
                live.server
                    .exited()
                    .unwrap_or_else(|| "the server's memory could not be read at the end".into()),
            );
            return;
        }
    }
    soak.summary = summarise(&samples);
    soak.samples = thin(&samples, MAX_SAMPLES);
}

/// A change in MB to one decimal, without a "-0.0".
fn signed_mb(v: Option<f64>) -> String {
    match fmt_opt(v, 1).as_str() {
        "-0.0" => "0.0".into(),
        other => other.into(),
    }
}

/// The soak table for `results.md` and the README section.
pub(crate) fn table(entries: &[SoakEntry]) -> String {
    let mut md = String::from(
        "| contestant | workload | requests | req/s | RSS start MB | RSS peak MB | RSS end MB | growth MB | second-half growth MB | private (anon) start → end MB | trend |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for e in entries {
        let trend = match (&e.status, e.summary.grows) {
            (Status::Ok, Some(true)) => "grows".to_string(),
            (Status::Ok, Some(false)) => "flat".to_string(),
            (Status::Ok, None) => "—".to_string(),
            (Status::Skipped, _) => "skipped".to_string(),
            (Status::Failed, _) => "FAILED".to_string(),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} → {} | {trend} |\n",
            e.contestant,
            e.workload,
            e.requests_ok,
            fmt_opt(e.rps, 0),
            fmt_opt(e.summary.rss_start_mb, 1),
            fmt_opt(e.summary.rss_peak_mb, 1),
            fmt_opt(e.summary.rss_end_mb, 1),
            signed_mb(e.summary.growth_mb),
            signed_mb(e.summary.second_half_growth_mb),
            fmt_opt(e.summary.rss_anon_start_mb, 1),
            fmt_opt(e.summary.rss_anon_end_mb, 1),
        ));
    }
    md
}

pub(crate) const EXPLAINED: &str =
    "Resident memory (VmRSS of the server's process group) after the warm-up (start), its highest \
sample (every 100 ms) and 200 ms after the last answer (end), over the given number of requests with \
every answer checked. Second-half growth is the end minus the RSS when half of the requests had been \
answered: a leak keeps growing there, a one-off warm-up allocation does not (trend `grows` above 1 MB \
and 2% of the half-way RSS). Private (anon) is the part of the RSS that is the process's own memory (`RssAnon`: \
heap and stacks), without mapped files such as an extension module's code.";

/// Every soak that did not run, with its reason.
pub(crate) fn problems(entries: &[SoakEntry]) -> String {
    entries
        .iter()
        .filter(|e| !e.is_ok())
        .map(|e| {
            format!(
                "- soak / {}: {} — {}\n",
                e.contestant,
                if matches!(e.status, Status::Skipped) {
                    "skipped"
                } else {
                    "FAILED"
                },
                e.reason.as_deref().unwrap_or("?").replace('|', "\\|")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(requests: u64, rss_mb: f64) -> RssSample {
        RssSample {
            requests,
            elapsed_s: requests as f64 / 1000.0,
            rss_mb,
            anon_mb: Some(rss_mb / 2.0),
        }
    }

    #[test]
    fn a_warm_up_step_is_flat_and_a_leak_grows() {
        // Grows by 4 MB in the first quarter, then stays.
        let plateau = [s(0, 20.0), s(50, 24.0), s(100, 24.1), s(150, 23.9), s(200, 24.2)];
        let p = summarise(&plateau);
        assert_eq!(
            (p.rss_start_mb, p.rss_peak_mb, p.rss_end_mb),
            (Some(20.0), Some(24.2), Some(24.2))
        );
        assert!((p.growth_mb.unwrap() - 4.2).abs() < 1e-9);
        assert!((p.second_half_growth_mb.unwrap() - 0.1).abs() < 1e-9);
        assert_eq!(p.grows, Some(false));
        // 1 MB per 25 requests throughout.
        let leak: Vec<RssSample> = (0..=8).map(|i| s(i * 25, 20.0 + i as f64)).collect();
        let l = summarise(&leak);
        assert_eq!(
            (l.growth_mb, l.second_half_growth_mb, l.grows),
            (Some(8.0), Some(4.0), Some(true))
        );
        // A peak in the middle is reported, and a shrinking server does not "grow".
        let spike = summarise(&[s(0, 30.0), s(100, 45.0), s(200, 29.0)]);
        assert_eq!(
            (spike.rss_peak_mb, spike.growth_mb, spike.grows),
            (Some(45.0), Some(-1.0), Some(false))
        );
        assert_eq!(summarise(&[]), RssSummary::default());
    }

    #[test]
    fn growth_must_beat_both_thresholds() {
        // 1.5 MB on 100 MB is under 2%; on 40 MB it is over both.
        assert_eq!(
            summarise(&[s(0, 100.0), s(50, 100.0), s(100, 101.5)]).grows,
            Some(false)
        );
        assert_eq!(summarise(&[s(0, 40.0), s(50, 40.0), s(100, 41.5)]).grows, Some(true));
        assert_eq!(summarise(&[s(0, 10.0), s(50, 10.0), s(100, 10.9)]).grows, Some(false));
    }

    #[test]
    fn thinning_keeps_the_ends_and_the_peak() {
        let many: Vec<RssSample> = (0..1000).map(|i| s(i, if i == 333 { 99.0 } else { 10.0 })).collect();
        let t = thin(&many, 50);
        assert!(t.len() <= 51, "{}", t.len());
        assert_eq!((t[0], *t.last().unwrap()), (many[0], many[999]));
        assert!(t.contains(&many[333]));
        assert!(
            t.windows(2).all(|p| p[0].requests < p[1].requests),
            "in order, no duplicates"
        );
        assert_eq!(thin(&many[..10], 50), many[..10].to_vec());
    }

    #[test]
    fn the_table_shows_the_readings_and_the_problems() {
        let ok = SoakEntry {
            contestant: "spikard-python".into(),
            description: None,
            workload: "get-json".into(),
            status: Status::Ok,
            reason: None,
            requests: 200_000,
            requests_ok: 200_000,
            errors: 0,
            elapsed_s: Some(2.5),
            rps: Some(80_000.0),
            summary: summarise(&[s(0, 20.04), s(100_000, 21.0), s(200_000, 21.04)]),
            samples: Vec::new(),
        };
        let mut skipped = ok.clone();
        skipped.contestant = "sinatra-puma".into();
        skipped.status = Status::Skipped;
        skipped.reason = Some("puma missing | apt-get install puma".into());
        skipped.requests_ok = 0;
        let t = table(&[ok.clone(), skipped.clone()]);
        assert!(
            t.contains(
                "| spikard-python | get-json | 200000 | 80000 | 20.0 | 21.0 | 21.0 | 1.0 | 0.0 | 10.0 → 10.5 | flat |"
            ),
            "{t}"
        );
        assert!(t.contains("| sinatra-puma | get-json | 0 |"), "{t}");
        assert!(t.trim_end().ends_with("| skipped |"), "{t}");
        assert_eq!(
            problems(&[ok.clone(), skipped]),
            "- soak / sinatra-puma: skipped — puma missing \\| apt-get install puma\n"
        );
        // results.json round trip (the summary is flattened into the entry).
        let json = serde_json::to_value(&ok).unwrap();
        assert_eq!(json["rss_start_mb"], 20.04);
        let back: SoakEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back.summary, ok.summary);
    }
}
