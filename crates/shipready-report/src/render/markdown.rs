//! `--format markdown`: a pull-request comment or a GitHub step summary.
//! The verdict first, then the items that fail or error with their
//! findings, then everything else folded away.

use std::fmt::Write as _;

use crate::model::{ItemStatus, Report};

/// Escape what would break a Markdown table cell or start markup.
pub(crate) fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

fn icon(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Pass => "✅",
        ItemStatus::Fail => "❌",
        ItemStatus::Error => "💥",
        ItemStatus::Warn => "⚠️",
        ItemStatus::NotRun => "⏭️",
        ItemStatus::NotApplicable => "➖",
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let verdict = if report.verdict.ready {
        "✅ **Ready to ship**"
    } else {
        "❌ **Not ready to ship**"
    };
    let _ = writeln!(out, "## shipready: {verdict}\n");
    let _ = writeln!(
        out,
        "{} · profile `{}`\n",
        md(&report.verdict.summary),
        report.profile
    );

    let blocking: Vec<_> = report
        .items
        .iter()
        .filter(|i| matches!(i.status, ItemStatus::Fail | ItemStatus::Error))
        .collect();
    if !blocking.is_empty() {
        out.push_str("| | Item | Why |\n|---|---|---|\n");
        for item in &blocking {
            let required = if item.required { "" } else { " (optional)" };
            let _ = writeln!(
                out,
                "| {} | {}{required} | {} |",
                icon(item.status),
                md(&item.title),
                md(&item.reason)
            );
        }
        out.push('\n');
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| blocking.iter().any(|i| i.findings.contains(&f.fingerprint)))
            .collect();
        if !findings.is_empty() {
            out.push_str("### Findings\n\n");
            for f in findings {
                let at = f.location.as_ref().map_or(String::new(), |l| {
                    format!(" `{}`", l.display().replace('`', "'"))
                });
                let _ = writeln!(
                    out,
                    "- **{}** `{}`{at}: {}",
                    f.severity.as_str(),
                    f.rule,
                    md(&f.message)
                );
                if let Some(e) = &f.evidence {
                    let _ = writeln!(out, "  - evidence: {}", md(e));
                }
                if let Some(r) = &f.remediation {
                    let _ = writeln!(out, "  - fix: {}", md(r));
                }
            }
            out.push('\n');
        }
    }

    let rest: Vec<_> = report
        .items
        .iter()
        .filter(|i| !matches!(i.status, ItemStatus::Fail | ItemStatus::Error))
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>The other {} items</summary>\n",
            rest.len()
        );
        out.push_str("| | Item | Status | Why |\n|---|---|---|---|\n");
        for item in rest {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                icon(item.status),
                md(&item.title),
                item.status.as_str(),
                md(&item.reason)
            );
        }
        out.push_str("\n</details>\n");
    }
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
    fn table_cells_cannot_be_broken() {
        assert_eq!(md("a|b\nc<script>"), "a\\|b c&lt;script>");
    }
}
