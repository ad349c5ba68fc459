//! Statements through `sqlparser` into [`Op`]s (the `parser` feature).

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, ObjectName, Set, Statement,
    TableConstraint,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::ops::{DefaultKind, Located, Op, excerpt, normalize};
use crate::sql::{DATA_CHANGES, Dialect, ParseError, Parsed, data_change_kind, split};

/// Template syntax: `{{`, `{%`, `${` or `<%`.
fn templated(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr3_iter(b'{', b'$', b'<', bytes).any(|i| {
        matches!(
            (bytes[i], bytes.get(i + 1)),
            (b'{', Some(b'{' | b'%')) | (b'$', Some(b'{')) | (b'<', Some(b'%'))
        )
    })
}

/// Parse SQL whose first line is `first_line` of its file.
/// What a statement's first words say about it, before any parsing.
enum Kind {
    /// Judged by the rules: parsed in full.
    Parse,
    /// Known from its first word alone.
    Known(Op),
    /// Not judged by any rule (`COMMENT`, `GRANT`, `CREATE FUNCTION`,
    /// `SELECT`, a psql meta-command, ...): not parsed.
    Skip,
}

fn kind(text: &str) -> Kind {
    let mut words = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty());
    let (mut first, mut second) = ([0u8; WORD], [0u8; WORD]);
    let first = upper(words.next().unwrap_or_default(), &mut first);
    let second = upper(words.next().unwrap_or_default(), &mut second);
    match (first, second) {
        _ if text.starts_with('\\') => Kind::Skip,
        // Generated SQL is reported as such, whatever it is.
        _ if templated(text) => Kind::Parse,
        (
            "CREATE",
            "TABLE" | "INDEX" | "UNIQUE" | "POLICY" | "TEMP" | "TEMPORARY" | "UNLOGGED" | "GLOBAL"
            | "LOCAL" | "OR",
        ) => Kind::Parse,
        ("ALTER" | "DROP", "TABLE") => Kind::Parse,
        (word, _) if DATA_CHANGES.contains(&word) => Kind::Known(Op::DataChange {
            table: None,
            kind: data_change_kind(word),
        }),
        ("BEGIN" | "START", _) => Kind::Known(Op::Begin),
        ("COMMIT" | "END", _) => Kind::Known(Op::Commit),
        ("SET", _) if text.to_ascii_lowercase().contains("lock_timeout") => {
            Kind::Known(Op::SetLockTimeout)
        }
        _ if NOT_JUDGED.contains(&first) || ["CREATE", "ALTER", "DROP"].contains(&first) => {
            Kind::Skip
        }
        // Anything else (`WITH`, or not SQL at all) goes to the parser, so
        // what it cannot read is reported.
        _ => Kind::Parse,
    }
}

/// Longer than any keyword [`kind`] looks for.
const WORD: usize = 16;

/// An ASCII word in upper case, in `buf` (cut at [`WORD`] bytes, which no
/// keyword reaches), without allocating: this runs on every statement.
fn upper<'b>(word: &str, buf: &'b mut [u8; WORD]) -> &'b str {
    let n = word.len().min(WORD);
    for (to, from) in buf.iter_mut().zip(word.bytes()) {
        *to = from.to_ascii_uppercase();
    }
    std::str::from_utf8(&buf[..n]).unwrap_or_default()
}

/// Statements no rule judges, by first word (`CREATE`, `ALTER` and `DROP`
/// of anything but a table, index or policy are skipped too).
const NOT_JUDGED: &[&str] = &[
    "COMMENT",
    "GRANT",
    "REVOKE",
    "SELECT",
    "DO",
    "ANALYZE",
    "VACUUM",
    "REFRESH",
    "LOCK",
    "CALL",
    "EXPLAIN",
    "SHOW",
    "USE",
    "PRAGMA",
    "RESET",
    "NOTIFY",
    "CLUSTER",
    "REINDEX",
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "DECLARE",
    "COPY",
    "SECURITY",
    "IMPORT",
    "SET",
    "DELIMITER",
    "PREPARE",
    "EXECUTE",
    "DEALLOCATE",
    "LISTEN",
    "UNLISTEN",
    "LOAD",
    "CHECKPOINT",
    "DISCARD",
    "ABORT",
];

/// Parse SQL whose first line is `first_line` of its file. Statements the
/// rules judge (`CREATE TABLE`/`INDEX`/`POLICY`, `ALTER TABLE`, `DROP
/// TABLE`, `WITH`) go through the parser; the rest are known from their
/// first word or not judged at all, which keeps large migration sets cheap.
pub fn parse(sql: &str, first_line: u32, dialect: Dialect) -> Parsed {
    let chunks = split(sql, first_line);
    let mut parsed = Parsed {
        statements: chunks.len() as u32,
        ..Parsed::default()
    };
    for chunk in chunks {
        match kind(chunk.text) {
            Kind::Skip => continue,
            Kind::Known(op) => {
                parsed.ops.push(Located {
                    line: chunk.line,
                    text: excerpt(chunk.text),
                    op,
                });
                continue;
            }
            Kind::Parse => {}
        }
        let result = match dialect {
            Dialect::Postgres => Parser::parse_sql(&PostgreSqlDialect {}, chunk.text),
            Dialect::MySql => Parser::parse_sql(&MySqlDialect {}, chunk.text),
            Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, chunk.text),
        }
        .or_else(|e| Parser::parse_sql(&GenericDialect {}, chunk.text).map_err(|_| e));
        match result {
            Ok(statements) => {
                for statement in statements {
                    for op in ops_of(&statement) {
                        parsed.ops.push(Located {
                            line: chunk.line,
                            text: excerpt(chunk.text),
                            op,
                        });
                    }
                }
            }
            Err(e) => parsed.errors.push(ParseError {
                line: chunk.line,
                message: e.to_string(),
                templated: templated(chunk.text),
            }),
        }
    }
    parsed
}

