//! `--format json`: the report model as JSON, described by
//! `reports/report.schema.json`.

use crate::model::Report;

pub fn render(report: &Report) -> String {
    let mut out = serde_json::to_string_pretty(report).expect("the report model serialises");
    out.push('\n');
    out
}

/// The JSON Schema of the report, as committed in `reports/report.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Report);
    let mut out = serde_json::to_string_pretty(&schema).expect("schema serialises");
    out.push('\n');
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
    fn round_trips() {
        let report = crate::render::sample::report();
        let back: Report = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(back, report);
    }

    /// The committed schema is the one the model derives. To update it:
    /// `SHIPREADY_UPDATE_SCHEMA=1 cargo test -p shipready-report`.
    #[test]
    fn committed_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../reports/report.schema.json"
        );
        let current = schema();
        if std::env::var_os("SHIPREADY_UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == current,
            "reports/report.schema.json is stale: run SHIPREADY_UPDATE_SCHEMA=1 cargo test -p shipready-report"
        );
    }
}
