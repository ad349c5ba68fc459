//! [`common_host!`]: the host side every contract version shares.

/// Expanded inside each version's module, where `types`, `repo`,
/// `search_wit`, `log`, `FINDINGS_IMPORT`, `location()` and
/// `wit_capability()` are that version's own.
macro_rules! common_host {
    () => {
        common_host!(repo {} search {});
    };
    // A newer version's extra `repo` and `search` functions go in the braces.
    (repo { $($repo_extra:tt)* } search { $($search_extra:tt)* }) => {
        use shipready_report::{CheckInfo, Finding, NotApplicable, Severity, fingerprint};
        use wasmtime::StoreContextMut;
        use wasmtime::component::{HasSelf, Linker, WasmList};

        use crate::contract::{Denied, clip, state_violation};
        use crate::runner::Capability;
        use crate::sandbox::State;
        use crate::services::repo::{AccessError, FileKind};
        use crate::services::search::{self, PatternSpec};

        /// The interfaces every version has; `findings` is linked by hand so
        /// a batch's length is checked before any of it is copied out of
        /// the guest.
        fn add_common_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
            types::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
            repo::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
            search_wit::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
            log::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
            let mut findings = linker.instance(FINDINGS_IMPORT)?;
            findings.func_wrap(
                "report",
                |mut store: StoreContextMut<'_, State>, (batch,): (WasmList<types::Finding>,)| {
                    let max = store.data().limits.max_findings;
                    if store.data().findings.len() + batch.len() > max {
                        return Err(state_violation(&mut store, format!("reported more than {max} findings, the cap")));
                    }
                    let raw: Vec<types::Finding> = batch.iter(&mut store)?.collect::<wasmtime::Result<_>>()?;
                    for f in raw {
                        match convert_finding(f, &store.data().info, store.data().limits.max_field_bytes) {
                            Ok(f) => store.data_mut().findings.push(f),
                            Err(reason) => return Err(state_violation(&mut store, reason)),
                        }
                    }
                    Ok(())
                },
            )?;
            findings.func_wrap(
                "not-applicable",
                |mut store: StoreContextMut<'_, State>, (rule, reason): (String, String)| {
                    let state = store.data();
                    if !state.info.rules.iter().any(|r| r.id == rule) {
                        let reason =
                            format!("broke the contract: not-applicable names undeclared rule `{}`", clip(rule, 200));
                        return Err(state_violation(&mut store, reason));
                    }
                    if state.not_applicable.len() >= state.info.rules.len() * 4 {
                        return Err(state_violation(&mut store, "broke the contract: too many not-applicable calls".into()));
                    }
                    let max = state.limits.max_field_bytes;
                    store.data_mut().not_applicable.push(NotApplicable { rule, reason: clip(reason, max) });
                    Ok(())
                },
            )?;
            Ok(())
        }

        pub fn severity(s: types::Severity) -> Severity {
            match s {
                types::Severity::Info => Severity::Info,
                types::Severity::Low => Severity::Low,
                types::Severity::Medium => Severity::Medium,
                types::Severity::High => Severity::High,
                types::Severity::Critical => Severity::Critical,
            }
        }

        /// A guest finding as the report's: rule declared, default severity
        /// applied, text fields clipped, fingerprint computed.
        fn convert_finding(f: types::Finding, info: &CheckInfo, max: usize) -> Result<Finding, String> {
            let Some(rule) = info.rules.iter().find(|r| r.id == f.rule) else {
                return Err(format!(
                    "broke the contract: a finding names rule `{}`, which describe() did not declare",
                    clip(f.rule, 200)
                ));
            };
            let location = f.location.map(|l| location(l, max));
            let message = clip(f.message, max);
            let evidence = f.evidence.map(|e| clip(e, max));
            let key = f.fingerprint.as_deref().or(evidence.as_deref()).unwrap_or(&message).to_string();
            Ok(Finding {
                fingerprint: fingerprint(&rule.id, location.as_ref(), &key),
                rule: rule.id.clone(),
                check: info.id.clone(),
                severity: f.severity.map(severity).unwrap_or(rule.severity),
                message,
                location,
                evidence,
                remediation: f.remediation.map(|r| clip(r, max)),
                suppressed: None,
                baselined: false,
                outside_diff: false,
            })
        }

        fn denied(d: Denied) -> types::HostError {
            match d {
                Denied::NotGranted(c) => types::HostError::NotGranted(wit_capability(c)),
                Denied::NoRepository => types::HostError::Invalid("no repository is being checked (URL-only run)".into()),
            }
        }

        fn host_error(e: AccessError) -> types::HostError {
            match e {
                AccessError::Invalid(m) => types::HostError::Invalid(m),
                AccessError::Io(m) => types::HostError::Io(m),
            }
        }

        /// `search.files`, or with `changed`, `search.changed-files`.
        fn search_files(
            state: &State,
            patterns: Vec<search_wit::Pattern>,
            globs: Vec<String>,
            changed: bool,
        ) -> Result<search_wit::Hits, types::HostError> {
            let max = state.limits.max_search_hits;
            let index = state.require(Capability::Search).map_err(denied)?;
            let specs: Vec<PatternSpec> = patterns.into_iter().map(wit_pattern).collect();
            let changed = if changed { state.changed.as_deref() } else { None };
            let (hits, truncated) = search::search(index, changed, &specs, &globs, max).map_err(host_error)?;
            Ok(search_wit::Hits { truncated, hits: hits.into_iter().map(wit_hit).collect() })
        }

        fn wit_pattern(p: search_wit::Pattern) -> PatternSpec {
            PatternSpec { id: p.id, regex: p.regex, keywords: p.keywords }
        }

        fn wit_hit(h: search::Hit) -> search_wit::Hit {
            search_wit::Hit {
                pattern: h.pattern,
                path: h.path,
                line: h.line,
                column: h.column,
                matched: h.matched,
                line_text: h.line_text,
                groups: h.groups,
            }
        }

        impl types::Host for State {}

        impl repo::Host for State {
            fn files(&mut self, globs: Vec<String>) -> Result<Vec<repo::FileInfo>, types::HostError> {
                let index = self.require(Capability::Repo).map_err(denied)?;
                let files = index.files(&globs).map_err(host_error)?;
                Ok(files
                    .into_iter()
                    .map(|e| repo::FileInfo {
                        path: e.path.clone(),
                        size: e.size,
                        // `files` classified every entry it returns and left
                        // the unreadable ones out.
                        kind: match e.kind() {
                            Some(FileKind::Text) => repo::FileKind::Text,
                            Some(FileKind::Binary) => repo::FileKind::Binary,
                            Some(FileKind::TooLarge) => repo::FileKind::TooLarge,
                            Some(FileKind::NotUtf8 | FileKind::Unreadable) | None => {
                                repo::FileKind::NotUtf8
                            }
                        },
                        language: e.language.map(str::to_string),
                    })
                    .collect())
            }

            fn read(&mut self, path: String) -> Result<Vec<u8>, types::HostError> {
                self.require(Capability::Repo).map_err(denied)?.read(&path).map_err(host_error)
            }

            $($repo_extra)*
        }

        impl search_wit::Host for State {
            fn files(
                &mut self,
                patterns: Vec<search_wit::Pattern>,
                globs: Vec<String>,
            ) -> Result<search_wit::Hits, types::HostError> {
                search_files(self, patterns, globs, false)
            }

            $($search_extra)*
        }

        impl log::Host for State {
            fn log(&mut self, level: log::Level, message: String) {
                let level = match level {
                    log::Level::Debug => "debug",
                    log::Level::Info => "info",
                    log::Level::Warn => "warn",
                };
                self.push_log(format!("{level}: {message}"));
            }
        }
    };
}

