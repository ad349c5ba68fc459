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
