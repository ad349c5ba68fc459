//! A check built against the frozen contract `shipready:check@0.1.0`
//! (`wit/released/0.1.0`), with raw bindings: the host must keep loading it
//! after newer versions are released. It lists the repository's files and
//! reports one finding naming how many there are.

wit_bindgen::generate!({ path: "../../../wit/released/0.1.0", world: "plugin" });

use exports::shipready::check::check::Guest;
use shipready::check::types::{
    Capability, CheckError, CheckInfo, Context, Finding, Rule, Severity,
};
use shipready::check::{findings, repo};

struct P;

impl Guest for P {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "legacy".into(),
            version: "0.1.0".into(),
            title: "Built against contract 0.1.0".into(),
            summary: "Counts the repository's files through the 0.1.0 repo interface.".into(),
            capabilities: vec![Capability::Repo],
            rules: vec![Rule {
                id: "legacy/file-count".into(),
                title: "File count".into(),
                severity: Severity::Info,
                docs: "## What it checks\nNothing.\n\n## Why it matters\nCompatibility.\n\n## Example\nNone.".into(),
            }],
        }
    }

    fn run(_ctx: Context) -> Result<(), CheckError> {
        let files = repo::files(&[]).map_err(|e| CheckError::Internal(format!("{e:?}")))?;
        findings::report(&[Finding {
            rule: "legacy/file-count".into(),
            severity: None,
            message: format!("{} files", files.len()),
            location: None,
            evidence: None,
            remediation: None,
            fingerprint: None,
        }]);
        Ok(())
    }
}

export!(P);
