//! Order and integrity across migrations: duplicate versions, migration
//! graphs with several heads, and migrations edited after they were
//! committed (from the git history).

use std::collections::{BTreeMap, BTreeSet};

use shipready_sdk::Level;
use shipready_sdk::prelude::*;

use crate::applied::Applied;
use crate::detect::{Migration, System};
use crate::judge::Verdict;
use crate::rules::*;

/// A verdict about one migration file.
pub struct Placed {
    pub path: String,
    pub verdict: Verdict,
}

/// Two migrations of one directory and system with the same version, one
/// of them pending. Not Django's: its numbers are names, the order is the
/// `dependencies` graph (two leaves are [`heads`]).
pub fn duplicates(migrations: &[Migration], applied: &Applied) -> Vec<Placed> {
    // By directory: a dbmate file outside a change-limited run is not read,
    // so it is not told apart from plain SQL; the directory is enough.
    let mut by_version: BTreeMap<(&str, &str), Vec<&Migration>> = BTreeMap::new();
    for m in migrations.iter().filter(|m| m.system != System::Django) {
        if let Some(v) = &m.version {
            by_version
                .entry((m.dir.as_str(), v.as_str()))
                .or_default()
                .push(m);
        }
    }
    let mut out = Vec::new();
    for ((_, version), group) in by_version {
        if group.len() < 2 || !group.iter().any(|m| applied.is_pending(&m.path)) {
            continue;
        }
        let paths: Vec<&str> = group.iter().map(|m| m.path.as_str()).collect();
        for m in &group {
            out.push(Placed {
                path: m.path.clone(),
                verdict: Verdict {
                    rule: &DUPLICATE_VERSION,
                    line: None,
                    message: format!("version {version} is used by {} migrations", group.len()),
                    evidence: Some(paths.join(", ")),
                    fix: "Renumber the newer migration after the latest version.",
                },
            });
        }
    }
    out
}

/// Pending migrations whose version sorts before one production has
/// applied: tools that apply in version order skip them, or refuse to run.
/// Not for Django and Alembic, ordered by their dependency graphs.
pub fn out_of_order(migrations: &[Migration], applied: &Applied) -> Vec<Placed> {
    if !applied.has_reference() {
        return Vec::new();
    }
    let mut newest_applied: BTreeMap<&str, (Vec<u64>, &Migration)> = BTreeMap::new();
    let versioned = || {
        migrations
            .iter()
            .filter(|m| !matches!(m.system, System::Django | System::Alembic))
            .filter_map(|m| Some((m, version_key(m.version.as_deref()?))))
    };
    for (m, key) in versioned().filter(|(m, _)| !applied.is_pending(&m.path)) {
        let newest = newest_applied
            .entry(m.dir.as_str())
            .or_insert((key.clone(), m));
        if key > newest.0 {
            *newest = (key, m);
        }
    }
    let mut out = Vec::new();
    for (m, key) in versioned().filter(|(m, _)| applied.is_pending(&m.path)) {
        let Some((newest, by)) = newest_applied.get(m.dir.as_str()) else {
            continue;
        };
        if key < *newest {
            out.push(Placed {
                path: m.path.clone(),
                verdict: Verdict {
                    rule: &OUT_OF_ORDER,
                    line: None,
                    message: format!(
                        "version {} is pending but sorts before {}, already applied",
                        m.version.as_deref().unwrap_or_default(),
                        by.version.as_deref().unwrap_or_default()
                    ),
                    evidence: Some(by.path.clone()),
                    fix: "Renumber it after the newest applied migration.",
                },
            });
        }
    }
    out
}

/// A version as the numbers in it, so `20240101120000` > `9` and `1_10` > `1_9`.
fn version_key(version: &str) -> Vec<u64> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap_or(u64::MAX))
        .collect()
}

/// Alembic revisions, or one Django app's migrations, with more than one head.
pub fn heads(migrations: &[Migration]) -> Vec<Placed> {
    let mut graphs: BTreeMap<String, Vec<&Migration>> = BTreeMap::new();
    for m in migrations {
        match m.system {
            System::Alembic if m.id.is_some() => graphs
                .entry(format!("alembic:{}", m.dir))
                .or_default()
                .push(m),
            System::Django => graphs
                .entry(format!("django:{}", m.dir))
                .or_default()
                .push(m),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (graph, members) in graphs {
        let parents: BTreeSet<&str> = members
            .iter()
            .flat_map(|m| m.depends_on.iter().map(String::as_str))
            .collect();
        let heads: Vec<&&Migration> = members
            .iter()
            .filter(|m| m.id.as_deref().is_some_and(|id| !parents.contains(id)))
            .collect();
        if heads.len() < 2 {
            continue;
        }
        let names: Vec<&str> = heads.iter().filter_map(|m| m.id.as_deref()).collect();
        let what = if graph.starts_with("alembic") {
            "Alembic has"
        } else {
            "this Django app has"
        };
        for m in &heads {
            out.push(Placed {
                path: m.path.clone(),
                verdict: Verdict {
                    rule: &MULTIPLE_HEADS,
                    line: None,
                    message: format!("{what} {} heads: {}", heads.len(), names.join(", ")),
                    evidence: None,
                    fix: "Add a merge migration (alembic merge heads / makemigrations --merge).",
                },
            });
        }
    }
    out
}

/// Migration files with more than one version in the git history.
pub fn edited(cx: &mut Cx<'_>, migrations: &[Migration]) -> Result<Vec<Placed>> {
    match cx.history_scope() {
        Ok(scope) if scope.available => {}
        Ok(scope) => {
            cx.log(
                Level::Info,
                &format!(
                    "edits after commit not checked: {}",
                    scope.reason.unwrap_or_default()
                ),
            );
            return Ok(Vec::new());
        }
        Err(e) => {
            cx.log(Level::Info, &format!("edits after commit not checked: {e}"));
            return Ok(Vec::new());
        }
    }
    let globs: Vec<String> = migrations
        .iter()
        .map(|m| format!("/{}", escape_glob(&m.path)))
        .collect();
    if globs.is_empty() {
        return Ok(Vec::new());
    }
    let globs: Vec<&str> = globs.iter().map(String::as_str).collect();
    // One hit per blob: the first character of each version of each file.
    let hits = cx.history_search(&[Pattern::new(0, r"\A(?s).")], &globs)?;
    let mut versions: BTreeMap<&str, Vec<&shipready_sdk::HistoryHit>> = BTreeMap::new();
    for h in &hits.hits {
        versions.entry(h.hit.path.as_str()).or_default().push(h);
    }
    let mut out = Vec::new();
    for (path, mut blobs) in versions {
        if blobs.len() < 2 {
            continue;
        }
        blobs.sort_by_key(|h| h.commit.time);
        let first = &blobs[0].commit;
        let last = &blobs[blobs.len() - 1].commit;
        out.push(Placed {
            path: path.to_string(),
            verdict: Verdict {
                rule: &EDITED_AFTER_COMMIT,
                line: None,
                message: format!(
                    "{} versions of this migration were committed: databases that applied the first never get the edits",
                    blobs.len()
                ),
                evidence: Some(format!(
                    "first committed in {} ({}), changed again in {} ({})",
                    short(&first.id),
                    first.summary,
                    short(&last.id),
                    last.summary
                )),
                fix: "Restore the committed version and put the change in a new migration.",
            },
        });
    }
    Ok(out)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}

/// A path as a glob that matches only itself.
fn escape_glob(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