/// The host side of contract 0.2.0 and later: `history`, commits on file
/// locations, the `history` capability. Expanded after [`common_host!`].
macro_rules! history_host {
    () => {
        history_host!(capabilities {});
    };
    // A newer version's extra capabilities go in the braces.
    (capabilities { $($cap:ident),* }) => {
        use shipready_report::{Location, Span};

        use crate::services::history::{HistoryHit, Scope};

        /// The 0.1.0 interfaces plus `history`.
        fn add_history_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
            add_common_to_linker(linker)?;
            history::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
        }

        fn location(l: types::Location, max: usize) -> Location {
            match l {
                types::Location::File(fl) => Location::File {
                    path: clip(fl.path, max),
                    span: fl.span.map(|s| Span {
                        start_line: s.start_line,
                        start_column: s.start_column,
                        end_line: s.end_line,
                        end_column: s.end_column,
                    }),
                    commit: fl.commit.map(|c| clip(c, 64)),
                },
                types::Location::Url(u) => Location::Url { url: clip(u, max) },
            }
        }

        pub fn capability(c: types::Capability) -> Capability {
            match c {
                types::Capability::Repo => Capability::Repo,
                types::Capability::Search => Capability::Search,
                types::Capability::History => Capability::History,
                $(types::Capability::$cap => Capability::$cap,)*
            }
        }

        fn wit_capability(c: Capability) -> types::Capability {
            match c {
                Capability::Repo => types::Capability::Repo,
                Capability::Search => types::Capability::Search,
                Capability::History => types::Capability::History,
                $(Capability::$cap => types::Capability::$cap,)*
                // A later version's capability: a check of this version
                // cannot call its service, so is never denied it.
                #[allow(unreachable_patterns)]
                _ => types::Capability::Repo,
            }
        }

        fn wit_scope(s: Scope) -> history::HistoryScope {
            history::HistoryScope {
                available: s.available,
                reason: s.reason,
                shallow: s.shallow,
                since: s.since,
                commits: s.commits,
                blobs: s.blobs,
                skipped: s.skipped,
            }
        }

        fn wit_history_hit(h: HistoryHit) -> history::HistoryHit {
            history::HistoryHit {
                hit: wit_hit(h.hit),
                blob: h.blob,
                commit: history::CommitInfo {
                    id: h.commit.id,
                    author: h.commit.author,
                    time: h.commit.time,
                    summary: h.commit.summary,
                },
                in_head: h.in_head,
            }
        }

        fn history_index(
            state: &State,
        ) -> Result<&crate::services::history::HistoryIndex, types::HostError> {
            if !state.granted.contains(&Capability::History) {
                return Err(types::HostError::NotGranted(types::Capability::History));
            }
            let source = state.history.as_deref().ok_or_else(|| {
                types::HostError::Invalid("no repository is being checked".into())
            })?;
            source.index().map_err(types::HostError::Io)
        }

        impl history::Host for State {
            fn scope(&mut self) -> Result<history::HistoryScope, types::HostError> {
                Ok(wit_scope(history_index(self)?.scope()))
            }

            fn search(
                &mut self,
                patterns: Vec<search_wit::Pattern>,
                globs: Vec<String>,
            ) -> Result<history::HistoryHits, types::HostError> {
                let max = self.limits.max_search_hits;
                let index = history_index(self)?;
                let specs: Vec<PatternSpec> = patterns.into_iter().map(wit_pattern).collect();
                let (hits, truncated) = index.search(&specs, &globs, max).map_err(host_error)?;
                Ok(history::HistoryHits {
                    truncated,
                    hits: hits.into_iter().map(wit_history_hit).collect(),
                })
            }
        }
    };
}

