//! The definition of done as data, and its evaluation.
//!
//! `reports/definition-of-done.toml` lists items: what must be true before
//! shipping, the rules that decide each, the profiles that require it, and
//! what the item needs to be decidable at all (a git history, a live URL).
//! [`Definition::evaluate`] turns check runs into items with a status, and a
//! verdict. An item is never a silent pass: without evidence it is
//! `not-applicable` (the check said so) or `not-run` (nothing could decide it).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::model::{
    Area, CheckRun, Finding, Item, ItemStatus, RunStatus, Severity, Target, Verdict,
};

/// The built-in definition of done, embedded at build time.
pub const BUILTIN: &str = include_str!("../../../reports/definition-of-done.toml");

/// The profiles a definition of done knows.
pub const PROFILES: &[&str] = &["merge", "launch"];

#[derive(Debug, thiserror::Error)]
pub enum DodError {
    #[error("invalid definition of done: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("invalid definition of done: {0}")]
    Invalid(String),
}

/// What an item needs before it can be decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// The target is a git work tree.
    Git,
    /// At least one `--url` was given.
    Url,
    /// The git history was scanned. Such items are decided by findings in
    /// the history (with a commit) only, and the other items by findings
    /// in the working tree only.
    History,
}

/// One item as written in the TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ItemSpec {
    pub id: String,
    pub title: String,
    pub area: Area,
    /// Rule ids (`check/rule`) whose findings decide the item.
    pub rules: Vec<String>,
    /// Profiles that require the item for a "ready" verdict.
    pub profiles: Vec<String>,
    #[serde(default)]
    pub requires: Vec<Requirement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub version: u32,
    #[serde(rename = "item")]
    pub items: Vec<ItemSpec>,
}

/// The check that owns a rule id: the part before the first `/`.
pub fn check_of(rule: &str) -> &str {
    rule.split_once('/').map_or(rule, |(c, _)| c)
}

impl Definition {
    /// The definition embedded in the binary.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the embedded definition of done is valid (tested)")
    }

    pub fn parse(text: &str) -> Result<Self, DodError> {
        let def: Definition = toml::from_str(text)?;
        let mut ids = BTreeSet::new();
        for item in &def.items {
            if !ids.insert(item.id.as_str()) {
                return Err(DodError::Invalid(format!(
                    "item `{}` is defined twice",
                    item.id
                )));
            }
            if item.rules.is_empty() {
                return Err(DodError::Invalid(format!(
                    "item `{}` has no rules",
                    item.id
                )));
            }
            if let Some(p) = item
                .profiles
                .iter()
                .find(|p| !PROFILES.contains(&p.as_str()))
            {
                return Err(DodError::Invalid(format!(
                    "item `{}`: unknown profile `{p}` (allowed: {})",
                    item.id,
                    PROFILES.join(", ")
                )));
            }
        }
        Ok(def)
    }

    /// Add an item for each check that no built-in item covers (third-party
    /// plugins, or plugins that failed to load), so nothing is left unreported.
    fn with_custom_items(&self, runs: &[CheckRun]) -> Vec<ItemSpec> {
        let mut items = self.items.clone();
        let covered: BTreeSet<&str> = self
            .items
            .iter()
            .flat_map(|i| i.rules.iter().map(|r| check_of(r)))
            .collect();
        for run in runs.iter().filter(|r| !covered.contains(r.id.as_str())) {
            let (title, rules) = match &run.info {
                Some(info) => (
                    info.title.clone(),
                    info.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                ),
                None => (run.id.clone(), Vec::new()),
            };
            items.push(ItemSpec {
                id: format!("custom.{}", run.id),
                title,
                area: Area::Custom,
                rules: if rules.is_empty() {
                    vec![format!("{}/*", run.id)]
                } else {
                    rules
                },
                profiles: PROFILES.iter().map(|p| p.to_string()).collect(),
                requires: Vec::new(),
            });
        }
        items
    }

    /// Evaluate every item against the check runs; return items and verdict.
    pub fn evaluate(
        &self,
        runs: &[CheckRun],
        target: &Target,
        profile: &str,
    ) -> (Vec<Item>, Verdict) {
        let runs_by_check: BTreeMap<&str, &CheckRun> =
            runs.iter().map(|r| (r.id.as_str(), r)).collect();
        let specs = self.with_custom_items(runs);
        // A rule an item names exactly is that item's alone: `secrets/*`
        // does not also take `secrets/env-file-committed`.
        let named: BTreeSet<&str> = specs
            .iter()
            .flat_map(|s| s.rules.iter())
            .filter(|r| !r.ends_with("/*"))
            .map(String::as_str)
            .collect();
        let items: Vec<Item> = specs
            .iter()
            .map(|spec| evaluate_item(spec, &named, &runs_by_check, target, profile))
            .collect();
        let verdict = verdict(&items);
        (items, verdict)
    }
}

