//! One shared report for every renderer's snapshot tests: a failing item, a
//! warning, an errored plugin, a not-run history item and a not-applicable one.

use crate::dod::Definition;
use crate::model::*;

pub fn report() -> Report {
    let finding =
        |rule: &str, severity, message: &str, path: Option<(&str, u32)>, evidence: Option<&str>| {
            let location = path.map(|(p, line)| Location::File {
                path: p.into(),
                span: Some(Span {
                    start_line: line,
                    start_column: 1,
                    end_line: line,
                    end_column: 1,
                }),
                commit: None,
            });
            Finding {
                rule: rule.into(),
                check: "delivery".into(),
                severity,
                message: message.into(),
                fingerprint: fingerprint(rule, location.as_ref(), evidence.unwrap_or(message)),
                location,
                evidence: evidence.map(String::from),
                remediation: Some("Fix it like the docs say.".into()),
                suppressed: None,
                baselined: false,
                outside_diff: false,
            }
        };
    let delivery = CheckRun {
        id: "delivery".into(),
        source: CheckSource::Builtin,
        info: Some(CheckInfo {
            id: "delivery".into(),
            version: "0.1.0".into(),
            title: "Delivery".into(),
            summary: "Delivery hygiene.".into(),
            capabilities: vec!["repo".into(), "search".into()],
            rules: [
                ("delivery/ci-missing", "No CI configuration", Severity::High),
                ("delivery/dockerfile-runs-as-root", "Container runs as root", Severity::Medium),
                ("delivery/readme-missing", "No README", Severity::Low),
            ]
            .into_iter()
            .map(|(id, title, severity)| RuleInfo {
                id: id.into(),
                title: title.into(),
                severity,
                docs: format!("## What it checks\n{title}.\n\n## Why it matters\nBecause.\n\n## Example\n`{id}`"),
            })
            .collect(),
        }),
        status: RunStatus::Ok,
        findings: vec![
            finding(
                "delivery/ci-missing",
                Severity::High,
                "No CI configuration found",
                None,
                None,
            ),
            finding(
                "delivery/dockerfile-runs-as-root",
                Severity::Medium,
                "The container's final stage runs as root",
                Some(("Dockerfile", 1)),
                Some("final stage FROM node:20 has no USER"),
            ),
            finding(
                "delivery/readme-missing",
                Severity::Low,
                "No README at the repository root",
                None,
                None,
            ),
        ],
        not_applicable: vec![NotApplicable {
            rule: "secrets/env-file-committed".into(),
            reason: "no .env file in the repository".into(),
        }],
        duration_ms: 12,
    };
    let broken = CheckRun {
        id: "plugin:broken.wasm".into(),
        source: CheckSource::Plugin("plugins/broken.wasm".into()),
        info: None,
        status: RunStatus::Error("not a WebAssembly component".into()),
        findings: vec![],
        not_applicable: vec![],
        duration_ms: 0,
    };
    let target = Target {
        path: Some("fixtures/app".into()),
        is_git: false,
        urls: vec![],
        history: None,
        live: None,
    };
    let stats = ScanStats {
        files: 1234,
        bytes: 5_678_901,
        binary: 3,
        too_large: 1,
        not_utf8: 2,
        symlinks: 1,
        unreadable: 0,
    };
    Report::assemble(
        &Definition::builtin(),
        vec![delivery, broken],
        target,
        "launch",
        stats,
        42,
    )
}
