//! Bindings for `shipready:check@0.3.0` (`wit/released/0.3.0`): 0.2.0 plus
//! runs limited to a change (`context.changed-files`,
//! `search.changed-files`), `repo.paths` and `sql`.

wasmtime::component::bindgen!({
    path: "../../wit/released/0.3.0",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit, sql};

pub const VERSION: &str = "0.3.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.3.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.3.0";

since_0_3_host!();

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_0_3_to_linker(linker)
}
