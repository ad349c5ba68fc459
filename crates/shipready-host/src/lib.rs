//! The shipready host: loads checks (WebAssembly components), runs each in
//! its own sandbox, and offers them host services.
//!
//! - [`engine`]: the wasmtime engine and the on-disk cache of compiled components.
//! - [`limits`]: the bounds on every run (memory, deadline, findings, output).
//! - [`services`]: what checks may call, done natively and in parallel: the
//!   repository index ([`services::repo`]) and multi-pattern search
//!   ([`services::search`]).
//! - [`contract`]: the WIT bindings, one module per released contract version.
//! - [`runner`]: describe, grant, run, contain failures, turn results into
//!   [`shipready_report::CheckRun`]s, several checks at once.

pub mod contract;
pub mod engine;
pub mod limits;
pub mod runner;
mod sandbox;
pub mod services;

pub use engine::{Engine, EngineError};
pub use limits::Limits;
pub use runner::{Capability, CheckSource, RunOptions, Runner, Source};
pub use services::repo::{FileKind, IndexOptions, RepoError, RepoIndex};
