//! Unit-test check logic natively, without a host: an in-memory repository
//! that answers the same calls the real host does, and enforces the
//! capabilities the check declares.
//!
//! ```ignore
//! let repo = FakeRepo::new().file("Dockerfile", "FROM node\n");
//! let outcome = repo.run::<Delivery>().unwrap();
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{
    Capability, Check, CommitInfo, Context, Cx, FileInfo, FileKind, Finding, HistoryHit,
    HistoryHits, HistoryScope, Hit, Hits, Host, HostError, HttpError, HttpMethod, HttpRequest,
    HttpResponse, Level, ListedFile, NotApplicable, Outcome, PathsSince, Pattern, Result, Since,
    TlsError, TlsInspection,
};

/// Panic unless every rule's docs have the headings `shipready explain`
/// shows: what it checks, why it matters, an example, how to fix.
pub fn assert_documented(rules: &[&crate::Rule]) {
    for rule in rules {
        for heading in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                rule.docs().contains(heading),
                "{} lacks {heading}",
                rule.id()
            );
        }
    }
}

/// A finding as fixtures spell it: path, line (0 for the whole file), rule.
pub type Expected = (String, u32, String);

/// An outcome's findings as fixtures spell them, sorted.
pub fn found(outcome: &Outcome) -> std::collections::BTreeSet<Expected> {
    outcome
        .findings
        .iter()
        .map(|f| match &f.location {
            Some(crate::Location::File { path, span, .. }) => (
                path.clone(),
                span.map_or(0, |s| s.start_line),
                f.rule.clone(),
            ),
            _ => (String::new(), 0, f.rule.clone()),
        })
        .collect()
}

/// How an outcome compares with a fixture's expectations.
#[derive(Debug)]
pub struct Score {
    pub expected: usize,
    pub found: usize,
    pub precision: f64,
    pub recall: f64,
    pub missed: Vec<Expected>,
    pub unexpected: Vec<Expected>,
}

impl Score {
    /// Score `outcome` against what `repo`'s files expect.
    pub fn of(repo: &FakeRepo, outcome: &Outcome) -> Score {
        Score::ignoring(repo, outcome, &[])
    }

    /// The same, with the findings of the `ignored` rules (an inventory
    /// of notes) left out on both sides.
    pub fn ignoring(repo: &FakeRepo, outcome: &Outcome, ignored: &[&str]) -> Score {
        let keep = |(_, _, rule): &Expected| !ignored.contains(&rule.as_str());
        let expected: std::collections::BTreeSet<Expected> =
            repo.expectations().into_iter().filter(keep).collect();
        let found: std::collections::BTreeSet<Expected> =
            found(outcome).into_iter().filter(keep).collect();
        let hits = expected.intersection(&found).count();
        Score {
            expected: expected.len(),
            found: found.len(),
            precision: hits as f64 / found.len().max(1) as f64,
            recall: hits as f64 / expected.len().max(1) as f64,
            missed: expected.difference(&found).cloned().collect(),
            unexpected: found.difference(&expected).cloned().collect(),
        }
    }
}

/// The apps of a fixture set: the directories under `root`, sorted.
pub fn apps(root: &std::path::Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs
}

