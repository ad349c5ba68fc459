//! Renderers: one file per output format, each a pure function from a
//! [`Report`] to text. Snapshot-tested over one shared report.

use crate::model::Report;

mod github;
mod gitlab;
mod html;
pub mod json;
mod junit;
mod markdown;
mod sarif;
mod table;

pub use table::Style;

/// The output formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
    Gitlab,
    Html,
}

/// Render a report. `style` only matters for the table (colour, width).
pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Table => table::render(report, style),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Html => html::render(report),
    }
}

#[cfg(test)]
pub(crate) mod sample;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    /// Notes (info findings: the route inventory, what was not analysed)
    /// are in the report and the JSON, never annotations or alerts.
    #[test]
    fn notes_are_reported_but_never_annotations_or_alerts() {
        let mut report = sample::report();
        let mut note = report.findings[0].clone();
        note.severity = Severity::Info;
        note.rule = "rbac/route".into();
        note.message = "GET /healthz (Express): public by design; no guard".into();
        report.findings.push(note);
        let style = Style {
            color: false,
            width: Some(200),
            all: false,
        };
        let table = render(&report, Format::Table, style);
        let notes = table
            .find("Notes (1 under 1 rule)")
            .expect("a notes section");
        assert!(table[notes..].contains("GET /healthz (Express)"), "{table}");
        assert!(render(&report, Format::Json, style).contains("GET /healthz (Express)"));
        for format in [Format::Sarif, Format::Github, Format::Gitlab] {
            let out = render(&report, format, style);
            assert!(!out.contains("GET /healthz"), "{format:?}: {out}");
        }
    }
}
