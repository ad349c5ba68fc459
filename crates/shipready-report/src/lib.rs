//! The shipready report.
//!
//! - [`model`]: findings, check runs and report items, serialisable and with a
//!   JSON Schema (`reports/report.schema.json`).
//! - [`dod`]: the definition of done as data (`reports/*.toml`) and its
//!   evaluation into items with a status and a verdict.
//! - [`render`]: one renderer per output format.
//!
//! The host produces [`model::CheckRun`]s; this crate turns them into a
//! [`model::Report`] and text.

pub mod baseline;
pub mod dod;
pub mod model;
pub mod render;

pub use dod::{Definition, DodError, ItemSpec};
pub use model::*;
