//! Running a workload: start every contestant (one at a time), then time interleaved rounds
//! (round 1 of each, round 2 of each, ...) so slow drift on the machine hits all alike, and
//! summarise (median/min/max, latency percentiles, ratios to raw axum).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use benchmark_harness::loadgen::{self, LoadConfig, LoadResult, Stop};
use benchmark_harness::workload::Workload;
use benchmark_harness::wrk;

use crate::contestants::{Config, Dirs};
use crate::install::Installer;
use crate::process::{children_cpu_ns, machine_busy_ticks, median, proc_cpu_ns};
use crate::progress::Progress;
use crate::report::{Entry, RoundReport};
use crate::start::{sample, start, Live};
use crate::{LoadGen, Options, BASELINE};

pub(crate) struct Ctx {
    pub(crate) opts: Options,
    pub(crate) config: Config,
    pub(crate) dirs: Dirs,
    pub(crate) installer: Installer,
    pub(crate) progress: Progress,
    pub(crate) pin_server: bool,
    pub(crate) ticks_per_sec: f64,
    pub(crate) next_port: Option<u16>,
}

/// One timed round with the chosen load generator.
async fn timed_round(ctx: &Ctx, w: &Workload, live: &Live, label: String) -> Result<LoadResult, String> {
    let duration = Duration::from_secs_f64(ctx.opts.duration);
    match ctx.opts.loadgen {
        LoadGen::Builtin => {
            let counter = Arc::new(AtomicU64::new(0));
            let _live = ctx.progress.live(label, counter.clone(), duration);
            let cfg = LoadConfig {
                addr: live.addr,
                connections: ctx.opts.connections,
                stop: Stop::Duration(duration),
                progress: Some(counter),
            };
            loadgen::run(w, &cfg).await
        }
        LoadGen::Wrk => {
            // wrk does not read bodies: check sampled answers before and after the round.
            sample(live.addr, w).await.map_err(|e| format!("before wrk: {e}"))?;
            let scratch = ctx.dirs.work().join("wrk");
            let r = wrk::run(w, live.addr, ctx.opts.connections, duration, &scratch)?;
            let after = sample(live.addr, w).await.map_err(|e| format!("after wrk: {e}"));
            let errors = r.non_2xx + r.socket_errors + u64::from(after.is_err());
            let first_error = after.err().or_else(|| {
                (errors > 0).then(|| format!("wrk: {} non-2xx answers, {} socket errors", r.non_2xx, r.socket_errors))
            });
            Ok(LoadResult {
                ok: r.requests.saturating_sub(r.non_2xx),
                errors,
                first_error,
                elapsed: Duration::from_secs_f64(r.elapsed_s),
                rps: r.rps,
                p50_ms: r.p50_ms,
                p99_ms: r.p99_ms,
                max_ms: r.max_ms,
                latencies_ns: Vec::new(),
            })
        }
    }
}

fn round_report(
    ctx: &Ctx,
    r: &LoadResult,
    server: (Option<u64>, Option<u64>),
    gen: (Option<u64>, Option<u64>),
    machine: (Option<u64>, Option<u64>),
) -> RoundReport {
    let wall = r.elapsed.as_secs_f64().max(1e-9);
    let pct = |(a, b): (Option<u64>, Option<u64>)| Some(b?.saturating_sub(a?) as f64 / 1e9 / wall * 100.0);
    let (server_pct, gen_pct) = (pct(server), pct(gen));
    // CPU used by anything other than this server and the load generator.
    let other_cpu_pct = machine.0.zip(machine.1).map(|(a, b)| {
        let machine_pct = b.saturating_sub(a) as f64 / ctx.ticks_per_sec / wall * 100.0;
        (machine_pct - server_pct.unwrap_or(0.0) - gen_pct.unwrap_or(0.0)).max(0.0)
    });
    RoundReport {
        requests_ok: r.ok,
        errors: r.errors,
        elapsed_s: wall,
        rps: r.rps,
        p50_ms: r.p50_ms,
        p99_ms: r.p99_ms,
        max_ms: r.max_ms,
        server_cpu_pct: server_pct,
        loadgen_cpu_pct: gen_pct,
        server_cpu_us_per_request: server
            .0
            .zip(server.1)
            .filter(|_| r.ok > 0)
            .map(|(a, b)| b.saturating_sub(a) as f64 / 1e3 / r.ok as f64),
        other_cpu_pct,
    }
}

fn fmt_pct(p: Option<f64>) -> String {
    p.map_or("?".into(), |p| format!("{p:.0}%"))
}

