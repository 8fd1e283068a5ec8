//! Contestant server processes (each in its own process group, with a private temp folder),
//! ports, and the /proc readings (CPU time, resident and peak memory).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::SERVER_CPU;

// ---------------------------------------------------------------------------------------
// Small /proc and process helpers

pub(crate) fn read_proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next()?.parse().ok())
}

/// CPU time used so far by a process (all its live threads), in nanoseconds: the sum of
/// `/proc/<pid>/task/*/schedstat` run times, or utime + stime from `/proc/<pid>/stat`
/// (clock-tick resolution) when schedstat is unavailable.
pub(crate) fn proc_cpu_ns(pid: &str, ticks_per_sec: f64) -> Option<u64> {
    let from_schedstat = || -> Option<u64> {
        let mut total = 0u64;
        for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
            let path = task.ok()?.path().join("schedstat");
            // A thread may exit between listing and reading; skip it.
            if let Ok(text) = std::fs::read_to_string(path) {
                total += text.split_whitespace().next()?.parse::<u64>().ok()?;
            }
        }
        Some(total)
    };
    from_schedstat().or_else(|| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some((ticks as f64 / ticks_per_sec * 1e9) as u64)
    })
}

/// CPU time of this process's waited-for children (`cutime` + `cstime` in `/proc/self/stat`),
/// in nanoseconds: the `wrk` load generator's cost once its round is over.
pub(crate) fn children_cpu_ns(ticks_per_sec: f64) -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // fields[0] is field 3 (state); cutime is field 16, cstime field 17.
    let ticks = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some((ticks as f64 / ticks_per_sec * 1e9) as u64)
}

/// user + nice + system time of all CPUs together, in clock ticks (from `/proc/stat`).
pub(crate) fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    (f.len() == 3).then(|| f.iter().sum())
}

pub(crate) fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

pub(crate) fn command_ok(cmd: &mut Command) -> Result<(), String> {
    match cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// How to start a contestant server: program, arguments, environment, working directory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) cwd: Option<PathBuf>,
    /// The server's temp folder (its `$TMPDIR`): created before the start, deleted with
    /// everything in it once the server has stopped.
    pub(crate) tmp: Option<PathBuf>,
}

/// The live (not zombie) processes whose process group is `pgid` (from `/proc/<pid>/stat`).
pub(crate) fn group_pids(pgid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let in_group = |pid: &u32| -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            return false;
        };
        let Some(i) = stat.rfind(')') else { return false };
        // After the command: state (field 3), ppid, pgrp (field 5).
        let fields: Vec<&str> = stat[i + 1..].split_whitespace().take(3).collect();
        fields.len() == 3 && fields[0] != "Z" && fields[2].parse::<u32>().ok() == Some(pgid)
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(in_group)
        .collect()
}

/// The sum of a memory figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`) over the live
/// processes of the process group `pgid`, in MB.
pub(crate) fn group_status_mb(pgid: u32, key: &str) -> Option<f64> {
    let kb: Vec<u64> = group_pids(pgid)
        .into_iter()
        .filter_map(|p| read_proc_status_kb(p, key))
        .collect();
    (!kb.is_empty()).then(|| kb.iter().sum::<u64>() as f64 / 1024.0)
}

/// A contestant server process. Killed on drop (its whole process group, waiting until every
/// process of it is gone), then its temp folder is deleted.
pub(crate) struct Server {
    child: Child,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    tmp: Option<PathBuf>,
}