/// Run `C` on every app of the fixture set at `root` (`setup` gives each
/// its settings), print each app's and the whole set's precision and
/// recall under `name`, and panic naming what any app missed or reported
/// that its markers do not expect. Findings of the `ignored` rules are not
/// scored.
pub fn assert_apps_exact<C: Check>(
    name: &str,
    root: &std::path::Path,
    setup: impl Fn(FakeRepo) -> FakeRepo,
    ignored: &[&str],
) {
    let (mut expected, mut found, mut hits) = (0, 0, 0.0);
    let mut failures = Vec::new();
    for app in apps(root) {
        let repo = setup(FakeRepo::from_dir(&root.join(&app)));
        let outcome = repo.run::<C>().unwrap_or_else(|e| panic!("{app}: {e:?}"));
        let score = Score::ignoring(&repo, &outcome, ignored);
        println!(
            "{name} {app}: {} expected, {} found, precision {:.3}, recall {:.3}",
            score.expected, score.found, score.precision, score.recall
        );
        expected += score.expected;
        found += score.found;
        hits += score.recall * score.expected as f64;
        if !score.missed.is_empty() || !score.unexpected.is_empty() {
            failures.push(format!(
                "{app}: missed {:#?}\nnot expected {:#?}",
                score.missed, score.unexpected
            ));
        }
    }
    println!(
        "{name} all apps: {expected} expected, {found} found, precision {:.3}, recall {:.3}",
        hits / found.max(1) as f64,
        hits / expected.max(1) as f64
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An in-memory target.
#[derive(Debug, Default)]
pub struct FakeRepo {
    files: BTreeMap<String, Vec<u8>>,
    ctx: Context,
    logs: Mutex<Vec<String>>,
    /// Past contents: path, text, the commit that introduced it.
    history: Vec<(String, String, CommitInfo)>,
    shallow: bool,
    /// Past trees for `changed_since`: name, whether it is a tag, its files.
    revisions: Vec<(String, bool, BTreeMap<String, Vec<u8>>)>,
    /// Canned answers of the live targets: method, URL, answer.
    http: Vec<(HttpMethod, String, Result<HttpResponse, HttpError>)>,
    /// Canned TLS inspections: host, port, answer.
    tls: Vec<(String, u16, Result<TlsInspection, TlsError>)>,
}

impl FakeRepo {
    pub fn new() -> Self {
        FakeRepo {
            ctx: Context {
                profile: "launch".into(),
                has_repo: true,
                ..Context::default()
            },
            ..FakeRepo::default()
        }
    }

    /// Add a file.
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> Self {
        self.files
            .insert(path.to_string(), content.as_ref().to_vec());
        self
    }

    /// Content that was committed at some point (and may since be gone):
    /// makes this a git repository with history.
    pub fn committed(mut self, path: &str, content: &str, commit: CommitInfo) -> Self {
        self.ctx.is_git = true;
        self.history
            .push((path.to_string(), content.to_string(), commit));
        self
    }

    /// A past revision named `name` whose tree held `files` (path,
    /// content), for [`Cx::changed_since`].
    pub fn revision(self, name: &str, files: &[(&str, &str)]) -> Self {
        self.past(name, false, files)
    }

    /// Like [`FakeRepo::revision`], a tag: the newest one added is the newest
    /// tag reachable from HEAD.
    pub fn tag(self, name: &str, files: &[(&str, &str)]) -> Self {
        self.past(name, true, files)
    }

    fn past(mut self, name: &str, tag: bool, files: &[(&str, &str)]) -> Self {
        self.ctx.is_git = true;
        let tree = files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect();
        self.revisions.push((name.to_string(), tag, tree));
        self
    }

    /// Pretend the clone is shallow.
    pub fn shallow(mut self) -> Self {
        self.shallow = true;
        self
    }

    /// Limit the run to a change: these files were added or modified (as
    /// `--profile merge --since` does).
    pub fn changed(mut self, paths: &[&str]) -> Self {
        let mut paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        paths.sort();
        self.ctx.changed_files = Some(paths);
        self
    }

    /// A live target (`--url`) the check is given.
    pub fn url(mut self, url: &str) -> Self {
        self.ctx.urls.push(url.to_string());
        self
    }

    /// What the live targets answer to `method url` (a request nothing is
    /// canned for fails to connect).
    pub fn answer(
        mut self,
        method: HttpMethod,
        url: &str,
        answer: Result<HttpResponse, HttpError>,
    ) -> Self {
        self.http.push((method, url.to_string(), answer));
        self
    }

    /// What the TLS of `host:port` looks like.
    pub fn tls(mut self, host: &str, port: u16, answer: Result<TlsInspection, TlsError>) -> Self {
        self.tls.push((host.to_string(), port, answer));
        self
    }

    /// Every file under `dir`, by its path relative to `dir`: a fixture
    /// repository on disk.
    pub fn from_dir(dir: &std::path::Path) -> Self {
        fn walk(dir: &std::path::Path, root: &std::path::Path, repo: &mut FakeRepo) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .flatten()
                .collect();
            entries.sort_by_key(|e| e.path());
            for entry in entries {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, repo);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    let rel = path.strip_prefix(root).unwrap_or(&path);
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    repo.files.insert(rel, bytes);
                }
            }
        }
        let mut repo = FakeRepo::new();
        walk(dir, dir, &mut repo);
        repo
    }

    /// Set one of the check's settings (a JSON value).
    pub fn setting(mut self, key: &str, json: &str) -> Self {
        self.ctx.settings.push((key.to_string(), json.to_string()));
        self
    }

    /// The findings the files expect: `expect: <rule>[, <rule>]` in a
    /// comment on a line (a finding on that line), `expect-file: <rule>`
    /// (a finding about the whole file, line 0).
    pub fn expectations(&self) -> std::collections::BTreeSet<Expected> {
        let mut expected = std::collections::BTreeSet::new();
        for (path, bytes) in &self.files {
            let text = String::from_utf8_lossy(bytes);
            for (i, line) in text.lines().enumerate() {
                for (marker, at) in [("expect-file:", 0), ("expect:", i as u32 + 1)] {
                    if let Some((_, rules)) = line.split_once(marker) {
                        for rule in rules.split(',') {
                            expected.insert((path.clone(), at, rule.trim().to_string()));
                        }
                        break;
                    }
                }
            }
        }
        expected
    }

    /// Replace the context the check sees.
    pub fn context(mut self, ctx: Context) -> Self {
        self.ctx = ctx;
        self
    }

    /// Run a check against this repository.
    pub fn run<C: Check>(&self) -> Result<Outcome> {
        let info = C::info();
        let host = Granted {
            repo: self,
            granted: info.capabilities,
            outcome: RefCell::default(),
        };
        let mut cx = Cx::new(self.ctx.clone(), &host);
        C::run(&mut cx)?;
        drop(cx);
        let outcome = host.outcome.into_inner();
        for rule in outcome
            .findings
            .iter()
            .map(|f| &f.rule)
            .chain(outcome.not_applicable.iter().map(|n| &n.rule))
        {
            assert!(
                info.rules.iter().any(|r| r.id() == rule),
                "the check reported rule `{rule}`, which its info() does not declare"
            );
        }
        Ok(outcome)
    }

    /// What checks logged so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}

