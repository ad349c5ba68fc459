//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.
//!
//! One run; the tool driver lists every rule of every check that ran, with
//! its documentation as `help.markdown`, a default level and a
//! `security-severity`. Each finding is a result with a repository-relative
//! location (code scanning requires one: findings about the repository as a
//! whole point at its root), and its fingerprint under
//! `partialFingerprints`. Checks that failed are tool execution
//! notifications. Empty strings are never emitted, and results stop at
//! GitHub's limit.

use serde_json::{Value, json};

use crate::model::{Location, Report, RunStatus, Severity};

/// GitHub rejects uploads with more results than this in a run.
pub const MAX_RESULTS: usize = 25_000;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, under 4.0 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encode what may not appear in a URI path.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn non_empty(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.to_string()
    }
}

pub fn render(report: &Report) -> String {
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_ids: Vec<&str> = Vec::new();
    for info in report.checks.iter().filter_map(|c| c.info.as_ref()) {
        for rule in &info.rules {
            rule_ids.push(&rule.id);
            rules.push(json!({
                "id": rule.id,
                "name": rule.id.replace(['/', '-'], "_"),
                "shortDescription": { "text": non_empty(&rule.title, &rule.id) },
                "fullDescription": { "text": non_empty(&rule.title, &rule.id) },
                "help": { "text": non_empty(&rule.docs, &rule.title), "markdown": non_empty(&rule.docs, &rule.title) },
                "defaultConfiguration": { "level": level(rule.severity) },
                "properties": {
                    "security-severity": security_severity(rule.severity),
                    "tags": ["shipready", info.id.as_str()],
                },
            }));
        }
    }

    let results: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| !f.is_note())
        .take(MAX_RESULTS)
        .map(|f| {
            let (path, region) = match &f.location {
                Some(Location::File { path, span, .. }) => (
                    path.clone(),
                    span.map(|s| {
                        json!({
                            "startLine": s.start_line.max(1),
                            "startColumn": s.start_column.max(1),
                            "endLine": s.end_line.max(s.start_line).max(1),
                            "endColumn": s.end_column.max(1),
                        })
                    }),
                ),
                // Code scanning only takes repository paths: URL findings and
                // findings about the whole repository point at its root.
                _ => (".".to_string(), None),
            };
            let mut physical =
                json!({ "artifactLocation": { "uri": uri(&path), "uriBaseId": "%SRCROOT%" } });
            if let Some(region) = region {
                physical["region"] = region;
            }
            let mut text = non_empty(&f.message, &f.rule);
            if let Some(e) = f.evidence.as_deref().filter(|e| !e.is_empty()) {
                text.push_str(&format!("\nEvidence: {e}"));
            }
            if let Some(r) = f.remediation.as_deref().filter(|r| !r.is_empty()) {
                text.push_str(&format!("\nFix: {r}"));
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": text },
                "locations": [{ "physicalLocation": physical }],
                "partialFingerprints": { "shipready/v1": f.fingerprint },
                "properties": { "severity": f.severity.as_str(), "check": f.check },
            });
            if let Some(i) = rule_ids.iter().position(|r| *r == f.rule) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(reason) = &f.suppressed {
                result["suppressions"] = json!([{ "kind": "inSource", "justification": reason }]);
            }
            result["baselineState"] = json!(if f.baselined { "unchanged" } else { "new" });
            if let Some(Location::Url { url }) = &f.location {
                result["properties"]["url"] = json!(url);
            }
            // History findings: one result per commit, told apart by it (the
            // message says who committed it and when).
            if let Some(Location::File {
                commit: Some(commit),
                ..
            }) = &f.location
            {
                result["properties"]["commit"] = json!(commit);
                result["partialFingerprints"]["shipready/commit"] = json!(commit);
            }
            result
        })
        .collect();

    let notifications: Vec<Value> = report
        .checks
        .iter()
        .filter_map(|c| match &c.status {
            RunStatus::Error(reason) => Some(json!({
                "level": "error",
                "message": { "text": format!("check {} failed: {reason}", c.id) },
                "descriptor": { "id": c.id },
            })),
            RunStatus::Ok => None,
        })
        .collect();

    let mut invocation = json!({ "executionSuccessful": !report.has_errors() });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    let mut driver = json!({ "name": "shipready", "version": report.tool_version, "semanticVersion": report.tool_version });
    if !rules.is_empty() {
        driver["rules"] = json!(rules);
    }
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [invocation],
            "results": results,
            "properties": {
                "verdict": if report.verdict.ready { "ready" } else { "not-ready" },
                "summary": report.verdict.summary,
                "truncated": report.findings.len() > MAX_RESULTS,
            },
        }],
    });
    let mut out = serde_json::to_string_pretty(&sarif).expect("SARIF serialises");
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

    fn no_empty_strings(v: &Value, path: &str) {
        match v {
            Value::String(s) => assert!(!s.is_empty(), "empty string at {path}"),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| no_empty_strings(x, &format!("{path}[{i}]"))),
            Value::Object(o) => o
                .iter()
                .for_each(|(k, x)| no_empty_strings(x, &format!("{path}.{k}"))),
            _ => {}
        }
    }

    #[test]
    fn what_code_scanning_requires() {
        let sarif: Value = serde_json::from_str(&render(&crate::render::sample::report())).unwrap();
        no_empty_strings(&sarif, "$");
        let run = &sarif["runs"][0];
        for result in run["results"].as_array().unwrap() {
            let loc = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
            assert!(
                loc.as_str()
                    .is_some_and(|u| !u.starts_with('/') && !u.contains("://")),
                "{loc}"
            );
            assert!(result["partialFingerprints"]["shipready/v1"].is_string());
        }
        assert_eq!(
            run["invocations"][0]["executionSuccessful"], false,
            "the sample has a failed plugin"
        );
    }

    #[test]
    fn history_copies_of_one_secret_are_told_apart_by_commit() {
        let mut report = crate::render::sample::report();
        let mut base = report.findings[0].clone();
        base.location = Some(Location::File {
            path: "config/old.env".into(),
            span: None,
            commit: Some("aaaa111".into()),
        });
        let mut other = base.clone();
        if let Some(Location::File { commit, .. }) = &mut other.location {
            *commit = Some("bbbb222".into());
        }
        report.findings = vec![base, other];
        let sarif: Value = serde_json::from_str(&render(&report)).unwrap();
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let commits: Vec<&str> = results
            .iter()
            .map(|r| {
                r["partialFingerprints"]["shipready/commit"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(commits, ["aaaa111", "bbbb222"]);
        assert_eq!(results[1]["properties"]["commit"], "bbbb222");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/my file#1.py"), "src/my%20file%231.py");
    }
}
