//! Starting one contestant for one workload: install step, port, spawn (pinned), the first
//! correct answer (time to first response), the negative checks, and the warm-up.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use benchmark_harness::check::{snippet, Checker};
use benchmark_harness::loadgen::{self, LoadConfig, Stop};
use benchmark_harness::workload::{self, Workload};

use crate::contestants::{self, Contestant};
use crate::process::{free_port, port_is_free, Server};
use crate::report::Entry;
use crate::run::{check_pinning, Ctx};

/// A started, checked and warmed-up contestant.
pub(crate) struct Live {
    pub(crate) name: String,
    pub(crate) server: Server,
    pub(crate) addr: SocketAddr,
    pub(crate) latencies: Vec<u64>,
}

/// Sends `w`'s request once on a fresh connection and checks the answer.
pub(crate) async fn sample(addr: SocketAddr, w: &Workload) -> Result<(), String> {
    let (status, body) =
        loadgen::one_shot(addr, &w.method, &w.path, w.content_type.as_deref(), w.body.as_ref()).await?;
    Checker::new(w).check(status, &body)
}

async fn wait_ready(server: &mut Server, addr: SocketAddr, timeout: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let probe = workload::find(workload::PROBE).ok_or("probe workload missing")?;
    loop {
        if let Some(msg) = server.exited() {
            return Err(msg);
        }
        let attempt = tokio::time::timeout(
            Duration::from_secs(1),
            loadgen::one_shot(addr, &probe.method, &probe.path, None, None),
        )
        .await;
        // Transport errors (not listening yet, connection reset while starting) are retried;
        // an answer is final: it must be the right one.
        if let Ok(Ok((status, body))) = attempt {
            Checker::new(&probe).check(status, &body)?;
            // Make sure it is our server answering, not something else on the port.
            return match server.exited() {
                Some(msg) => Err(msg),
                None => Ok(started.elapsed()),
            };
        }
        if started.elapsed() > timeout {
            return Err(format!("no answer on {addr} within {:.0} s", timeout.as_secs_f64()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn negative_checks(addr: SocketAddr, w: &Workload) -> Result<(), String> {
    for check in &w.negative {
        let (status, body) = loadgen::one_shot(
            addr,
            &check.method,
            &check.path,
            check.content_type.as_deref(),
            check.body.as_ref(),
        )
        .await?;
        if status != check.expected_status {
            return Err(format!(
                "invalid request ({}) to {} {} got {status}, expected {} (body: {})",
                check.description,
                check.method,
                check.path,
                check.expected_status,
                snippet(&body)
            ));
        }
    }
    Ok(())
}

fn next_port(ctx: &mut Ctx) -> Result<u16, String> {
    let port = match ctx.next_port.as_mut() {
        Some(p) => {
            let port = *p;
            *p = p.wrapping_add(1);
            port
        }
        None => free_port()?,
    };
    port_is_free(port)?;
    Ok(port)
}

/// Starts `contestant` for `w`; on any problem records it in `entry` (skipped: could not
/// run; failed: ran and answered wrongly) and returns `None`.
pub(crate) async fn start(ctx: &mut Ctx, contestant: &Contestant, w: &Workload, entry: &mut Entry) -> Option<Live> {
    if let Some(reason) = contestant.unsupported.get(w.name) {
        entry.skip(format!("cannot serve this workload: {reason}"));
        return None;
    }
    if let Some(name) = &contestant.install {
        let step = ctx.config.installs.get(name).cloned();
        if let Err(e) = step.map_or(Ok(()), |s| ctx.installer.ensure(name, &s)) {
            entry.skip(format!("not installed: {e}"));
            return None;
        }
    }
    let port = match next_port(ctx) {
        Ok(p) => p,
        Err(e) => {
            entry.skip(e);
            return None;
        }
    };
    entry.port = Some(port);
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
            ctx.progress.event(
                w.name,
                &contestant.name,
                &format!(
                    "started (pid {}, port {port}), first response after {:.1} ms",
                    server.pid(),
                    ttfr.as_secs_f64() * 1e3
                ),
            );
        }
        Err(e) => {
            entry.skip(format!("server failed to start on port {port}: {e}"));
            return None;
        }
    }
    if let Err(e) = sample(addr, w).await {
        entry.fail(format!("wrong answer: {e}"));
        return None;
    }
    if let Err(e) = negative_checks(addr, w).await {
        entry.fail(e);
        return None;
    }
    let warmup = ctx.opts.warmup.max(contestant.min_warmup_s);
    entry.warmup_s = Some(warmup);
    if warmup > 0.0 {
        let cfg = LoadConfig {
            addr,
            connections: ctx.opts.connections,
            stop: Stop::Duration(Duration::from_secs_f64(warmup)),
            progress: None,
        };
        match loadgen::run(w, &cfg).await {
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
    // Threads created during the warm-up (worker pools, JIT and GC helpers) included.
    if let Some(note) = check_pinning(ctx, &server) {
        ctx.progress
            .event(w.name, &contestant.name, &format!("warning: {note}"));
        entry.notes.push(note);
    }
    Some(Live {
        name: contestant.name.clone(),
        server,
        addr,
        latencies: Vec::new(),
    })
}
