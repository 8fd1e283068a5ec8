//! Command-line options.

use std::path::PathBuf;

use benchmark_harness::workload;

use crate::contestants::Config;

pub(crate) const USAGE: &str = "\
usage: benchmark-harness [options]

Runs the contestant servers listed in contestants.json (the Rust ones are release binaries
next to this executable; the peer frameworks are apps in apps/, installed into work/ on first
use) on every workload and writes results.json, results.md and results.svg.
Build first: cargo build --release -p benchmark-harness

options:
  --duration SECS       length of each timed round (default 5)
  --rounds N            timed rounds per contestant and workload (default 3)
  --connections N       keep-alive connections (default 32)
  --warmup SECS         warm-up per contestant and workload, not measured (default 1)
  --quiet-wait SECS     before each round, wait up to this long for both cores to be idle
                        (default 3; 0: do not wait)
  --retries N           re-run a round disturbed by other processes or steal on the server's
                        or the load generator's core up to N times (default 1; 0: never)
  --soak N              memory soak: per contestant, after the warm-up, send N requests and
                        sample the server's resident memory (start, peak, end, growth); with
                        --soak and no --workloads/--quick, only the soak runs (and --out
                        defaults to docs/benchmarks/soak)
  --soak-workload W     the soak's workload (default get-json)
  --quick               1 round of 2 s, 0.5 s warm-up, only the workload json-small
                        (unless --workloads is given)
  --loadgen KIND        builtin (default: hyper client, every answer checked) or wrk
                        (apt-get install wrk; answers sampled before/after each round)
  --out DIR             where results.{json,md,svg} go (default docs/benchmarks)
  --readme FILE         also rewrite the section between the benchmark-harness markers in FILE
  --render FILE         measure nothing: re-render FILE (a results.json) into --out (and --readme)
  --contestants A,B     only these contestants (default: all; see below)
  --peers WHICH         none (Rust contestants only), all (default), or languages: python,node,ruby
  --workloads A,B       only these workloads (default: all; see below)
  --config FILE         contestant table (default: <harness-dir>/contestants.json)
  --install             reinstall the peers' packages even if work/ looks up to date
  --harness-dir DIR     where apps/, contestants.json and work/ are (default: this crate's folder)
  --base-port N         give contestants fixed ports N, N+1, ... (default: free ports)
  --bin-dir DIR         where the contestant binaries are (default: this executable's dir)
  --startup-timeout S   how long a server may take to answer (default 20)
  -h, --help            this text";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoadGen {
    Builtin,
    Wrk,
}

impl LoadGen {
    pub(crate) fn name(self) -> &'static str {
        match self {
            LoadGen::Builtin => "builtin",
            LoadGen::Wrk => "wrk",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) duration: f64,
    pub(crate) rounds: usize,
    pub(crate) connections: usize,
    pub(crate) warmup: f64,
    pub(crate) loadgen: LoadGen,
    pub(crate) out: PathBuf,
    pub(crate) readme: Option<PathBuf>,
    pub(crate) render: Option<PathBuf>,
    pub(crate) contestants: Vec<String>,
    pub(crate) workloads: Vec<String>,
    pub(crate) config: Option<PathBuf>,
    pub(crate) base_port: Option<u16>,
    pub(crate) bin_dir: Option<PathBuf>,
    pub(crate) startup_timeout: f64,
    pub(crate) install: bool,
    pub(crate) harness_dir: PathBuf,
    pub(crate) quiet_wait: f64,
    pub(crate) retries: usize,
    /// Requests per contestant in the memory soak (`--soak`), and its workload.
    pub(crate) soak: Option<u64>,
    pub(crate) soak_workload: String,
    /// Values of `--contestants` and `--peers`, checked against the config once it is loaded.
    selected: Option<Vec<String>>,
    peers: Option<String>,
}

fn list(v: &str) -> Vec<String> {
    v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub(crate) fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        duration: 5.0,
        rounds: 3,
        connections: 32,
        warmup: 1.0,
        loadgen: LoadGen::Builtin,
        out: PathBuf::from("docs/benchmarks"),
        readme: None,
        render: None,
        contestants: Vec::new(),
        workloads: Vec::new(),
        config: None,
        base_port: None,
        bin_dir: None,
        startup_timeout: 20.0,
        install: false,
        harness_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        quiet_wait: 3.0,
        retries: 1,
        soak: None,
        soak_workload: workload::PROBE.to_string(),
        selected: None,
        peers: None,
    };
    let mut quick = false;
    let mut out_given = false;
    let mut soak_workload_given = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{name} needs a value"))
        };
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: invalid value {v:?}"))
        }
        match flag {
            "-h" | "--help" => return Err(String::new()),
            "--quick" => quick = true,
            "--duration" => o.duration = num(flag, value(flag)?)?,
            "--rounds" => o.rounds = num(flag, value(flag)?)?,
            "--connections" | "-c" => o.connections = num(flag, value(flag)?)?,
            "--warmup" => o.warmup = num(flag, value(flag)?)?,
            "--loadgen" => {
                o.loadgen = match value(flag)?.as_str() {
                    "builtin" => LoadGen::Builtin,
                    "wrk" => LoadGen::Wrk,
                    other => return Err(format!("--loadgen: unknown value {other:?} (builtin, wrk)")),
                }
            }
            "--out" => {
                o.out = PathBuf::from(value(flag)?);
                out_given = true;
            }
            "--readme" => o.readme = Some(PathBuf::from(value(flag)?)),
            "--render" => o.render = Some(PathBuf::from(value(flag)?)),
            "--contestants" => o.selected = Some(list(&value(flag)?)),
            "--workloads" => o.workloads = list(&value(flag)?),
            "--config" => o.config = Some(PathBuf::from(value(flag)?)),
            "--base-port" => o.base_port = Some(num(flag, value(flag)?)?),
            "--bin-dir" => o.bin_dir = Some(PathBuf::from(value(flag)?)),
            "--startup-timeout" => o.startup_timeout = num(flag, value(flag)?)?,
            "--peers" => o.peers = Some(value(flag)?),
            "--install" => o.install = true,
            "--harness-dir" => o.harness_dir = PathBuf::from(value(flag)?),
            "--quiet-wait" => o.quiet_wait = num(flag, value(flag)?)?,
            "--retries" => o.retries = num(flag, value(flag)?)?,
            "--soak" => o.soak = Some(num(flag, value(flag)?)?),
            "--soak-workload" => {
                o.soak_workload = value(flag)?;
                soak_workload_given = true;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if quick {
        o.rounds = 1;
        o.duration = 2.0;
        o.warmup = 0.5;
        if o.workloads.is_empty() {
            o.workloads = vec![workload::QUICK.to_string()];
        }
    }
    if o.soak.is_some() && o.workloads.is_empty() {
        // A soak on its own: no timed rounds, and not over the full run's results.
        if !out_given {
            o.out = PathBuf::from("docs/benchmarks/soak");
        }
    } else if o.workloads.is_empty() {
        o.workloads = workload::names().iter().map(|s| s.to_string()).collect();
    }
    if o.soak == Some(0) {
        return Err("--soak must be positive".into());
    }
    if soak_workload_given && o.soak.is_none() {
        return Err("--soak-workload needs --soak N".into());
    }
    if o.quiet_wait.is_nan() || o.quiet_wait < 0.0 {
        return Err("--quiet-wait must be >= 0".into());
    }
    if o.rounds == 0 || o.connections == 0 || o.duration.is_nan() || o.duration <= 0.0 {
        return Err("--rounds, --connections and --duration must be positive".into());
    }
    if o.warmup.is_nan() || o.warmup < 0.0 || o.startup_timeout.is_nan() || o.startup_timeout <= 0.0 {
        return Err("--warmup must be >= 0 and --startup-timeout > 0".into());
    }
    let known = workload::names();
    if let Some(w) = o
        .workloads
        .iter()
        .chain(std::iter::once(&o.soak_workload))
        .find(|w| !known.contains(&w.as_str()))
    {
        return Err(format!("unknown workload {w:?} (known: {})", known.join(", ")));
    }
    Ok(o)
}

impl Options {
    pub(crate) fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| self.harness_dir.join("contestants.json"))
    }

    /// Resolves `--contestants` and `--peers` against the contestant table.
    pub(crate) fn select(&mut self, config: &Config) -> Result<(), String> {
        let all = config.names();
        let mut chosen = self.selected.clone().unwrap_or_else(|| all.clone());
        if let Some(c) = chosen.iter().find(|c| !all.contains(c)) {
            return Err(format!("unknown contestant {c:?} (known: {})", all.join(", ")));
        }
        if let Some(p) = &self.peers {
            let languages: Vec<String> = match p.as_str() {
                "all" => config.contestants.iter().map(|c| c.language.clone()).collect(),
                "none" => Vec::new(),
                l => list(l),
            };
            if let Some(l) = languages
                .iter()
                .find(|l| !config.contestants.iter().any(|c| &c.language == *l))
            {
                return Err(format!(
                    "--peers: no contestant has the language {l:?} (none, all, or e.g. python,node,ruby)"
                ));
            }
            chosen.retain(|c| {
                config
                    .find(c)
                    .is_some_and(|c| c.language == "rust" || languages.contains(&c.language))
            });
        }
        self.contestants = chosen;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn config() -> Config {
        Config::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contestants.json")).unwrap()
    }

    #[test]
    fn defaults_and_quick() {
        let o = parse_args(&[]).unwrap();
        assert_eq!((o.duration, o.rounds, o.connections), (5.0, 3, 32));
        assert_eq!(o.workloads.len(), workload::names().len());
        assert_eq!(o.loadgen, LoadGen::Builtin);
        let o = parse_args(&args("--quick --connections=8 --out /tmp/x --loadgen wrk")).unwrap();
        assert_eq!((o.duration, o.rounds, o.connections), (2.0, 1, 8));
        assert_eq!(o.workloads, [workload::QUICK]);
        assert_eq!((o.out, o.loadgen), (PathBuf::from("/tmp/x"), LoadGen::Wrk));
        let o = parse_args(&args("--quick --workloads plain-text,form")).unwrap();
        assert_eq!(o.workloads, ["plain-text", "form"]);
        assert!(parse_args(&args("--rounds 0")).is_err());
        assert!(parse_args(&args("--workloads nope")).is_err());
        assert!(parse_args(&args("--loadgen ab")).is_err());
        assert!(parse_args(&args("--bogus")).is_err());
        assert_eq!((o.quiet_wait, o.retries, o.soak), (3.0, 1, None));
        let o = parse_args(&args("--quiet-wait 0 --retries 2")).unwrap();
        assert_eq!((o.quiet_wait, o.retries), (0.0, 2));
        assert!(parse_args(&args("--quiet-wait -1")).is_err());
    }

    #[test]
    fn a_soak_alone_measures_no_workloads_and_writes_apart() {
        let o = parse_args(&args("--soak 200000")).unwrap();
        assert_eq!((o.soak, o.soak_workload.as_str()), (Some(200_000), "get-json"));
        assert!(o.workloads.is_empty());
        assert_eq!(o.out, PathBuf::from("docs/benchmarks/soak"));
        let o = parse_args(&args("--soak 1000 --soak-workload plain-text --out /tmp/s")).unwrap();
        assert_eq!(
            (o.soak_workload.as_str(), o.out),
            ("plain-text", PathBuf::from("/tmp/s"))
        );
        // With workloads, the soak comes after their rounds.
        let o = parse_args(&args("--soak 1000 --quick")).unwrap();
        assert_eq!(o.workloads, [workload::QUICK]);
        assert_eq!(o.out, PathBuf::from("docs/benchmarks"));
        assert!(parse_args(&args("--soak 0")).is_err());
        assert!(parse_args(&args("--soak-workload get-json")).is_err());
        assert!(parse_args(&args("--soak 10 --soak-workload nope")).is_err());
    }

    #[test]
    fn contestant_selection() {
        let c = config();
        let mut o = parse_args(&[]).unwrap();
        o.select(&c).unwrap();
        assert_eq!(o.contestants, c.names());
        let mut o = parse_args(&args("--peers none")).unwrap();
        o.select(&c).unwrap();
        assert_eq!(
            o.contestants,
            [
                "raw-axum",
                "spikard-rust",
                "spikard-rust-mw",
                "spikard-rust-towerhttp",
                "spikard-rust-layer"
            ]
        );
        let mut o = parse_args(&args("--peers node")).unwrap();
        o.select(&c).unwrap();
        assert!(o.contestants.iter().any(|n| n == "express"));
        assert!(o
            .contestants
            .iter()
            .all(|n| ["rust", "node"].contains(&c.find(n).unwrap().language.as_str())));
        let mut o = parse_args(&args("--contestants raw-axum,robyn --peers none")).unwrap();
        o.select(&c).unwrap();
        assert_eq!(o.contestants, ["raw-axum"]);
        assert!(parse_args(&args("--peers cobol")).unwrap().select(&c).is_err());
        assert!(parse_args(&args("--contestants nope")).unwrap().select(&c).is_err());
    }
}
