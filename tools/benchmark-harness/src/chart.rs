//! A hand-written SVG bar chart: one group of horizontal bars per workload, one bar per
//! contestant, bar length = throughput ratio to raw axum (a dashed line marks 1.0).
//! Contestants without a number (skipped, failed) get a labelled empty row, never a gap.
//!
//! ```
//! use benchmark_harness::chart::{render, Bar, Group};
//! let groups = vec![Group {
//!     label: "get-json".into(),
//!     bars: vec![
//!         Bar { contestant: "raw-axum".into(), value: Some(1.0), note: None },
//!         Bar { contestant: "express".into(), value: None, note: Some("skipped".into()) },
//!     ],
//! }];
//! let svg = render("Throughput vs raw axum", "2 cores", &groups);
//! assert!(svg.starts_with("<svg") && svg.contains("skipped"));
//! ```

use std::fmt::Write;

/// One contestant's bar.
#[derive(Clone, Debug)]
pub struct Bar {
    pub contestant: String,
    /// Ratio to raw axum; `None` when there is no measurement.
    pub value: Option<f64>,
    /// Shown instead of a value (e.g. "skipped", "FAILED").
    pub note: Option<String>,
}

/// One workload's bars.
#[derive(Clone, Debug)]
pub struct Group {
    pub label: String,
    pub bars: Vec<Bar>,
}

const LABEL_W: f64 = 190.0;
const PLOT_W: f64 = 560.0;
const RIGHT_W: f64 = 80.0;
const BAR_H: f64 = 13.0;
const BAR_GAP: f64 = 3.0;
const GROUP_HEAD: f64 = 22.0;
const GROUP_GAP: f64 = 10.0;
const TOP: f64 = 62.0;
const BOTTOM: f64 = 30.0;

/// A colour per contestant (stable: by order of first appearance).
const PALETTE: &[&str] = &[
    "#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a",
];

/// Escapes text for SVG/XML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The axis maximum: at least 1.0, rounded up to a multiple of 0.25.
pub fn axis_max(groups: &[Group]) -> f64 {
    let max = groups
        .iter()
        .flat_map(|g| g.bars.iter().filter_map(|b| b.value))
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    (max * 4.0).ceil() / 4.0
}

/// Renders the chart as a standalone SVG document.
pub fn render(title: &str, subtitle: &str, groups: &[Group]) -> String {
    let mut contestants: Vec<&str> = Vec::new();
    for b in groups.iter().flat_map(|g| &g.bars) {
        if !contestants.contains(&b.contestant.as_str()) {
            contestants.push(&b.contestant);
        }
    }
    let colour = |name: &str| {
        let i = contestants.iter().position(|c| *c == name).unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let max = axis_max(groups);
    let x_of = |v: f64| LABEL_W + (v.clamp(0.0, max) / max) * PLOT_W;
    let rows: usize = groups.iter().map(|g| g.bars.len()).sum();
    let height = TOP + groups.len() as f64 * (GROUP_HEAD + GROUP_GAP) + rows as f64 * (BAR_H + BAR_GAP) + BOTTOM;
    let width = LABEL_W + PLOT_W + RIGHT_W;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let _ = writeln!(s, r##"<text x="10" y="38" fill="#555555">{}</text>"##, escape(subtitle));
    // Grid lines every 0.25, labelled, and the raw-axum line at 1.0.
    let grid_bottom = height - BOTTOM + 4.0;
    let mut tick = 0.0;
    while tick <= max + 1e-9 {
        let x = x_of(tick);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{grid_bottom}" stroke="#e3e3e3"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#555555">{tick:.2}</text>"##,
            TOP - 6.0
        );
        tick += 0.25;
    }
    let one = x_of(1.0);
    let _ = writeln!(
        s,
        r##"<line x1="{one:.1}" y1="{TOP}" x2="{one:.1}" y2="{grid_bottom}" stroke="#333333" stroke-dasharray="4 3"/><text x="{one:.1}" y="{:.1}" text-anchor="middle" fill="#333333">raw axum = 1.0</text>"##,
        grid_bottom + 14.0
    );
    let mut y = TOP;
    for g in groups {
        y += GROUP_HEAD;
        let _ = writeln!(
            s,
            r#"<text x="10" y="{:.1}" font-size="12" font-weight="bold">{}</text>"#,
            y - 6.0,
            escape(&g.label)
        );
        for b in &g.bars {
            let mid = y + BAR_H / 2.0 + 4.0;
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{mid:.1}" text-anchor="end">{}</text>"#,
                LABEL_W - 6.0,
                escape(&b.contestant)
            );
            match b.value.filter(|v| v.is_finite()) {
                Some(v) => {
                    let w = (x_of(v) - LABEL_W).max(1.0);
                    let _ = writeln!(
                        s,
                        r#"<rect x="{LABEL_W}" y="{y:.1}" width="{w:.1}" height="{BAR_H}" fill="{}"><title>{}: {v:.2}</title></rect><text x="{:.1}" y="{mid:.1}">{v:.2}</text>"#,
                        colour(&b.contestant),
                        escape(&format!("{} / {}", g.label, b.contestant)),
                        LABEL_W + w + 4.0
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{:.1}" y="{mid:.1}" fill="#b00020" font-style="italic">{}</text>"##,
                        LABEL_W + 4.0,
                        escape(b.note.as_deref().unwrap_or("no result"))
                    );
                }
            }
            y += BAR_H + BAR_GAP;
        }
        y += GROUP_GAP;
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(c: &str, v: Option<f64>) -> Bar {
        Bar {
            contestant: c.into(),
            value: v,
            note: v.is_none().then(|| "skipped: no <puma>".to_string()),
        }
    }

    #[test]
    fn axis_covers_the_largest_ratio() {
        let g = |v| {
            vec![Group {
                label: "w".into(),
                bars: vec![bar("a", Some(v))],
            }]
        };
        assert_eq!(axis_max(&g(0.4)), 1.0);
        assert_eq!(axis_max(&g(1.1)), 1.25);
        assert_eq!(axis_max(&g(f64::NAN)), 1.0);
    }

    #[test]
    fn one_bar_per_measured_contestant_and_notes_for_the_rest() {
        let groups = vec![
            Group {
                label: "get-json".into(),
                bars: vec![
                    bar("raw-axum", Some(1.0)),
                    bar("spikard-rust", Some(0.5)),
                    bar("sinatra", None),
                ],
            },
            Group {
                label: "form & co".into(),
                bars: vec![bar("raw-axum", Some(1.0)), bar("spikard-rust", Some(0.8))],
            },
        ];
        let svg = render("t", "s", &groups);
        assert_eq!(svg.matches("<rect x=").count(), 4, "{svg}");
        assert!(svg.contains("skipped: no &lt;puma&gt;"));
        assert!(svg.contains("form &amp; co"));
        // Same contestant, same colour in every group; half the ratio, half the length.
        let widths: Vec<f64> = svg
            .lines()
            .filter(|l| l.starts_with("<rect x=") && l.contains("spikard-rust"))
            .map(|l| {
                l.split("width=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[0] - PLOT_W * 0.5).abs() < 0.1 && (widths[1] - PLOT_W * 0.8).abs() < 0.1);
        assert_eq!(svg.matches(PALETTE[1]).count(), 2);
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
