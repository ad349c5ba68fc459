//! Inline suppressions: `shipready:ignore <rule-id> -- <reason>` in a comment
//! on the finding's line or the line above (for a finding about a whole
//! file, its first line). The reason is required and shown in the report; a
//! suppression without one is not honoured, and the finding says why.

use std::collections::HashMap;

use shipready_host::RepoIndex;
use shipready_report::{Finding, Location};

const MARKER: &str = "shipready:ignore";

/// What a `shipready:ignore` on a line says about `rule`.
#[derive(Debug, PartialEq, Eq)]
enum Directive {
    /// Suppressed, with this reason.
    Reason(String),
    /// Names the rule but gives no reason.
    NoReason,
}

fn directive(line: &str, rule: &str) -> Option<Directive> {
    let rest = &line[line.find(MARKER)? + MARKER.len()..];
    let (target, reason) = match rest.split_once("--") {
        Some((t, r)) => (
            t.trim(),
            r.trim()
                .trim_end_matches("*/")
                .trim_end_matches("-->")
                .trim(),
        ),
        None => (rest.trim(), ""),
    };
    let check = rule.split_once('/').map_or(rule, |(c, _)| c);
    let names_rule = target == rule || target.strip_suffix("/*") == Some(check);
    if !names_rule {
        return None;
    }
    Some(if reason.is_empty() {
        Directive::NoReason
    } else {
        Directive::Reason(reason.to_string())
    })
}

/// Mark suppressed findings; the repository's files are read once each.
pub fn apply(index: &RepoIndex, findings: &mut [Finding]) {
    let mut lines: HashMap<String, Option<Vec<String>>> = HashMap::new();
    for f in findings.iter_mut() {
        let Some(Location::File { path, span, .. }) = &f.location else {
            continue;
        };
        let file_lines = lines.entry(path.clone()).or_insert_with(|| {
            let bytes = index.read(path).ok()?;
            Some(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(str::to_string)
                    .collect(),
            )
        });
        let Some(file_lines) = file_lines else {
            continue;
        };
        let line = span.map_or(1, |s| s.start_line.max(1)) as usize;
        let candidates = [line.checked_sub(1), line.checked_sub(2)];
        let found = candidates
            .into_iter()
            .flatten()
            .filter_map(|i| file_lines.get(i))
            .find_map(|l| directive(l, &f.rule));
        match found {
            Some(Directive::Reason(reason)) => f.suppressed = Some(reason),
            Some(Directive::NoReason) => {
                f.message.push_str(" (a shipready:ignore names this rule but gives no reason, so it is not honoured: add `-- <reason>`)");
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let r = "delivery/dockerfile-runs-as-root";
        assert_eq!(
            directive(
                "# shipready:ignore delivery/dockerfile-runs-as-root -- base image drops privileges",
                r
            ),
            Some(Directive::Reason("base image drops privileges".into()))
        );
        assert_eq!(
            directive("// shipready:ignore delivery/* -- legacy service */", r),
            Some(Directive::Reason("legacy service".into()))
        );
        assert_eq!(
            directive("# shipready:ignore delivery/dockerfile-runs-as-root", r),
            Some(Directive::NoReason)
        );
        assert_eq!(
            directive("# shipready:ignore delivery/readme-missing -- x", r),
            None
        );
        assert_eq!(directive("FROM node:20", r), None);
    }
}