struct Granted<'a> {
    repo: &'a FakeRepo,
    granted: Vec<Capability>,
    outcome: RefCell<Outcome>,
}

impl Granted<'_> {
    fn require(&self, c: Capability) -> Result<(), HostError> {
        if self.granted.contains(&c) {
            Ok(())
        } else {
            Err(HostError::NotGranted(c))
        }
    }

    fn search_where(
        &self,
        patterns: &[Pattern],
        globs: &[&str],
        keep: impl Fn(&str) -> bool,
    ) -> Result<Hits, HostError> {
        self.require(Capability::Search)?;
        let compiled = compile(patterns)?;
        let mut hits = Vec::new();
        for (path, content) in self.matching(globs)? {
            if !keep(path) {
                continue;
            }
            if let Ok(text) = std::str::from_utf8(content) {
                hits.extend(scan(&compiled, path, text));
            }
        }
        hits.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.pattern).cmp(&(&b.path, b.line, b.column, b.pattern))
        });
        Ok(Hits {
            hits,
            truncated: false,
        })
    }

    /// A file as SQL text, as the host's `sql` service reads it.
    fn sql_text(&self, path: &str) -> Result<String, HostError> {
        shipready_schema::sql::file_text(self.read(path)?)
            .map_err(|why| HostError::Io(format!("`{path}`: {why}")))
    }

    fn matching(&self, globs: &[&str]) -> Result<Vec<(&String, &Vec<u8>)>, HostError> {
        let set = glob_set(globs)?;
        Ok(self
            .repo
            .files
            .iter()
            .filter(|(p, _)| set.as_ref().is_none_or(|s| s.is_match(p.as_str())))
            .collect())
    }
}

