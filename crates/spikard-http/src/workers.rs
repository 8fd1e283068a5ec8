//! Several worker processes sharing one port, supervised by the core for every binding.
//!
//! [`serve`] is what a binding's `run(workers=N)` calls. With one worker it serves on the
//! calling thread. With more, the calling process becomes the supervisor: it starts N
//! workers by running its own command line again (the same interpreter, script and
//! arguments, so each worker builds the app exactly as the first process did) with
//! [`WORKER_ENV`] set; each worker binds the port with `SO_REUSEPORT` and the kernel
//! spreads connections between them. The supervisor forwards SIGINT/SIGTERM to the
//! workers (each drains its in-flight requests), waits for them, and reports a worker that
//! failed (it is not restarted).

use crate::pipeline::Pipeline;
use crate::server::ParkHook;

/// Set in the environment of a worker started by the supervisor (its index, from 1).
pub const WORKER_ENV: &str = "SPIKARD_WORKER";

/// Whether this process is a worker started by a supervisor.
pub fn is_worker() -> bool {
    std::env::var_os(WORKER_ENV).is_some_and(|v| !v.is_empty())
}

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message.to_owned())
}

/// Serve `pipeline` with `workers` processes (see the module docs); returns once the server
/// (or every worker) stopped.
pub fn serve(pipeline: Pipeline, workers: usize) -> std::io::Result<()> {
    serve_with(pipeline, workers, None)
}

/// [`serve`], with the server's park hook ([`crate::server::run_with`]) in the process(es)
/// that serve.
pub fn serve_with(pipeline: Pipeline, workers: usize, on_park: Option<ParkHook>) -> std::io::Result<()> {
    if workers == 0 {
        return Err(invalid("workers must be at least 1"));
    }
    if is_worker() {
        return crate::server::run_with(pipeline, true, on_park);
    }
    if workers == 1 {
        return crate::server::run_with(pipeline, false, on_park);
    }
    if pipeline.config().port == 0 {
        return Err(invalid(
            "port 0 picks a different port per worker; choose a port to run several workers",
        ));
    }
    drop(pipeline);
    supervise(workers)
}

/// Start `count` workers, forward SIGINT/SIGTERM to them and wait for them all.
fn supervise(count: usize) -> std::io::Result<()> {
    supervise_until(count, std::future::pending())
}

/// Supervise `count` workers as [`serve`] does, from a process that goes on running (a
/// binding whose language keeps its own thread, as Node's): when `stop` completes the
/// workers are sent SIGTERM (each drains) and waited for, as on a signal.
pub fn supervise_until(count: usize, stop: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
    if count == 0 {
        return Err(invalid("workers must be at least 1"));
    }
    let mut argv = std::env::args_os();
    let program = argv
        .next()
        .ok_or_else(|| invalid("no command line to start workers with"))?;
    let args: Vec<_> = argv.collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let mut children = Vec::with_capacity(count);
        for i in 1..=count {
            let child = tokio::process::Command::new(&program)
                .args(&args)
                .env(WORKER_ENV, i.to_string())
                .spawn()
                .map_err(|e| std::io::Error::new(e.kind(), format!("cannot start worker {i}: {e}")))?;
            children.push(child);
        }
        let pids: Vec<u32> = children.iter().filter_map(tokio::process::Child::id).collect();
        tracing::info!(workers = count, ?pids, "spikard workers started");
        let waits = children
            .into_iter()
            .map(|mut c| async move { (c.id(), c.wait().await) });
        let mut all = std::pin::pin!(futures_util::future::join_all(waits));
        let mut stop = std::pin::pin!(futures_util::FutureExt::fuse(stop));
        let results = loop {
            tokio::select! {
                results = &mut all => break results,
                signal = next_signal() => forward(&pids, signal),
                () = &mut stop => forward(&pids, 15),
            }
        };
        for (pid, status) in results {
            match status {
                Ok(s) if s.success() || stopped_by_signal(&s) => {}
                Ok(s) => tracing::error!(pid, status = %s, "worker exited with a failure"),
                Err(e) => tracing::error!(pid, error = %e, "waiting for a worker failed"),
            }
        }
        Ok(())
    })
}

#[cfg(unix)]
fn stopped_by_signal(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    matches!(status.signal(), Some(2 | 15))
}

#[cfg(not(unix))]
fn stopped_by_signal(_status: &std::process::ExitStatus) -> bool {
    false
}

/// The next SIGINT or SIGTERM (its number).
#[cfg(unix)]
async fn next_signal() -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => 2,
        _ = term.recv() => 15,
    }
}

#[cfg(not(unix))]
async fn next_signal() -> i32 {
    let _ = tokio::signal::ctrl_c().await;
    2
}

/// Send `signal` to every worker (one that already exited is skipped).
#[cfg(unix)]
fn forward(pids: &[u32], signal: i32) {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let signal = if signal == 15 { Signal::SIGTERM } else { Signal::SIGINT };
    for &pid in pids {
        if let Ok(pid) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(pid), signal);
        }
    }
}

#[cfg(not(unix))]
fn forward(_pids: &[u32], _signal: i32) {}
