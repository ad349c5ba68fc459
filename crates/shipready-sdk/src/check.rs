//! The [`Check`] trait and what a check sees while it runs.

use crate::{
    Capability, CheckError, FileInfo, Finding, HistoryHits, HistoryScope, Hits, Host, HostError,
    Level, ListedFile, NotApplicable, Pattern, ProjectPaths, Result, Rule, Since,
};

/// Findings are handed to the host in batches of this size.
const BATCH: usize = 256;

/// A shipready check. Implement it and pass the type to [`crate::export!`].
pub trait Check {
    /// Who the check is, what it needs and which rules it decides.
    fn info() -> CheckInfo;

    /// Look at the target and report findings through `cx`.
    fn run(cx: &mut Cx<'_>) -> Result<()>;
}

/// What `describe()` returns, built fluently.
#[derive(Debug, Clone)]
pub struct CheckInfo {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub capabilities: Vec<Capability>,
    pub rules: Vec<&'static Rule>,
}

impl CheckInfo {
    pub fn new(id: &str, version: &str, title: &str, summary: &str) -> Self {
        CheckInfo {
            id: id.to_string(),
            version: version.to_string(),
            title: title.to_string(),
            summary: summary.to_string(),
            capabilities: Vec::new(),
            rules: Vec::new(),
        }
    }

    pub fn capabilities(mut self, capabilities: &[Capability]) -> Self {
        self.capabilities = capabilities.to_vec();
        self
    }

    pub fn rules(mut self, rules: &[&'static Rule]) -> Self {
        self.rules = rules.to_vec();
        self
    }
}

/// Facts about the target, given by the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `merge` or `launch`.
    pub profile: String,
    pub has_repo: bool,
    pub is_git: bool,
    pub urls: Vec<String>,
    /// Settings from the configuration: key and JSON value.
    pub settings: Vec<(String, String)>,
    /// A run limited to a change (`--profile merge --since REV`): the files
    /// added or modified since the base, sorted. Only findings in them count.
    pub changed_files: Option<Vec<String>>,
}

impl Context {
    /// The raw JSON value of a setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A setting that lists names (`["requireAuth", "app.guards.login"]`:
    /// letters, digits, `_` and `.`). `None` when it is not set; a
    /// [`CheckError::BadSettings`] naming the key when it is not such a list.
    pub fn names(&self, key: &str) -> Result<Option<Vec<String>>> {
        let Some(raw) = self.setting(key) else {
            return Ok(None);
        };
        name_list(raw).map(Some).ok_or_else(|| {
            CheckError::BadSettings(format!(
                "{key} must be a list of names, like [\"a\", \"b\"]; got {raw}"
            ))
        })
    }
}

/// A JSON list of plain names (`["a", "b"]`).
fn name_list(raw: &str) -> Option<Vec<String>> {
    let items = crate::project_paths::string_list(raw)?;
    items
        .iter()
        .all(|item| {
            item.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        })
        .then_some(items)
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub not_applicable: Vec<NotApplicable>,
}

/// The check's view of the run: context, host services, and where findings go.
pub struct Cx<'a> {
    ctx: Context,
    host: &'a dyn Host,
    pending: Vec<Finding>,
    paths: std::sync::OnceLock<ProjectPaths>,
}

