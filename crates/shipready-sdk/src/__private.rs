//! Glue between the generated bindings and the SDK's types. Not public API:
//! used by [`crate::export!`] only.

use crate::{
    Capability, Check, CheckError, CommitInfo, Context, Cx, FileInfo, FileKind, Finding,
    HistoryHit, HistoryHits, HistoryScope, Hit, Hits, ListedFile, PathsSince, Since,
};
use crate::{
    Host, HostError, HttpError, HttpHop, HttpMethod, HttpRequest, HttpResponse, Level, Location,
    Pattern, Severity, TlsCertificate, TlsCipherProbe, TlsError, TlsHandshake, TlsInspection,
    TlsVersionProbe,
};

#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_check",
        default_bindings_module: "shipready_sdk::__private::bindings",
    });
}

use bindings::shipready::check::{
    findings, history, http, log, repo, revisions, search, sql, syntax, tls, types as wit,
};
use shipready_schema::sql::{Dialect, ParseError, Parsed, ParsedFile};
use shipready_schema::{DefaultKind, Located, Op};

/// The real host, reached through the component's imports.
struct WasmHost;

impl Host for WasmHost {
    fn files(&self, globs: &[&str]) -> Result<Vec<FileInfo>, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        let files = repo::files(&globs).map_err(host_error)?;
        Ok(files
            .into_iter()
            .map(|f| FileInfo {
                path: f.path,
                size: f.size,
                kind: match f.kind {
                    repo::FileKind::Text => FileKind::Text,
                    repo::FileKind::Binary => FileKind::Binary,
                    repo::FileKind::TooLarge => FileKind::TooLarge,
                    repo::FileKind::NotUtf8 => FileKind::NotUtf8,
                },
                language: f.language,
            })
            .collect())
    }

    fn paths(&self, globs: &[&str]) -> Result<Vec<ListedFile>, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        let files = repo::paths(&globs).map_err(host_error)?;
        Ok(files
            .into_iter()
            .map(|f| ListedFile {
                path: f.path,
                size: f.size,
                language: f.language,
            })
            .collect())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, HostError> {
        repo::read(path).map_err(host_error)
    }

    fn search(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        hits(search::files(&wit_patterns(patterns), &globs))
    }

    fn search_changed(&self, patterns: &[Pattern], globs: &[&str]) -> Result<Hits, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        hits(search::changed_files(&wit_patterns(patterns), &globs))
    }

    fn parse_sql(&self, sources: &[(&str, u32)], dialect: Dialect) -> Vec<Parsed> {
        let sources: Vec<sql::Source> = sources
            .iter()
            .map(|(text, line)| sql::Source {
                text: text.to_string(),
                first_line: *line,
            })
            .collect();
        sql::parse(&sources, wit_dialect(dialect))
            .into_iter()
            .map(parsed)
            .collect()
    }

    fn parse_sql_files(
        &self,
        paths: &[&str],
        dialect: Dialect,
    ) -> Vec<Result<ParsedFile, HostError>> {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        sql::parse_files(&paths, wit_dialect(dialect))
            .into_iter()
            .map(|r| {
                r.map(|f| ParsedFile {
                    header: f.header,
                    parsed: parsed(f.parsed),
                })
                .map_err(host_error)
            })
            .collect()
    }

    fn http_send(&self, requests: &[HttpRequest]) -> Vec<Result<HttpResponse, HttpError>> {
        let requests: Vec<http::Request> = requests
            .iter()
            .map(|r| http::Request {
                method: match r.method {
                    HttpMethod::Get => http::Method::Get,
                    HttpMethod::Head => http::Method::Head,
                    HttpMethod::Options => http::Method::Options,
                },
                url: r.url.clone(),
                headers: r
                    .headers
                    .iter()
                    .map(|(name, value)| http::Header {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                follow_redirects: r.follow_redirects,
            })
            .collect();
        http::send(&requests)
            .into_iter()
            .map(|r| {
                r.map(|r| HttpResponse {
                    url: r.url,
                    status: r.status,
                    headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                    body: r.body,
                    truncated: r.truncated,
                    redirects: r
                        .redirects
                        .into_iter()
                        .map(|h| HttpHop {
                            url: h.url,
                            status: h.status,
                            location: h.location,
                        })
                        .collect(),
                    off_origin: r.off_origin,
                    elapsed_ms: r.elapsed_ms,
                })
                .map_err(|e| match e {
                    http::HttpError::Refused(m) => HttpError::Refused(m),
                    http::HttpError::Dns(m) => HttpError::Dns(m),
                    http::HttpError::Connect(m) => HttpError::Connect(m),
                    http::HttpError::Timeout(m) => HttpError::Timeout(m),
                    http::HttpError::Protocol(m) => HttpError::Protocol(m),
                    http::HttpError::Redirects(m) => HttpError::Redirects(m),
                    http::HttpError::Budget(m) => HttpError::Budget(m),
                    http::HttpError::NotGranted => HttpError::NotGranted,
                })
            })
            .collect()
    }

    fn query_syntax(
        &self,
        globs: &[&str],
        queries: &[shipready_syntax::QuerySpec],
        changed: bool,
    ) -> Result<shipready_syntax::Answer, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        let queries: Vec<syntax::Query> = queries
            .iter()
            .map(|q| syntax::Query {
                language: wit_language(q.language),
                source: q.source.clone(),
            })
            .collect();
        let answer = if changed {
            syntax::query_changed_files(&globs, &queries)
        } else {
            syntax::query_files(&globs, &queries)
        }
        .map_err(host_error)?;
        Ok(shipready_syntax::Answer {
            files: answer.files.into_iter().map(parsed_source).collect(),
            skipped: answer
                .skipped
                .into_iter()
                .map(|s| shipready_syntax::SkippedFile {
                    path: s.path,
                    reason: match s.reason {
                        syntax::SkipReason::UnknownLanguage => {
                            shipready_syntax::SkipReason::UnknownLanguage
                        }
                        syntax::SkipReason::TooLarge => shipready_syntax::SkipReason::TooLarge,
                        syntax::SkipReason::Binary => shipready_syntax::SkipReason::Binary,
                        syntax::SkipReason::NotUtf8 => shipready_syntax::SkipReason::NotUtf8,
                        syntax::SkipReason::TimedOut => shipready_syntax::SkipReason::TimedOut,
                        syntax::SkipReason::Unreadable => shipready_syntax::SkipReason::Unreadable,
                    },
                    language: s.language,
                })
                .collect(),
            truncated: answer.truncated,
        })
    }

    fn check_sql_filters(
        &self,
        sources: &[&str],
        owned: &[shipready_schema::filters::OwnedTable],
    ) -> Vec<shipready_schema::filters::FilterCheck> {
        use shipready_schema::filters::{FilterCheck, Kind, Unfiltered};
        let sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
        let owned: Vec<sql::OwnedTable> = owned
            .iter()
            .map(|t| sql::OwnedTable {
                table: t.table.clone(),
                column: t.column.clone(),
                filtered_by_database: t.filtered_by_database,
            })
            .collect();
        sql::check_filters(&sources, &owned)
            .into_iter()
            .map(|c| match c {
                sql::FilterCheck::Unparsed => FilterCheck::Unparsed,
                sql::FilterCheck::Filtered => FilterCheck::Filtered,
                sql::FilterCheck::Unfiltered(u) => FilterCheck::Unfiltered(Unfiltered {
                    kind: match u.kind {
                        sql::StatementKind::Read => Kind::Read,
                        sql::StatementKind::Write => Kind::Write,
                    },
                    verb: u.verb,
                    table: u.table,
                    filtered_on: u.filtered_on,
                }),
            })
            .collect()
    }

    fn tls_inspect(&self, host: &str, port: u16) -> Result<TlsInspection, TlsError> {
        let i = tls::inspect(host, port).map_err(|e| match e {
            tls::TlsError::Refused(m) => TlsError::Refused(m),
            tls::TlsError::Dns(m) => TlsError::Dns(m),
            tls::TlsError::Connect(m) => TlsError::Connect(m),
            tls::TlsError::Timeout(m) => TlsError::Timeout(m),
            tls::TlsError::NotGranted => TlsError::NotGranted,
        })?;
        Ok(TlsInspection {
            now: i.now,
            handshake: i.handshake.map(|h| TlsHandshake {
                protocol: h.protocol,
                cipher: h.cipher,
                chain: h
                    .chain
                    .into_iter()
                    .map(|c| TlsCertificate {
                        subject: c.subject,
                        issuer: c.issuer,
                        names: c.names,
                        not_before: c.not_before,
                        not_after: c.not_after,
                        key_type: c.key_type,
                        key_bits: c.key_bits,
                        signature_algorithm: c.signature_algorithm,
                        self_signed: c.self_signed,
                    })
                    .collect(),
                untrusted: h.untrusted,
                name_matches: h.name_matches,
                ocsp_stapled: h.ocsp_stapled,
            }),
            handshake_error: i.handshake_error,
            versions: i
                .versions
                .into_iter()
                .map(|v| TlsVersionProbe {
                    version: v.version,
                    accepted: v.accepted,
                    cipher: v.cipher,
                    detail: v.detail,
                })
                .collect(),
            weak_ciphers: i
                .weak_ciphers
                .into_iter()
                .map(|c| TlsCipherProbe {
                    class: c.class,
                    accepted: c.accepted,
                    cipher: c.cipher,
                    version: c.version,
                })
                .collect(),
        })
    }

    fn count_statements(&self, paths: &[&str]) -> Vec<Result<u32, HostError>> {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        sql::count_statements(&paths)
            .into_iter()
            .map(|r| r.map_err(host_error))
            .collect()
    }

    fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
        };
        log::log(level, message);
    }

    fn report(&self, batch: Vec<Finding>) {
        let batch: Vec<wit::Finding> = batch.into_iter().map(finding).collect();
        findings::report(&batch);
    }

    fn not_applicable(&self, rule: &str, reason: &str) {
        findings::not_applicable(rule, reason);
    }

    fn history_scope(&self) -> Result<HistoryScope, HostError> {
        let s = history::scope().map_err(host_error)?;
        Ok(HistoryScope {
            available: s.available,
            reason: s.reason,
            shallow: s.shallow,
            since: s.since,
            commits: s.commits,
            blobs: s.blobs,
            skipped: s.skipped,
        })
    }

    fn changed_since(&self, rev: Option<&str>, globs: &[&str]) -> Result<Since, HostError> {
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        Ok(
            match revisions::changed_since(rev, &globs).map_err(host_error)? {
                revisions::Since::Changes(c) => Since::Changes(PathsSince {
                    rev: c.rev,
                    commit: c.commit,
                    newest_tag: c.newest_tag,
                    added: c.added,
                    modified: c.modified,
                    deleted: c.deleted,
                }),
                revisions::Since::NoTag => Since::NoTag,
                revisions::Since::Unknown(u) => Since::Unknown {
                    rev: u.rev,
                    shallow: u.shallow,
                    reason: u.reason,
                },
            },
        )
    }

    fn read_at(&self, commit: &str, path: &str) -> Result<Option<Vec<u8>>, HostError> {
        revisions::read_at(commit, path).map_err(host_error)
    }

    fn history_search(
        &self,
        patterns: &[Pattern],
        globs: &[&str],
    ) -> Result<HistoryHits, HostError> {
        let patterns = wit_patterns(patterns);
        let globs: Vec<String> = globs.iter().map(|g| g.to_string()).collect();
        let result = history::search(&patterns, &globs).map_err(host_error)?;
        Ok(HistoryHits {
            truncated: result.truncated,
            hits: result
                .hits
                .into_iter()
                .map(|h| HistoryHit {
                    hit: hit(h.hit),
                    blob: h.blob,
                    commit: CommitInfo {
                        id: h.commit.id,
                        author: h.commit.author,
                        time: h.commit.time,
                        summary: h.commit.summary,
                    },
                    in_head: h.in_head,
                })
                .collect(),
        })
    }
}

