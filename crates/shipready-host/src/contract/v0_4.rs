//! Bindings for `shipready:check@0.4.0` (`wit/released/0.4.0`): 0.3.0 plus
//! `sql.parse-files` and `sql.count-statements`, `http` and `tls`.

wasmtime::component::bindgen!({
    path: "../../wit/released/0.4.0",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, http, log, repo, search as search_wit, sql, tls};

pub const VERSION: &str = "0.4.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.4.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.4.0";

since_0_4_host!();

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_0_4_to_linker(linker)
}