fn kind(content: &[u8]) -> FileKind {
    if content[..content.len().min(8192)].contains(&0) {
        FileKind::Binary
    } else if std::str::from_utf8(content).is_err() {
        FileKind::NotUtf8
    } else {
        FileKind::Text
    }
}

impl Host for Granted<'_> {
    fn files(&self, globs: &[&str]) -> Result<Vec<FileInfo>, HostError> {
        self.require(Capability::Repo)?;
        Ok(self
            .matching(globs)?
            .into_iter()
            .map(|(path, content)| FileInfo {
                path: path.clone(),
                size: content.len() as u64,
                kind: kind(content),
                language: shipready_paths::language_of(path).map(str::to_string),
            })
            .collect())
    }

    fn paths(&self, globs: &[&str]) -> Result<Vec<ListedFile>, HostError> {
        Ok(self
            .files(globs)?
            .into_iter()
            .map(|f| ListedFile {
                path: f.path,
                size: f.size,
                language: f.language,
            })
            .collect())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, HostError> {
        self.require(Capability::Repo)?;
        self.repo
            .files
            .get(path)
            .cloned()
            .ok_or_else(|| HostError::Invalid(format!("no such file in the repository: {path}")))
    }

    fn search(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        self.search_where(patterns, globs, |_| true)
    }

    fn search_changed(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        let changed = self.repo.ctx.changed_files.as_ref();
        self.search_where(patterns, globs, |path| {
            changed.is_none_or(|c| c.iter().any(|p| p == path))
        })
    }

    fn history_scope(&self) -> Result<HistoryScope, HostError> {
        self.require(Capability::History)?;
        let available = self.repo.ctx.is_git;
        Ok(HistoryScope {
            available,
            reason: (!available).then(|| "not a git repository".to_string()),
            shallow: self.repo.shallow,
            since: None,
            commits: self.repo.history.len() as u32,
            blobs: self.repo.history.len() as u32,
            skipped: 0,
        })
    }

    fn changed_since(&self, rev: Option<&str>, globs: &[&str]) -> Result<Since, HostError> {
        self.require(Capability::History)?;
        let found = match rev {
            Some(rev) => self.repo.revisions.iter().find(|(name, _, _)| name == rev),
            None => self.repo.revisions.iter().rev().find(|(_, tag, _)| *tag),
        };
        let Some((name, tag, tree)) = found else {
            return Ok(match rev {
                None => Since::NoTag,
                Some(rev) => Since::Unknown {
                    rev: rev.to_string(),
                    shallow: self.repo.shallow,
                    reason: "unknown revision".into(),
                },
            });
        };
        let globs = glob_set(globs)?;
        let matches = |path: &str| globs.as_ref().is_none_or(|g| g.is_match(path));
        let mut changes = PathsSince {
            rev: name.clone(),
            commit: format!("{name}-commit"),
            newest_tag: rev.is_none() && *tag,
            ..PathsSince::default()
        };
        for (path, content) in self.repo.files.iter().filter(|(p, _)| matches(p)) {
            match tree.get(path) {
                None => changes.added.push(path.clone()),
                Some(old) if old != content => changes.modified.push(path.clone()),
                Some(_) => {}
            }
        }
        changes.deleted = tree
            .keys()
            .filter(|p| matches(p) && !self.repo.files.contains_key(*p))
            .cloned()
            .collect();
        Ok(Since::Changes(changes))
    }

    fn read_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.require(Capability::History)?;
        let tree = self
            .repo
            .revisions
            .iter()
            .find(|(name, _, _)| format!("{name}-commit") == commit)
            .map(|(_, _, tree)| tree)
            .ok_or_else(|| HostError::Invalid(format!("no commit {commit}")))?;
        Ok(tree.get(path).cloned())
    }

    fn history_search(
        &self,
        patterns: &[Pattern],
        globs: &[&str],
    ) -> Result<HistoryHits, HostError> {
        self.require(Capability::History)?;
        let compiled = compile(patterns)?;
        let globs = glob_set(globs)?;
        let mut hits = Vec::new();
        for (path, text, commit) in &self.repo.history {
            if globs.as_ref().is_some_and(|g| !g.is_match(path)) {
                continue;
            }
            let in_head = self
                .repo
                .files
                .get(path)
                .is_some_and(|c| c == text.as_bytes());
            for hit in scan(&compiled, path, text) {
                hits.push(HistoryHit {
                    hit,
                    blob: format!("{path}@{}", commit.id),
                    commit: commit.clone(),
                    in_head,
                });
            }
        }
        Ok(HistoryHits {
            hits,
            truncated: false,
        })
    }

    fn parse_sql(
        &self,
        sources: &[(&str, u32)],
        dialect: shipready_schema::sql::Dialect,
    ) -> Vec<shipready_schema::sql::Parsed> {
        sources
            .iter()
            .map(|(text, line)| shipready_schema::sql::parse(text, *line, dialect))
            .collect()
    }

    fn parse_sql_files(
        &self,
        paths: &[&str],
        dialect: shipready_schema::sql::Dialect,
    ) -> Vec<Result<shipready_schema::sql::ParsedFile, HostError>> {
        use shipready_schema::sql;
        paths
            .iter()
            .map(|path| {
                let text = self.sql_text(path)?;
                Ok(sql::ParsedFile {
                    header: sql::header(&text),
                    parsed: sql::parse(&text, 1, dialect),
                })
            })
            .collect()
    }

    fn http_send(&self, requests: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>> {
        if !self.granted.contains(&Capability::Http) {
            return requests
                .iter()
                .map(|_| Err(HttpError::NotGranted))
                .collect();
        }
        requests
            .iter()
            .map(|r| {
                self.repo
                    .http
                    .iter()
                    .find(|(m, u, _)| *m == r.method && *u == r.url)
                    .map(|(_, _, answer)| answer.clone())
                    .unwrap_or_else(|| {
                        Err(HttpError::Connect(format!(
                            "nothing canned for {:?} {}",
                            r.method, r.url
                        )))
                    })
            })
            .collect()
    }

    fn tls_inspect(&self, host: &str, port: u16) -> Result<TlsInspection, TlsError> {
        if !self.granted.contains(&Capability::Tls) {
            return Err(TlsError::NotGranted);
        }
        self.repo
            .tls
            .iter()
            .find(|(h, p, _)| h == host && *p == port)
            .map(|(_, _, answer)| answer.clone())
            .unwrap_or_else(|| {
                Err(TlsError::Connect(format!(
                    "nothing canned for {host}:{port}"
                )))
            })
    }

    /// Parsed as the host parses: the same grammars, queries, limits and
    /// reasons for skipping.
    fn query_syntax(
        &self,
        globs: &[&str],
        queries: &[shipready_syntax::QuerySpec],
        changed: bool,
    ) -> Result<shipready_syntax::Answer, HostError> {
        use shipready_syntax::{Plan, SkipReason};
        self.require(Capability::Syntax)?;
        let in_change = self.repo.ctx.changed_files.as_ref().filter(|_| changed);
        let matching: Vec<(&String, &Vec<u8>)> = self
            .matching(globs)?
            .into_iter()
            .filter(|(path, _)| in_change.is_none_or(|c| c.contains(path)))
            .collect();
        let present: Vec<shipready_syntax::Language> = matching
            .iter()
            .filter_map(|(path, _)| shipready_syntax::Language::of_path(path))
            .collect();
        let compiled = shipready_syntax::Queries::compile_for(queries, |l| present.contains(&l))
            .map_err(HostError::Invalid)?;
        let limits = shipready_syntax::Limits::default();
        let mut session = shipready_syntax::Session::default();
        let mut answer = shipready_syntax::Answer::default();
        for (path, content) in matching {
            let language = shipready_paths::language_of(path);
            let parsed = match compiled.plan(language, content.len() as u64) {
                Plan::Ignore => continue,
                Plan::Skip(reason) => Err(reason),
                Plan::Parse(l) => match kind(content) {
                    FileKind::Binary => Err(SkipReason::Binary),
                    FileKind::NotUtf8 | FileKind::TooLarge => Err(SkipReason::NotUtf8),
                    FileKind::Text => {
                        let text = std::str::from_utf8(content).unwrap_or_default();
                        session
                            .query(&compiled, l, text, &limits)
                            .map_err(|_| SkipReason::TimedOut)
                    }
                },
            };
            match parsed {
                Ok(syntax) => answer.files.push(shipready_syntax::ParsedFile {
                    path: path.clone(),
                    syntax,
                }),
                Err(reason) => answer.skipped.push(shipready_syntax::SkippedFile {
                    path: path.clone(),
                    reason,
                    language: language.map(str::to_string),
                }),
            }
        }
        Ok(answer)
    }

    fn check_sql_filters(
        &self,
        sources: &[&str],
        owned: &[shipready_schema::filters::OwnedTable],
    ) -> Vec<shipready_schema::filters::FilterCheck> {
        sources
            .iter()
            .map(|sql| shipready_schema::filters::check(sql, owned))
            .collect()
    }

    fn count_statements(&self, paths: &[&str]) -> Vec<Result<u32, HostError>> {
        paths
            .iter()
            .map(|path| Ok(shipready_schema::sql::split(&self.sql_text(path)?, 1).len() as u32))
            .collect()
    }

    fn log(&self, _level: Level, message: &str) {
        self.repo.logs.lock().unwrap().push(message.to_string());
    }

    fn report(&self, batch: Vec<Finding>) {
        self.outcome.borrow_mut().findings.extend(batch);
    }

    fn not_applicable(&self, rule: &str, reason: &str) {
        self.outcome
            .borrow_mut()
            .not_applicable
            .push(NotApplicable {
                rule: rule.to_string(),
                reason: reason.to_string(),
            });
    }
}

