//! The plugin contract as the host sees it: one module of bindings per
//! released version of `wit/` (`shipready:check@<version>`). Host services
//! are implemented once, in [`crate::services`]; each version's module only
//! adapts types. A later version adds a module and links it beside the
//! older ones, so checks built against an older version keep loading.

pub mod v0_1;

/// The WIT package every check's imports and exports live in.
pub const PACKAGE: &str = "shipready:check";

/// The contract versions this host can load.
pub const SUPPORTED: &[&str] = &[v0_1::VERSION];
