//! Bindings for `shipready:check@0.2.0` (`wit/released/0.2.0`): 0.1.0 plus the
//! `history` interface and commits on file locations.

wasmtime::component::bindgen!({
    path: "../../wit/released/0.2.0",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit};

pub const VERSION: &str = "0.2.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.2.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.2.0";

common_host!();

history_host!();

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_history_to_linker(linker)
}