fn op(op: sql::Op) -> Op {
    match op {
        sql::Op::CreateTable(t) => Op::CreateTable {
            table: t.table,
            columns: t.columns,
        },
        sql::Op::DropTable(table) => Op::DropTable { table },
        sql::Op::RenameTable(r) => Op::RenameTable {
            from: r.old_name,
            to: r.new_name,
        },
        sql::Op::AddColumn(a) => Op::AddColumn {
            table: a.table,
            column: a.column,
            not_null: a.not_null,
            default: match a.default {
                sql::DefaultKind::None => DefaultKind::None,
                sql::DefaultKind::Constant => DefaultKind::Constant,
                sql::DefaultKind::Volatile(f) => DefaultKind::Volatile(f),
            },
        },
        sql::Op::DropColumn(c) => Op::DropColumn {
            table: c.table,
            column: c.column,
        },
        sql::Op::RenameColumn(r) => Op::RenameColumn {
            table: r.table,
            from: r.old_name,
            to: r.new_name,
        },
        sql::Op::ChangeType(c) => Op::ChangeType {
            table: c.table,
            column: c.column,
        },
        sql::Op::SetNotNull(c) => Op::SetNotNull {
            table: c.table,
            column: c.column,
        },
        sql::Op::CreateIndex(i) => Op::CreateIndex {
            table: i.table,
            unique: i.unique,
            concurrently: i.concurrently,
        },
        sql::Op::AddForeignKey(c) => Op::AddForeignKey {
            table: c.table,
            not_valid: c.not_valid,
        },
        sql::Op::AddCheck(c) => Op::AddCheck {
            table: c.table,
            not_valid: c.not_valid,
        },
        sql::Op::AddUnique(u) => Op::AddUnique {
            table: u.table,
            using_index: u.using_index,
        },
        sql::Op::SetLockTimeout => Op::SetLockTimeout,
        sql::Op::Begin => Op::Begin,
        sql::Op::Commit => Op::Commit,
        sql::Op::DataChange(kind) => Op::DataChange {
            table: None,
            kind: shipready_schema::sql::data_change_kind(&kind),
        },
        sql::Op::EnableRowLevelSecurity(table) => Op::EnableRowLevelSecurity { table },
        sql::Op::CreatePolicy(table) => Op::CreatePolicy { table },
        sql::Op::Other => Op::Other,
    }
}

