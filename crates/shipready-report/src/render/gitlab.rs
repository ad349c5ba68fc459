//! `--format gitlab`: GitLab code quality report (the Code Climate subset
//! GitLab reads), so findings show in merge request widgets.

use serde_json::{Value, json};

use crate::model::{Location, Report, Severity};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

pub fn render(report: &Report) -> String {
    let issues: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.counts() && !f.is_note())
        .map(|f| {
            let (path, line) = match &f.location {
                Some(Location::File { path, span, .. }) => {
                    (path.clone(), span.map_or(1, |s| s.start_line.max(1)))
                }
                _ => (".".to_string(), 1),
            };
            let mut description = f.message.clone();
            if let Some(r) = &f.remediation {
                description.push_str(&format!(" Fix: {r}"));
            }
            json!({
                "type": "issue",
                "check_name": f.rule,
                "description": description,
                "categories": ["Security"],
                "severity": severity(f.severity),
                "fingerprint": f.fingerprint,
                "location": { "path": path, "lines": { "begin": line } },
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn snapshot() {
        insta::assert_snapshot!(super::render(&crate::render::sample::report()));
    }
}
