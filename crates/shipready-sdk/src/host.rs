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

/// An HTTP method the host sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Head,
    Options,
}

/// A request to one of the run's live targets ([`crate::Cx::http_send`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    /// An absolute URL on an origin given with `--url`.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Follow redirects that stay on the allowed origins (at most 5).
    pub follow_redirects: bool,
}

impl HttpRequest {
    /// `GET url`, following same-origin redirects.
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest {
            method: HttpMethod::Get,
            url: url.into(),
            headers: Vec::new(),
            follow_redirects: true,
        }
    }

    /// The same request with another method.
    pub fn method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// The same request with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same request, redirects not followed.
    pub fn no_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self
    }
}

/// One answer on the way to the final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHop {
    pub url: String,
    pub status: u16,
    pub location: Option<String>,
}

/// What a live target answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// The URL that gave this response (after the redirects followed).
    pub url: String,
    pub status: u16,
    /// Lower-case names; a repeated header (`set-cookie`) is repeated.
    pub headers: Vec<(String, String)>,
    /// The start of the body, at most the host's limit.
    pub body: Vec<u8>,
    /// The body was longer than `body`.
    pub truncated: bool,
    pub redirects: Vec<HttpHop>,
    /// A redirect leaving the allowed origins: reported, not followed.
    pub off_origin: Option<String>,
    pub elapsed_ms: u32,
}

impl HttpResponse {
    /// The first value of a header (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header (any case), in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// Not an allowed origin, or not a URL: nothing was sent.
    Refused(String),
    Dns(String),
    Connect(String),
    Timeout(String),
    /// The answer was not HTTP, or the TLS handshake failed.
    Protocol(String),
    /// A redirect loop, or too many redirects.
    Redirects(String),
    /// The origin's request budget is spent.
    Budget(String),
    /// The check did not declare [`Capability::Http`], or the user denied it.
    NotGranted,
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::Refused(m) => write!(f, "not sent: {m}"),
            HttpError::Dns(m) => write!(f, "DNS failure: {m}"),
            HttpError::Connect(m) => write!(f, "connection failed: {m}"),
            HttpError::Timeout(m) => write!(f, "timed out: {m}"),
            HttpError::Protocol(m) => write!(f, "protocol error: {m}"),
            HttpError::Redirects(m) => write!(f, "redirects: {m}"),
            HttpError::Budget(m) => write!(f, "request budget spent: {m}"),
            HttpError::NotGranted => write!(f, "capability http not granted"),
        }
    }
}

/// One certificate of a server's chain ([`crate::Cx::tls_inspect`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsCertificate {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// Seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// `rsa`, `ec`, `ed25519`, `dsa`, or an OID.
    pub key_type: String,
    pub key_bits: u32,
    pub signature_algorithm: String,
    pub self_signed: bool,
}

/// A modern client's handshake, completed whatever the certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsHandshake {
    pub protocol: String,
    pub cipher: String,
    /// Leaf first.
    pub chain: Vec<TlsCertificate>,
    /// Why the chain does not validate against the trusted roots; `None` when it does.
    pub untrusted: Option<String>,
    pub name_matches: bool,
    pub ocsp_stapled: bool,
}

/// Whether the server accepts a hello offering only this version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsVersionProbe {
    pub version: String,
    pub accepted: bool,
    pub cipher: Option<String>,
    pub detail: String,
}

/// Whether the server picks a suite of one weak class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsCipherProbe {
    pub class: String,
    pub accepted: bool,
    pub cipher: Option<String>,
    pub version: String,
}

/// What the host learned of one `host:port`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInspection {
    /// When it looked, seconds since the Unix epoch.
    pub now: i64,
    pub handshake: Option<TlsHandshake>,
    pub handshake_error: Option<String>,
    pub versions: Vec<TlsVersionProbe>,
    pub weak_ciphers: Vec<TlsCipherProbe>,
}

/// Why a TLS target could not be examined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsError {
    /// Not an `https` `--url` origin: nothing was sent.
    Refused(String),
    Dns(String),
    Connect(String),
    Timeout(String),
    /// The check did not declare [`Capability::Tls`], or the user denied it.
    NotGranted,
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Refused(m) => write!(f, "not probed: {m}"),
            TlsError::Dns(m) => write!(f, "DNS failure: {m}"),
            TlsError::Connect(m) => write!(f, "connection failed: {m}"),
            TlsError::Timeout(m) => write!(f, "timed out: {m}"),
            TlsError::NotGranted => write!(f, "capability tls not granted"),
        }
    }
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

/// The files changed since a revision ([`crate::Cx::changed_since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathsSince {
    /// The revision as named, or the newest tag's name.
    pub rev: String,
    /// The commit compared with: the merge base of the revision and HEAD.
    pub commit: String,
    /// No revision was named: `rev` is the newest tag reachable from HEAD.
    pub newest_tag: bool,
    /// Sorted, repository-relative paths.
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
}

/// What a revision lookup found ([`crate::Cx::changed_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    Changes(PathsSince),
    /// No revision was named and no tag is reachable from HEAD.
    NoTag,
    /// The named revision is not in the repository.
    Unknown {
        rev: String,
        /// The clone is shallow: the revision may be in the missing history.
        shallow: bool,
        reason: String,
    },
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
    /// The files matching `globs` changed since `rev`, or since the newest
    /// tag reachable from HEAD when `rev` is `None`.
    fn changed_since(&self, rev: Option<&str>, globs: &[&str]) -> Result<Since, HostError>;
    /// A file as it was in `commit` (a [`PathsSince::commit`]); `None` when
    /// it was not there.
    fn read_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, HostError>;
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
    /// Which owned tables each source's first statement touches without a
    /// predicate on their column, in order.
    fn check_sql_filters(
        &self,
        sources: &[&str],
        owned: &[shipready_schema::filters::OwnedTable],
    ) -> Vec<shipready_schema::filters::FilterCheck>;
    /// Send requests to the live targets, one answer per request.
    fn http_send(&self, requests: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>>;
    /// Examine the TLS of `host:port`.
    fn tls_inspect(&self, host: &str, port: u16) -> Result<TlsInspection, TlsError>;
    /// Parse the source files matching `globs` (only the changed ones of a
    /// change-limited run with `changed`) and run the queries on them.
    fn query_syntax(
        &self,
        globs: &[&str],
        queries: &[shipready_syntax::QuerySpec],
        changed: bool,
    ) -> Result<shipready_syntax::Answer, HostError>;
    fn log(&self, level: Level, message: &str);
    /// Hand a batch of findings to the host.
    fn report(&self, batch: Vec<Finding>);
    /// Tell the host a rule had nothing to decide, and why.
    fn not_applicable(&self, rule: &str, reason: &str);
}
