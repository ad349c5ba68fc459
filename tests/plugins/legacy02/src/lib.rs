//! A check built against the frozen contract `shipready:check@0.2.0`
//! (`wit/released/0.2.0`), with raw bindings: the host must keep loading it
//! after newer versions are released. It counts the repository's files and
//! the history's commits, and reports one finding naming both.

wit_bindgen::generate!({ path: "../../../wit/released/0.2.0", world: "plugin" });

use exports::shipready::check::check::Guest;
use shipready::check::types::{
    Capability, CheckError, CheckInfo, Context, Finding, Rule, Severity,
};
use shipready::check::{findings, history, repo};

struct P;

impl Guest for P {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "legacy02".into(),
            version: "0.2.0".into(),
            title: "Built against contract 0.2.0".into(),
            summary: "Counts files and commits through the 0.2.0 interfaces.".into(),
            capabilities: vec![Capability::Repo, Capability::History],
            rules: vec![Rule {
                id: "legacy02/counts".into(),
                title: "File and commit count".into(),
                severity: Severity::Info,
                docs: "## What it checks\nNothing.\n\n## Why it matters\nCompatibility.\n\n## Example\nNone.".into(),
            }],
        }
    }

    fn run(_ctx: Context) -> Result<(), CheckError> {
        let internal = |e| CheckError::Internal(format!("{e:?}"));
        let files = repo::files(&[]).map_err(internal)?;
        let scope = history::scope().map_err(internal)?;
        findings::report(&[Finding {
            rule: "legacy02/counts".into(),
            severity: None,
            message: format!("{} files, {} commits", files.len(), scope.commits),
            location: None,
            evidence: None,
            remediation: None,
            fingerprint: None,
        }]);
        Ok(())
    }
}

export!(P);
