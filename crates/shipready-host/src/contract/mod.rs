//! The plugin contract as the host sees it: one module of bindings per
//! released version of `wit/` (`shipready:check@<version>`). Host services
//! are implemented once, in [`crate::services`]; what every version shares
//! is written once in [`common_host!`] and expanded in each version's
//! module, which adds only what differs. The linker carries every version
//! at once, so checks built against an older contract keep loading.

#[macro_use]
mod common;
pub(crate) mod plugin;
pub mod v0_1;
pub mod v0_2;
pub mod v0_3;
pub mod v0_4;
pub mod v0_5;

use wasmtime::StoreContextMut;

use crate::runner::Capability;
use crate::sandbox::State;
use crate::services::repo::RepoIndex;

/// The WIT package every check's imports and exports live in.
pub const PACKAGE: &str = "shipready:check";

/// The contract versions this host can load, oldest first.
pub const SUPPORTED: &[&str] = &[
    v0_1::VERSION,
    v0_2::VERSION,
    v0_3::VERSION,
    v0_4::VERSION,
    v0_5::VERSION,
];

/// Link every supported version's host interfaces.
pub(crate) fn add_to_linker(
    linker: &mut wasmtime::component::Linker<State>,
) -> wasmtime::Result<()> {
    v0_1::add_to_linker(linker)?;
    v0_2::add_to_linker(linker)?;
    v0_3::add_to_linker(linker)?;
    v0_4::add_to_linker(linker)?;
    v0_5::add_to_linker(linker)
}

/// Why a service call was refused before it started.
pub(crate) enum Denied {
    NotGranted(Capability),
    NoRepository,
}

impl State {
    pub(crate) fn require(&self, c: Capability) -> Result<&RepoIndex, Denied> {
        if !self.granted.contains(&c) {
            return Err(Denied::NotGranted(c));
        }
        self.repo.as_deref().ok_or(Denied::NoRepository)
    }
}

/// Record why the host stopped the check, and make the trap that stops it.
pub(crate) fn state_violation(
    store: &mut StoreContextMut<'_, State>,
    reason: String,
) -> wasmtime::Error {
    store.data_mut().violation = Some(reason.clone());
    wasmtime::format_err!(reason)
}

/// At most `max` bytes of `s` (on a character boundary), marked when cut.
pub(crate) fn clip(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
