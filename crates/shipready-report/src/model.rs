//! The report's data model. Everything here is what `--format json` prints,
//! so field names are part of the public interface (see
//! `reports/report.schema.json`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of the JSON report layout.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A rule as a check describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Markdown with the headings "What it checks", "Why it matters", "Example".
    pub docs: String,
}

/// Where a check came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum CheckSource {
    /// Embedded in the shipready binary.
    Builtin,
    /// Loaded with `--plugin`.
    Plugin(String),
}

/// What a check said about itself in `describe()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckInfo {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub capabilities: Vec<String>,
    pub rules: Vec<RuleInfo>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Location {
    File {
        path: String,
        span: Option<Span>,
        /// For content found in the git history: the commit that introduced it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commit: Option<String>,
    },
    Url {
        url: String,
    },
}

impl Location {
    /// `path:line`, `path:line @ commit` for history, or the URL.
    pub fn display(&self) -> String {
        match self {
            Location::File { path, span, commit } => {
                let line = span.map_or(String::new(), |s| format!(":{}", s.start_line));
                let commit = commit
                    .as_deref()
                    .map_or(String::new(), |c| format!(" @ {}", &c[..c.len().min(12)]));
                format!("{path}{line}{commit}")
            }
            Location::Url { url } => url.clone(),
        }
    }

    /// The commit, for a location in the git history.
    pub fn commit(&self) -> Option<&str> {
        match self {
            Location::File { commit, .. } => commit.as_deref(),
            Location::Url { .. } => None,
        }
    }

    fn identity(&self) -> &str {
        match self {
            Location::File { path, .. } => path,
            Location::Url { url } => url,
        }
    }
}

/// One problem found by one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    pub rule: String,
    pub check: String,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    /// Already redacted by the check: never a secret in clear.
    pub evidence: Option<String>,
    pub remediation: Option<String>,
    /// Stable across unrelated edits: rule + path + a hash of the check's key
    /// (or the normalised evidence, or the message). No line numbers.
    pub fingerprint: String,
    /// Suppressed inline (`shipready:ignore <rule> -- <reason>`): the reason.
    /// Suppressed findings are listed but do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Recorded in the baseline given with `--baseline`: listed, does not count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baselined: bool,
    /// Outside the files and lines changed since `--since REV`: listed, does not count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_diff: bool,
}

impl Finding {
    /// Whether the finding counts against its item (not suppressed or baselined).
    pub fn counts(&self) -> bool {
        self.suppressed.is_none() && !self.baselined && !self.outside_diff
    }

    /// An `info` finding is a note (an inventory entry, what was not
    /// analysed): it is in the report, never an annotation or an alert.
    pub fn is_note(&self) -> bool {
        self.severity == Severity::Info
    }

    /// `suppressed: <reason>` or `baselined`, for findings that do not count.
    pub fn not_counted_because(&self) -> Option<String> {
        match (&self.suppressed, self.baselined) {
            (Some(reason), _) => Some(format!("suppressed: {reason}")),
            (None, true) => Some("baselined".to_string()),
            (None, false) if self.outside_diff => Some("outside the changes".to_string()),
            (None, false) => None,
        }
    }
}

/// The fingerprint of a finding: `rule`, the location's path or URL, and a
/// key, whitespace-normalised, hashed with SHA-256 (first 16 bytes, hex).
pub fn fingerprint(rule: &str, location: Option<&Location>, key: &str) -> String {
    let normalised: Vec<&str> = key.split_whitespace().collect();
    let mut h = Sha256::new();
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(location.map_or("", Location::identity).as_bytes());
    h.update([0]);
    h.update(normalised.join(" ").as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// A rule a check reported as having nothing to decide, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotApplicable {
    pub rule: String,
    pub reason: String,
}

/// How one check's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum RunStatus {
    Ok,
    /// Trapped, timed out, exceeded a limit, broke the contract, or failed to load.
    Error(String),
}

/// One check's run: who, how it ended, what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CheckRun {
    /// The check's id, or for a plugin that failed to load, `plugin:<file name>`.
    pub id: String,
    pub source: CheckSource,
    /// Absent when the check failed before `describe()` answered.
    pub info: Option<CheckInfo>,
    pub status: RunStatus,
    pub findings: Vec<Finding>,
    pub not_applicable: Vec<NotApplicable>,
    pub duration_ms: u64,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Data,
    Access,
    Secrets,
    Transport,
    Observability,
    Delivery,
    Quality,
    /// Items of third-party checks.
    Custom,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Data => "data",
            Area::Access => "access",
            Area::Secrets => "secrets",
            Area::Transport => "transport",
            Area::Observability => "observability",
            Area::Delivery => "delivery",
            Area::Quality => "quality",
            Area::Custom => "custom",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ItemStatus {
    Pass,
    Fail,
    Warn,
    NotApplicable,
    NotRun,
    Error,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pass => "pass",
            ItemStatus::Fail => "fail",
            ItemStatus::Warn => "warn",
            ItemStatus::NotApplicable => "n/a",
            ItemStatus::NotRun => "not-run",
            ItemStatus::Error => "error",
        }
    }
}

