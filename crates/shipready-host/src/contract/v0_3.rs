//! Bindings for `shipready:check@0.3.0` (`wit/check.wit`): 0.2.0 plus runs
//! limited to a change (`context.changed-files`, `search.changed-files`) and
//! `repo.paths`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit};

pub const VERSION: &str = "0.3.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.3.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.3.0";

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
            let max = self.limits.max_search_hits;
            let index = self.require(Capability::Search).map_err(denied)?;
            let specs: Vec<PatternSpec> = patterns.into_iter().map(wit_pattern).collect();
            let (hits, truncated) =
                search::search_changed(index, self.changed.as_deref(), &specs, &globs, max)
                    .map_err(host_error)?;
            Ok(search_wit::Hits {
                truncated,
                hits: hits.into_iter().map(wit_hit).collect(),
            })
        }
    }
);

history_host!();
