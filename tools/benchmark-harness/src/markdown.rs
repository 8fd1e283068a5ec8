//! Rendering a run: `results.md` (the ratio matrix, the detailed tables, every skip and
//! failure with its reason), the chart's data, and the README section between the
//! `<!-- benchmark-harness:begin -->` / `<!-- benchmark-harness:end -->` markers.

use benchmark_harness::chart::{Bar, Group};

use crate::report::{Entry, Report, RoundReport, Status};

pub(crate) const README_BEGIN: &str = "<!-- benchmark-harness:begin -->";
pub(crate) const README_END: &str = "<!-- benchmark-harness:end -->";

pub(crate) fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or("—".into(), |v| format!("{v:.decimals$}"))
}

/// Contestants and workloads in the order they first appear in the results.
fn axes(report: &Report) -> (Vec<&str>, Vec<&str>) {
    let (mut contestants, mut workloads) = (Vec::new(), Vec::new());
    for e in &report.results {
        if !contestants.contains(&e.contestant.as_str()) {
            contestants.push(e.contestant.as_str());
        }
        if !workloads.contains(&e.workload.as_str()) {
            workloads.push(e.workload.as_str());
        }
    }
    (contestants, workloads)
}

fn entry<'r>(report: &'r Report, workload: &str, contestant: &str) -> Option<&'r Entry> {
    report
        .results
        .iter()
        .find(|e| e.workload == workload && e.contestant == contestant)
}

fn short_status(e: &Entry) -> &'static str {
    match e.status {
        Status::Ok => "—",
        Status::Skipped => "skipped",
        Status::Failed => "FAILED",
    }
}

/// One line saying how the run was made.
pub(crate) fn provenance(report: &Report) -> String {
    let mut line = format!(
        "Generated {} by `{}`{}. Machine: {} ({} logical CPUs), Linux {}; server pinned to CPU {}{}, load generator ({}) to CPU {}{}.",
        report.generated_at_utc,
        report.command,
        report.git_revision.as_ref().map_or(String::new(), |r| format!(" at revision `{r}`")),
        report.machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
        report.machine.logical_cpus,
        report.machine.kernel.as_deref().unwrap_or("?"),
        report.pinning.server_cpus,
        if report.pinning.server_pinned { "" } else { " (NOT pinned)" },
        report.settings.loadgen,
        report.pinning.loadgen_cpus,
        if report.pinning.loadgen_pinned { "" } else { " (NOT pinned)" },
    );
    let s = &report.settings;
    if !report.results.is_empty() {
        line.push_str(&format!(
            " {} round(s) of {} s per contestant and workload after {} s warm-up, {} keep-alive HTTP/1.1 connections.",
            s.rounds, s.duration_s, s.warmup_s, s.connections
        ));
    }
    if let (Some(wait), Some(retries), false) = (s.quiet_wait_s, s.retries, report.results.is_empty()) {
        line.push_str(&format!(
            " Before each round the harness waited up to {wait} s for both cores to be idle; a round in which other \
             processes or steal took more than 10% of either core was re-run up to {retries} time(s), the less disturbed kept."
        ));
    }
    if let (Some(n), Some(w)) = (s.soak_requests, &s.soak_workload) {
        line.push_str(&format!(
            " Memory soak: {n} `{w}` requests per contestant after {} s warm-up, {} keep-alive HTTP/1.1 connections.",
            s.warmup_s, s.connections
        ));
    }
    line
}

/// A matrix: a row per workload, raw axum's req/s, then one value per contestant.
fn matrix(report: &Report, value: fn(&Entry) -> Option<f64>) -> String {
    let (contestants, workloads) = axes(report);
    let mut md = String::from("| workload | raw axum req/s |");
    for c in &contestants {
        md.push_str(&format!(" {c} |"));
    }
    md.push_str("\n|---|---:|");
    md.push_str(&"---:|".repeat(contestants.len()));
    md.push('\n');
    for w in &workloads {
        let base = entry(report, w, crate::BASELINE).and_then(|e| e.median_rps);
        md.push_str(&format!("| {w} | {} |", fmt_opt(base, 0)));
        for c in &contestants {
            let cell = match entry(report, w, c) {
                Some(e) if e.is_ok() => fmt_opt(value(e), 2),
                Some(e) => short_status(e).to_string(),
                None => "—".to_string(),
            };
            md.push_str(&format!(" {cell} |"));
        }
        md.push('\n');
    }
    md
}

