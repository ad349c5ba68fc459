//! `--format github`: GitHub Actions workflow commands, so findings show as
//! annotations on the pull request's files. GitHub shows at most 10 errors
//! and 10 warnings per step; past that the rest are summarised in one
//! notice, and the verdict closes the output.

use std::fmt::Write as _;

use crate::model::{Location, Report, Severity};

/// What GitHub displays per step, per level.
pub const SHOWN_PER_LEVEL: usize = 10;

/// Escape a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut shown = [0usize; 3];
    let mut hidden = 0usize;
    for f in report
        .findings
        .iter()
        .filter(|f| f.counts() && !f.is_note())
    {
        let cmd = command(f.severity);
        let slot = match cmd {
            "error" => 0,
            "warning" => 1,
            _ => 2,
        };
        if shown[slot] >= SHOWN_PER_LEVEL {
            hidden += 1;
            continue;
        }
        shown[slot] += 1;
        let mut props = vec![format!(
            "title={}",
            property(&format!("{} ({})", f.rule, f.severity.as_str()))
        )];
        if let Some(Location::File { path, span, .. }) = &f.location {
            props.insert(0, format!("file={}", property(path)));
            if let Some(s) = span {
                props.push(format!("line={}", s.start_line));
                props.push(format!("endLine={}", s.end_line.max(s.start_line)));
                if s.start_line == s.end_line && s.end_column > s.start_column {
                    props.push(format!("col={}", s.start_column));
                    props.push(format!("endColumn={}", s.end_column));
                }
            }
        }
        let mut message = f.message.clone();
        if let Some(Location::Url { url }) = &f.location {
            message.push_str(&format!(" ({url})"));
        }
        if let Some(e) = &f.evidence {
            message.push_str(&format!("\nEvidence: {e}"));
        }
        if let Some(r) = &f.remediation {
            message.push_str(&format!("\nFix: {r}"));
        }
        let _ = writeln!(out, "::{cmd} {}::{}", props.join(","), data(&message));
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "::notice title=shipready::{}",
            data(&format!(
                "{hidden} more finding(s) not shown as annotations (GitHub shows {SHOWN_PER_LEVEL} per level); \
                 see the full report (--format markdown or html)"
            ))
        );
    }
    for check in &report.checks {
        if let crate::model::RunStatus::Error(reason) = &check.status {
            let _ = writeln!(
                out,
                "::error title={}::{}",
                property(&format!("check {} failed", check.id)),
                data(reason)
            );
        }
    }
    let _ = writeln!(
        out,
        "shipready: {}: {}",
        report.verdict.word(),
        report.verdict.detail()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&crate::render::sample::report()));
    }

    #[test]
    fn escaping() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn more_than_github_shows_are_summarised() {
        let mut report = crate::render::sample::report();
        let template = report.findings[0].clone();
        report.findings = (0..25)
            .map(|i| crate::model::Finding {
                fingerprint: format!("{i}"),
                ..template.clone()
            })
            .collect();
        let out = render(&report);
        assert_eq!(out.lines().filter(|l| l.starts_with("::error file") || l.starts_with("::error title=delivery")).count(), SHOWN_PER_LEVEL);
        assert!(out.contains("15 more finding(s)"), "{out}");
    }
}
