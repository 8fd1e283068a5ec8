//! The progress display on stderr: a line per event (start, skip, failure) and per timed
//! round, each with an overall `[n/m]` counter and elapsed/remaining time; when stderr is a
//! terminal, also a live status line during each round (requests/s so far), redrawn in
//! place. Without a terminal (CI, `2> log`) only the plain lines are written.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether a live line is on screen (it must be cleared before printing).
static LIVE_LINE: AtomicBool = AtomicBool::new(false);

fn is_tty() -> bool {
    std::io::stderr().is_terminal()
}

fn clear_live_line(err: &mut impl Write) {
    if LIVE_LINE.swap(false, Ordering::Relaxed) {
        let _ = write!(err, "\r\x1b[K");
    }
}

/// Prints one line (after clearing the live line, if any).
pub(crate) fn line(msg: &str) {
    let mut err = std::io::stderr().lock();
    clear_live_line(&mut err);
    let _ = writeln!(err, "{msg}");
}

/// A message from the harness itself.
pub(crate) fn note(msg: &str) {
    line(&format!("benchmark-harness: {msg}"));
}

/// `1h02m`, `3m05s`, `42s`.
pub(crate) fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// Counts the timed rounds (measured, skipped or failed) of the whole run.
pub(crate) struct Progress {
    total: usize,
    done: usize,
    started: Instant,
}

impl Progress {
    pub(crate) fn new(total: usize) -> Self {
        Self {
            total: total.max(1),
            done: 0,
            started: Instant::now(),
        }
    }

    /// `[n/m 3m05s, ~4m10s left]`.
    pub(crate) fn counter(&self) -> String {
        let width = self.total.to_string().len();
        let elapsed = self.started.elapsed();
        let left = if self.done == 0 {
            String::new()
        } else {
            let per = elapsed.as_secs_f64() / self.done as f64;
            format!(
                ", ~{} left",
                fmt_duration(Duration::from_secs_f64(per * (self.total - self.done) as f64))
            )
        };
        format!("[{:>width$}/{} {}{left}]", self.done, self.total, fmt_duration(elapsed))
    }

    /// Marks `n` rounds as done (a skipped or failed contestant's remaining rounds).
    pub(crate) fn advance(&mut self, n: usize) {
        self.done = (self.done + n).min(self.total);
    }

    /// Prints an event line with the counter.
    pub(crate) fn event(&self, workload: &str, contestant: &str, msg: &str) {
        line(&format!("{} {workload} · {contestant}: {msg}", self.counter()));
    }

    /// Shows a live requests/s line for the round until the returned guard is dropped (only
    /// on a terminal; otherwise a no-op).
    pub(crate) fn live(&self, label: String, counter: Arc<AtomicU64>, goal: Goal) -> LiveGuard {
        if !is_tty() {
            return LiveGuard(None);
        }
        let prefix = self.counter();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let t = started.elapsed().as_secs_f64();
                let n = counter.load(Ordering::Relaxed);
                let done = match goal {
                    Goal::Duration(d) => format!("{t:.1}/{:.1} s", d.as_secs_f64()),
                    Goal::Requests(total) => format!("{n}/{total} requests, {t:.1} s"),
                };
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[K{prefix} {label}: {done}, {:.0} req/s",
                    n as f64 / t.max(1e-3)
                );
                let _ = err.flush();
                LIVE_LINE.store(true, Ordering::Relaxed);
            }
        });
        LiveGuard(Some(task))
    }
}

/// What a live line counts towards: a timed round or a number of requests (the soak).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Goal {
    Duration(Duration),
    Requests(u64),
}

/// Stops the live line when dropped.
pub(crate) struct LiveGuard(Option<tokio::task::JoinHandle<()>>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.abort();
            let mut err = std::io::stderr().lock();
            clear_live_line(&mut err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(fmt_duration(Duration::from_secs(42)), "42s");
        assert_eq!(fmt_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(fmt_duration(Duration::from_secs(3720)), "1h02m");
    }

    #[test]
    fn counter_counts_up_to_the_total() {
        let mut p = Progress::new(12);
        assert!(p.counter().starts_with("[ 0/12 "), "{}", p.counter());
        p.advance(3);
        assert!(
            p.counter().starts_with("[ 3/12 ") && p.counter().contains("left"),
            "{}",
            p.counter()
        );
        p.advance(100);
        assert!(p.counter().starts_with("[12/12 "));
    }
}
