//! Host services: the heavy lifting checks ask for, done natively, in
//! parallel, once per run and shared by every check.

pub mod diff;
pub mod history;
pub mod http;
pub mod repo;
pub mod revisions;
pub mod search;
pub mod sql;
pub mod syntax;
pub mod tls;
