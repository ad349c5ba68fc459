//! Bindings for `shipready:check@0.3.0` (`wit/check.wit`): 0.2.0 plus runs
//! limited to a change (`context.changed-files`, `search.changed-files`) and
//! `repo.paths`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use shipready::check::types;
use shipready::check::{history, log, repo, search as search_wit, sql};

pub const VERSION: &str = "0.3.0";
/// The interface a check of this version exports.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.3.0";
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.3.0";

common_host!(
    repo {
        fn paths(&mut self, globs: Vec<String>) -> Result<Vec<repo::ListedFile>, types::HostError> {
            let index = self.require(Capability::Repo).map_err(denied)?;
            Ok(index
                .list(&globs)
                .map_err(host_error)?
                .into_iter()
                .map(|e| repo::ListedFile {
                    path: e.path.clone(),
                    size: e.size,
                    language: e.language.map(str::to_string),
                })
                .collect())
        }
    }
    search {
        fn changed_files(
            &mut self,
            patterns: Vec<search_wit::Pattern>,
            globs: Vec<String>,
        ) -> Result<search_wit::Hits, types::HostError> {
            search_files(self, patterns, globs, true)
        }
    }
);

history_host!();

/// `sql` too: pure computation, so not behind a capability.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    add_history_to_linker(linker)?;
    sql::add_to_linker::<State, HasSelf<State>>(linker, |s| s)
}

impl sql::Host for State {
    fn parse(&mut self, sources: Vec<sql::Source>, dialect: sql::Dialect) -> Vec<sql::Parsed> {
        let dialect = match dialect {
            sql::Dialect::Postgres => shipready_schema::sql::Dialect::Postgres,
            sql::Dialect::Mysql => shipready_schema::sql::Dialect::MySql,
            sql::Dialect::Sqlite => shipready_schema::sql::Dialect::Sqlite,
        };
        let sources: Vec<(String, u32)> = sources
            .into_iter()
            .map(|s| (s.text, s.first_line))
            .collect();
        crate::services::sql::parse_all(&sources, dialect)
            .into_iter()
            .map(|p| sql::Parsed {
                count: p.statements,
                statements: p
                    .ops
                    .into_iter()
                    .map(|l| sql::Statement {
                        line: l.line,
                        text: l.text,
                        op: wit_op(l.op),
                    })
                    .collect(),
                errors: p
                    .errors
                    .into_iter()
                    .map(|e| sql::ParseError {
                        line: e.line,
                        message: e.message,
                        templated: e.templated,
                    })
                    .collect(),
            })
            .collect()
    }
}

fn wit_op(op: shipready_schema::Op) -> sql::Op {
    use shipready_schema::{DefaultKind, Op};
    match op {
        Op::CreateTable { table, columns } => {
            sql::Op::CreateTable(sql::CreateTable { table, columns })
        }
        Op::DropTable { table } => sql::Op::DropTable(table),
        Op::RenameTable { from, to } => sql::Op::RenameTable(sql::RenameTable {
            old_name: from,
            new_name: to,
        }),
        Op::AddColumn {
            table,
            column,
            not_null,
            default,
        } => sql::Op::AddColumn(sql::AddColumn {
            table,
            column,
            not_null,
            default: match default {
                DefaultKind::None => sql::DefaultKind::None,
                DefaultKind::Constant => sql::DefaultKind::Constant,
                DefaultKind::Volatile(f) => sql::DefaultKind::Volatile(f),
            },
        }),
        Op::DropColumn { table, column } => sql::Op::DropColumn(sql::ColumnRef { table, column }),
        Op::RenameColumn { table, from, to } => sql::Op::RenameColumn(sql::RenameColumn {
            table,
            old_name: from,
            new_name: to,
        }),
        Op::ChangeType { table, column } => sql::Op::ChangeType(sql::ColumnRef { table, column }),
        Op::SetNotNull { table, column } => sql::Op::SetNotNull(sql::ColumnRef { table, column }),
        Op::CreateIndex {
            table,
            unique,
            concurrently,
        } => sql::Op::CreateIndex(sql::CreateIndex {
            table,
            unique,
            concurrently,
        }),
        Op::AddForeignKey { table, not_valid } => {
            sql::Op::AddForeignKey(sql::AddConstraint { table, not_valid })
        }
        Op::AddCheck { table, not_valid } => {
            sql::Op::AddCheck(sql::AddConstraint { table, not_valid })
        }
        Op::AddUnique { table, using_index } => {
            sql::Op::AddUnique(sql::AddUnique { table, using_index })
        }
        Op::SetLockTimeout => sql::Op::SetLockTimeout,
        Op::Begin => sql::Op::Begin,
        Op::Commit => sql::Op::Commit,
        Op::DataChange { kind, .. } => sql::Op::DataChange(kind.to_string()),
        Op::EnableRowLevelSecurity { table } => sql::Op::EnableRowLevelSecurity(table),
        Op::CreatePolicy { table } => sql::Op::CreatePolicy(table),
        Op::Other => sql::Op::Other,
    }
}