impl<'a> Cx<'a> {
    pub fn new(ctx: Context, host: &'a dyn Host) -> Self {
        Cx {
            ctx,
            host,
            pending: Vec::new(),
            paths: std::sync::OnceLock::new(),
        }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// What `path` is when it is not production code (test code, docs,
    /// examples, a local development set-up): by the project's `[paths]`
    /// configuration, then by convention. Rules decide what that means for
    /// them (a token with a verifiable format is a leak anywhere).
    pub fn not_production(&self, path: &str) -> Option<crate::paths::NotProduction> {
        self.paths
            .get_or_init(|| ProjectPaths::of(&self.ctx))
            .not_production(path)
    }

    /// Files matching any glob (all files when `globs` is empty), sorted by path.
    /// A glob without `/` matches the file name in any directory. The host
    /// reads each file to classify it: use [`Cx::paths`] when the kind does
    /// not matter.
    pub fn files(&self, globs: &[&str]) -> Result<Vec<FileInfo>, HostError> {
        self.host.files(globs)
    }

    /// Like [`Cx::files`], without the host reading anything.
    pub fn paths(&self, globs: &[&str]) -> Result<Vec<ListedFile>, HostError> {
        self.host.paths(globs)
    }

    /// In a run limited to a change, the changed files; `None` when the
    /// whole repository is in scope.
    pub fn changed_files(&self) -> Option<&[String]> {
        self.ctx.changed_files.as_deref()
    }

    /// Whether findings in `path` count in this run (always, unless the run
    /// is limited to a change that does not touch it).
    pub fn in_scope(&self, path: &str) -> bool {
        self.changed_files()
            .is_none_or(|c| c.binary_search_by(|p| p.as_str().cmp(path)).is_ok())
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, HostError> {
        self.host.read(path)
    }

    /// A file's text if it is readable text (under the size limit, no NUL
    /// byte, valid UTF-8); `None` otherwise. Pairs with [`Cx::paths`].
    pub fn read_utf8(&self, path: &str) -> Option<String> {
        let bytes = self.host.read(path).ok()?;
        if bytes[..bytes.len().min(8192)].contains(&0) {
            return None;
        }
        String::from_utf8(bytes).ok()
    }

    /// A file's text; invalid UTF-8 is replaced.
    pub fn read_text(&self, path: &str) -> Result<String, HostError> {
        Ok(String::from_utf8_lossy(&self.host.read(path)?).into_owned())
    }

    pub fn search(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        self.host.search(patterns, globs)
    }

    /// [`Cx::search`] over the files in scope: only the changed ones in a
    /// run limited to a change, all of them otherwise. For rules that
    /// report what they find where they find it.
    pub fn search_in_scope(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        self.host.search_changed(patterns, globs)
    }

    /// What the git history holds for this run (needs `Capability::History`).
    pub fn history_scope(&self) -> Result<HistoryScope, HostError> {
        self.host.history_scope()
    }

    /// The files matching `globs` added, modified or deleted since `rev`
    /// (the merge base of it and HEAD, the work tree included), or since the
    /// newest tag reachable from HEAD when `rev` is `None`: what production
    /// has not seen yet. Needs `Capability::History`, and works with
    /// `--no-history` (it compares one tree, it does not scan the history).
    pub fn changed_since(&self, rev: Option<&str>, globs: &[&str]) -> Result<Since, HostError> {
        self.host.changed_since(rev, globs)
    }

    /// A file as it was in `commit` (a [`crate::PathsSince::commit`] from
    /// [`Cx::changed_since`]), under the same size limit as [`Cx::read`];
    /// `None` when it was not there.
    pub fn read_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.host.read_at(commit, path)
    }

    /// Run patterns over every blob of the history in scope, each once.
    pub fn history_search(
        &self,
        patterns: &[Pattern],
        globs: &[&str],
    ) -> Result<HistoryHits, HostError> {
        self.host.history_search(patterns, globs)
    }

    /// Parse SQL texts `(text, first line in its file)` into schema
    /// operations ([`shipready_schema::Op`]), natively and in parallel in the
    /// host; the answers come in the same order. Needs no capability.
    pub fn parse_sql(
        &self,
        sources: &[(&str, u32)],
        dialect: shipready_schema::sql::Dialect,
    ) -> Vec<shipready_schema::sql::Parsed> {
        self.host.parse_sql(sources, dialect)
    }

    /// Read and parse repository files in the host, natively and in
    /// parallel, without their text passing through the check (needs
    /// [`Capability::Repo`]): the cheap way to read many SQL files. One
    /// answer per path, in order; a file that is not SQL text (binary, not
    /// UTF-8, over the size limit) is an error saying why.
    pub fn parse_sql_files(
        &self,
        paths: &[&str],
        dialect: shipready_schema::sql::Dialect,
    ) -> Vec<Result<shipready_schema::sql::ParsedFile, HostError>> {
        self.host.parse_sql_files(paths, dialect)
    }

    /// How many SQL statements each repository file holds, split by the
    /// host and parsed not at all (needs [`Capability::Repo`]): enough to
    /// tell an empty file from one that does something. Errors as in
    /// [`Cx::parse_sql_files`].
    pub fn count_statements(&self, paths: &[&str]) -> Vec<Result<u32, HostError>> {
        self.host.count_statements(paths)
    }

    /// Send requests to the live targets given with `--url` (needs
    /// [`Capability::Http`]): the host sends them concurrently, within its
    /// bounds (requests per origin, time per request, body bytes kept),
    /// only to those origins, and follows redirects only within them.
    /// One answer per request, in order.
    pub fn http_send(
        &self,
        requests: &[crate::HttpRequest],
    ) -> Vec<Result<crate::HttpResponse, crate::HttpError>> {
        self.host.http_send(requests)
    }

    /// Examine the TLS of `host:port`, the host and port of an `https`
    /// target given with `--url` (needs [`Capability::Tls`]): a modern
    /// handshake and its certificate chain, which protocol versions the
    /// server accepts (TLS 1.0 to 1.3), and which weak suites.
    pub fn tls_inspect(
        &self,
        host: &str,
        port: u16,
    ) -> Result<crate::TlsInspection, crate::TlsError> {
        self.host.tls_inspect(host, port)
    }

    /// For the first statement of each SQL source: does it read or write
    /// an owned table without a predicate on that table's column
    /// (`org_id`)? Parsed by the host, in parallel; no capability needed.
    /// See `shipready_sdk::schema::filters` for what counts as filtered.
    pub fn check_sql_filters(
        &self,
        sources: &[&str],
        owned: &[shipready_schema::filters::OwnedTable],
    ) -> Vec<shipready_schema::filters::FilterCheck> {
        self.host.check_sql_filters(sources, owned)
    }

    /// Parse the repository's source files matching `globs` with
    /// tree-sitter and run `queries` on them, in the host, across cores
    /// (needs [`Capability::Syntax`]). Each query is for one language; a
    /// file is parsed only if some query is for its language. Every parsed
    /// file answers, with its syntax errors counted (the tree is partial
    /// there, the rest still queried); files of other languages, too large,
    /// binary or too slow to parse are listed as skipped, with the reason.
    pub fn query_syntax(
        &self,
        globs: &[&str],
        queries: &[crate::syntax::QuerySpec],
    ) -> Result<crate::syntax::Answer, HostError> {
        self.host.query_syntax(globs, queries, false)
    }

    /// [`Cx::query_syntax`] over only the files of a change-limited run
    /// ([`Context::changed_files`]); the whole repository otherwise.
    pub fn query_syntax_changed(
        &self,
        globs: &[&str],
        queries: &[crate::syntax::QuerySpec],
    ) -> Result<crate::syntax::Answer, HostError> {
        self.host.query_syntax(globs, queries, true)
    }

    pub fn log(&self, level: Level, message: &str) {
        self.host.log(level, message)
    }

    /// Report a finding. Findings reach the host in batches.
    pub fn report(&mut self, finding: Finding) {
        self.pending.push(finding);
        if self.pending.len() >= BATCH {
            self.flush();
        }
    }

    /// Say that `rule` had nothing to decide here, and why.
    pub fn not_applicable(&mut self, rule: &Rule, reason: impl Into<String>) {
        let na = NotApplicable {
            rule: rule.id().to_string(),
            reason: reason.into(),
        };
        self.host.not_applicable(&na.rule, &na.reason);
    }

    /// Hand buffered findings to the host. Called when the run ends.
    pub fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.host.report(std::mem::take(&mut self.pending));
        }
    }
}

impl Drop for Cx<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}
