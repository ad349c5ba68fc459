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
}

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

/// One row per finding: severity, rule, where, what and how to fix.
fn findings_table(findings: &[&Finding], style: Style) -> String {
    let mut table = new_table(
        style,
        &["Severity", "Rule", "Where", "What and how to fix"],
        true,
    );
    for f in findings {
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
    format!("{table}\n")
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
        out.push_str(&format!("\nFindings ({})\n", findings.len()));
        out.push_str(&findings_table(&findings, style));
    }
    if !notes.is_empty() {
        out.push_str(&format!(
            "\nNotes ({}): inventories and what was not analysed\n",
            notes.len()
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
                    width: Some(100)
                }
            )
            .contains('\x1b')
        );
        assert!(
            render(
                &report,
                Style {
                    color: true,
                    width: Some(100)
                }
            )
            .contains('\x1b')
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