/// Throughput: each contestant's median req/s divided by raw axum's.
pub(crate) fn ratio_table(report: &Report) -> String {
    matrix(report, |e| e.ratio_vs_raw_axum)
}

/// Cost: raw axum's server CPU time per request divided by each contestant's.
pub(crate) fn cpu_table(report: &Report) -> String {
    matrix(report, |e| e.cpu_efficiency_vs_raw_axum)
}

const CPU_EXPLAINED: &str =
    "Server CPU efficiency: raw axum's server CPU time per request divided by the contestant's \
(thread run time from /proc over the timed rounds; 1.00 = as cheap as raw axum, 0.50 = twice the CPU per request). \
It does not depend on how much of its core the server got, so it is the steadier figure when the machine is busy.";

/// A warning when rounds were disturbed even after their re-runs (or, for a results.json
/// without per-core figures, when the servers did not get their core).
fn contention_note(report: &Report) -> Option<String> {
    let rounds: Vec<&RoundReport> = report.results.iter().flat_map(|e| &e.rounds).collect();
    if rounds.iter().any(|r| r.server_core.is_some()) {
        let disturbed: Vec<String> = report
            .results
            .iter()
            .flat_map(|e| {
                e.rounds
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.disturbed.is_some())
                    .map(move |(i, _)| format!("{} / {} round {}", e.workload, e.contestant, i + 1))
            })
            .collect();
        if disturbed.is_empty() {
            return None;
        }
        return Some(format!(
            "**Busy machine:** {} of {} timed rounds were still disturbed after their re-run (other processes or the \
             hypervisor took more than 10% of the server's or the load generator's core): {}. Their throughput ratios \
             are unreliable; the CPU-efficiency table is the steadier comparison.",
            disturbed.len(),
            rounds.len(),
            disturbed.join(", ")
        ));
    }
    let cpu = report.median_server_cpu_pct().filter(|p| *p < 80.0)?;
    Some(format!(
        "**Busy machine:** the servers used a median of {cpu:.0}% of their core during the timed rounds \
         (other processes were competing for it), so throughput ratios are compressed toward 1 and noisy; \
         the CPU-efficiency table is the more reliable comparison for this run."
    ))
}

/// Every skip and failure, with its reason.
pub(crate) fn problems(report: &Report) -> String {
    let mut md = crate::soak::problems(&report.soak);
    for e in report.results.iter().filter(|e| !e.is_ok()) {
        md.push_str(&format!(
            "- {} / {}: {} — {}\n",
            e.workload,
            e.contestant,
            short_status(e),
            e.reason.as_deref().unwrap_or("?").replace('|', "\\|")
        ));
    }
    md
}

