//! Running a workload: start every contestant (one at a time), then time interleaved rounds
//! (round 1 of each, round 2 of each, ...) so slow drift on the machine hits all alike, and
//! summarise (median/min/max, latency percentiles, ratios to raw axum).
//!
//! Before each round the harness waits (`--quiet-wait`) until both cores are idle and checks
//! that every server thread is still on the server's core; after it, it reads how each core
//! was used. A round in which other processes or the hypervisor took more than 10% of either
//! core is re-run (`--retries`) and the less disturbed of the two kept; the other is recorded
//! in `discarded_rounds`.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use benchmark_harness::loadgen::{self, LoadConfig, LoadResult, Stop};
use benchmark_harness::workload::Workload;
use benchmark_harness::wrk;

use crate::contestants::{Config, Dirs};
use crate::cpu::{self, read_cpu_ticks};
use crate::install::Installer;
use crate::process::{children_cpu_ns, machine_busy_ticks, median, proc_cpu_ns, Server};
use crate::progress::{Goal, Progress};
use crate::report::{Entry, RoundReport};
use crate::start::{sample, start, Live};
use crate::{LoadGen, Options, BASELINE, LOADGEN_CPU, SERVER_CPU};

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
            let _live = ctx.progress.live(label, counter.clone(), Goal::Duration(duration));
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
        ..RoundReport::default()
    }
}

fn fmt_pct(p: Option<f64>) -> String {
    p.map_or("?".into(), |p| format!("{p:.0}%"))
}

/// Checks that every thread of the server is on the server's core; re-pins the stray ones
/// (a runtime that sets its own affinity, or a thread created before `taskset` applied) and
/// returns a note saying so.
pub(crate) fn check_pinning(ctx: &Ctx, server: &Server) -> Option<String> {
    if !ctx.pin_server {
        return None;
    }
    let off = cpu::unpinned_threads(&server.pids(), SERVER_CPU);
    if off.is_empty() {
        return None;
    }
    let fixed = match server.repin(SERVER_CPU) {
        Ok(()) => "re-pinned".to_string(),
        Err(e) => format!("could not re-pin them: {e}"),
    };
    Some(format!(
        "{} server thread(s) were not pinned to CPU {SERVER_CPU} ({}); {fixed}",
        off.len(),
        off.join(", ")
    ))
}

/// One timed round: wait (up to `quiet`) for both cores to be idle, check the pinning, run
/// the load, and read what the server, the load generator and each core did meanwhile.
async fn measure(
    ctx: &Ctx,
    w: &Workload,
    l: &Live,
    label: String,
    quiet: Duration,
    notes: &mut Vec<String>,
) -> Result<(LoadResult, RoundReport), String> {
    let waited = if quiet.is_zero() {
        None
    } else {
        Some(cpu::wait_quiet(&[SERVER_CPU, LOADGEN_CPU], quiet).await)
    };
    if let Some(note) = check_pinning(ctx, &l.server) {
        ctx.progress.event(w.name, &l.name, &format!("warning: {note}"));
        notes.push(note);
    }
    let self_pid = std::process::id().to_string();
    let tps = ctx.ticks_per_sec;
    // The load generator: this process, plus wrk (a child) when it is used.
    let loadgen_cpu = || Some(proc_cpu_ns(&self_pid, tps)? + children_cpu_ns(tps).unwrap_or(0));
    let cores = [SERVER_CPU, LOADGEN_CPU];
    let (s0, g0, m0, c0) = (
        l.server.cpu_ns(tps),
        loadgen_cpu(),
        machine_busy_ticks(),
        read_cpu_ticks(&cores),
    );
    let result = timed_round(ctx, w, l, label).await;
    let (s1, g1, m1, c1) = (
        l.server.cpu_ns(tps),
        loadgen_cpu(),
        machine_busy_ticks(),
        read_cpu_ticks(&cores),
    );
    let r = result?;
    let mut report = round_report(ctx, &r, (s0, s1), (g0, g1), (m0, m1));
    let wall = r.elapsed.as_secs_f64();
    let own = |(a, b): (Option<u64>, Option<u64>)| Some(b?.saturating_sub(a?));
    let core = |i: usize, own_ns: Option<u64>| cpu::core_use(c0[i]?, c1[i]?, own_ns, wall);
    report.server_core = core(0, own((s0, s1)));
    report.loadgen_core = core(1, own((g0, g1)));
    report.disturbed = cpu::disturbance(report.server_core.as_ref(), report.loadgen_core.as_ref());
    if let Some(waited) = waited {
        report.waited_for_quiet_s = Some(waited.waited.as_secs_f64());
        if !waited.quiet {
            ctx.progress.event(
                w.name,
                &l.name,
                &format!(
                    "the machine was still busy after {:.1} s ({:.0}% of a core); measuring anyway",
                    waited.waited.as_secs_f64(),
                    waited.busy_pct
                ),
            );
        }
    }
    Ok((r, report))
}