fn hits(result: Result<search::Hits, wit::HostError>) -> Result<Hits, HostError> {
    let result = result.map_err(host_error)?;
    Ok(Hits {
        truncated: result.truncated,
        hits: result.hits.into_iter().map(hit).collect(),
    })
}

fn wit_patterns(patterns: &[Pattern]) -> Vec<search::Pattern> {
    patterns
        .iter()
        .map(|p| search::Pattern {
            id: p.id,
            regex: p.regex.clone(),
            keywords: p.keywords.clone(),
        })
        .collect()
}

fn hit(h: search::Hit) -> Hit {
    Hit {
        pattern: h.pattern,
        path: h.path,
        line: h.line,
        column: h.column,
        matched: h.matched,
        line_text: h.line_text,
        groups: h.groups,
    }
}

fn wit_language(l: shipready_syntax::Language) -> syntax::Language {
    use shipready_syntax::Language as L;
    match l {
        L::Python => syntax::Language::Python,
        L::JavaScript => syntax::Language::Javascript,
        L::TypeScript => syntax::Language::Typescript,
        L::Tsx => syntax::Language::Tsx,
        L::Ruby => syntax::Language::Ruby,
        L::Go => syntax::Language::Go,
        L::Java => syntax::Language::Java,
    }
}

fn syntax_span(s: wit::Span) -> shipready_syntax::Span {
    shipready_syntax::Span {
        start_line: s.start_line,
        start_column: s.start_column,
        end_line: s.end_line,
        end_column: s.end_column,
    }
}

