//! How the two cores were used: per-core `/proc/stat` ticks (server core and load generator
//! core separately), the quiet-machine wait before a timed round, the verdict on whether a
//! round was disturbed, and the check that every thread of a server is pinned to its core.
//!
//! Why per core: the server runs alone on CPU 0 and the load generator on CPU 1, so what
//! disturbs a round is another process on *those* cores (or the hypervisor taking them:
//! `steal`). A machine-wide "other CPU" figure cannot tell a compile on the load generator's
//! mostly idle core (harmless for a slow peer) from one on the server's core (halves it).
//! Interrupt time is reported apart: on loopback, the kernel's TCP work for the connections
//! runs as softirq on the core that sent the packet, outside any process's run time, so a
//! fast server's process can use 70% of a core whose remaining 30% is its own network work.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Above this share of a core (%), other processes or steal mean the round was disturbed; a
/// core busier than this before a round means the machine is not quiet yet.
pub(crate) const DISTURBED_PCT: f64 = 10.0;

/// The clock ticks one CPU has spent in each state (a `cpuN` line of `/proc/stat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuTicks {
    pub(crate) user: u64,
    pub(crate) nice: u64,
    pub(crate) system: u64,
    pub(crate) idle: u64,
    pub(crate) iowait: u64,
    pub(crate) irq: u64,
    pub(crate) softirq: u64,
    pub(crate) steal: u64,
}

impl CpuTicks {
    fn total(&self) -> u64 {
        self.user + self.nice + self.system + self.idle + self.iowait + self.irq + self.softirq + self.steal
    }

    fn since(&self, earlier: &CpuTicks) -> CpuTicks {
        CpuTicks {
            user: self.user.saturating_sub(earlier.user),
            nice: self.nice.saturating_sub(earlier.nice),
            system: self.system.saturating_sub(earlier.system),
            idle: self.idle.saturating_sub(earlier.idle),
            iowait: self.iowait.saturating_sub(earlier.iowait),
            irq: self.irq.saturating_sub(earlier.irq),
            softirq: self.softirq.saturating_sub(earlier.softirq),
            steal: self.steal.saturating_sub(earlier.steal),
        }
    }
}

/// The ticks of `cpu` (`"0"`, `"1"`, ...) in the text of `/proc/stat`.
pub(crate) fn parse_cpu_ticks(stat: &str, cpu: &str) -> Option<CpuTicks> {
    let label = format!("cpu{cpu}");
    let line = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(label.as_str()))?;
    let f: Vec<u64> = line.split_whitespace().skip(1).map_while(|v| v.parse().ok()).collect();
    // Old kernels have no steal column; it is then 0.
    (f.len() >= 7).then(|| CpuTicks {
        user: f[0],
        nice: f[1],
        system: f[2],
        idle: f[3],
        iowait: f[4],
        irq: f[5],
        softirq: f[6],
        steal: f.get(7).copied().unwrap_or(0),
    })
}

/// The current ticks of the given CPUs (`None` for a CPU that is not listed).
pub(crate) fn read_cpu_ticks(cpus: &[&str]) -> Vec<Option<CpuTicks>> {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    cpus.iter().map(|c| parse_cpu_ticks(&stat, c)).collect()
}

/// How one core was used during an interval, in % of that core's time.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub(crate) struct CoreUse {
    /// Not idle: processes, interrupts and steal together.
    pub(crate) busy_pct: f64,
    /// Processes other than the measured one (the server on its core, the load generator on
    /// its core): the core's process and interrupt ticks minus the measured process's own run
    /// time (which includes the interrupt work done while it was running: on loopback, the
    /// TCP work for the packets it sends).
    pub(crate) other_pct: f64,
    /// Hardware interrupts and softirqs (on loopback mostly the TCP work for the connections).
    pub(crate) irq_pct: f64,
    /// Time the hypervisor ran something else on this virtual CPU.
    pub(crate) steal_pct: f64,
}

impl CoreUse {
    /// The share of the core that something other than the measured work took.
    pub(crate) fn disturbance_pct(&self) -> f64 {
        self.other_pct + self.steal_pct
    }
}

