//! SQL migrations: dialects, statements and what parsing them gives.
//!
//! A file is split into statements first (quotes, `$tag$` bodies and
//! comments respected), each remembering its first line; with the `parser`
//! feature, [`parse`] then reads each statement on its own with a real
//! parser (`sqlparser`), so one it cannot read becomes a [`ParseError`] at
//! its line and the rest of the file is still read.

use crate::ops::Located;

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
    /// Statements in the text, parsed or not.
    pub statements: u32,
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
    let mut line = first_line;
    let mut start: Option<(u32, usize)> = None;
    let mut i = 0;
    // A statement's text starts at its first character of code: comments
    // before it are not part of it.
    let push = |at: Option<(u32, usize)>, to: usize, out: &mut Vec<Chunk<'a>>| {
        if let Some((line, from)) = at {
            let text = sql[from..to].trim();
            if !text.is_empty() {
                out.push(Chunk { line, text });
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
        if !b.is_ascii_whitespace() && start.is_none() {
            start = Some((line, i));
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
                push(start.take(), i, &mut out);
                i += 1;
            }
            _ => {
                i += 1;
                // Inside a statement, skip a run of ordinary bytes at once.
                if start.is_some() {
                    while i < bytes.len() && !SPECIAL[bytes[i] as usize] {
                        i += 1;
                    }
                }
            }
        }
    }
    push(start, sql.len(), &mut out);
    out
}

/// Bytes that can start a line, comment, quote, `$tag$` or end a statement.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let special = b"\n'\"`$;-/";
    let mut k = 0;
    while k < special.len() {
        table[special[k] as usize] = true;
        k += 1;
    }
    table
};

#[cfg(feature = "parser")]
pub use crate::parser::parse;

/// Something that parses SQL into operations: in a check, the host's `sql`
/// service; natively, [`Native`].
pub trait ParseSql {
    /// Parse `sql`, whose first line is `first_line` of its file.
    fn parse_sql(&self, sql: &str, first_line: u32) -> Parsed;
}

/// [`parse`] in this process, in one dialect.
#[cfg(feature = "parser")]
pub struct Native(pub Dialect);

#[cfg(feature = "parser")]
impl ParseSql for Native {
    fn parse_sql(&self, sql: &str, first_line: u32) -> Parsed {
        parse(sql, first_line, self.0)
    }
}

/// The kinds of data change, as `Op::DataChange` names them.
pub const DATA_CHANGES: &[&str] = &["INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"];

/// A data change's kind as one of [`DATA_CHANGES`] (`UPDATE` when unknown).
pub fn data_change_kind(kind: &str) -> &'static str {
    DATA_CHANGES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(kind))
        .copied()
        .unwrap_or("UPDATE")
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::ops::{DefaultKind, Op};

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