/// One definition-of-done item, evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Item {
    pub id: String,
    pub title: String,
    pub area: Area,
    /// Whether the run's profile requires this item for a "ready" verdict.
    pub required: bool,
    pub status: ItemStatus,
    /// Why it has this status, in one line.
    pub reason: String,
    /// The rules that decide it.
    pub rules: Vec<String>,
    /// Fingerprints of the findings that decided it.
    pub findings: Vec<String>,
}

/// Files the host saw and the ones it skipped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ScanStats {
    pub files: u64,
    pub bytes: u64,
    pub binary: u64,
    pub too_large: u64,
    pub not_utf8: u64,
    /// Symbolic links are never followed (loops and links out of the repository).
    pub symlinks: u64,
    /// Entries that could not be read (permissions, races).
    pub unreadable: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Target {
    /// The repository directory, as given; absent for URL-only runs.
    pub path: Option<String>,
    pub is_git: bool,
    pub urls: Vec<String>,
    /// What the git history scan covered; absent when no check asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryScan>,
    /// What the live checks sent to the `--url` targets; absent without `--url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveScan>,
}

/// The requests the host sent to the live targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LiveScan {
    /// HTTP requests, redirects included, across every check of the run.
    pub requests: u32,
    /// TLS connections opened to examine the `https` targets.
    pub tls_connections: u32,
}

/// The git history as the host scanned it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct HistoryScan {
    pub available: bool,
    /// Why the history could not be scanned.
    pub reason: Option<String>,
    /// A shallow clone: history before the boundary is missing.
    pub shallow: bool,
    /// `--since REV`: only the commits after REV were scanned.
    pub since: Option<String>,
    pub commits: u32,
    pub blobs: u32,
    /// Blobs not scanned: binary, over the size limit, not UTF-8, unreadable.
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Verdict {
    pub ready: bool,
    /// One line: why ready or not.
    pub summary: String,
}

impl Verdict {
    /// `READY` or `NOT READY`.
    pub fn word(&self) -> &'static str {
        if self.ready { "READY" } else { "NOT READY" }
    }

    /// The summary without its leading `ready:` / `not ready:`.
    pub fn detail(&self) -> &str {
        self.summary
            .split_once(": ")
            .map_or(self.summary.as_str(), |(_, r)| r)
    }
}

/// The whole report: what `--format json` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub tool_version: String,
    pub profile: String,
    pub target: Target,
    pub verdict: Verdict,
    pub items: Vec<Item>,
    pub findings: Vec<Finding>,
    pub checks: Vec<CheckRun>,
    pub stats: ScanStats,
    pub duration_ms: u64,
}

impl Report {
    /// Put a report together: evaluate the definition of done over the runs,
    /// and collect every finding, sorted by rule, location and fingerprint.
    pub fn assemble(
        definition: &crate::dod::Definition,
        runs: Vec<CheckRun>,
        target: Target,
        profile: &str,
        stats: ScanStats,
        duration_ms: u64,
    ) -> Report {
        let (items, verdict) = definition.evaluate(&runs, &target, profile);
        let mut findings: Vec<Finding> = runs
            .iter()
            .flat_map(|r| r.findings.iter().cloned())
            .collect();
        findings.sort_by(|a, b| {
            (&a.rule, &a.location, &a.fingerprint).cmp(&(&b.rule, &b.location, &b.fingerprint))
        });
        let mut checks = runs;
        checks.sort_by(|a, b| a.id.cmp(&b.id));
        Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: "shipready".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            profile: profile.into(),
            target,
            verdict,
            items,
            findings,
            checks,
            stats,
            duration_ms,
        }
    }

    /// Whether any check failed to run to completion.
    pub fn has_errors(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.status, RunStatus::Error(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_lines_and_whitespace_but_not_path_or_rule() {
        let at = |line| Location::File {
            path: "Dockerfile".into(),
            span: Some(Span {
                start_line: line,
                start_column: 1,
                end_line: line,
                end_column: 1,
            }),
            commit: None,
        };
        let a = fingerprint("delivery/x", Some(&at(3)), "FROM  node");
        assert_eq!(a, fingerprint("delivery/x", Some(&at(9)), "FROM node"));
        assert_ne!(a, fingerprint("delivery/y", Some(&at(3)), "FROM node"));
        let other = Location::File {
            path: "api/Dockerfile".into(),
            span: None,
            commit: None,
        };
        assert_ne!(a, fingerprint("delivery/x", Some(&other), "FROM node"));
        assert_eq!(a.len(), 32);
    }
}
