//! Bindings for `shipready:check@0.1.0` (frozen: `wit/released/0.1.0`).
//! Repository and search services; no history.

use shipready_report::{Location, Span};

wasmtime::component::bindgen!({
    path: "../../wit/released/0.1.0",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{log, repo, search as search_wit};

pub const VERSION: &str = "0.1.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.1.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.1.0";

common_host!();

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_common_to_linker(linker)
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
            commit: None,
        },
        types::Location::Url(u) => Location::Url { url: clip(u, max) },
    }
}

pub fn capability(c: types::Capability) -> Capability {
    match c {
        types::Capability::Repo => Capability::Repo,
        types::Capability::Search => Capability::Search,
    }
}

/// 0.1.0 cannot name capabilities it does not have; the host never denies
/// them to a 0.1.0 check (it cannot call them).
fn wit_capability(c: Capability) -> types::Capability {
    match c {
        Capability::Search => types::Capability::Search,
        Capability::Repo
        | Capability::History
        | Capability::Http
        | Capability::Tls
        | Capability::Syntax => types::Capability::Repo,
    }
}
