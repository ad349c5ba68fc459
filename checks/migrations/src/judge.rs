//! The rules on one migration's operations: what would lock or break a live
//! database, and whether it can be rolled back.
//!
//! Statements on a table the same migration creates are safe (nobody uses
//! it yet) and never reported. Lock rules are Postgres's; on MySQL and
//! SQLite only the rules that hold there apply.

use shipready_schema::sql::Dialect;
use shipready_schema::{DefaultKind, Op};
use shipready_sdk::prelude::*;

use crate::detect::{Down, Migration, created_tables};
use crate::rules::*;

/// A finding about to be reported: rule, line, message, fix.
pub struct Verdict {
    pub rule: &'static Rule,
    pub line: Option<u32>,
    pub message: String,
    pub evidence: Option<String>,
    pub fix: &'static str,
}

fn at(
    rule: &'static Rule,
    line: u32,
    message: String,
    evidence: &str,
    fix: &'static str,
) -> Verdict {
    Verdict {
        rule,
        line: Some(line),
        message,
        evidence: Some(evidence.to_string()),
        fix,
    }
}

/// Everything wrong with one migration.
pub fn judge(m: &Migration, dialect: Dialect) -> Vec<Verdict> {
    let mut out = Vec::new();
    let created = created_tables(m);
    let existing = |table: &str| !created.contains(&table);
    let postgres = dialect == Dialect::Postgres;
    let mut explicit_transaction = false;
    let mut lock_timeout = false;
    let mut lock_reported = false;
    let mut first_schema_change: Option<u32> = None;
    let mut first_data_change: Option<u32> = None;

    for located in &m.up {
        let line = located.line;
        let text = located.text.as_str();
        match &located.op {
            Op::Begin => explicit_transaction = true,
            Op::Commit => explicit_transaction = false,
            Op::SetLockTimeout => lock_timeout = true,
            Op::CreateIndex {
                table,
                concurrently: false,
                ..
            } if postgres && existing(table) => out.push(at(
                &INDEX_NOT_CONCURRENT,
                line,
                format!("index on `{table}` built without CONCURRENTLY: writes to `{table}` block until it is built"),
                text,
                "Build it with CREATE INDEX CONCURRENTLY, outside a transaction.",
            )),
            Op::CreateIndex {
                table,
                concurrently: true,
                ..
            } if postgres && (explicit_transaction || m.in_transaction) => out.push(at(
                &CONCURRENT_IN_TRANSACTION,
                line,
                format!(
                    "CREATE INDEX CONCURRENTLY on `{table}` inside a transaction ({}): Postgres refuses it",
                    if explicit_transaction { "an explicit BEGIN" } else { "the migration tool wraps this migration in one" }
                ),
                text,
                "Run the migration outside a transaction (see the rule's docs for each tool).",
            )),
            Op::AddColumn {
                table,
                column,
                not_null: true,
                default: DefaultKind::None,
            } if existing(table) && dialect != Dialect::MySql => out.push(at(
                &ADD_COLUMN_NOT_NULL,
                line,
                format!("`{table}.{column}` added NOT NULL without a default: existing rows have no value"),
                text,
                "Add it nullable, backfill, then enforce NOT NULL through a NOT VALID check constraint.",
            )),
            Op::AddColumn {
                table,
                column,
                default: DefaultKind::Volatile(function),
                ..
            } if postgres && existing(table) => out.push(at(
                &VOLATILE_DEFAULT,
                line,
                format!("`{table}.{column}` added with the volatile default {function}: the whole table is rewritten"),
                text,
                "Add the column without a default, SET DEFAULT for new rows, backfill in batches.",
            )),
            Op::SetNotNull { table, column } if postgres && existing(table) => out.push(at(
                &SET_NOT_NULL,
                line,
                format!("SET NOT NULL on `{table}.{column}` scans the table under an exclusive lock"),
                text,
                "Add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL.",
            )),
            Op::ChangeType { table, column } if existing(table) => out.push(at(
                &COLUMN_TYPE_CHANGE,
                line,
                format!("the type of `{table}.{column}` changes in place: a table rewrite, and running code expects the old type"),
                text,
                "Add a column of the new type, dual-write, backfill, switch reads, drop the old one later.",
            )),
            Op::DropColumn { table, column } if existing(table) => out.push(at(
                &DROP_COLUMN,
                line,
                format!("column `{table}.{column}` dropped while running code may still use it"),
                text,
                "Release code that no longer uses the column first; drop it in a later migration.",
            )),
            Op::DropTable { table } if existing(table) => out.push(at(
                &DROP_TABLE,
                line,
                format!("table `{table}` dropped"),
                text,
                "Remove every use and release first; back up; drop in a later migration.",
            )),
            Op::RenameColumn { table, from, to } if existing(table) => out.push(at(
                &RENAME,
                line,
                format!("column `{table}.{from}` renamed to `{to}`: running code still uses the old name"),
                text,
                "Expand and contract: add the new column, dual-write, backfill, move reads, drop the old.",
            )),
            Op::RenameTable { from, to } if existing(from) => out.push(at(
                &RENAME,
                line,
                format!("table `{from}` renamed to `{to}`: running code still uses the old name"),
                text,
                "Create the new table (or a view), move code over, then drop the old name.",
            )),
            Op::AddForeignKey {
                table,
                not_valid: false,
            } if postgres && existing(table) => out.push(at(
                &CONSTRAINT_NOT_VALID,
                line,
                format!("foreign key on `{table}` validated while writes are blocked"),
                text,
                "Add it NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
            )),
            Op::AddCheck {
                table,
                not_valid: false,
            } if postgres && existing(table) => out.push(at(
                &CONSTRAINT_NOT_VALID,
                line,
                format!("check constraint on `{table}` validated while writes are blocked"),
                text,
                "Add it NOT VALID, then VALIDATE CONSTRAINT in a separate migration.",
            )),
            Op::AddUnique {
                table,
                using_index: false,
            } if postgres && existing(table) => out.push(at(
                &UNIQUE_WITHOUT_INDEX,
                line,
                format!("unique constraint on `{table}` builds its index while writes are blocked"),
                text,
                "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT ... UNIQUE USING INDEX.",
            )),
            _ => {}
        }
        if let Some(table) = located.op.locked_table()
            && existing(table)
        {
            first_schema_change.get_or_insert(line);
            if postgres && !lock_timeout && !lock_reported {
                lock_reported = true;
                out.push(at(
                    &LOCK_TIMEOUT_MISSING,
                    line,
                    format!("`{table}` is locked with no lock_timeout set: the statement can queue every query on the table behind a long one"),
                    text,
                    "Start the migration with SET lock_timeout = '5s'; and retry on timeout.",
                ));
            }
        }
        if matches!(located.op, Op::DataChange { .. }) {
            first_data_change.get_or_insert(line);
        }
    }
    if let (Some(schema), Some(data)) = (first_schema_change, first_data_change) {
        out.push(Verdict {
            rule: &SCHEMA_AND_DATA,
            line: Some(data),
            message: format!("this migration changes an existing table's schema (line {schema}) and writes rows (line {data})"),
            evidence: None,
            fix: "Split the schema change and the backfill into separate migrations.",
        });
    }
    match &m.down {
        Down::Missing { expected } => out.push(Verdict {
            rule: &DOWN_MISSING,
            line: None,
            message: format!("{} migration without a down migration ({expected})", m.system.name()),
            evidence: None,
            fix: "Write the down migration that undoes it.",
        }),
        Down::Empty { path } => out.push(Verdict {
            rule: &DOWN_MISSING,
            line: None,
            message: format!("the down migration ({path}) is empty"),
            evidence: None,
            fix: "Write the down migration that undoes it.",
        }),
        Down::Irreversible { line, why } => out.push(Verdict {
            rule: &IRREVERSIBLE,
            line: Some(*line),
            message: format!("{} migration cannot be rolled back: {why}", m.system.name()),
            evidence: None,
            fix: "Give it a reverse (a down method, reverse_code, reverse_sql or a real downgrade()).",
        }),
        Down::NotUsed | Down::Present => {}
    }
    for error in &m.errors {
        out.push(Verdict {
            rule: &UNREADABLE,
            line: Some(error.line),
            message: if error.templated {
                "template-generated SQL: not checked until it is rendered".to_string()
            } else {
                format!("the SQL parser ({dialect:?} dialect) cannot read this statement; it was not checked")
            },
            evidence: Some(error.message.clone()),
            fix: "Check it by hand, or set the dialect in [checks.migrations] settings.",
        });
    }
    out
}
