//! Baselines: the fingerprints of findings a team has accepted for now, so
//! that only new findings decide the verdict. Fingerprints do not depend on
//! line numbers, so moving code around does not make a baselined finding new.

use serde::{Deserialize, Serialize};

use crate::model::{Finding, Report};

/// The baseline file format version this build writes and reads.
pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Baseline {
    /// Always [`BASELINE_VERSION`] for files this build writes.
    pub shipready_baseline: u32,
    pub tool_version: String,
    pub findings: Vec<Entry>,
}

/// One accepted finding; rule and location are for people reading the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("not a shipready baseline ({0}); write one with `shipready baseline`")]
    Corrupt(String),
    #[error(
        "baseline format version {found}, but this shipready reads version {BASELINE_VERSION}; write a new one with `shipready baseline`"
    )]
    Version { found: u32 },
}

impl Baseline {
    /// The counting findings of a report (suppressed ones are not recorded).
    pub fn from_report(report: &Report) -> Baseline {
        let mut findings: Vec<Entry> = report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule.clone(),
                location: f.location.as_ref().map(|l| l.display()),
            })
            .collect();
        findings.sort_by(|a, b| (&a.rule, &a.fingerprint).cmp(&(&b.rule, &b.fingerprint)));
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            shipready_baseline: BASELINE_VERSION,
            tool_version: report.tool_version.clone(),
            findings,
        }
    }

    pub fn parse(text: &str) -> Result<Baseline, BaselineError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| BaselineError::Corrupt(e.to_string()))?;
        match value.get("shipready-baseline").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(BASELINE_VERSION) => {}
            Some(v) => return Err(BaselineError::Version { found: v as u32 }),
            None => {
                return Err(BaselineError::Corrupt(
                    "no `shipready-baseline` version field".into(),
                ));
            }
        }
        serde_json::from_value(value).map_err(|e| BaselineError::Corrupt(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).expect("baseline serialises");
        out.push('\n');
        out
    }

    /// Mark the findings this baseline records.
    pub fn apply(&self, findings: &mut [Finding]) {
        let known: std::collections::HashSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        for f in findings {
            f.baselined = known.contains(f.fingerprint.as_str());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_apply() {
        let report = crate::render::sample::report();
        let baseline = Baseline::from_report(&report);
        let back = Baseline::parse(&baseline.to_json()).unwrap();
        assert_eq!(back, baseline);
        let mut findings = report.findings.clone();
        back.apply(&mut findings);
        assert!(findings.iter().all(|f| f.baselined));
    }

    #[test]
    fn corrupt_and_foreign_versions_are_refused_with_a_way_out() {
        let err = Baseline::parse("{ not json").unwrap_err().to_string();
        assert!(
            err.contains("not a shipready baseline") && err.contains("shipready baseline"),
            "{err}"
        );
        let err =
            Baseline::parse(r#"{"shipready-baseline": 7, "tool-version": "9", "findings": []}"#)
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("version 7") && err.contains("reads version 1"),
            "{err}"
        );
        let err = Baseline::parse(r#"{"findings": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a shipready baseline"), "{err}");
    }
}
