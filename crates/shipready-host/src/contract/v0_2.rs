//! Bindings for `shipready:check@0.2.0` (`wit/check.wit`): 0.1.0 plus the
//! `history` interface and commits on file locations.

use shipready_report::{Location, Span};

use crate::services::history::{HistoryHit, Scope};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit};

pub const VERSION: &str = "0.2.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.2.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.2.0";

common_host!();

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
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
    }
}

fn wit_capability(c: Capability) -> types::Capability {
    match c {
        Capability::Repo => types::Capability::Repo,
        Capability::Search => types::Capability::Search,
        Capability::History => types::Capability::History,
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

impl State {
    fn history_index(&self) -> Result<&crate::services::history::HistoryIndex, types::HostError> {
        if !self.granted.contains(&Capability::History) {
            return Err(types::HostError::NotGranted(types::Capability::History));
        }
        let source = self
            .history
            .as_deref()
            .ok_or_else(|| types::HostError::Invalid("no repository is being checked".into()))?;
        source.index().map_err(types::HostError::Io)
    }
}

impl history::Host for State {
    fn scope(&mut self) -> Result<history::HistoryScope, types::HostError> {
        Ok(wit_scope(self.history_index()?.scope()))
    }

    fn search(
        &mut self,
        patterns: Vec<search_wit::Pattern>,
        globs: Vec<String>,
    ) -> Result<history::HistoryHits, types::HostError> {
        let max = self.limits.max_search_hits;
        let index = self.history_index()?;
        let specs: Vec<PatternSpec> = patterns.into_iter().map(wit_pattern).collect();
        let (hits, truncated) = index.search(&specs, &globs, max).map_err(host_error)?;
        Ok(history::HistoryHits {
            truncated,
            hits: hits.into_iter().map(wit_history_hit).collect(),
        })
    }
}
