//! A check built against the frozen contract `shipready:check@0.4.0`
//! (`wit/released/0.4.0`), with raw bindings: the host must keep loading it
//! after newer versions are released. It lists the repository's `.sql`
//! files with `repo.paths`, has the host parse them with `sql.parse-files`,
//! and reports one finding naming what it saw.

wit_bindgen::generate!({ path: "../../../wit/released/0.4.0", world: "plugin" });

use exports::shipready::check::check::Guest;
use shipready::check::types::{
    Capability, CheckError, CheckInfo, Context, Finding, Rule, Severity,
};
use shipready::check::{findings, repo, sql};

struct P;

impl Guest for P {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "legacy04".into(),
            version: "0.4.0".into(),
            title: "Built against contract 0.4.0".into(),
            summary: "Lists files and has the host parse SQL through the 0.4.0 interfaces.".into(),
            capabilities: vec![Capability::Repo],
            rules: vec![Rule {
                id: "legacy04/counts".into(),
                title: "Files and SQL statements".into(),
                severity: Severity::Info,
                docs: "## What it checks\nNothing.\n\n## Why it matters\nCompatibility.\n\n## Example\nNone.".into(),
            }],
        }
    }

    fn run(_ctx: Context) -> Result<(), CheckError> {
        let internal = |e| CheckError::Internal(format!("{e:?}"));
        let files = repo::paths(&["*.sql".to_string()]).map_err(internal)?;
        let paths: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
        let statements: usize = sql::parse_files(&paths, sql::Dialect::Postgres)
            .into_iter()
            .flatten()
            .map(|f| f.parsed.statements.len())
            .sum();
        findings::report(&[Finding {
            rule: "legacy04/counts".into(),
            severity: None,
            message: format!("{} SQL files, {statements} statements", files.len()),
            location: None,
            evidence: None,
            remediation: None,
            fingerprint: None,
        }]);
        Ok(())
    }
}

export!(P);