/// The host side of contract 0.3.0 and later: `repo.paths`,
/// `search.changed-files`, `history` and `sql.parse`. A newer version's
/// extra `sql` functions go in the braces. Expanded in a module that also
/// imports its `sql` bindings.
macro_rules! since_0_3_host {
    () => {
        since_0_3_host!(capabilities {} sql {});
    };
    (capabilities { $($cap:ident),* } sql { $($sql_extra:tt)* }) => {
        common_host!(
            repo {
                fn paths(&mut self, globs: Vec<String>) -> Result<Vec<repo::ListedFile>, types::HostError> {
                    let index = self.require(Capability::Repo).map_err(denied)?;
                    Ok(index
                        .list(&globs)
                        .map_err(host_error)?
                        .into_iter()
                        .map(|e| repo::ListedFile {
                            path: e.path.clone(),
                            size: e.size,
                            language: e.language.map(str::to_string),
                        })
                        .collect())
                }
            }
            search {
                fn changed_files(
                    &mut self,
                    patterns: Vec<search_wit::Pattern>,
                    globs: Vec<String>,
                ) -> Result<search_wit::Hits, types::HostError> {
                    search_files(self, patterns, globs, true)
                }
            }
        );

        history_host!(capabilities { $($cap),* });

        /// The 0.2.0 interfaces plus `sql` (pure computation, so not behind
        /// a capability, except what reads the repository).
        fn add_0_3_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
            add_history_to_linker(linker)?;
            sql::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
        }

        fn sql_dialect(dialect: sql::Dialect) -> shipready_schema::sql::Dialect {
            match dialect {
                sql::Dialect::Postgres => shipready_schema::sql::Dialect::Postgres,
                sql::Dialect::Mysql => shipready_schema::sql::Dialect::MySql,
                sql::Dialect::Sqlite => shipready_schema::sql::Dialect::Sqlite,
            }
        }

        impl sql::Host for State {
            fn parse(&mut self, sources: Vec<sql::Source>, dialect: sql::Dialect) -> Vec<sql::Parsed> {
                let sources: Vec<(String, u32)> = sources
                    .into_iter()
                    .map(|s| (s.text, s.first_line))
                    .collect();
                crate::services::sql::parse_all(&sources, sql_dialect(dialect))
                    .into_iter()
                    .map(wit_parsed)
                    .collect()
            }

            $($sql_extra)*
        }

        fn wit_parsed(p: shipready_schema::sql::Parsed) -> sql::Parsed {
            sql::Parsed {
                count: p.statements,
                statements: p
                    .ops
                    .into_iter()
                    .map(|l| sql::Statement {
                        line: l.line,
                        text: l.text,
                        op: wit_op(l.op),
                    })
                    .collect(),
                errors: p
                    .errors
                    .into_iter()
                    .map(|e| sql::ParseError {
                        line: e.line,
                        message: e.message,
                        templated: e.templated,
                    })
                    .collect(),
            }
        }

        fn wit_op(op: shipready_schema::Op) -> sql::Op {
            use shipready_schema::{DefaultKind, Op};
            match op {
                Op::CreateTable { table, columns } => {
                    sql::Op::CreateTable(sql::CreateTable { table, columns })
                }
                Op::DropTable { table } => sql::Op::DropTable(table),
                Op::RenameTable { from, to } => sql::Op::RenameTable(sql::RenameTable {
                    old_name: from,
                    new_name: to,
                }),
                Op::AddColumn {
                    table,
                    column,
                    not_null,
                    default,
                } => sql::Op::AddColumn(sql::AddColumn {
                    table,
                    column,
                    not_null,
                    default: match default {
                        DefaultKind::None => sql::DefaultKind::None,
                        DefaultKind::Constant => sql::DefaultKind::Constant,
                        DefaultKind::Volatile(f) => sql::DefaultKind::Volatile(f),
                    },
                }),
                Op::DropColumn { table, column } => sql::Op::DropColumn(sql::ColumnRef { table, column }),
                Op::RenameColumn { table, from, to } => sql::Op::RenameColumn(sql::RenameColumn {
                    table,
                    old_name: from,
                    new_name: to,
                }),
                Op::ChangeType { table, column } => sql::Op::ChangeType(sql::ColumnRef { table, column }),
                Op::SetNotNull { table, column } => sql::Op::SetNotNull(sql::ColumnRef { table, column }),
                Op::CreateIndex {
                    table,
                    unique,
                    concurrently,
                } => sql::Op::CreateIndex(sql::CreateIndex {
                    table,
                    unique,
                    concurrently,
                }),
                Op::AddForeignKey { table, not_valid } => {
                    sql::Op::AddForeignKey(sql::AddConstraint { table, not_valid })
                }
                Op::AddCheck { table, not_valid } => {
                    sql::Op::AddCheck(sql::AddConstraint { table, not_valid })
                }
                Op::AddUnique { table, using_index } => {
                    sql::Op::AddUnique(sql::AddUnique { table, using_index })
                }
                Op::SetLockTimeout => sql::Op::SetLockTimeout,
                Op::Begin => sql::Op::Begin,
                Op::Commit => sql::Op::Commit,
                Op::DataChange { kind, .. } => sql::Op::DataChange(kind.to_string()),
                Op::EnableRowLevelSecurity { table } => sql::Op::EnableRowLevelSecurity(table),
                Op::CreatePolicy { table } => sql::Op::CreatePolicy(table),
                Op::Other => sql::Op::Other,
            }
        }
    };
}

