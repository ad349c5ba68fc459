//! Bindings for `shipready:check@0.5.0` (`wit/check.wit`): 0.4.0 plus
//! `syntax`, source files parsed and queried with tree-sitter by the host,
//! and `revisions`, the files changed since a revision or the newest tag.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{
    history, http, log, repo, revisions, search as search_wit, sql, syntax, tls,
};

use crate::services::syntax as syntax_service;
use shipready_syntax::{Language, ParsedFile, SkipReason};

pub const VERSION: &str = "0.5.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.5.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.5.0";

since_0_4_host!(
    capabilities { Syntax }
    sql {
        fn check_filters(
            &mut self,
            sources: Vec<String>,
            owned: Vec<sql::OwnedTable>,
        ) -> Vec<sql::FilterCheck> {
            use shipready_schema::filters::{FilterCheck, Kind, OwnedTable};
            let owned: Vec<OwnedTable> = owned
                .into_iter()
                .map(|t| OwnedTable {
                    table: t.table,
                    column: t.column,
                    filtered_by_database: t.filtered_by_database,
                })
                .collect();
            crate::services::sql::check_filters(&sources, &owned)
                .into_iter()
                .map(|c| match c {
                    FilterCheck::Unparsed => sql::FilterCheck::Unparsed,
                    FilterCheck::Filtered => sql::FilterCheck::Filtered,
                    FilterCheck::Unfiltered(u) => sql::FilterCheck::Unfiltered(sql::Unfiltered {
                        kind: match u.kind {
                            Kind::Read => sql::StatementKind::Read,
                            Kind::Write => sql::StatementKind::Write,
                        },
                        verb: u.verb,
                        table: u.table,
                        filtered_on: u.filtered_on,
                    }),
                })
                .collect()
        }
    }
);

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_0_4_to_linker(linker)?;
    syntax::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    revisions::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

impl revisions::Host for State {
    fn changed_since(
        &mut self,
        rev: Option<String>,
        globs: Vec<String>,
    ) -> Result<revisions::Since, types::HostError> {
        use crate::services::revisions::{Since, paths_since};
        let index = self.require(Capability::History).map_err(denied)?;
        let history = self
            .history
            .as_deref()
            .ok_or_else(|| types::HostError::Invalid("no repository is being checked".into()))?;
        let globs = crate::services::repo::compile_globs(&globs).map_err(host_error)?;
        let since = paths_since(history.root(), rev.as_deref(), index, globs.as_ref())
            .map_err(types::HostError::Io)?;
        Ok(match since {
            Since::Changes(c) => revisions::Since::Changes(revisions::PathsSince {
                rev: c.rev,
                commit: c.commit,
                newest_tag: c.newest_tag,
                added: c.added,
                modified: c.modified,
                deleted: c.deleted,
            }),
            Since::NoTag => revisions::Since::NoTag,
            Since::Unknown {
                rev,
                shallow,
                reason,
            } => revisions::Since::Unknown(revisions::UnknownRevision {
                rev,
                shallow,
                reason,
            }),
        })
    }

    fn read_at(
        &mut self,
        commit: String,
        path: String,
    ) -> Result<Option<Vec<u8>>, types::HostError> {
        let index = self.require(Capability::History).map_err(denied)?;
        let history = self
            .history
            .as_deref()
            .ok_or_else(|| types::HostError::Invalid("no repository is being checked".into()))?;
        crate::services::revisions::read_at(history.root(), &commit, &path, index)
            .map_err(types::HostError::Io)
    }
}

impl syntax::Host for State {
    fn query_files(
        &mut self,
        globs: Vec<String>,
        queries: Vec<syntax::Query>,
    ) -> Result<syntax::Answer, types::HostError> {
        query(self, globs, queries, false)
    }

    fn query_changed_files(
        &mut self,
        globs: Vec<String>,
        queries: Vec<syntax::Query>,
    ) -> Result<syntax::Answer, types::HostError> {
        query(self, globs, queries, true)
    }
}

/// `syntax.query-files`, or with `changed`, `syntax.query-changed-files`.
fn query(
    state: &State,
    globs: Vec<String>,
    queries: Vec<syntax::Query>,
    changed: bool,
) -> Result<syntax::Answer, types::HostError> {
    let index = state.require(Capability::Syntax).map_err(denied)?;
    let specs: Vec<shipready_syntax::QuerySpec> = queries
        .into_iter()
        .map(|q| shipready_syntax::QuerySpec {
            language: language(q.language),
            source: q.source,
        })
        .collect();
    let changed = if changed {
        state.changed.as_deref()
    } else {
        None
    };
    let answer =
        syntax_service::query_files(index, changed, &globs, &specs, state.limits.max_search_hits)
            .map_err(host_error)?;
    Ok(syntax::Answer {
        files: answer
            .files
            .into_iter()
            .map(|ParsedFile { path, syntax: f }| syntax::ParsedFile {
                path,
                language: wit_language(f.language),
                errors: f.errors,
                first_error: f.first_error.map(wit_span),
                truncated: f.truncated,
                matches: f
                    .matches
                    .into_iter()
                    .map(|m| syntax::QueryMatch {
                        query: m.query,
                        pattern: m.pattern,
                        captures: m
                            .captures
                            .into_iter()
                            .map(|c| syntax::Capture {
                                name: c.name,
                                kind: c.kind,
                                span: wit_span(c.span),
                                start_byte: c.start_byte,
                                end_byte: c.end_byte,
                                text: c.text,
                                truncated: c.truncated,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        skipped: answer
            .skipped
            .into_iter()
            .map(|s| syntax::SkippedFile {
                path: s.path,
                reason: match s.reason {
                    SkipReason::UnknownLanguage => syntax::SkipReason::UnknownLanguage,
                    SkipReason::TooLarge => syntax::SkipReason::TooLarge,
                    SkipReason::Binary => syntax::SkipReason::Binary,
                    SkipReason::NotUtf8 => syntax::SkipReason::NotUtf8,
                    SkipReason::TimedOut => syntax::SkipReason::TimedOut,
                    SkipReason::Unreadable => syntax::SkipReason::Unreadable,
                },
                language: s.language,
            })
            .collect(),
        truncated: answer.truncated,
    })
}

fn wit_span(s: shipready_syntax::Span) -> types::Span {
    types::Span {
        start_line: s.start_line,
        start_column: s.start_column,
        end_line: s.end_line,
        end_column: s.end_column,
    }
}

fn language(l: syntax::Language) -> Language {
    match l {
        syntax::Language::Python => Language::Python,
        syntax::Language::Javascript => Language::JavaScript,
        syntax::Language::Typescript => Language::TypeScript,
        syntax::Language::Tsx => Language::Tsx,
        syntax::Language::Ruby => Language::Ruby,
        syntax::Language::Go => Language::Go,
        syntax::Language::Java => Language::Java,
    }
}

fn wit_language(l: Language) -> syntax::Language {
    match l {
        Language::Python => syntax::Language::Python,
        Language::JavaScript => syntax::Language::Javascript,
        Language::TypeScript => syntax::Language::Typescript,
        Language::Tsx => syntax::Language::Tsx,
        Language::Ruby => syntax::Language::Ruby,
        Language::Go => syntax::Language::Go,
        Language::Java => syntax::Language::Java,
    }
}
