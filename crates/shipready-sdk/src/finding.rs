//! Findings and the builder checks use to make them.

use crate::{Rule, Severity};

/// 1-based lines and columns, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// Where a finding is: a file (optionally a span in it) or a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File {
        path: String,
        span: Option<Span>,
        /// The commit that introduced the content, for findings in the history.
        commit: Option<String>,
    },
    Url(String),
}

/// One problem a check found.
///
/// ```
/// # use shipready_sdk::{Finding, Rule, Severity};
/// # shipready_sdk::rule! { /// docs
/// # static R: Rule = ("demo/r", "R", Severity::Low); }
/// let f = Finding::new(&R, "Dockerfile runs as root")
///     .at_line("Dockerfile", 3)
///     .evidence("USER root")
///     .remediation("Add `USER app` after installing packages.");
/// assert_eq!(f.rule, "demo/r");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub severity: Option<Severity>,
    pub message: String,
    pub location: Option<Location>,
    pub evidence: Option<String>,
    pub remediation: Option<String>,
    pub fingerprint: Option<String>,
}

impl Finding {
    pub fn new(rule: &Rule, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.id().to_string(),
            severity: None,
            message: message.into(),
            location: None,
            evidence: None,
            remediation: None,
            fingerprint: None,
        }
    }

    /// A file as a whole.
    pub fn at_file(mut self, path: impl Into<String>) -> Self {
        self.location = Some(Location::File {
            path: path.into(),
            span: None,
            commit: None,
        });
        self
    }

    /// One whole line of a file.
    pub fn at_line(self, path: impl Into<String>, line: u32) -> Self {
        self.at_span(
            path,
            Span {
                start_line: line,
                start_column: 1,
                end_line: line,
                end_column: 1,
            },
        )
    }

    pub fn at_span(mut self, path: impl Into<String>, span: Span) -> Self {
        self.location = Some(Location::File {
            path: path.into(),
            span: Some(span),
            commit: None,
        });
        self
    }

    /// Mark a file location as being in the git history, at `commit`.
    pub fn in_commit(mut self, commit: impl Into<String>) -> Self {
        if let Some(Location::File { commit: c, .. }) = &mut self.location {
            *c = Some(commit.into());
        }
        self
    }

    pub fn at_url(mut self, url: impl Into<String>) -> Self {
        self.location = Some(Location::Url(url.into()));
        self
    }

    /// Override the rule's default severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    /// What the check saw. Never put a secret here in clear: redact it first.
    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }

    /// How to fix it.
    pub fn remediation(mut self, remediation: impl Into<String>) -> Self {
        self.remediation = Some(remediation.into());
        self
    }

    /// A stable key for this finding within its rule and location (for
    /// example the offending image name). Keeps baselines valid when lines move.
    pub fn fingerprint(mut self, key: impl Into<String>) -> Self {
        self.fingerprint = Some(key.into());
        self
    }
}

/// A rule that had nothing to decide on this target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplicable {
    pub rule: String,
    pub reason: String,
}
