//! What a repository's migrations do to its database schema.
//!
//! Every migration system is read into the same list of [`Op`]s, each with
//! the line it comes from: SQL through a real SQL parser ([`sql`]), Rails,
//! Django, Alembic, Knex, Sequelize and TypeORM migrations through their
//! framework calls ([`frameworks`]), whose raw SQL goes through the same
//! parser. The migrations check judges the operations; [`Schema`] replays
//! them in order to learn which tables and columns exist and who created
//! them, which the tenant-isolation check needs too.
//!
//! No I/O here: callers hand in file contents, so this runs in a check's
//! sandbox, in the host and in native tests alike. Features: `parser` (the
//! SQL parser, for the host and native tests), `frameworks` (the framework
//! readers, which parse their embedded SQL through any [`sql::ParseSql`]:
//! in a check, the host's); without either, only the types (for the SDK).

#[cfg(feature = "frameworks")]
pub mod calls;
pub mod filters;
#[cfg(feature = "frameworks")]
pub mod frameworks;
mod ops;
#[cfg(feature = "parser")]
mod parser;
mod schema;
pub mod sql;

pub use ops::{DefaultKind, Located, Op, excerpt, normalize};
pub use schema::{Schema, Table};
pub use sql::{Dialect, ParseError, Parsed};
