//! `--format junit`: JUnit XML, one test case per definition-of-done item,
//! so CI systems show the definition of done as a test suite. `fail` is a
//! failure, `error` an error, `not-run` and `not-applicable` are skipped
//! with the reason; the findings that decided an item are in its body.

use std::fmt::Write as _;

use crate::model::{ItemStatus, Report};

/// Escape text for XML content and attribute values.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let count =
        |f: &dyn Fn(ItemStatus) -> bool| report.items.iter().filter(|i| f(i.status)).count();
    let failures = count(&|s| s == ItemStatus::Fail);
    let errors = count(&|s| s == ItemStatus::Error);
    let skipped = count(&|s| matches!(s, ItemStatus::NotRun | ItemStatus::NotApplicable));
    let seconds = report.duration_ms as f64 / 1000.0;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"shipready\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{seconds:.3}\">",
        report.items.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"definition of done ({})\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{seconds:.3}\">",
        xml(&report.profile),
        report.items.len()
    );
    for item in &report.items {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"shipready.{}\" time=\"0\">",
            xml(&format!("{}: {}", item.id, item.title)),
            item.area.as_str()
        );
        let findings: Vec<String> = report
            .findings
            .iter()
            .filter(|f| item.findings.contains(&f.fingerprint))
            .map(|f| {
                let at = f
                    .location
                    .as_ref()
                    .map_or(String::new(), |l| format!(" at {}", l.display()));
                let fix = f
                    .remediation
                    .as_deref()
                    .map_or(String::new(), |r| format!("\n  fix: {r}"));
                format!(
                    "[{}] {}{at}: {}{fix}",
                    f.severity.as_str(),
                    f.rule,
                    f.message
                )
            })
            .collect();
        let body = xml(&findings.join("\n"));
        let reason = xml(&item.reason);
        match item.status {
            ItemStatus::Fail => {
                let _ = write!(
                    out,
                    "\n      <failure message=\"{reason}\" type=\"fail\">{body}</failure>\n    "
                );
            }
            ItemStatus::Error => {
                let _ = write!(
                    out,
                    "\n      <error message=\"{reason}\" type=\"error\"/>\n    "
                );
            }
            ItemStatus::NotRun | ItemStatus::NotApplicable => {
                let _ = write!(
                    out,
                    "\n      <skipped message=\"{}: {reason}\"/>\n    ",
                    item.status.as_str()
                );
            }
            ItemStatus::Warn => {
                let _ = write!(
                    out,
                    "\n      <system-out>warning: {reason}\n{body}</system-out>\n    "
                );
            }
            ItemStatus::Pass => {}
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
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
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}"
        );
    }
}