fn compile(patterns: &[Pattern]) -> Result<Vec<(u32, regex::Regex)>, HostError> {
    patterns
        .iter()
        .map(|p| {
            regex::RegexBuilder::new(&p.regex)
                .multi_line(true)
                .build()
                .map(|r| (p.id, r))
                .map_err(|e| HostError::Invalid(format!("pattern {}: {e}", p.id)))
        })
        .collect()
}

fn glob_set(globs: &[&str]) -> Result<Option<globset::GlobSet>, HostError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        set.add(
            globset::GlobBuilder::new(&shipready_paths::glob_from_root(g))
                .literal_separator(true)
                .build()
                .map_err(|e| HostError::Invalid(e.to_string()))?,
        );
    }
    set.build()
        .map(Some)
        .map_err(|e| HostError::Invalid(e.to_string()))
}

/// Every match of every pattern in `text`, as the host reports them.
fn scan(compiled: &[(u32, regex::Regex)], path: &str, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (id, re) in compiled {
        for caps in re.captures_iter(text) {
            let m = caps.get(0).expect("group 0");
            let line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[m.start()..]
                .find('\n')
                .map_or(text.len(), |i| m.start() + i);
            hits.push(Hit {
                pattern: *id,
                path: path.to_string(),
                line: text[..m.start()].matches('\n').count() as u32 + 1,
                column: (m.start() - line_start) as u32 + 1,
                matched: m.as_str().to_string(),
                line_text: text[line_start..line_end].to_string(),
                groups: caps
                    .iter()
                    .skip(1)
                    .map(|g| g.map_or(String::new(), |g| g.as_str().to_string()))
                    .collect(),
            });
        }
    }
    hits
}
