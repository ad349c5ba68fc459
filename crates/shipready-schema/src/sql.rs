//! SQL migrations through a real parser (`sqlparser`).
//!
//! A file is split into statements first (quotes, `$tag$` bodies and
//! comments respected), each remembering its first line; each statement is
//! then parsed on its own, so one the parser cannot read becomes a
//! [`ParseError`] at its line and the rest of the file is still read.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, Expr, ObjectName, Set, Statement,
    TableConstraint,
};
use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::ops::{DefaultKind, Located, Op, excerpt, normalize};

/// The SQL dialect migrations are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    MySql,
    Sqlite,
}

impl Dialect {
    pub const NAMES: &[&str] = &["postgres", "mysql", "sqlite"];

    pub fn parse(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            "sqlite" => Some(Dialect::Sqlite),
            _ => None,
        }
    }
}

/// A statement the parser could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
    /// The statement holds template syntax (`{{ }}`, `{% %}`, `${}`): it is
    /// generated, not SQL yet.
    pub templated: bool,
}

/// What a SQL text holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub ops: Vec<Located>,
    pub errors: Vec<ParseError>,
}

/// One statement of a file: its text and first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub line: u32,
    pub text: &'a str,
}

/// Split SQL into statements at `;`, outside quotes, `$tag$` bodies and
/// comments. Lines are 1-based, counted from `first_line`. Statements that
/// are only whitespace and comments are dropped.
pub fn split<'a>(sql: &'a str, first_line: u32) -> Vec<Chunk<'a>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    let mut start_line: Option<u32> = None;
    let mut i = 0;
    let push = |from: usize, to: usize, at: Option<u32>, out: &mut Vec<Chunk<'a>>| {
        if let Some(at) = at {
            let text = sql[from..to].trim();
            if !text.is_empty() {
                out.push(Chunk { line: at, text });
            }
        }
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                i += 2;
                continue;
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() && start_line.is_none() {
            start_line = Some(line);
        }
        match b {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\n' {
                        line += 1;
                    }
                    if bytes[i] == b {
                        if bytes.get(i + 1) == Some(&b) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if bytes[i] == b'\\' && b == b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                // `$tag$ … $tag$` (Postgres function bodies).
                let tag_end = bytes[i + 1..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if bytes[e] == b'$' => {
                        let tag = &sql[i..=e];
                        match sql[e + 1..].find(tag) {
                            Some(close) => {
                                let end = e + 1 + close + tag.len();
                                line += sql[i..end].matches('\n').count() as u32;
                                i = end;
                            }
                            None => i = bytes.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push(start, i, start_line.take(), &mut out);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(start, sql.len(), start_line, &mut out);
    out
}

fn templated(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("${") || text.contains("<%")
}

/// Parse SQL whose first line is `first_line` of its file.
pub fn parse(sql: &str, first_line: u32, dialect: Dialect) -> Parsed {
    let mut parsed = Parsed::default();
    for chunk in split(sql, first_line) {
        if chunk.text.starts_with('\\') {
            continue; // a psql meta-command
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

fn name(n: &ObjectName) -> String {
    normalize(&n.to_string())
}

/// Functions whose value differs per row: a default using one rewrites the table.
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "uuid",
    "rand",
];

fn default_kind(expr: &Expr) -> DefaultKind {
    let text = expr.to_string().to_ascii_lowercase();
    match VOLATILE.iter().find(|f| text.contains(&format!("{f}("))) {
        Some(f) => DefaultKind::Volatile(format!("{f}()")),
        None => DefaultKind::Constant,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(sql: &str) -> Vec<(u32, Op)> {
        let parsed = parse(sql, 1, Dialect::Postgres);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.ops.into_iter().map(|l| (l.line, l.op)).collect()
    }

    #[test]
    fn splits_at_semicolons_outside_quotes_bodies_and_comments() {
        let sql = "-- a; comment\nCREATE TABLE a (x text default 'a;b');\n\n/* b; */ CREATE FUNCTION f() RETURNS void AS $$ BEGIN; END $$ LANGUAGE plpgsql;\nSELECT 1";
        let chunks = split(sql, 1);
        let lines: Vec<u32> = chunks.iter().map(|c| c.line).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(chunks[1].text.contains("END $$"));
    }

    #[test]
    fn statements_become_operations() {
        let sql = "\
CREATE TABLE orgs (id bigint primary key, name text not null);
ALTER TABLE users ADD COLUMN org_id bigint NOT NULL;
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
CREATE INDEX CONCURRENTLY users_org ON users (org_id);
CREATE UNIQUE INDEX users_email ON public.users (email);
ALTER TABLE users ALTER COLUMN name SET NOT NULL;
ALTER TABLE users ALTER COLUMN age TYPE bigint;
ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (org_id) REFERENCES orgs (id) NOT VALID;
ALTER TABLE users RENAME COLUMN name TO full_name;
ALTER TABLE users DROP COLUMN legacy;
DROP TABLE old_things;
SET lock_timeout = '5s';
UPDATE users SET org_id = 1;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
";
        let got = ops(sql);
        assert_eq!(
            got[0],
            (
                1,
                Op::CreateTable {
                    table: "orgs".into(),
                    columns: vec!["id".into(), "name".into()]
                }
            )
        );
        assert_eq!(
            got[1].1,
            Op::AddColumn {
                table: "users".into(),
                column: "org_id".into(),
                not_null: true,
                default: DefaultKind::None
            }
        );
        assert_eq!(
            got[2].1,
            Op::AddColumn {
                table: "users".into(),
                column: "token".into(),
                not_null: false,
                default: DefaultKind::Volatile("gen_random_uuid()".into())
            }
        );
        assert_eq!(
            got[3].1,
            Op::CreateIndex {
                table: "users".into(),
                unique: false,
                concurrently: true
            }
        );
        assert_eq!(
            got[4].1,
            Op::CreateIndex {
                table: "users".into(),
                unique: true,
                concurrently: false
            }
        );
        assert!(matches!(got[5].1, Op::SetNotNull { .. }));
        assert!(matches!(got[6].1, Op::ChangeType { .. }));
        assert_eq!(
            got[7].1,
            Op::AddForeignKey {
                table: "users".into(),
                not_valid: true
            }
        );
        assert!(matches!(got[8].1, Op::RenameColumn { .. }));
        assert!(matches!(got[9].1, Op::DropColumn { .. }));
        assert_eq!(
            got[10].1,
            Op::DropTable {
                table: "old_things".into()
            }
        );
        assert_eq!(got[11].1, Op::SetLockTimeout);
        assert!(matches!(got[12].1, Op::DataChange { kind: "UPDATE", .. }));
        assert!(matches!(got[13].1, Op::EnableRowLevelSecurity { .. }));
        assert_eq!(got[13].0, 14);
    }

    #[test]
    fn an_unreadable_statement_is_an_error_at_its_line_and_the_rest_is_read() {
        let sql = "CREATE TABLE a (x int);\nALTER TABLE WHAT IS THIS;\nDROP TABLE b;\nCREATE TABLE {{ name }} (x int);\n";
        let parsed = parse(sql, 1, Dialect::Postgres);
        assert_eq!(parsed.ops.len(), 2);
        assert_eq!(parsed.errors.len(), 2);
        assert_eq!(parsed.errors[0].line, 2);
        assert!(!parsed.errors[0].templated);
        assert_eq!(parsed.errors[1].line, 4);
        assert!(parsed.errors[1].templated);
    }
}