pub(crate) async fn run_workload(ctx: &mut Ctx, w: &Workload) -> Vec<Entry> {
    let names = ctx.opts.contestants.clone();
    let mut entries: Vec<Entry> = Vec::new();
    let mut live: Vec<Option<Live>> = Vec::new();
    let rounds = ctx.opts.rounds;
    for name in &names {
        let Some(contestant) = ctx.config.find(name).cloned() else {
            continue;
        };
        let mut entry = Entry::new(w.name, &contestant);
        let started = start(ctx, &contestant, w, &mut entry).await;
        if started.is_none() {
            ctx.progress.advance(rounds);
            ctx.progress.event(w.name, name, &entry.status_line());
        }
        entries.push(entry);
        live.push(started);
    }
    let self_pid = std::process::id().to_string();
    let tps = ctx.ticks_per_sec;
    // The load generator: this process, plus wrk (a child) when it is used.
    let loadgen_cpu = || Some(proc_cpu_ns(&self_pid, tps)? + children_cpu_ns(tps).unwrap_or(0));
    for round in 1..=rounds {
        for (entry, slot) in entries.iter_mut().zip(live.iter_mut()) {
            let Some(l) = slot.as_mut() else { continue };
            let label = format!("{} · {} round {round}/{rounds}", w.name, entry.contestant);
            let fail = |ctx: &mut Ctx, entry: &mut Entry, msg: String| {
                entry.fail(msg);
                ctx.progress.advance(rounds + 1 - round);
                ctx.progress.event(w.name, &entry.contestant, &entry.status_line());
            };
            if let Some(msg) = l.server.exited() {
                fail(ctx, entry, format!("server died: {msg}"));
                *slot = None;
                continue;
            }
            let (s0, g0, m0) = (l.server.cpu_ns(tps), loadgen_cpu(), machine_busy_ticks());
            let result = timed_round(ctx, w, l, label.clone()).await;
            let (s1, g1, m1) = (l.server.cpu_ns(tps), loadgen_cpu(), machine_busy_ticks());
            let r = match result {
                Ok(r) => r,
                Err(e) => {
                    fail(ctx, entry, format!("round {round}: {e}"));
                    *slot = None;
                    continue;
                }
            };
            let report = round_report(ctx, &r, (s0, s1), (g0, g1), (m0, m1));
            if !r.passed() {
                entry.rounds.push(report);
                fail(
                    ctx,
                    entry,
                    format!(
                        "round {round}: {} wrong answers or errors of {}; first: {}",
                        r.errors,
                        r.errors + r.ok,
                        r.first_error.clone().unwrap_or_else(|| "no responses".into())
                    ),
                );
                *slot = None;
                continue;
            }
            ctx.progress.advance(1);
            let mut msg = format!(
                "round {round}/{rounds}: {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, {} ok, server CPU {}, load generator CPU {}",
                r.rps,
                r.p50_ms,
                r.p99_ms,
                r.ok,
                fmt_pct(report.server_cpu_pct),
                fmt_pct(report.loadgen_cpu_pct),
            );
            if report.server_cpu_pct.is_some_and(|p| p < 80.0) {
                msg.push_str(" (warning: server not saturated)");
            }
            if report.other_cpu_pct.is_some_and(|p| p > 10.0) {
                msg.push_str(&format!(
                    " (warning: other processes used {:.0}% of a core)",
                    report.other_cpu_pct.unwrap_or(0.0)
                ));
            }
            ctx.progress.event(w.name, &entry.contestant, &msg);
            entry.rounds.push(report);
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
        summarise(entry, &mut l.latencies);
        drop(l); // kills the server
    }
    set_ratios(&mut entries);
    entries
}

/// Median/min/max over the rounds; latency percentiles over all responses (or, for wrk,
/// the median of the rounds' percentiles).
fn summarise(entry: &mut Entry, latencies: &mut [u64]) {
    let sorted = |f: fn(&RoundReport) -> Option<f64>| {
        let mut v: Vec<f64> = entry.rounds.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let rps = sorted(|r| Some(r.rps));
    entry.median_rps = (!rps.is_empty()).then(|| median(&rps));
    entry.min_rps = rps.first().copied();
    entry.max_rps = rps.last().copied();
    if latencies.is_empty() {
        entry.p50_ms = Some(median(&sorted(|r| Some(r.p50_ms))));
        entry.p99_ms = Some(median(&sorted(|r| Some(r.p99_ms))));
    } else {
        latencies.sort_unstable();
        entry.p50_ms = Some(loadgen::percentile_ms(latencies, 50.0));
        entry.p99_ms = Some(loadgen::percentile_ms(latencies, 99.0));
    }
    let cost = sorted(|r| r.server_cpu_us_per_request);
    entry.server_cpu_us_per_request = (!cost.is_empty()).then(|| median(&cost));
}

/// Throughput ratio and CPU efficiency against raw axum's entry for the same workload (when
/// it measured).
pub(crate) fn set_ratios(entries: &mut [Entry]) {
    let baselines: Vec<(String, Option<f64>, Option<f64>)> = entries
        .iter()
        .filter(|e| e.contestant == BASELINE && e.is_ok())
        .map(|e| (e.workload.clone(), e.median_rps, e.server_cpu_us_per_request))
        .collect();
    for entry in entries.iter_mut().filter(|e| e.is_ok()) {
        let Some((_, base_rps, base_cost)) = baselines.iter().find(|b| b.0 == entry.workload) else {
            continue;
        };
        entry.ratio_vs_raw_axum = base_rps.zip(entry.median_rps).map(|(b, m)| m / b);
        entry.cpu_efficiency_vs_raw_axum = base_cost.zip(entry.server_cpu_us_per_request).map(|(b, c)| b / c);
    }
}
