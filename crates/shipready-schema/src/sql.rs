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

/// A SQL file's bytes as text, or why they are not: binary (NUL bytes in
/// the first 8 KiB) or not UTF-8.
pub fn file_text(bytes: Vec<u8>) -> Result<String, String> {
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err("a binary file".into());
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// The comment lines a SQL file starts with, trimmed, at most 100 of them
/// and 200 characters each (`-- no-transaction`, `-- migrate:up` after a
/// licence header): what migration tools read from a file's head.
pub fn header(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("--"))
        .filter(|l| !l.is_empty())
        .take(100)
        .map(|l| l.chars().take(200).collect())
        .collect()
}

/// A SQL file read and parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// [`header`]
    pub header: Vec<String>,
    pub parsed: Parsed,
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
    let mut lines = Lines {
        bytes,
        at: 0,
        line: first_line,
    };
    // A statement's text starts at its first character of code: comments
    // before it are not part of it.
    let mut push = |from: Option<usize>, to: usize, out: &mut Vec<Chunk<'a>>| {
        if let Some(from) = from {
            let text = sql[from..to].trim_end();
            if !text.is_empty() {
                out.push(Chunk {
                    line: lines.line_at(from),
                    text,
                });
            }
        }
    };
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match (b, bytes.get(i + 1)) {
            (b'-', Some(b'-')) => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p);
                continue;
            }
            (b'/', Some(b'*')) => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            start = Some(i);
        }
        match b {
            b'\'' | b'"' | b'`' => i = after_quoted(bytes, i),
            b'$' => i = after_dollar_quoted(sql, i),
            b';' => {
                push(start.take(), i, &mut out);
                i += 1;
            }
            _ => {
                // Skip a run of ordinary bytes at once.
                i += 1;
                while i < bytes.len() && !SPECIAL[bytes[i] as usize] {
                    i += 1;
                }
            }
        }
    }
    push(start, sql.len(), &mut out);
    out
}

/// Line numbers of byte offsets, asked in increasing order.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u32,
}

impl Lines<'_> {
    fn line_at(&mut self, pos: usize) -> u32 {
        self.line += self.bytes[self.at..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        self.at = pos;
        self.line
    }
}

/// The offset after the quoted string opening at `i` (`'…'`, `"…"`,
/// `` `…` ``; a doubled quote stays inside, as does a backslash-escaped
/// one in single quotes).
fn after_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    loop {
        let next = if quote == b'\'' {
            memchr::memchr2(quote, b'\\', &bytes[j..])
        } else {
            memchr::memchr(quote, &bytes[j..])
        };
        let Some(p) = next.map(|p| j + p) else {
            return bytes.len();
        };
        // A backslash escape, or a doubled quote: still inside.
        if bytes[p] == b'\\' || bytes.get(p + 1) == Some(&quote) {
            j = p + 2;
        } else {
            return p + 1;
        }
        if j >= bytes.len() {
            return bytes.len();
        }
    }
}

/// The offset after a `$tag$ … $tag$` body (Postgres function bodies)
/// opening at `i`, or after the `$` when it opens none.
fn after_dollar_quoted(sql: &str, i: usize) -> usize {
    let bytes = sql.as_bytes();
    let tag_end = bytes[i + 1..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
        .map(|p| i + 1 + p);
    match tag_end {
        Some(e) if bytes[e] == b'$' => {
            let tag = &sql[i..=e];
            match memchr::memmem::find(&bytes[e + 1..], tag.as_bytes()) {
                Some(close) => e + 1 + close + tag.len(),
                None => bytes.len(),
            }
        }
        _ => i + 1,
    }
}

/// Bytes that can start a comment, quote, `$tag$` or end a statement.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let special = b"'\"`$;-/";
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
