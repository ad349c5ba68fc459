//! `--format table`: the human report. Items grouped by area with their
//! status and why, then the findings with evidence and fix, then the checks
//! that ran, what was scanned, and the verdict last, where the eye lands.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, LineStyle, Table, TableStyle};

use crate::model::{Area, CheckSource, Finding, ItemStatus, Report, RunStatus, Severity};

/// How the table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colour (only on a terminal, unless forced).
    pub color: bool,
    /// Total width in columns; `None` lets the table size itself.
    pub width: Option<u16>,
    /// Every finding; otherwise the first few of each rule, with a count of
    /// the rest (`--all`).
    pub all: bool,
}

/// Findings shown per rule unless `--all`.
const SHOWN_PER_RULE: usize = 3;

fn status_cell(status: ItemStatus, style: Style) -> Cell {
    let text = status.as_str().to_uppercase();
    let cell = Cell::new(text);
    if !style.color {
        return cell;
    }
    let color = match status {
        ItemStatus::Pass => Color::Green,
        ItemStatus::Fail | ItemStatus::Error => Color::Red,
        ItemStatus::Warn => Color::Yellow,
        ItemStatus::NotApplicable | ItemStatus::NotRun => Color::DarkGrey,
    };
    cell.fg(color).add_attribute(Attribute::Bold)
}

fn severity_cell(severity: Severity, style: Style) -> Cell {
    let cell = Cell::new(severity.as_str());
    if !style.color {
        return cell;
    }
    cell.fg(match severity {
        Severity::Critical | Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low | Severity::Info => Color::DarkGrey,
    })
}

