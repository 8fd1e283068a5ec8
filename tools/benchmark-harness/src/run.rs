//! Running a workload: start each contestant, check it, warm it up, and time interleaved rounds.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use benchmark_harness::loadgen::{self, LoadConfig, Stop};
use benchmark_harness::workload::{self, Workload};

use crate::contestants;
use crate::peers::Installer;
use crate::process::{free_port, machine_busy_ticks, median, port_is_free, proc_cpu_ns, Server};
use crate::report::{Entry, RoundReport};
use crate::{Options, BASELINE};

// ---------------------------------------------------------------------------------------
// Running

pub(crate) struct Ctx {
    pub(crate) opts: Options,
    pub(crate) dirs: contestants::Dirs,
    pub(crate) installer: Installer,
    pub(crate) pin_server: bool,
    pub(crate) ticks_per_sec: f64,
    pub(crate) next_port: Option<u16>,
}

pub(crate) struct Live {
    pub(crate) server: Server,
    pub(crate) addr: SocketAddr,
    pub(crate) latencies: Vec<u64>,
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
    let Some(contestant) = contestants::find(&entry.contestant) else {
        entry.skip("unknown contestant".into());
        return None;
    };
    if let Err(e) = ctx.installer.ensure(contestant.runtime) {
        entry.skip(format!("{} runtime not available: {e}", contestant.runtime.name()));
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
    let launch = match contestants::launch(contestant, port, ctx.opts.connections, &ctx.dirs) {
        Ok(l) => l,
        Err(e) => {
            entry.skip(e);
            return None;
        }
    };
    let mut server = match Server::spawn(&launch, ctx.pin_server) {
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
    let warmup = ctx.opts.warmup.max(contestant.runtime.min_warmup_s());
    entry.warmup_s = Some(warmup);
    if warmup > 0.0 {
        let cfg = LoadConfig {
            addr,
            connections: ctx.opts.connections,
            stop: Stop::Duration(Duration::from_secs_f64(warmup)),
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

pub(crate) async fn run_workload(ctx: &mut Ctx, workload: &Workload) -> Vec<Entry> {
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
            let tps = ctx.ticks_per_sec;
            let (s0, g0, m0) = (l.server.cpu_ns(tps), proc_cpu_ns(&self_pid, tps), machine_busy_ticks());
            let result = loadgen::run(workload, &cfg).await;
            let (s1, g1, m1) = (l.server.cpu_ns(tps), proc_cpu_ns(&self_pid, tps), machine_busy_ticks());
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