/// The host side of contract 0.4.0 and later: `sql.parse-files`,
/// `sql.count-statements`, `http` and `tls`. A newer version's extra
/// capabilities go in the braces. Expanded in a module that also imports
/// its `http`, `sql` and `tls` bindings.
macro_rules! since_0_4_host {
    () => {
        since_0_4_host!(capabilities {} sql {});
    };
    // A newer version's extra capabilities and `sql` functions go in the braces.
    (capabilities { $($cap:ident),* } sql { $($sql_extra:tt)* }) => {
        use crate::services::http as service;
        use crate::services::tls as tls_service;

        since_0_3_host!(
            capabilities { Http, Tls $(, $cap)* }
            sql {
                fn parse_files(
                    &mut self,
                    paths: Vec<String>,
                    dialect: sql::Dialect,
                ) -> Vec<Result<sql::ParsedFile, types::HostError>> {
                    let index = match self.require(Capability::Repo) {
                        Ok(index) => index,
                        Err(d) => return refused(d, &paths),
                    };
                    crate::services::sql::parse_files(index, &paths, sql_dialect(dialect))
                        .into_iter()
                        .map(|r| {
                            r.map(|f| sql::ParsedFile {
                                header: f.header,
                                parsed: wit_parsed(f.parsed),
                            })
                            .map_err(host_error)
                        })
                        .collect()
                }

                fn count_statements(&mut self, paths: Vec<String>) -> Vec<Result<u32, types::HostError>> {
                    let index = match self.require(Capability::Repo) {
                        Ok(index) => index,
                        Err(d) => return refused(d, &paths),
                    };
                    crate::services::sql::count_statements(index, &paths)
                        .into_iter()
                        .map(|r| r.map_err(host_error))
                        .collect()
                }

                $($sql_extra)*
            }
        );

        /// The same refusal for every path of a call.
        fn refused<T>(d: Denied, paths: &[String]) -> Vec<Result<T, types::HostError>> {
            let e = denied(d);
            paths.iter().map(|_| Err(e.clone())).collect()
        }

        /// The 0.3.0 interfaces plus `http` and `tls`.
        fn add_0_4_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
            add_0_3_to_linker(linker)?;
            http::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
            tls::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
        }

        impl tls::Host for State {
            fn inspect(&mut self, host: String, port: u16) -> Result<tls::Inspection, tls::TlsError> {
                let Some(prober) = self
                    .tls
                    .clone()
                    .filter(|_| self.granted.contains(&Capability::Tls))
                else {
                    return Err(tls::TlsError::NotGranted);
                };
                let i = prober.inspect(&host, port).map_err(|e| match e {
                    tls_service::TlsError::Refused(m) => tls::TlsError::Refused(m),
                    tls_service::TlsError::Dns(m) => tls::TlsError::Dns(m),
                    tls_service::TlsError::Connect(m) => tls::TlsError::Connect(m),
                    tls_service::TlsError::Timeout(m) => tls::TlsError::Timeout(m),
                })?;
                Ok(tls::Inspection {
                    now: i.now,
                    handshake: i.handshake.map(|h| tls::Handshake {
                        protocol: h.protocol,
                        cipher: h.cipher,
                        chain: h
                            .chain
                            .into_iter()
                            .map(|c| tls::Certificate {
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
                        .map(|v| tls::VersionProbe {
                            version: v.version,
                            accepted: v.accepted,
                            cipher: v.cipher,
                            detail: v.detail,
                        })
                        .collect(),
                    weak_ciphers: i
                        .weak_ciphers
                        .into_iter()
                        .map(|c| tls::CipherProbe {
                            class: c.class,
                            accepted: c.accepted,
                            cipher: c.cipher,
                            version: c.version,
                        })
                        .collect(),
                })
            }
        }

        impl http::Host for State {
            fn send(
                &mut self,
                requests: Vec<http::Request>,
            ) -> Vec<Result<http::Response, http::HttpError>> {
                let Some(client) = self
                    .http
                    .clone()
                    .filter(|_| self.granted.contains(&Capability::Http))
                else {
                    return requests
                        .iter()
                        .map(|_| Err(http::HttpError::NotGranted))
                        .collect();
                };
                let requests: Vec<service::Request> = requests
                    .into_iter()
                    .map(|r| service::Request {
                        method: match r.method {
                            http::Method::Get => service::Method::Get,
                            http::Method::Head => service::Method::Head,
                            http::Method::Options => service::Method::Options,
                        },
                        url: r.url,
                        headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
                        follow_redirects: r.follow_redirects,
                    })
                    .collect();
                client
                    .send(&self.info.id, &requests)
                    .into_iter()
                    .map(|r| r.map(wit_response).map_err(wit_http_error))
                    .collect()
            }
        }

        fn wit_response(r: service::Response) -> http::Response {
            let headers = |h: Vec<(String, String)>| {
                h.into_iter()
                    .map(|(name, value)| http::Header { name, value })
                    .collect()
            };
            http::Response {
                url: r.url,
                status: r.status,
                headers: headers(r.headers),
                body: r.body,
                truncated: r.truncated,
                redirects: r
                    .redirects
                    .into_iter()
                    .map(|h| http::Hop {
                        url: h.url,
                        status: h.status,
                        location: h.location,
                    })
                    .collect(),
                off_origin: r.off_origin,
                elapsed_ms: r.elapsed_ms,
            }
        }

        fn wit_http_error(e: service::HttpError) -> http::HttpError {
            use service::HttpError as E;
            match e {
                E::Refused(m) => http::HttpError::Refused(m),
                E::Dns(m) => http::HttpError::Dns(m),
                E::Connect(m) => http::HttpError::Connect(m),
                E::Timeout(m) => http::HttpError::Timeout(m),
                E::Protocol(m) => http::HttpError::Protocol(m),
                E::Redirects(m) => http::HttpError::Redirects(m),
                E::Budget(m) => http::HttpError::Budget(m),
            }
        }
    };
}