/// Lines above and below, under the header, and between rows only when rows
/// span several lines.
fn new_table(style: Style, header: &[&str], row_separators: bool) -> Table {
    let line = LineStyle::none().fill('─').junction('─');
    let mut table_style = TableStyle::new()
        .top_border(line)
        .header_separator(line)
        .bottom_border(line);
    if row_separators {
        table_style = table_style.row_separator(line);
    }
    let mut t = Table::new();
    t.load_style(table_style)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(
            header
                .iter()
                .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
        );
    if let Some(w) = style.width {
        t.set_width(w);
    }
    if !style.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One row per finding: severity, rule, where, what and how to fix;
/// grouped by rule, most severe first, each rule's first few (all of them
/// with `style.all`) and a row saying how many more there are.
fn findings_table(findings: &[&Finding], style: Style) -> String {
    let mut table = new_table(
        style,
        &["Severity", "Rule", "Where", "What and how to fix"],
        true,
    );
    let mut rules: Vec<(&str, Severity, usize)> = Vec::new();
    for f in findings {
        match rules.iter_mut().find(|(rule, _, _)| *rule == f.rule) {
            Some((_, severity, n)) => {
                *severity = (*severity).max(f.severity);
                *n += 1;
            }
            None => rules.push((&f.rule, f.severity, 1)),
        }
    }
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    for (rule, _, count) in rules {
        let shown = if style.all {
            count
        } else {
            count.min(SHOWN_PER_RULE)
        };
        for f in findings.iter().filter(|f| f.rule == rule).take(shown) {
            let mut what = match f.not_counted_because() {
                Some(why) => format!("({why}) {}", f.message),
                None => f.message.clone(),
            };
            if let Some(e) = &f.evidence {
                what.push_str(&format!("\nevidence: {e}"));
            }
            if let Some(r) = &f.remediation {
                what.push_str(&format!("\nfix: {r}"));
            }
            table.add_row(vec![
                severity_cell(f.severity, style),
                Cell::new(&f.rule),
                Cell::new(f.location.as_ref().map_or("-".to_string(), |l| l.display())),
                Cell::new(what),
            ]);
        }
        if shown < count {
            table.add_row(vec![
                Cell::new(""),
                Cell::new(rule),
                Cell::new(format!("{} more", thousands((count - shown) as u64))),
                Cell::new(format!(
                    "{count} in all; see them with --all, or in --format json / sarif / markdown"
                )),
            ]);
        }
    }
    format!("{table}\n")
}

/// `12 findings under 3 rules`.
fn counted(findings: &[&Finding]) -> String {
    let mut rules: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort();
    rules.dedup();
    format!(
        "{} under {} rule{}",
        thousands(findings.len() as u64),
        rules.len(),
        if rules.len() == 1 { "" } else { "s" }
    )
}

pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let target = match (&report.target.path, report.target.urls.is_empty()) {
        (Some(p), _) => format!(
            "{p}{}",
            if report.target.is_git {
                " (git)"
            } else {
                " (not a git repository)"
            }
        ),
        (None, false) => report.target.urls.join(", "),
        (None, true) => "nothing".into(),
    };
    let target = match (&report.target.path, &report.target.live) {
        (Some(_), Some(live)) => format!(
            "{target} · {} ({} HTTP requests, {} TLS connections)",
            report.target.urls.join(", "),
            live.requests,
            live.tls_connections
        ),
        (None, Some(live)) => format!(
            "{target} ({} HTTP requests, {} TLS connections)",
            live.requests, live.tls_connections
        ),
        _ => target,
    };
    out.push_str(&format!(
        "{} {} · profile {} · {}\n\n",
        report.tool, report.tool_version, report.profile, target
    ));

    let mut items = new_table(
        style,
        &["Area", "Definition of done", "Status", "Why"],
        false,
    );
    let mut areas: Vec<Area> = report.items.iter().map(|i| i.area).collect();
    areas.sort();
    areas.dedup();
    for area in areas {
        let mut first = true;
        for item in report.items.iter().filter(|i| i.area == area) {
            let title = if item.required {
                item.title.clone()
            } else {
                format!("{} (optional)", item.title)
            };
            items.add_row(vec![
                Cell::new(if first { area.as_str() } else { "" }),
                Cell::new(title),
                status_cell(item.status, style),
                Cell::new(&item.reason),
            ]);
            first = false;
        }
    }
    out.push_str(&items.to_string());
    out.push('\n');

    let (notes, findings): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| f.is_note());
    if !findings.is_empty() {
        out.push_str(&format!("\nFindings ({})\n", counted(&findings)));
        out.push_str(&findings_table(&findings, style));
    }
    if !notes.is_empty() {
        out.push_str(&format!(
            "\nNotes ({}): inventories, what was set aside and what was not analysed\n",
            counted(&notes)
        ));
        out.push_str(&findings_table(&notes, style));
    }

    out.push('\n');
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|c| {
            let origin = match &c.source {
                CheckSource::Builtin => String::new(),
                CheckSource::Plugin(p) => format!(" from {p}"),
            };
            let version = c
                .info
                .as_ref()
                .map_or(String::new(), |i| format!(" {}", i.version));
            match &c.status {
                RunStatus::Ok => format!("{}{version}{origin} ({} ms)", c.id, c.duration_ms),
                RunStatus::Error(reason) => format!("{}{version}{origin} ERROR: {reason}", c.id),
            }
        })
        .collect();
    out.push_str(&format!("Checks: {}\n", checks.join("; ")));
    let s = &report.stats;
    if report.target.path.is_some() {
        out.push_str(&format!(
            "Scanned {} files ({} bytes); skipped {} binary, {} too large, {} not UTF-8, {} symbolic links, {} unreadable\n",
            thousands(s.files),
            thousands(s.bytes),
            s.binary,
            s.too_large,
            s.not_utf8,
            s.symlinks,
            s.unreadable
        ));
    }
    let word = report.verdict.word();
    let verdict = if style.color {
        let code = if report.verdict.ready { "32" } else { "31" };
        format!("\x1b[1;{code}m{word}\x1b[0m")
    } else {
        word.to_string()
    };
    out.push_str(&format!("{verdict}: {}\n", report.verdict.detail()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_plain() {
        let style = Style {
            color: false,
            width: Some(120),
            all: false,
        };
        insta::assert_snapshot!(render(&crate::render::sample::report(), style));
    }

    #[test]
    fn colour_only_when_asked() {
        let report = crate::render::sample::report();
        assert!(
            !render(
                &report,
                Style {
                    color: false,
                    width: Some(100),
                    all: false,
                }
            )
            .contains('\x1b')
        );
        assert!(
            render(
                &report,
                Style {
                    color: true,
                    width: Some(100),
                    all: false,
                }
            )
            .contains('\x1b')
        );
    }

    #[test]
    fn findings_are_grouped_by_rule_with_the_rest_counted_unless_all() {
        let mut report = crate::render::sample::report();
        let first = report.findings[0].clone();
        for i in 0..10 {
            let mut f = first.clone();
            f.message = format!("copy {i}");
            report.findings.push(f);
        }
        let style = Style {
            color: false,
            width: Some(200),
            all: false,
        };
        let grouped = render(&report, style);
        assert!(!grouped.contains("copy 9"), "{grouped}");
        assert!(grouped.contains("more"), "{grouped}");
        assert!(grouped.contains("see them with --all"), "{grouped}");
        let all = render(&report, Style { all: true, ..style });
        assert!(
            all.contains("copy 9") && !all.contains("see them with --all"),
            "{all}"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
