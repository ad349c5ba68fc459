//! Bindings for `shipready:check@0.4.0` (`wit/check.wit`): 0.3.0 plus
//! `sql.parse-files`, repository files read and parsed by the host.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit, sql};

pub const VERSION: &str = "0.4.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.4.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.4.0";

since_0_3_host!(
    sql {
        fn parse_files(
            &mut self,
            paths: Vec<String>,
            dialect: sql::Dialect,
        ) -> Vec<Result<sql::ParsedFile, types::HostError>> {
            let index = match self.require(Capability::Repo) {
                Ok(index) => index,
                Err(d) => return refused(d, &paths),
            };
            crate::services::sql::parse_files(index, &paths, sql_dialect(dialect))
                .into_iter()
                .map(|r| {
                    r.map(|f| sql::ParsedFile {
                        header: f.header,
                        parsed: wit_parsed(f.parsed),
                    })
                    .map_err(host_error)
                })
                .collect()
        }

        fn count_statements(&mut self, paths: Vec<String>) -> Vec<Result<u32, types::HostError>> {
            let index = match self.require(Capability::Repo) {
                Ok(index) => index,
                Err(d) => return refused(d, &paths),
            };
            crate::services::sql::count_statements(index, &paths)
                .into_iter()
                .map(|r| r.map_err(host_error))
                .collect()
        }
    }
);

/// The same refusal for every path of a call.
fn refused<T>(d: Denied, paths: &[String]) -> Vec<Result<T, types::HostError>> {
    let e = denied(d);
    paths.iter().map(|_| Err(e.clone())).collect()
}

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_0_3_to_linker(linker)
}