pub(crate) fn markdown(report: &Report) -> String {
    let mut md = String::from("# Benchmark results\n\n");
    md.push_str(&provenance(report));
    md.push_str("\n\n");
    if let Some(note) = &report.pinning.note {
        md.push_str(&format!("**Note:** {note}\n\n"));
    }
    md.push_str("Contestants:\n\n");
    let (mut contestants, _) = axes(report);
    for e in &report.soak {
        if !contestants.contains(&e.contestant.as_str()) {
            contestants.push(&e.contestant);
        }
    }
    for c in &contestants {
        let e = report.results.iter().find(|e| e.contestant == *c);
        let warmup = e
            .and_then(|e| e.warmup_s)
            .filter(|w| *w > report.settings.warmup_s)
            .map_or(String::new(), |w| format!(" (JIT runtime: warm-up raised to {w} s)"));
        let description = e
            .and_then(|e| e.description.as_deref())
            .or_else(|| report.soak.iter().find(|s| s.contestant == *c)?.description.as_deref());
        md.push_str(&format!("- `{c}`: {}{warmup}\n", description.unwrap_or("?")));
    }
    if !report.workloads.is_empty() {
        md.push_str("\nWorkloads (every answer checked against the expected status and body; validated routes must also refuse invalid requests with 422):\n\n");
    }
    for w in &report.workloads {
        md.push_str(&format!(
            "- `{}`: {} — `{}`{}\n",
            w.name,
            w.summary,
            w.request,
            if w.request_body_bytes > 0 {
                format!(" ({} B body)", w.request_body_bytes)
            } else {
                String::new()
            }
        ));
    }
    if let Some(n) = contention_note(report) {
        md.push_str(&format!("\n{n}\n"));
    }
    if !report.results.is_empty() {
        md.push_str("\n## Throughput relative to raw axum (median req/s ratio, same run)\n\n");
        md.push_str(&ratio_table(report));
        md.push_str("\n## Server CPU efficiency relative to raw axum\n\n");
        md.push_str(CPU_EXPLAINED);
        md.push_str("\n\n");
        md.push_str(&cpu_table(report));
    }
    if !report.soak.is_empty() {
        md.push_str(&format!(
            "\n## Memory soak\n\n{}\n\n{}",
            crate::soak::EXPLAINED,
            crate::soak::table(&report.soak)
        ));
    }
    let problems = problems(report);
    if !problems.is_empty() {
        md.push_str("\nSkipped and failed:\n\n");
        md.push_str(&problems);
    }
    let notes = notes(report);
    if !notes.is_empty() {
        md.push_str("\nNotes:\n\n");
        md.push_str(&notes);
    }
    if report.results.is_empty() {
        return md;
    }
    md.push_str("\n## Details\n\n| workload | contestant | median req/s | min req/s | max req/s | p50 ms | p99 ms | ratio vs raw axum | server CPU µs/req | CPU efficiency vs raw axum | peak RSS MB | first response ms | server CPU % per round | server core busy % per round | re-run rounds |\n");
    md.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
    for e in &report.results {
        let cpus: Vec<String> = e
            .rounds
            .iter()
            .map(|r: &RoundReport| fmt_opt(r.server_cpu_pct, 0))
            .collect();
        let busy: Vec<String> = e
            .rounds
            .iter()
            .map(|r| fmt_opt(r.server_core.map(|c| c.busy_pct), 0))
            .collect();
        let rps = if e.is_ok() {
            fmt_opt(e.median_rps, 0)
        } else {
            short_status(e).to_string()
        };
        md.push_str(&format!(
            "| {} | {} | {rps} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            e.workload,
            e.contestant,
            fmt_opt(e.min_rps, 0),
            fmt_opt(e.max_rps, 0),
            fmt_opt(e.p50_ms, 3),
            fmt_opt(e.p99_ms, 3),
            fmt_opt(e.ratio_vs_raw_axum, 2),
            fmt_opt(e.server_cpu_us_per_request, 2),
            fmt_opt(e.cpu_efficiency_vs_raw_axum, 2),
            fmt_opt(e.peak_rss_mb, 1),
            fmt_opt(e.time_to_first_response_ms, 1),
            if cpus.is_empty() { "—".into() } else { cpus.join(", ") },
            if busy.is_empty() { "—".into() } else { busy.join(", ") },
            e.discarded_rounds.len(),
        ));
    }
    md.push_str(
        "\nRatios compare median throughput with raw axum's on the same workload in the same run. \
         Server CPU is the server's own thread run time; server core busy adds the kernel's interrupt and \
         softirq work on that core (on loopback, the TCP work for the connections) and anything else that ran there. \
         A busy core near 100% means the server was the bottleneck; well below 100% means the load generator was \
         (or the two were taking turns), and the throughput ratio understates differences. Server CPU µs/req does not \
         depend on that; CPU efficiency is raw axum's µs/req divided by the contestant's. Re-run rounds: rounds \
         re-run because they were disturbed (kept in results.json as `discarded_rounds`).\n",
    );
    md
}

/// The chart's bars: per workload, one per contestant (a note where there is no number).
pub(crate) fn chart_groups(report: &Report) -> Vec<Group> {
    let (contestants, workloads) = axes(report);
    workloads
        .iter()
        .map(|w| Group {
            label: (*w).to_string(),
            bars: contestants
                .iter()
                .filter_map(|c| entry(report, w, c))
                .map(|e| Bar {
                    contestant: e.contestant.clone(),
                    value: e.ratio_vs_raw_axum.filter(|_| e.is_ok()),
                    note: (!e.is_ok() || e.ratio_vs_raw_axum.is_none()).then(|| match e.status {
                        Status::Ok => "no raw-axum baseline".to_string(),
                        _ => short_status(e).to_string(),
                    }),
                })
                .collect(),
        })
        .collect()
}

/// What the harness noted per contestant (e.g. threads it had to re-pin).
pub(crate) fn notes(report: &Report) -> String {
    report
        .results
        .iter()
        .flat_map(|e| {
            e.notes
                .iter()
                .map(move |n| format!("- {} / {}: {n}\n", e.workload, e.contestant))
        })
        .collect()
}