fn evaluate_item(
    spec: &ItemSpec,
    named: &BTreeSet<&str>,
    runs: &BTreeMap<&str, &CheckRun>,
    target: &Target,
    profile: &str,
) -> Item {
    let item = |status: ItemStatus, reason: String, findings: Vec<String>| Item {
        id: spec.id.clone(),
        title: spec.title.clone(),
        area: spec.area,
        required: spec.profiles.iter().any(|p| p == profile),
        status,
        reason,
        rules: spec.rules.clone(),
        findings,
    };
    for req in &spec.requires {
        match req {
            Requirement::Git if !target.is_git => {
                return item(
                    ItemStatus::NotRun,
                    "not a git repository: no history to inspect".into(),
                    vec![],
                );
            }
            Requirement::History => match &target.history {
                None => {
                    return item(
                        ItemStatus::NotRun,
                        "the git history was not scanned (no check that reads it ran)".into(),
                        vec![],
                    );
                }
                Some(h) if !h.available => {
                    let why = h.reason.clone().unwrap_or_else(|| "unavailable".into());
                    return item(
                        ItemStatus::NotRun,
                        format!("the git history was not scanned: {why}"),
                        vec![],
                    );
                }
                Some(_) => {}
            },
            Requirement::Url if target.urls.is_empty() => {
                return item(ItemStatus::NotRun, "no --url given".into(), vec![]);
            }
            _ => {}
        }
    }
    let in_history = spec.requires.contains(&Requirement::History);
    let checks: BTreeSet<&str> = spec.rules.iter().map(|r| check_of(r)).collect();
    let ran: Vec<&CheckRun> = checks.iter().filter_map(|c| runs.get(c).copied()).collect();
    if let Some((run, reason)) = ran.iter().find_map(|r| match &r.status {
        RunStatus::Error(reason) => Some((r, reason)),
        RunStatus::Ok => None,
    }) {
        return item(
            ItemStatus::Error,
            format!("check `{}` failed: {reason}", run.id),
            vec![],
        );
    }
    if ran.is_empty() {
        let names: Vec<String> = checks.iter().map(|c| format!("`{c}`")).collect();
        return item(
            ItemStatus::NotRun,
            format!("check {} not run", names.join(", ")),
            vec![],
        );
    }
    let decides = |rule: &str| {
        spec.rules.iter().any(|r| {
            r == rule || r.strip_suffix("/*") == Some(check_of(rule)) && !named.contains(rule)
        })
    };
    let (notes, findings): (Vec<&Finding>, Vec<&Finding>) = ran
        .iter()
        .flat_map(|r| r.findings.iter())
        .filter(|f| decides(&f.rule) && f.counts())
        .filter(|f| f.location.as_ref().and_then(|l| l.commit()).is_some() == in_history)
        // Notes (inventories, what was set aside) are not findings.
        .partition(|f| f.severity == Severity::Info);
    let fingerprints = findings.iter().map(|f| f.fingerprint.clone()).collect();
    if let Some(worst) = findings.iter().map(|f| f.severity).max() {
        let first = findings
            .iter()
            .find(|f| f.severity == worst)
            .expect("worst exists");
        let status = if worst >= Severity::Medium {
            ItemStatus::Fail
        } else {
            ItemStatus::Warn
        };
        let count = match findings.len() {
            1 => "1 finding".to_string(),
            n => format!("{n} findings"),
        };
        return item(status, format!("{count}: {}", first.message), fingerprints);
    }
    if let Some(h) = target.history.as_ref().filter(|h| in_history && h.shallow) {
        let since = h
            .since
            .as_deref()
            .map_or(String::new(), |s| format!(" since {s}"));
        return item(
            ItemStatus::Warn,
            format!(
                "no findings in {} commits{since}, but this is a shallow clone: older history was not scanned \
                 (run `git fetch --unshallow` first)",
                h.commits
            ),
            vec![],
        );
    }
    if in_history {
        let h = target
            .history
            .as_ref()
            .expect("history items return early when it was not scanned");
        return item(
            ItemStatus::Pass,
            format!("no findings in {} blobs of {} commits", h.blobs, h.commits),
            vec![],
        );
    }
    let not_applicable: Vec<&str> = ran
        .iter()
        .flat_map(|r| r.not_applicable.iter())
        .filter(|n| decides(&n.rule))
        .map(|n| n.reason.as_str())
        .collect();
    let rules_that_ran = spec
        .rules
        .iter()
        .filter(|r| runs.contains_key(check_of(r)))
        .count();
    if !not_applicable.is_empty() && not_applicable.len() >= rules_that_ran {
        let mut reasons: Vec<&str> = not_applicable.clone();
        reasons.dedup();
        return item(ItemStatus::NotApplicable, reasons.join("; "), vec![]);
    }
    match notes.first() {
        Some(note) => item(
            ItemStatus::Pass,
            format!("no findings ({})", note.message),
            vec![],
        ),
        None => item(ItemStatus::Pass, "no findings".into(), vec![]),
    }
}

