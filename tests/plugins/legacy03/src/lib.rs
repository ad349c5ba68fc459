//! A check built against the frozen contract `shipready:check@0.3.0`
//! (`wit/released/0.3.0`), with raw bindings: the host must keep loading it
//! after newer versions are released. It lists the repository with
//! `repo.paths`, parses its `.sql` files with `sql.parse`, and reports one
//! finding naming what it saw.

wit_bindgen::generate!({ path: "../../../wit/released/0.3.0", world: "plugin" });

use exports::shipready::check::check::Guest;
use shipready::check::types::{
    Capability, CheckError, CheckInfo, Context, Finding, Rule, Severity,
};
use shipready::check::{findings, repo, sql};

struct P;

impl Guest for P {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "legacy03".into(),
            version: "0.3.0".into(),
            title: "Built against contract 0.3.0".into(),
            summary: "Lists files and parses SQL through the 0.3.0 interfaces.".into(),
            capabilities: vec![Capability::Repo],
            rules: vec![Rule {
                id: "legacy03/counts".into(),
                title: "Files and SQL statements".into(),
                severity: Severity::Info,
                docs: "## What it checks\nNothing.\n\n## Why it matters\nCompatibility.\n\n## Example\nNone.".into(),
            }],
        }
    }

    fn run(_ctx: Context) -> Result<(), CheckError> {
        let internal = |e| CheckError::Internal(format!("{e:?}"));
        let files = repo::paths(&["*.sql".to_string()]).map_err(internal)?;
        let mut sources = Vec::new();
        for f in &files {
            let bytes = repo::read(&f.path).map_err(internal)?;
            sources.push(sql::Source {
                text: String::from_utf8_lossy(&bytes).into_owned(),
                first_line: 1,
            });
        }
        let parsed = sql::parse(&sources, sql::Dialect::Postgres);
        let statements: usize = parsed.iter().map(|p| p.statements.len()).sum();
        findings::report(&[Finding {
            rule: "legacy03/counts".into(),
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