/// A table's name, unqualified and lower-case.
fn name(n: &ObjectName) -> String {
    match n.0.last().and_then(|part| part.as_ident()) {
        Some(ident) => ident.value.to_ascii_lowercase(),
        None => normalize(&n.to_string()),
    }
}

fn default_kind(expr: &Expr) -> DefaultKind {
    DefaultKind::of_expression(&expr.to_string())
}

fn ops_of(statement: &Statement) -> Vec<Op> {
    match statement {
        Statement::CreateTable(t) => vec![Op::CreateTable {
            table: name(&t.name),
            columns: t.columns.iter().map(|c| normalize(&c.name.value)).collect(),
        }],
        Statement::CreateIndex(i) => vec![Op::CreateIndex {
            table: name(&i.table_name),
            unique: i.unique,
            concurrently: i.concurrently,
        }],
        Statement::AlterTable(a) => {
            let table = name(&a.name);
            a.operations
                .iter()
                .map(|operation| alter_op(&table, operation))
                .collect()
        }
        Statement::Drop {
            object_type, names, ..
        } if object_type.to_string().eq_ignore_ascii_case("TABLE") => names
            .iter()
            .map(|n| Op::DropTable { table: name(n) })
            .collect(),
        Statement::Insert(_) => vec![Op::DataChange {
            table: None,
            kind: "INSERT",
        }],
        Statement::Update(_) => vec![Op::DataChange {
            table: None,
            kind: "UPDATE",
        }],
        Statement::Delete(_) => vec![Op::DataChange {
            table: None,
            kind: "DELETE",
        }],
        Statement::StartTransaction { .. } => vec![Op::Begin],
        Statement::Commit { .. } => vec![Op::Commit],
        Statement::Set(set) if sets_lock_timeout(set) => vec![Op::SetLockTimeout],
        Statement::CreatePolicy(p) => vec![Op::CreatePolicy {
            table: name(&p.table_name),
        }],
        _ => vec![Op::Other],
    }
}

fn sets_lock_timeout(set: &Set) -> bool {
    set.to_string()
        .to_ascii_lowercase()
        .contains("lock_timeout")
}

fn alter_op(table: &str, operation: &AlterTableOperation) -> Op {
    let table = table.to_string();
    match operation {
        AlterTableOperation::AddColumn { column_def, .. } => {
            let mut not_null = false;
            let mut default = DefaultKind::None;
            for option in &column_def.options {
                match &option.option {
                    ColumnOption::NotNull => not_null = true,
                    ColumnOption::Default(expr) => default = default_kind(expr),
                    _ => {}
                }
            }
            Op::AddColumn {
                table,
                column: normalize(&column_def.name.value),
                not_null,
                default,
            }
        }
        AlterTableOperation::DropColumn { column_names, .. } => Op::DropColumn {
            table,
            column: column_names
                .iter()
                .map(|c| normalize(&c.value))
                .collect::<Vec<_>>()
                .join(", "),
        },
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => Op::RenameColumn {
            table,
            from: normalize(&old_column_name.value),
            to: normalize(&new_column_name.value),
        },
        AlterTableOperation::RenameTable { table_name } => Op::RenameTable {
            from: table,
            to: normalize(&table_name.to_string().replace("TO ", "")),
        },
        AlterTableOperation::AlterColumn { column_name, op } => match op {
            AlterColumnOperation::SetNotNull => Op::SetNotNull {
                table,
                column: normalize(&column_name.value),
            },
            AlterColumnOperation::SetDataType { .. } => Op::ChangeType {
                table,
                column: normalize(&column_name.value),
            },
            _ => Op::Other,
        },
        AlterTableOperation::ChangeColumn { old_name, .. } => Op::ChangeType {
            table,
            column: normalize(&old_name.value),
        },
        AlterTableOperation::ModifyColumn { col_name, .. } => Op::ChangeType {
            table,
            column: normalize(&col_name.value),
        },
        AlterTableOperation::AddConstraint {
            constraint,
            not_valid,
        } => match constraint {
            TableConstraint::ForeignKey(_) => Op::AddForeignKey {
                table,
                not_valid: *not_valid,
            },
            TableConstraint::Check(_) => Op::AddCheck {
                table,
                not_valid: *not_valid,
            },
            TableConstraint::Unique(u) => Op::AddUnique {
                table,
                using_index: u.index_name.is_some() && u.columns.is_empty(),
            },
            _ => Op::Other,
        },
        AlterTableOperation::EnableRowLevelSecurity => Op::EnableRowLevelSecurity { table },
        _ => Op::Other,
    }
}