fn parsed_source(f: syntax::ParsedFile) -> shipready_syntax::ParsedFile {
    use shipready_syntax::Language as L;
    shipready_syntax::ParsedFile {
        path: f.path,
        syntax: shipready_syntax::FileSyntax {
            language: match f.language {
                syntax::Language::Python => L::Python,
                syntax::Language::Javascript => L::JavaScript,
                syntax::Language::Typescript => L::TypeScript,
                syntax::Language::Tsx => L::Tsx,
                syntax::Language::Ruby => L::Ruby,
                syntax::Language::Go => L::Go,
                syntax::Language::Java => L::Java,
            },
            errors: f.errors,
            first_error: f.first_error.map(syntax_span),
            truncated: f.truncated,
            matches: f
                .matches
                .into_iter()
                .map(|m| shipready_syntax::Match {
                    query: m.query,
                    pattern: m.pattern,
                    captures: m
                        .captures
                        .into_iter()
                        .map(|c| shipready_syntax::Capture {
                            name: c.name,
                            kind: c.kind,
                            span: syntax_span(c.span),
                            start_byte: c.start_byte,
                            end_byte: c.end_byte,
                            text: c.text,
                            truncated: c.truncated,
                        })
                        .collect(),
                })
                .collect(),
        },
    }
}

