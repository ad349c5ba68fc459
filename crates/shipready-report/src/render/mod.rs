//! Renderers: one file per output format, each a pure function from a
//! [`Report`] to text. Snapshot-tested over one shared report.

use crate::model::Report;

pub mod json;
mod table;

pub use table::Style;

/// The output formats `--format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

impl Format {
    pub const ALL: &[(&str, Format)] = &[("table", Format::Table), ("json", Format::Json)];
}

/// Render a report. `style` only matters for the table (colour, width).
pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Table => table::render(report, style),
        Format::Json => json::render(report),
    }
}

#[cfg(test)]
pub(crate) mod sample;