fn verdict(items: &[Item]) -> Verdict {
    let blocking: Vec<&Item> = items
        .iter()
        .filter(|i| i.required && matches!(i.status, ItemStatus::Fail | ItemStatus::Error))
        .collect();
    let count = |s: ItemStatus| items.iter().filter(|i| i.status == s).count();
    let tally = format!(
        "{} pass, {} fail, {} warn, {} error, {} not run, {} n/a",
        count(ItemStatus::Pass),
        count(ItemStatus::Fail),
        count(ItemStatus::Warn),
        count(ItemStatus::Error),
        count(ItemStatus::NotRun),
        count(ItemStatus::NotApplicable),
    );
    let decided = items.iter().any(|i| {
        matches!(
            i.status,
            ItemStatus::Pass | ItemStatus::Fail | ItemStatus::Warn
        )
    });
    if !decided && blocking.is_empty() {
        Verdict {
            ready: false,
            summary: format!("not ready: no item could be decided ({tally})"),
        }
    } else if blocking.is_empty() {
        Verdict {
            ready: true,
            summary: format!("ready: every required item passes ({tally})"),
        }
    } else {
        let n = blocking.len();
        Verdict {
            ready: false,
            summary: format!(
                "not ready: {n} required item{} blocking ({tally})",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckSource, NotApplicable};

    fn run(
        id: &str,
        status: RunStatus,
        findings: Vec<(&str, Severity)>,
        na: Vec<&str>,
    ) -> CheckRun {
        CheckRun {
            id: id.into(),
            source: CheckSource::Builtin,
            info: None,
            status,
            findings: findings
                .into_iter()
                .map(|(rule, severity)| Finding {
                    rule: rule.into(),
                    check: id.into(),
                    severity,
                    message: format!("{rule} found"),
                    location: None,
                    evidence: None,
                    remediation: None,
                    suppressed: None,
                    baselined: false,
                    outside_diff: false,
                    fingerprint: crate::model::fingerprint(rule, None, ""),
                })
                .collect(),
            not_applicable: na
                .into_iter()
                .map(|r| NotApplicable {
                    rule: r.into(),
                    reason: "nothing here".into(),
                })
                .collect(),
            duration_ms: 0,
        }
    }

    fn def() -> Definition {
        Definition::parse(
            r#"
            version = 1
            [[item]]
            id = "a"
            title = "A"
            area = "delivery"
            rules = ["c/one", "c/two"]
            profiles = ["merge", "launch"]
            [[item]]
            id = "h"
            title = "History"
            area = "secrets"
            rules = ["s/history"]
            profiles = ["launch"]
            requires = ["git"]
            "#,
        )
        .unwrap()
    }

    fn target(is_git: bool) -> Target {
        Target {
            path: Some(".".into()),
            is_git,
            urls: vec![],
            history: None,
            live: None,
        }
    }

    fn status(items: &[Item], id: &str) -> ItemStatus {
        items.iter().find(|i| i.id == id).unwrap().status
    }

    #[test]
    fn a_rule_named_by_one_item_is_not_taken_by_another_items_wildcard_and_notes_are_not_findings()
    {
        let def = Definition::parse(
            r#"
            version = 1
            [[item]]
            id = "env"
            title = "Env"
            area = "secrets"
            rules = ["s/env-file"]
            profiles = ["merge"]
            [[item]]
            id = "tree"
            title = "Tree"
            area = "secrets"
            rules = ["s/*"]
            profiles = ["merge"]
            "#,
        )
        .unwrap();
        let runs = [run(
            "s",
            RunStatus::Ok,
            vec![
                ("s/env-file", Severity::High),
                ("s/set-aside", Severity::Info),
            ],
            vec![],
        )];
        let (items, _) = def.evaluate(&runs, &target(true), "merge");
        assert_eq!(status(&items, "env"), ItemStatus::Fail);
        let tree = items.iter().find(|i| i.id == "tree").unwrap();
        assert_eq!(tree.status, ItemStatus::Pass);
        assert_eq!(tree.reason, "no findings (s/set-aside found)");
    }

    #[test]
    fn the_builtin_definition_parses_and_is_consistent() {
        let def = Definition::builtin();
        assert!(def.items.len() >= 10);
        for item in &def.items {
            assert!(
                item.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'),
                "{}",
                item.id
            );
            for rule in &item.rules {
                assert!(rule.contains('/'), "{rule}");
            }
        }
    }

    #[test]
    fn statuses() {
        let def = def();
        let (items, v) = def.evaluate(
            &[run(
                "c",
                RunStatus::Ok,
                vec![("c/one", Severity::High)],
                vec![],
            )],
            &target(true),
            "merge",
        );
        assert_eq!(status(&items, "a"), ItemStatus::Fail);
        assert_eq!(status(&items, "h"), ItemStatus::NotRun);
        assert!(!v.ready);

        let (items, v) = def.evaluate(
            &[run(
                "c",
                RunStatus::Ok,
                vec![("c/two", Severity::Low)],
                vec![],
            )],
            &target(true),
            "merge",
        );
        assert_eq!(status(&items, "a"), ItemStatus::Warn);
        assert!(v.ready, "warnings do not block");

        let (items, _) = def.evaluate(
            &[run("c", RunStatus::Ok, vec![], vec!["c/one", "c/two"])],
            &target(true),
            "merge",
        );
        assert_eq!(status(&items, "a"), ItemStatus::NotApplicable);

        let (items, _) = def.evaluate(
            &[run("c", RunStatus::Ok, vec![], vec!["c/one"])],
            &target(true),
            "merge",
        );
        assert_eq!(
            status(&items, "a"),
            ItemStatus::Pass,
            "one rule decided and passed"
        );
    }

    #[test]
    fn nothing_decided_is_not_ready() {
        let (_, v) = def().evaluate(&[], &target(true), "merge");
        assert!(!v.ready);
        assert!(
            v.summary.contains("no item could be decided"),
            "{}",
            v.summary
        );
    }

    #[test]
    fn an_errored_check_fails_closed() {
        let (items, v) = def().evaluate(
            &[run("c", RunStatus::Error("trap".into()), vec![], vec![])],
            &target(true),
            "merge",
        );
        assert_eq!(status(&items, "a"), ItemStatus::Error);
        assert!(!v.ready);
    }

    #[test]
    fn history_items_are_not_run_outside_git_with_the_reason() {
        let (items, _) = def().evaluate(
            &[run("s", RunStatus::Ok, vec![], vec![])],
            &target(false),
            "launch",
        );
        let h = items.iter().find(|i| i.id == "h").unwrap();
        assert_eq!(h.status, ItemStatus::NotRun);
        assert!(h.reason.contains("not a git repository"));
    }

    #[test]
    fn plugins_get_their_own_item() {
        let (items, v) = def().evaluate(
            &[run(
                "plugin:bad.wasm",
                RunStatus::Error("not a component".into()),
                vec![],
                vec![],
            )],
            &target(true),
            "merge",
        );
        let custom = items
            .iter()
            .find(|i| i.id == "custom.plugin:bad.wasm")
            .unwrap();
        assert_eq!(custom.status, ItemStatus::Error);
        assert!(custom.reason.contains("not a component"));
        assert!(!v.ready);
    }

    #[test]
    fn unknown_keys_and_profiles_are_rejected() {
        let err = Definition::parse("version = 1\n[[item]]\nid='a'\ntitle='A'\narea='data'\nrules=['x/y']\nprofiles=['merge']\ncolour='red'\n").unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
        let err = Definition::parse("version = 1\n[[item]]\nid='a'\ntitle='A'\narea='data'\nrules=['x/y']\nprofiles=['prod']\n").unwrap_err();
        assert!(err.to_string().contains("merge, launch"), "{err}");
    }
}
