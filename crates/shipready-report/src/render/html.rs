//! `--format html`: a self-contained audit report for people (no external
//! assets, no scripts): the verdict, a chart of items by area and status,
//! every item, every finding with its evidence and fix, and the checks that
//! ran. Readable on screen and when printed.

use std::fmt::Write as _;

use crate::model::{Area, ItemStatus, Location, Report, RunStatus, Severity};

/// Escape text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STATUSES: [(ItemStatus, &str); 6] = [
    (ItemStatus::Pass, "#2e7d32"),
    (ItemStatus::Warn, "#f9a825"),
    (ItemStatus::Fail, "#c62828"),
    (ItemStatus::Error, "#6a1b9a"),
    (ItemStatus::NotRun, "#9e9e9e"),
    (ItemStatus::NotApplicable, "#cfd8dc"),
];

const STYLE: &str = "
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1b1b1b;max-width:1100px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.meta{color:#555}.verdict{font-size:1.3rem;font-weight:700;padding:.8rem 1rem;border-radius:6px;margin:1rem 0}
.ready{background:#e8f5e9;color:#1b5e20}.not-ready{background:#ffebee;color:#b71c1c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
.status{font-weight:700;white-space:nowrap}.s-pass{color:#2e7d32}.s-fail{color:#c62828}.s-warn{color:#a66d00}
.s-error{color:#6a1b9a}.s-not-run,.s-n\\/a{color:#757575}
.finding{border:1px solid #e0e0e0;border-left:5px solid #9e9e9e;border-radius:4px;padding:.6rem .8rem;margin:.6rem 0;break-inside:avoid}
.sev-critical,.sev-high{border-left-color:#c62828}.sev-medium{border-left-color:#f9a825}.sev-low,.sev-info{border-left-color:#90a4ae}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}pre{white-space:pre-wrap;background:#f6f8fa;padding:.4rem .6rem;border-radius:4px;margin:.3rem 0}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
@media print{body{margin:0;max-width:none}.finding{page-break-inside:avoid}h2{page-break-after:avoid}}
";

/// Items per area and status as horizontal stacked bars.
fn chart(report: &Report) -> String {
    let mut areas: Vec<Area> = report.items.iter().map(|i| i.area).collect();
    areas.sort();
    areas.dedup();
    let max = areas
        .iter()
        .map(|a| report.items.iter().filter(|i| i.area == *a).count())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (130.0, 520.0, 26.0);
    let height = row_h * areas.len() as f64 + 8.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Items by area and status\" width=\"{}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        label_w + bar_w + 40.0
    );
    for (row, area) in areas.iter().enumerate() {
        let y = row as f64 * row_h + 4.0;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>",
            y + 15.0,
            area.as_str()
        );
        let mut x = label_w;
        for (status, color) in STATUSES {
            let n = report
                .items
                .iter()
                .filter(|i| i.area == *area && i.status == status)
                .count();
            if n == 0 {
                continue;
            }
            let w = bar_w * n as f64 / max as f64;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"><title>{} {}: {n}</title></rect>",
                row_h - 8.0,
                area.as_str(),
                status.as_str()
            );
            x += w;
        }
    }
    svg.push_str("</svg>");
    let legend: String = STATUSES
        .iter()
        .map(|(s, c)| {
            format!(
                "<span><i style=\"background:{c}\"></i>{}</span>",
                s.as_str()
            )
        })
        .collect();
    format!("{svg}<p class=\"legend\">{legend}</p>")
}

pub fn render(report: &Report) -> String {
    let mut h = String::new();
    let target = report
        .target
        .path
        .clone()
        .into_iter()
        .chain(report.target.urls.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>shipready report: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&target)
    );
    let _ = writeln!(
        h,
        "<h1>Definition of done: {}</h1><p class=\"meta\">shipready {} · profile <b>{}</b> · {}</p>",
        esc(&target),
        esc(&report.tool_version),
        esc(&report.profile),
        if report.target.is_git {
            "git repository"
        } else {
            "not a git repository"
        }
    );
    let (class, word) = if report.verdict.ready {
        ("ready", "Ready to ship")
    } else {
        ("not-ready", "Not ready to ship")
    };
    let _ = writeln!(
        h,
        "<div class=\"verdict {class}\" id=\"verdict\">{word}</div><p>{}</p>",
        esc(&report.verdict.summary)
    );

    h.push_str("<h2>Items by area</h2>\n");
    h.push_str(&chart(report));

    h.push_str("<h2>Items</h2>\n<table><thead><tr><th>Area</th><th>Item</th><th>Status</th><th>Why</th></tr></thead><tbody>\n");
    let mut items: Vec<_> = report.items.iter().collect();
    items.sort_by_key(|i| i.area);
    for item in items {
        let required = if item.required {
            ""
        } else {
            " <small>(optional)</small>"
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}{required}</td><td class=\"status s-{}\">{}</td><td>{}</td></tr>",
            item.area.as_str(),
            esc(&item.title),
            item.status.as_str(),
            item.status.as_str(),
            esc(&item.reason)
        );
    }
    h.push_str("</tbody></table>\n");

    let _ = writeln!(h, "<h2>Findings ({})</h2>", report.findings.len());
    if report.findings.is_empty() {
        h.push_str("<p>No findings.</p>\n");
    }
    let mut findings: Vec<_> = report.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in findings {
        let at = match &f.location {
            Some(Location::Url { url }) => format!(" at <code>{}</code>", esc(url)),
            Some(l) => format!(" at <code>{}</code>", esc(&l.display())),
            None => String::new(),
        };
        let _ = write!(
            h,
            "<div class=\"finding sev-{}\"><b>{}</b> <code>{}</code>{at}<br>{}",
            f.severity.as_str(),
            severity_word(f.severity),
            esc(&f.rule),
            esc(&f.message)
        );
        if let Some(why) = f.not_counted_because() {
            let _ = write!(h, " <small>({})</small>", esc(&why));
        }
        if let Some(e) = &f.evidence {
            let _ = write!(h, "<div>Evidence:<pre>{}</pre></div>", esc(e));
        }
        if let Some(r) = &f.remediation {
            let _ = write!(h, "<div>Fix: {}</div>", esc(r));
        }
        h.push_str("</div>\n");
    }

    h.push_str("<h2>Checks</h2>\n<table><thead><tr><th>Check</th><th>Status</th><th>Time</th></tr></thead><tbody>\n");
    for c in &report.checks {
        let version = c
            .info
            .as_ref()
            .map_or(String::new(), |i| format!(" {}", esc(&i.version)));
        let status = match &c.status {
            RunStatus::Ok => "ok".to_string(),
            RunStatus::Error(r) => format!("error: {}", esc(r)),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}{version}</td><td>{status}</td><td>{} ms</td></tr>",
            esc(&c.id),
            c.duration_ms
        );
    }
    h.push_str("</tbody></table>\n");
    let s = &report.stats;
    if report.target.path.is_some() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Scanned {} files; skipped {} binary, {} too large, {} not UTF-8, {} symbolic links.</p>",
            s.files, s.binary, s.too_large, s.not_utf8, s.symlinks
        );
    }
    h.push_str("</body></html>\n");
    h
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Info => "Info",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::render::sample::report()));
    }

    #[test]
    fn self_contained_and_escaped() {
        let mut report = crate::render::sample::report();
        report.findings[0].message = "<script>alert(1)</script>".into();
        let html = render(&report);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
            assert!(!html.contains(external), "{external}");
        }
    }
}