impl Server {
    /// Starts `launch` (under `taskset -c 0` when `pin`) in a process group of its own, so
    /// that servers which fork workers (Granian, Robyn) are measured and killed as a whole.
    pub(crate) fn spawn(launch: &Launch, pin: bool) -> Result<Self, String> {
        let mut cmd = if pin {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(SERVER_CPU).arg(&launch.program);
            c
        } else {
            Command::new(&launch.program)
        };
        if let Some(tmp) = &launch.tmp {
            // Left over from an interrupted run: start empty.
            let _ = std::fs::remove_dir_all(tmp);
            std::fs::create_dir_all(tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
            // Before the configured environment, which may point it elsewhere.
            cmd.env("TMPDIR", tmp);
        }
        cmd.args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(dir) = &launch.cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", launch.program.display()))?;
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let tail = stderr_tail.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == 20 {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        Ok(Self {
            child,
            stderr_tail,
            tmp: launch.tmp.clone(),
        })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => {
                // Give the stderr reader a moment to collect the last lines.
                std::thread::sleep(Duration::from_millis(50));
                let tail = self.stderr_tail.lock().unwrap_or_else(|p| p.into_inner());
                let text: Vec<&str> = tail.iter().map(String::as_str).collect();
                Some(format!("server exited ({status}); stderr: {}", text.join(" | ")))
            }
            Ok(None) => None,
            Err(e) => Some(format!("cannot query server process: {e}")),
        }
    }

    /// The live processes of the server's process group (forked workers included).
    pub(crate) fn pids(&self) -> Vec<u32> {
        group_pids(self.pid())
    }

    /// Sum of the peak RSS (`VmHWM`) of every live process in the server's process group.
    pub(crate) fn peak_rss_mb(&self) -> Option<f64> {
        group_status_mb(self.pid(), "VmHWM")
    }

    /// Pins every thread of every process in the group to `cpu` (`taskset -a -cp`).
    pub(crate) fn repin(&self, cpu: &str) -> Result<(), String> {
        for pid in self.pids() {
            command_ok(Command::new("taskset").args(["-a", "-cp", cpu, &pid.to_string()]))?;
        }
        Ok(())
    }

    /// CPU time used so far by every live process in the server's process group, in ns.
    pub(crate) fn cpu_ns(&self, ticks_per_sec: f64) -> Option<u64> {
        let times: Vec<u64> = self
            .pids()
            .into_iter()
            .filter_map(|p| proc_cpu_ns(&p.to_string(), ticks_per_sec))
            .collect();
        (!times.is_empty()).then(|| times.iter().sum())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The whole process group (forked workers included), then the leader itself.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.pid())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Forked workers are not our children: wait until the kernel has taken them down too,
        // so the next contestant does not share its core with a process still exiting.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !group_pids(self.pid()).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(tmp) = &self.tmp {
            let _ = std::fs::remove_dir_all(tmp);
        }
    }
}

pub(crate) fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

pub(crate) fn port_is_free(port: u16) -> Result<(), String> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("port {port} is already in use on 127.0.0.1 ({e})")),
    }
}

pub(crate) fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` from the system clock (no date crate needed).
pub(crate) fn utc_now() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
    }

    #[test]
    fn own_cpu_time_is_readable() {
        assert!(proc_cpu_ns(&std::process::id().to_string(), 100.0).is_some());
        assert!(children_cpu_ns(100.0).is_some());
    }

    #[test]
    fn process_group_is_found_and_killed() {
        let launch = Launch {
            program: PathBuf::from("sh"),
            args: vec!["-c".into(), "sleep 30 & sleep 30".into()],
            ..Launch::default()
        };
        let server = Server::spawn(&launch, false).unwrap();
        let pgid = server.pid();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while group_pids(pgid).len() < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(group_pids(pgid).len() >= 3, "sh and its two sleeps");
        assert!(server.cpu_ns(100.0).is_some());
        drop(server);
        // Drop waits until the group is gone.
        assert_eq!(group_pids(pgid), Vec::<u32>::new(), "children left running");
    }

    #[test]
    fn the_temp_folder_is_the_servers_tmpdir_and_is_removed_after_it() {
        let tmp = std::env::temp_dir().join(format!("bench-process-test-{}", std::process::id()));
        let launch = Launch {
            program: PathBuf::from("sh"),
            args: vec!["-c".into(), "echo x > \"$TMPDIR/RackMultipart1\"; sleep 30".into()],
            tmp: Some(tmp.clone()),
            ..Launch::default()
        };
        let server = Server::spawn(&launch, false).unwrap();
        let file = tmp.join("RackMultipart1");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !file.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(file.exists(), "the server writes into its temp folder");
        assert!(group_status_mb(server.pid(), "VmRSS").is_some_and(|mb| mb > 0.0));
        drop(server);
        assert!(!tmp.exists(), "removed once the server has stopped");
    }
}