/// The README section: provenance, both matrices (and the soak) and the problems.
pub(crate) fn readme_section(report: &Report) -> String {
    let mut s = provenance(report);
    if let Some(n) = contention_note(report) {
        s.push_str(&format!("\n\n{n}"));
    }
    if !report.results.is_empty() {
        s.push_str(&format!(
            "\n\nThroughput relative to raw axum (median req/s ratio):\n\n{}\n{CPU_EXPLAINED}\n\n{}",
            ratio_table(report),
            cpu_table(report)
        ));
    }
    if !report.soak.is_empty() {
        s.push_str(&format!(
            "\n\nMemory soak:\n\n{}\n{}",
            crate::soak::table(&report.soak),
            crate::soak::EXPLAINED
        ));
    }
    let problems = problems(report);
    if !problems.is_empty() {
        s.push('\n');
        s.push_str(&problems);
    }
    s
}

/// Replaces what is between the README markers with `section`.
pub(crate) fn splice(readme: &str, section: &str) -> Result<String, String> {
    let begin = readme.find(README_BEGIN).ok_or(format!("no {README_BEGIN} marker"))?;
    let end = readme.find(README_END).ok_or(format!("no {README_END} marker"))?;
    if end < begin {
        return Err("README markers are out of order".into());
    }
    Ok(format!(
        "{}{README_BEGIN}\n{}\n{}",
        &readme[..begin],
        section.trim_end(),
        &readme[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contestants::Contestant;
    use crate::report::{Machine, Pinning, Settings};

    fn contestant(name: &str) -> Contestant {
        Contestant {
            name: name.into(),
            language: "rust".into(),
            description: format!("{name} server"),
            install: None,
            dir: None,
            command: vec![name.into()],
            env: Default::default(),
            min_warmup_s: 0.0,
            unsupported: Default::default(),
        }
    }

    fn report() -> Report {
        let mut results = Vec::new();
        for (w, rps) in [("get-json", [100.0, 50.0]), ("form", [80.0, 100.0])] {
            for (c, r) in ["raw-axum", "spikard-rust"].into_iter().zip(rps) {
                let mut e = Entry::new(w, &contestant(c));
                e.median_rps = Some(r);
                results.push(e);
            }
            let mut skipped = Entry::new(w, &contestant("sinatra-puma"));
            skipped.skip("puma missing | apt-get install puma".into());
            results.push(skipped);
        }
        crate::run::set_ratios(&mut results);
        Report {
            generated_at_utc: "2026-01-01T00:00:00Z".into(),
            command: "benchmark-harness --quick".into(),
            git_revision: None,
            machine: Machine {
                cpu_model: Some("Test CPU".into()),
                logical_cpus: 2,
                kernel: None,
            },
            settings: Settings {
                duration_s: 2.0,
                rounds: 1,
                connections: 32,
                warmup_s: 0.5,
                http: "h1".into(),
                loadgen: "builtin".into(),
                quiet_wait_s: None,
                retries: None,
                soak_requests: None,
                soak_workload: None,
            },
            pinning: Pinning {
                server_cpus: "0".into(),
                loadgen_cpus: "1".into(),
                server_pinned: true,
                loadgen_pinned: true,
                note: None,
            },
            workloads: Vec::new(),
            results,
            soak: Vec::new(),
        }
    }

    #[test]
    fn ratio_table_has_a_row_per_workload_and_names_skips() {
        let r = report();
        let table = ratio_table(&r);
        assert!(
            table.starts_with("| workload | raw axum req/s | raw-axum | spikard-rust | sinatra-puma |"),
            "{table}"
        );
        assert!(table.contains("| get-json | 100 | 1.00 | 0.50 | skipped |"), "{table}");
        assert!(table.contains("| form | 80 | 1.00 | 1.25 | skipped |"), "{table}");
        let md = markdown(&r);
        assert!(
            md.contains("form / sinatra-puma: skipped — puma missing \\| apt-get install puma"),
            "{md}"
        );
        assert!(readme_section(&r).contains("Test CPU (2 logical CPUs)"));
    }

    #[test]
    fn a_saved_report_renders_the_same_and_busy_runs_are_flagged() {
        let mut r = report();
        let json = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(markdown(&back), markdown(&r));
        assert!(!markdown(&r).contains("Busy machine"), "no rounds, no warning");
        // A results.json of an older harness: no per-core figures.
        r.results[0].rounds.push(RoundReport {
            requests_ok: 1,
            rps: 1.0,
            server_cpu_pct: Some(30.0),
            ..RoundReport::default()
        });
        assert!(readme_section(&r).contains("median of 30% of their core"));
        assert!(cpu_table(&r).starts_with("| workload | raw axum req/s |"));
    }

    #[test]
    fn rounds_still_disturbed_are_named_and_reruns_counted() {
        let mut r = report();
        r.settings.quiet_wait_s = Some(3.0);
        r.settings.retries = Some(1);
        let core = crate::cpu::CoreUse {
            busy_pct: 100.0,
            other_pct: 1.0,
            irq_pct: 30.0,
            steal_pct: 0.0,
        };
        let round = RoundReport {
            requests_ok: 1,
            rps: 1.0,
            server_cpu_pct: Some(70.0),
            server_core: Some(core),
            loadgen_core: Some(core),
            ..RoundReport::default()
        };
        r.results[0].rounds.push(round.clone());
        r.results[1].rounds.push(round.clone());
        // 70% server CPU on a saturated core is not a busy machine.
        assert!(!markdown(&r).contains("Busy machine"));
        assert!(provenance(&r).contains("re-run up to 1 time(s)"));
        let disturbed = RoundReport {
            disturbed: Some("other processes used 34% of the server's core".into()),
            ..round
        };
        r.results[1].discarded_rounds.push(disturbed.clone());
        r.results[1].rounds.push(disturbed);
        r.results[1]
            .notes
            .push("1 server thread(s) were not pinned to CPU 0 (7/8 (x): 0-1); re-pinned".into());
        let md = markdown(&r);
        assert!(
            md.contains("**Busy machine:** 1 of 3 timed rounds were still disturbed")
                && md.contains("get-json / spikard-rust round 2"),
            "{md}"
        );
        assert!(md.contains("| 70, 70 | 100, 100 | 1 |"), "{md}");
        assert!(
            md.contains("- get-json / spikard-rust: 1 server thread(s) were not pinned"),
            "{md}"
        );
    }

    #[test]
    fn a_soak_only_report_has_the_soak_table_and_no_matrices() {
        use crate::soak::{RssSample, SoakEntry};
        let mut r = report();
        r.results.clear();
        r.settings.soak_requests = Some(1000);
        r.settings.soak_workload = Some("get-json".into());
        let samples = [(0, 20.0), (500, 21.0), (1000, 21.0)].map(|(requests, rss_mb)| RssSample {
            requests,
            elapsed_s: 0.0,
            rss_mb,
            anon_mb: None,
        });
        r.soak.push(SoakEntry {
            contestant: "spikard-python".into(),
            description: None,
            workload: "get-json".into(),
            status: Status::Ok,
            reason: None,
            requests: 1000,
            requests_ok: 1000,
            errors: 0,
            elapsed_s: Some(0.1),
            rps: Some(10_000.0),
            summary: crate::soak::summarise(&samples),
            samples: samples.to_vec(),
        });
        let md = markdown(&r);
        assert!(
            md.contains("## Memory soak")
                && md.contains(
                    "| spikard-python | get-json | 1000 | 10000 | 20.0 | 21.0 | 21.0 | 1.0 | 0.0 | — → — | flat |"
                ),
            "{md}"
        );
        assert!(!md.contains("## Throughput") && !md.contains("## Details"), "{md}");
        let p = provenance(&r);
        assert!(
            p.contains("Memory soak: 1000 `get-json` requests per contestant after 0.5 s"),
            "{p}"
        );
        assert!(!p.contains("round(s)"), "{p}");
        assert!(md.contains("- `spikard-python`: ?"), "{md}");
        let section = readme_section(&r);
        assert!(
            section.contains("Memory soak:") && !section.contains("Throughput relative"),
            "{section}"
        );
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(markdown(&back), md);
    }

    #[test]
    fn chart_has_every_contestant_in_every_group() {
        let groups = chart_groups(&report());
        assert_eq!(groups.len(), 2);
        for g in &groups {
            assert_eq!(g.bars.len(), 3);
            assert_eq!(g.bars[0].value, Some(1.0));
            assert_eq!((g.bars[2].value, g.bars[2].note.as_deref()), (None, Some("skipped")));
        }
    }

    #[test]
    fn splice_replaces_only_the_marked_section() {
        let readme = format!("# T\n\n{README_BEGIN}\nold\n{README_END}\n\nrest\n");
        let out = splice(&readme, "new table\n").unwrap();
        assert_eq!(out, format!("# T\n\n{README_BEGIN}\nnew table\n{README_END}\n\nrest\n"));
        assert_eq!(splice(&out, "new table").unwrap(), out, "idempotent");
        assert!(splice("# T\n", "x").is_err());
    }
}
