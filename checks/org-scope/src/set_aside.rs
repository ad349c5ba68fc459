//! Code outside any request path: tests, docs and examples (the
//! project's `[paths]`, then convention: `Cx::not_production`), data migrations and
//! backfills, management commands, seeds and one-off scripts. (Background
//! jobs are reported: a sweep across every tenant's rows is the finding.) A query there
//! does not serve one tenant's request, so it cannot leak another's data to
//! it: its findings are counted in one item instead of reported.

use std::collections::BTreeMap;

use shipready_sdk::prelude::*;

use crate::rules::SET_ASIDE;

/// Where a path stands when it is outside any request path.
pub fn outside_request_path(cx: &Cx<'_>, path: &str) -> Option<&'static str> {
    if let Some(kind) = cx.not_production(path) {
        return Some(kind.describe());
    }
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let name = parts.last().copied().unwrap_or_default();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let has = |dir: &str| dirs.contains(&dir);
    if has("migrations")
        || has("migration")
        || lower.contains("db/migrate/")
        || has("versions") && has("alembic")
        || dirs.windows(2).any(|w| w == ["migrations", "versions"])
    {
        return Some("data migrations");
    }
    if lower.contains("management/commands/")
        || lower.contains("lib/tasks/") && name.ends_with(".rake")
    {
        return Some("management commands");
    }
    if has("seeds")
        || has("seed")
        || has("seeders")
        || name.starts_with("seed.")
        || name.starts_with("seeds.")
    {
        return Some("seeds");
    }
    if has("scripts") || has("script") {
        return Some("scripts");
    }
    None
}

/// Findings counted instead of reported, by where they were.
#[derive(Default)]
pub struct SetAside {
    counts: BTreeMap<&'static str, usize>,
}

impl SetAside {
    /// Report `finding` at `path`, or count it when `path` is outside any
    /// request path.
    pub fn report(&mut self, cx: &mut Cx<'_>, path: &str, finding: Finding) {
        match outside_request_path(cx, path) {
            Some(kind) => *self.counts.entry(kind).or_default() += 1,
            None => cx.report(finding),
        }
    }

    pub fn summarize(self, cx: &mut Cx<'_>) {
        if self.counts.is_empty() {
            return;
        }
        let total: usize = self.counts.values().sum();
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(kind, n)| format!("{n} in {kind}"))
            .collect();
        cx.report(Finding::new(
            &SET_ASIDE,
            format!(
                "{total} unscoped queries set aside as outside any request path: {}",
                parts.join(", ")
            ),
        ));
    }
}