/// Of a disturbed round and its re-run, the one less disturbed is kept: an undisturbed one, else
/// the one where other processes and steal took less of a core (never chosen by its speed).
pub(crate) fn rerun_is_better(first: &RoundReport, rerun: &RoundReport) -> bool {
    let score = |r: &RoundReport| (r.disturbed.is_some(), r.disturbance_pct());
    score(rerun) <= score(first)
}

fn round_line(round: usize, rounds: usize, r: &LoadResult, report: &RoundReport) -> String {
    let mut msg = format!(
        "round {round}/{rounds}: {:.0} req/s, p50 {:.3} ms, p99 {:.3} ms, {} ok, server CPU {}, load generator CPU {}",
        r.rps,
        r.p50_ms,
        r.p99_ms,
        r.ok,
        fmt_pct(report.server_cpu_pct),
        fmt_pct(report.loadgen_cpu_pct),
    );
    if let Some(c) = &report.server_core {
        msg.push_str(&format!(
            "; server core {:.0}% busy (irq {:.0}%, others {:.0}%, steal {:.0}%)",
            c.busy_pct, c.irq_pct, c.other_pct, c.steal_pct
        ));
        if c.busy_pct < 80.0 && report.loadgen_core.is_some_and(|g| g.busy_pct < 80.0) {
            msg.push_str(" (warning: neither core saturated)");
        }
    } else if report.server_cpu_pct.is_some_and(|p| p < 80.0) {
        msg.push_str(" (warning: server not saturated)");
    }
    if let Some(d) = &report.disturbed {
        msg.push_str(&format!(" (warning: disturbed: {d})"));
    }
    msg
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
    let quiet = Duration::from_secs_f64(ctx.opts.quiet_wait);
    for round in 1..=rounds {
        for (entry, slot) in entries.iter_mut().zip(live.iter_mut()) {
            let Some(l) = slot.as_mut() else { continue };
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
            let label = format!("{} · {} round {round}/{rounds}", w.name, entry.contestant);
            let mut attempt = 0;
            let mut kept_note = "";
            let mut measured = measure(ctx, w, l, label.clone(), quiet, &mut entry.notes).await;
            // A disturbed round is re-run (after a longer wait for quiet) while retries last.
            while attempt < ctx.opts.retries {
                let Ok((r, report)) = &measured else { break };
                let Some(why) = report.disturbed.clone().filter(|_| r.passed()) else {
                    break;
                };
                attempt += 1;
                ctx.progress.event(
                    w.name,
                    &entry.contestant,
                    &format!("{}; re-running it ({why})", round_line(round, rounds, r, report)),
                );
                let rerun = measure(ctx, w, l, format!("{label} (re-run)"), quiet * 3, &mut entry.notes).await;
                measured = match rerun {
                    Ok(second) if second.0.passed() => {
                        let Ok(first) = measured else {
                            unreachable!("checked above")
                        };
                        let (kept, discarded) = if rerun_is_better(&first.1, &second.1) {
                            kept_note = " [re-run kept]";
                            (second, first)
                        } else {
                            kept_note = " [first attempt kept: less disturbed]";
                            (first, second)
                        };
                        entry.discarded_rounds.push(discarded.1);
                        Ok(kept)
                    }
                    other => other,
                };
            }
            let (r, report) = match measured {
                Ok(m) => m,
                Err(e) => {
                    fail(ctx, entry, format!("round {round}: {e}"));
                    *slot = None;
                    continue;
                }
            };
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
            let line = round_line(round, rounds, &r, &report) + kept_note;
            ctx.progress.event(w.name, &entry.contestant, &line);
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
        drop(l); // kills the server and waits until it is gone
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CoreUse;

    fn round(rps: f64, other_pct: f64, disturbed: bool) -> RoundReport {
        let core = CoreUse {
            busy_pct: 100.0,
            other_pct,
            irq_pct: 20.0,
            steal_pct: 0.0,
        };
        RoundReport {
            rps,
            server_core: Some(core),
            loadgen_core: Some(CoreUse { other_pct: 0.0, ..core }),
            disturbed: disturbed.then(|| "busy".to_string()),
            ..RoundReport::default()
        }
    }

    #[test]
    fn the_less_disturbed_round_is_kept_whatever_its_speed() {
        // An undisturbed re-run wins even when slower.
        assert!(rerun_is_better(&round(100.0, 40.0, true), &round(50.0, 2.0, false)));
        // Both disturbed: the smaller share taken from a core wins, even when slower...
        assert!(rerun_is_better(&round(100.0, 40.0, true), &round(60.0, 20.0, true)));
        // ... and a faster but more disturbed re-run loses.
        assert!(!rerun_is_better(&round(60.0, 20.0, true), &round(100.0, 40.0, true)));
        // A disturbed re-run never replaces an undisturbed round.
        assert!(!rerun_is_better(&round(60.0, 5.0, false), &round(100.0, 11.0, true)));
    }
}
