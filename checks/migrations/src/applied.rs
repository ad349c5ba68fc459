//! Which migrations production has already applied, and which are pending.
//!
//! A migration production has applied cannot lock a table again: the lock
//! and safety rules judge pending migrations only, and applied ones get the
//! history rules (edited or deleted after they were applied, a new
//! migration ordered before them). Pending, in order of precedence:
//!
//! 1. a change-limited run (`--since REV`): the changed files;
//! 2. the setting `applied-through = "REV"`: added or modified since REV;
//! 3. `--since REV` given to the history service: since REV;
//! 4. since the newest tag reachable from HEAD;
//! 5. no tag (or no git repository): everything (a pre-launch audit).
//!
//! The basis is always reported in one informational item, so that nothing
//! is set aside silently.

use std::collections::HashSet;

use shipready_sdk::prelude::*;
use shipready_sdk::{Level, Since};

use shipready_schema::Op;
use shipready_schema::sql::{self, Dialect};
use shipready_sdk::ListedFile;

use crate::detect::{self, Migration, Source};
use crate::judge::Verdict;
use crate::order::Placed;
use crate::rules::*;

/// What production is taken to have applied.
pub struct Applied {
    /// The paths production has not seen; `None`: every migration is pending.
    pending: Option<HashSet<String>>,
    basis: Basis,
    /// Applied migrations changed or deleted since the reference.
    modified: Vec<String>,
    deleted: Vec<String>,
}

/// What decided which migrations are pending.
enum Basis {
    /// A change-limited run: its changed files.
    Change,
    /// A revision: named in the settings or by `--since`, or the newest tag.
    Revision {
        rev: String,
        commit: String,
        how: &'static str,
    },
    /// Everything is pending, and why.
    Everything(String),
}

impl Applied {
    /// Decide from the run, the settings and the repository.
    pub fn decide(cx: &mut Cx<'_>) -> Result<Applied> {
        if let Some(changed) = cx.changed_files() {
            return Ok(Applied {
                pending: Some(changed.iter().cloned().collect()),
                basis: Basis::Change,
                modified: Vec::new(),
                deleted: Vec::new(),
            });
        }
        let (rev, how) = match applied_through(cx.context()) {
            Some(rev) => (Some(rev), "the setting applied-through"),
            None => match cx.history_scope().ok().and_then(|s| s.since) {
                Some(rev) => (Some(rev), "--since"),
                None => (None, "the newest tag reachable from HEAD"),
            },
        };
        let since = match cx.changed_since(rev.as_deref(), detect::GLOBS) {
            Ok(since) => since,
            Err(e) => {
                return Ok(Applied::everything(format!(
                    "the git history is not available ({e})"
                )));
            }
        };
        Ok(match since {
            Since::Changes(changes) => {
                // A modified migration was applied in its old form: the
                // history rule reports it, the lock rules do not.
                Applied {
                    pending: Some(changes.added.into_iter().collect()),
                    basis: Basis::Revision {
                        rev: changes.rev,
                        commit: changes.commit,
                        how,
                    },
                    modified: changes.modified,
                    deleted: changes
                        .deleted
                        .into_iter()
                        .filter(|p| detect::is_migration_path(p))
                        .collect(),
                }
            }
            Since::NoTag => Applied::everything(
                "no tag is reachable from HEAD and applied-through is not set".into(),
            ),
            Since::Unknown {
                rev,
                shallow: true,
                reason,
            } => {
                cx.log(Level::Warn, &format!("revision {rev} not found: {reason}"));
                Applied::everything(format!(
                    "{rev} (from {how}) is not in this shallow clone; fetch more history (git fetch --unshallow) to judge only pending migrations"
                ))
            }
            Since::Unknown { rev, reason, .. } => {
                return Err(CheckError::BadSettings(format!(
                    "{how} names the revision {rev}, which is not in this repository ({reason}); name a tag, branch or commit that is"
                )));
            }
        })
    }

    fn everything(why: String) -> Applied {
        Applied {
            pending: None,
            basis: Basis::Everything(why),
            modified: Vec::new(),
            deleted: Vec::new(),
        }
    }

    /// Production has not applied this migration yet.
    pub fn is_pending(&self, path: &str) -> bool {
        self.pending.as_ref().is_none_or(|p| p.contains(path))
    }

    /// A reference decided what is applied (the history rules apply).
    pub fn has_reference(&self) -> bool {
        !matches!(self.basis, Basis::Everything(_))
    }