fn host_error(e: wit::HostError) -> HostError {
    match e {
        wit::HostError::NotGranted(c) => HostError::NotGranted(match c {
            wit::Capability::Repo => Capability::Repo,
            wit::Capability::Search => Capability::Search,
            wit::Capability::History => Capability::History,
            wit::Capability::Http => Capability::Http,
            wit::Capability::Tls => Capability::Tls,
            wit::Capability::Syntax => Capability::Syntax,
        }),
        wit::HostError::Invalid(m) => HostError::Invalid(m),
        wit::HostError::Io(m) => HostError::Io(m),
    }
}

fn severity(s: Severity) -> wit::Severity {
    match s {
        Severity::Info => wit::Severity::Info,
        Severity::Low => wit::Severity::Low,
        Severity::Medium => wit::Severity::Medium,
        Severity::High => wit::Severity::High,
        Severity::Critical => wit::Severity::Critical,
    }
}

pub fn describe<C: Check>() -> wit::CheckInfo {
    let info = C::info();
    wit::CheckInfo {
        id: info.id,
        version: info.version,
        title: info.title,
        summary: info.summary,
        capabilities: info
            .capabilities
            .iter()
            .map(|c| match c {
                Capability::Repo => wit::Capability::Repo,
                Capability::Search => wit::Capability::Search,
                Capability::History => wit::Capability::History,
                Capability::Http => wit::Capability::Http,
                Capability::Tls => wit::Capability::Tls,
                Capability::Syntax => wit::Capability::Syntax,
            })
            .collect(),
        rules: info
            .rules
            .iter()
            .map(|r| wit::Rule {
                id: r.id().to_string(),
                title: r.title().to_string(),
                severity: severity(r.severity()),
                docs: r.docs(),
            })
            .collect(),
    }
}

pub fn run<C: Check>(ctx: wit::Context) -> Result<(), wit::CheckError> {
    let ctx = Context {
        profile: ctx.profile,
        has_repo: ctx.has_repo,
        is_git: ctx.is_git,
        urls: ctx.urls,
        settings: ctx.settings,
        changed_files: ctx.changed_files,
    };
    let mut cx = Cx::new(ctx, &WasmHost);
    C::run(&mut cx).map_err(|e| match e {
        CheckError::BadSettings(m) => wit::CheckError::BadSettings(m),
        CheckError::Internal(m) => wit::CheckError::Internal(m),
    })?;
    cx.flush();
    Ok(())
}

fn finding(f: Finding) -> wit::Finding {
    wit::Finding {
        rule: f.rule,
        severity: f.severity.map(severity),
        message: f.message,
        location: f.location.map(|l| match l {
            Location::File { path, span, commit } => wit::Location::File(wit::FileLocation {
                path,
                commit,
                span: span.map(|s| wit::Span {
                    start_line: s.start_line,
                    start_column: s.start_column,
                    end_line: s.end_line,
                    end_column: s.end_column,
                }),
            }),
            Location::Url(u) => wit::Location::Url(u),
        }),
        evidence: f.evidence,
        remediation: f.remediation,
        fingerprint: f.fingerprint,
    }
}

fn wit_dialect(dialect: Dialect) -> sql::Dialect {
    match dialect {
        Dialect::Postgres => sql::Dialect::Postgres,
        Dialect::MySql => sql::Dialect::Mysql,
        Dialect::Sqlite => sql::Dialect::Sqlite,
    }
}

fn parsed(p: sql::Parsed) -> Parsed {
    Parsed {
        statements: p.count,
        ops: p
            .statements
            .into_iter()
            .map(|s| Located {
                line: s.line,
                text: s.text,
                op: op(s.op),
            })
            .collect(),
        errors: p
            .errors
            .into_iter()
            .map(|e| ParseError {
                line: e.line,
                message: e.message,
                templated: e.templated,
            })
            .collect(),
    }
}
