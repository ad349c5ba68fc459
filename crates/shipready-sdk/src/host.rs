//! The host services a check calls, behind the [`Host`] trait so check logic
//! runs unchanged in the sandbox and in native unit tests.

use std::fmt;

use crate::{Capability, Finding};
use shipready_schema::sql::{Dialect, Parsed, ParsedFile};

/// What kind of content a file holds, as classified by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// UTF-8 text under the size limit: searchable.
    Text,
    Binary,
    TooLarge,
    NotUtf8,
}

/// One file of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    pub kind: FileKind,
    pub language: Option<String>,
}

/// A file as the host's directory walk listed it, not read
/// ([`Host::paths`]): cheap on any repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    pub language: Option<String>,
}

/// The last component of a `/`-separated path.
fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a `/`-separated path, `""` at the root.
fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

impl FileInfo {
    /// The last path component.
    pub fn name(&self) -> &str {
        name_of(&self.path)
    }

    /// The directory part, `""` at the root.
    pub fn dir(&self) -> &str {
        dir_of(&self.path)
    }
}

impl ListedFile {
    /// The last path component.
    pub fn name(&self) -> &str {
        name_of(&self.path)
    }

    /// The directory part, `""` at the root.
    pub fn dir(&self) -> &str {
        dir_of(&self.path)
    }
}

/// A regex for [`Host::search`], with an optional literal prefilter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub id: u32,
    pub regex: String,
    pub keywords: Vec<String>,
}

impl Pattern {
    pub fn new(id: u32, regex: impl Into<String>) -> Self {
        Pattern {
            id,
            regex: regex.into(),
            keywords: Vec::new(),
        }
    }

    /// Only run the regex on files containing one of these (case-insensitive).
    pub fn keywords(mut self, keywords: &[&str]) -> Self {
        self.keywords = keywords.iter().map(|k| k.to_string()).collect();
        self
    }
}

/// One match of a [`Pattern`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub pattern: u32,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub matched: String,
    pub line_text: String,
    pub groups: Vec<String>,
}

/// The result of a search: hits sorted by path, line, column, pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hits {
    pub hits: Vec<Hit>,
    /// The host stopped at its hit limit.
    pub truncated: bool,
}

/// What the history service has in scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryScope {
    /// A git repository with at least one commit.
    pub available: bool,
    /// Why not, when it is not.
    pub reason: Option<String>,
    /// A shallow clone: older history is missing.
    pub shallow: bool,
    /// `--since REV`: only commits after REV.
    pub since: Option<String>,
    pub commits: u32,
    pub blobs: u32,
    pub skipped: u32,
}

/// A commit, as history hits report it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub summary: String,
}

/// A match in a blob of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryHit {
    /// `hit.path` is the blob's path in `commit`.
    pub hit: Hit,
    pub blob: String,
    /// The oldest commit in which this content appears.
    pub commit: CommitInfo,
    /// The same content is still in HEAD.
    pub in_head: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryHits {
    pub hits: Vec<HistoryHit>,
    pub truncated: bool,
}

/// Diagnostic level for [`Host::log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

/// Why a host call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// Declare the capability in `CheckInfo::capabilities` (or the user denied it).
    NotGranted(Capability),
    Invalid(String),
    Io(String),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::NotGranted(c) => write!(f, "capability {c:?} not granted"),
            HostError::Invalid(m) => write!(f, "invalid argument: {m}"),
            HostError::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for HostError {}

/// The services the host offers. In the sandbox this is the real host; in
/// tests, [`crate::testing::FakeRepo`].
pub trait Host {
    fn files(&self, globs: &[&str]) -> Result<Vec<FileInfo>, HostError>;
    fn paths(&self, globs: &[&str]) -> Result<Vec<ListedFile>, HostError>;
    fn read(&self, path: &str) -> Result<Vec<u8>, HostError>;
    fn search(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError>;
    /// `search` over only the changed files of a change-limited run.
    fn search_changed(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError>;
    fn history_scope(&self) -> Result<HistoryScope, HostError>;
    fn history_search(
        &self,
        patterns: &[Pattern],
        globs: &[&str],
    ) -> Result<HistoryHits, HostError>;
    /// Parse SQL texts `(text, first line in its file)` into schema
    /// operations, in order.
    fn parse_sql(&self, sources: &[(&str, u32)], dialect: Dialect) -> Vec<Parsed>;
    /// Read and parse repository files in the host, one answer per path.
    fn parse_sql_files(
        &self,
        paths: &[&str],
        dialect: Dialect,
    ) -> Vec<Result<ParsedFile, HostError>>;
    /// How many statements each file holds, parsing none.
    fn count_statements(&self, paths: &[&str]) -> Vec<Result<u32, HostError>>;
    fn log(&self, level: Level, message: &str);
    /// Hand a batch of findings to the host.
    fn report(&self, batch: Vec<Finding>);
    /// Tell the host a rule had nothing to decide, and why.
    fn not_applicable(&self, rule: &str, reason: &str);
}