    /// The one item that says how many migrations were treated as applied,
    /// and through which reference.
    pub fn summary(&self, migrations: &[Migration]) -> Finding {
        let pending = migrations
            .iter()
            .filter(|m| self.is_pending(&m.path))
            .count();
        let applied = migrations.len() - pending;
        let message = match &self.basis {
            Basis::Change => format!(
                "{pending} of {} migrations are in the change under review and judged; {applied} are taken as applied",
                migrations.len()
            ),
            Basis::Revision { rev, commit, how } => format!(
                "{applied} migrations are taken as applied through {rev} (commit {}, from {how}); {pending} pending migrations are judged",
                &commit[..commit.len().min(10)]
            ),
            Basis::Everything(why) => format!(
                "all {} migrations are judged as pending: {why}",
                migrations.len()
            ),
        };
        Finding::new(&APPLIED_SCOPE, message).remediation(
            "Set [checks.migrations] settings = { applied-through = \"<the revision production runs>\" } to judge only what the next deploy applies.",
        )
    }

    /// Applied migrations changed or deleted since the reference: the
    /// databases that applied them never see the change. An edit that
    /// leaves the operations as they were (an import renamed, a comment) is
    /// not one.
    pub fn history_findings(
        &self,
        cx: &Cx<'_>,
        migrations: &[Migration],
        dialect: Dialect,
    ) -> Vec<Placed> {
        let Basis::Revision { rev, commit, .. } = &self.basis else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for path in &self.modified {
            let Some(now) = migrations.iter().find(|m| &m.path == path) else {
                continue;
            };
            match then(cx, commit, now, dialect) {
                Ok(Some(then)) if same_operations(&then, now) => {
                    cx.log(
                        Level::Debug,
                        &format!("{path} changed since {rev}, its operations did not"),
                    );
                    continue;
                }
                Ok(_) => {}
                Err(why) => cx.log(Level::Info, &format!("{path} as of {rev}: {why}")),
            }
            out.push(Placed {
                path: path.clone(),
                verdict: Verdict {
                    rule: &EDITED_AFTER_COMMIT,
                    line: None,
                    message: format!(
                        "this migration's operations changed after {rev}, which applied it: databases that ran it never get the change"
                    ),
                    evidence: None,
                    fix: "Restore the applied version and put the change in a new migration.",
                },
            });
        }
        out.extend(self.deleted.iter().map(|path| Placed {
            path: path.clone(),
            verdict: Verdict {
                rule: &EDITED_AFTER_COMMIT,
                line: None,
                message: format!(
                    "this migration was deleted after {rev}, which applied it: new databases no longer match production"
                ),
                evidence: None,
                fix: "Restore it; undo its effect with a new migration instead.",
            },
        }));
        out
    }
}

/// The migration at `now.path` as it was in `commit`, read the same way.
fn then(
    cx: &Cx<'_>,
    commit: &str,
    now: &Migration,
    dialect: Dialect,
) -> std::result::Result<Option<Migration>, String> {
    let Some(bytes) = cx.read_at(commit, &now.path).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let text = shipready_schema::sql::file_text(bytes)?;
    let source = PastSource { cx, text };
    let listed = [ListedFile {
        path: now.path.clone(),
        size: source.text.len() as u64,
        language: None,
    }];
    let (mut read, _) = detect::migrations(&listed, &source, dialect, &|_| true);
    Ok(read.pop())
}

/// The same schema operations, in the same order (lines, spelling and
/// data changes aside: a backfill edited or emptied after it ran leaves
/// every database's schema as it was).
fn same_operations(a: &Migration, b: &Migration) -> bool {
    let schema = |m: &Migration| -> Vec<Op> {
        m.up.iter()
            .map(|l| l.op.clone())
            .filter(|op| !matches!(op, Op::DataChange { .. }))
            .collect()
    };
    schema(a) == schema(b)
}

/// One file's past text, read like the work tree's.
struct PastSource<'a, 'b> {
    cx: &'a Cx<'b>,
    text: String,
}

impl Source for PastSource<'_, '_> {
    fn text(&self, _path: &str) -> std::result::Result<String, String> {
        Ok(self.text.clone())
    }

    fn parse_sql(&self, sources: &[(&str, u32)], dialect: Dialect) -> Vec<sql::Parsed> {
        self.cx.parse_sql(sources, dialect)
    }

    fn parse_files(
        &self,
        paths: &[&str],
        dialect: Dialect,
    ) -> Vec<std::result::Result<sql::ParsedFile, String>> {
        paths
            .iter()
            .map(|_| {
                let parsed = self
                    .cx
                    .parse_sql(&[(&self.text, 1)], dialect)
                    .pop()
                    .unwrap_or_default();
                Ok(sql::ParsedFile {
                    header: sql::header(&self.text),
                    parsed,
                })
            })
            .collect()
    }

    fn count_statements(&self, paths: &[&str]) -> Vec<std::result::Result<u32, String>> {
        // Down files are not compared.
        paths.iter().map(|_| Ok(0)).collect()
    }
}

/// The `applied-through` setting: a JSON string naming a revision.
fn applied_through(ctx: &Context) -> Option<String> {
    let raw = ctx.setting("applied-through")?;
    let rev = raw.trim().trim_matches('"').trim();
    (!rev.is_empty()).then(|| rev.to_string())
}