/// How a core was used between two readings, given the measured process's CPU time on it
/// over the same interval (`own_ns`, over `wall_s` seconds).
pub(crate) fn core_use(before: CpuTicks, after: CpuTicks, own_ns: Option<u64>, wall_s: f64) -> Option<CoreUse> {
    let d = after.since(&before);
    let total = d.total();
    if total == 0 {
        return None;
    }
    let pct = |ticks: u64| ticks as f64 / total as f64 * 100.0;
    let own_pct = own_ns.map_or(0.0, |ns| ns as f64 / 1e9 / wall_s.max(1e-9) * 100.0);
    Some(CoreUse {
        busy_pct: 100.0 - pct(d.idle + d.iowait),
        other_pct: (pct(d.user + d.nice + d.system + d.irq + d.softirq) - own_pct).max(0.0),
        irq_pct: pct(d.irq + d.softirq),
        steal_pct: pct(d.steal),
    })
}

/// Why a round cannot be trusted (other processes or the hypervisor took a share of the
/// server's or the load generator's core), or `None` when it ran undisturbed.
pub(crate) fn disturbance(server: Option<&CoreUse>, loadgen: Option<&CoreUse>) -> Option<String> {
    let mut why = Vec::new();
    for (core, name) in [(server, "server's"), (loadgen, "load generator's")] {
        let Some(c) = core else { continue };
        if c.other_pct > DISTURBED_PCT {
            why.push(format!("other processes used {:.0}% of the {name} core", c.other_pct));
        }
        if c.steal_pct > DISTURBED_PCT {
            why.push(format!(
                "the hypervisor took {:.0}% of the {name} core (steal)",
                c.steal_pct
            ));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// The outcome of waiting for a quiet machine.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuietWait {
    pub(crate) waited: Duration,
    pub(crate) quiet: bool,
    /// The busiest core's busy share in the last window, %.
    pub(crate) busy_pct: f64,
}

/// Whether every core was quiet (busy under [`DISTURBED_PCT`]) between two readings.
pub(crate) fn is_quiet(before: &[Option<CpuTicks>], after: &[Option<CpuTicks>]) -> (bool, f64) {
    let busiest = before
        .iter()
        .zip(after)
        .filter_map(|(a, b)| core_use((*a)?, (*b)?, None, 1.0))
        .map(|u| u.busy_pct)
        .fold(0.0, f64::max);
    (busiest < DISTURBED_PCT, busiest)
}

/// Waits until `cpus` have been quiet for one 200 ms window (nothing of the harness runs
/// then: the servers are idle between their rounds), for at most `max`. Leftovers of the
/// previous round or contestant (a server still exiting, a JIT finishing its work, a
/// collector) and other users' bursts are waited out; a machine that stays busy is reported.
pub(crate) async fn wait_quiet(cpus: &[&str], max: Duration) -> QuietWait {
    let started = Instant::now();
    let window = Duration::from_millis(200);
    loop {
        let before = read_cpu_ticks(cpus);
        tokio::time::sleep(window).await;
        let (quiet, busy_pct) = is_quiet(&before, &read_cpu_ticks(cpus));
        if quiet || started.elapsed() + window > max {
            return QuietWait {
                waited: started.elapsed(),
                quiet,
                busy_pct,
            };
        }
    }
}

/// Threads of `pids` whose CPU affinity is not `cpu` (from `Cpus_allowed_list` in
/// `/proc/<pid>/task/<tid>/status`), as `pid/tid (name): allowed list`.
pub(crate) fn unpinned_threads(pids: &[u32], cpu: &str) -> Vec<String> {
    let mut off = Vec::new();
    for pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.filter_map(Result::ok) {
            // A thread may exit between listing and reading: skip it.
            let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
                continue;
            };
            let field = |key: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
            };
            let allowed = field("Cpus_allowed_list:").unwrap_or_default();
            if allowed != cpu {
                off.push(format!(
                    "{pid}/{} ({}): {allowed}",
                    task.file_name().to_string_lossy(),
                    field("Name:").unwrap_or_default()
                ));
            }
        }
    }
    off
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  10 0 10 100 0 0 0 0 0 0\n\
                        cpu0 1000 10 500 8000 20 5 300 40 0 0\n\
                        cpu1 2000 0 400 7000 0 0 100 0 0 0\n\
                        intr 1 2 3\n";

    #[test]
    fn cpu_lines_are_parsed_by_label() {
        let c0 = parse_cpu_ticks(STAT, "0").unwrap();
        assert_eq!((c0.user, c0.nice, c0.system, c0.idle), (1000, 10, 500, 8000));
        assert_eq!((c0.iowait, c0.irq, c0.softirq, c0.steal), (20, 5, 300, 40));
        assert_eq!(parse_cpu_ticks(STAT, "1").unwrap().user, 2000);
        assert_eq!(parse_cpu_ticks(STAT, "2"), None);
        // "cpu1" must not match "cpu10".
        assert_eq!(parse_cpu_ticks("cpu10 1 2 3 4 5 6 7 8\n", "1"), None);
        // No steal column (old kernels).
        assert_eq!(parse_cpu_ticks("cpu0 1 2 3 4 5 6 7\n", "0").unwrap().steal, 0);
    }

    fn ticks(user: u64, system: u64, idle: u64, softirq: u64, steal: u64) -> CpuTicks {
        CpuTicks {
            user,
            system,
            idle,
            softirq,
            steal,
            ..CpuTicks::default()
        }
    }

    #[test]
    fn core_use_separates_the_measured_process_interrupts_and_steal() {
        // 200 ticks over 2 s: 120 in processes, 40 softirq, 10 steal, 30 idle.
        let before = ticks(1000, 500, 5000, 100, 0);
        let after = ticks(1100, 520, 5030, 140, 10);
        // The server itself ran 1.2 s of the 2 s (its run time includes the softirq work done in
        // its context): 60%, so others used 60 + 20 - 60 = 20%.
        let u = core_use(before, after, Some(1_200_000_000), 2.0).unwrap();
        assert_eq!(u.busy_pct, 85.0);
        assert!((u.other_pct - 20.0).abs() < 1e-9, "{u:?}");
        assert_eq!((u.irq_pct, u.steal_pct), (20.0, 5.0));
        assert!((u.disturbance_pct() - 25.0).abs() < 1e-9);
        // Tick rounding can make the process look bigger than the ticks: never negative.
        let u = core_use(before, after, Some(1_700_000_000), 2.0).unwrap();
        assert_eq!(u.other_pct, 0.0);
        assert_eq!(core_use(before, before, None, 2.0), None);
    }

    #[test]
    fn disturbed_rounds_name_the_core_and_the_cause() {
        let quiet = CoreUse {
            busy_pct: 100.0,
            other_pct: 2.0,
            irq_pct: 30.0,
            steal_pct: 1.0,
        };
        assert_eq!(disturbance(Some(&quiet), Some(&quiet)), None);
        assert_eq!(disturbance(None, None), None);
        let busy = CoreUse {
            other_pct: 34.0,
            ..quiet
        };
        let stolen = CoreUse {
            steal_pct: 25.0,
            ..quiet
        };
        assert_eq!(
            disturbance(Some(&busy), Some(&stolen)).unwrap(),
            "other processes used 34% of the server's core; \
             the hypervisor took 25% of the load generator's core (steal)"
        );
    }

    #[test]
    fn quiet_means_every_core_under_the_threshold() {
        let a = [Some(ticks(0, 0, 0, 0, 0)), Some(ticks(0, 0, 0, 0, 0))];
        let idle = [Some(ticks(2, 1, 97, 0, 0)), Some(ticks(1, 0, 99, 0, 0))];
        assert_eq!(is_quiet(&a, &idle), (true, 3.0));
        let compiling = [Some(ticks(2, 1, 97, 0, 0)), Some(ticks(60, 5, 35, 0, 0))];
        assert_eq!(is_quiet(&a, &compiling), (false, 65.0));
        // Unreadable /proc/stat: nothing to wait for.
        assert_eq!(is_quiet(&[None], &[None]), (true, 0.0));
    }

    #[test]
    fn own_threads_are_listed_when_not_on_the_cpu() {
        let me = std::process::id();
        let allowed = std::fs::read_to_string(format!("/proc/{me}/status"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap()
            .trim()
            .to_string();
        assert!(unpinned_threads(&[me], &allowed).is_empty());
        let off = unpinned_threads(&[me], "no-such-list");
        assert!(!off.is_empty() && off[0].starts_with(&format!("{me}/")), "{off:?}");
    }
}
