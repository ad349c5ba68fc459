//! Knex migrations (`migrations/*.js`, `*.ts`).
//!
//! The forward migration is the `up` function. Schema builder calls are
//! found as methods on any receiver (`knex.schema.createTable`, a chained
//! `.alterTable`, `trx.schema...`); inside a `createTable` or `alterTable`
//! callback, the calls on its parameter (`table.string('name')`) and the
//! modifiers chained on them (`.notNullable().defaultTo(0)`) are read.
//!
//! `knex.raw` / `knex.schema.raw` run SQL only where they stand as a
//! statement: one given as a value (`.defaultTo(knex.raw('now()'))`,
//! `update({ x: knex.raw(...) })`) is not SQL the migration runs.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Collected, FrameworkMigration, default_of, is_true, js, name};
use crate::calls::{Call, Source};
use crate::ops::{DefaultKind, Op};
use crate::sql::ParseSql;

/// Read a Knex migration.
pub fn knex(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    js::read(text, sql, read_up, |source| {
        source
            .code_matches(&NO_TRANSACTION, 0..source.len())
            .is_empty()
    })
}

/// `exports.config = { transaction: false }` (or `export const config`).
static NO_TRANSACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bconfig\s*=\s*\{[^}]*\btransaction\s*:\s*false\b").expect("valid")
});

fn read_up(source: &Source, body: Range<usize>, collected: &mut Collected) {
    for method in [".createTable", ".createTableIfNotExists"] {
        for call in source.calls_in(method, body.clone()) {
            let table = call.nth(0).map(|a| name(&a)).unwrap_or_default();
            let columns = match callback(&call) {
                Some((parameter, body)) => created_columns(source, parameter, body),
                None => Vec::new(),
            };
            collected.op(&call, Op::CreateTable { table, columns });
        }
    }
    for method in [".dropTable", ".dropTableIfExists"] {
        for call in source.calls_in(method, body.clone()) {
            let table = call.nth(0).map(|a| name(&a)).unwrap_or_default();
            collected.op(&call, Op::DropTable { table });
        }
    }
    for call in source.calls_in(".renameTable", body.clone()) {
        let from = call.nth(0).map(|a| name(&a)).unwrap_or_default();
        let to = call.nth(1).map(|a| name(&a)).unwrap_or_default();
        collected.op(&call, Op::RenameTable { from, to });
    }
    for method in [".alterTable", ".table"] {
        for call in source.calls_in(method, body.clone()) {
            let Some((parameter, callback_body)) = callback(&call) else {
                continue; // `knex.table('t')` is a query, not a schema change
            };
            let table = call.nth(0).map(|a| name(&a)).unwrap_or_default();
            for builder in source.method_calls(parameter, callback_body) {
                read_builder(source, &builder, &table, collected);
            }
        }
    }
    let raws = source.calls_in(".raw", body.clone());
    let starts: Vec<usize> = raws.iter().map(|call| call.span.start).collect();
    let enclosing = source.enclosing_opens(body.start, &starts);
    for (call, open) in raws.iter().zip(enclosing) {
        if is_statement(source, body.start, open, call.span.start) {
            collected.sql(call, call.nth(0));
        }
    }
}

/// The parameter and the text of a table callback, the call's second
/// argument (`(table) => { ... }`, `function (t) { ... }`).
fn callback<'s>(call: &Call<'s>) -> Option<(&'s str, Range<usize>)> {
    static PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?:async\s+)?(?:function\s*[A-Za-z_$0-9]*\s*)?\(?\s*([A-Za-z_$][A-Za-z_$0-9]*)",
        )
        .expect("valid")
    });
    let function = call.nth(1)?;
    let text = function.text();
    if !(text.starts_with("function") || text.contains("=>")) {
        return None;
    }
    let parameter = PARAMETER.captures(text)?.get(1)?.as_str();
    Some((parameter, function.span))
}

/// Column types of the table builder.
const COLUMN_TYPES: &[&str] = &[
    "increments",
    "bigIncrements",
    "integer",
    "bigInteger",
    "bigint",
    "tinyint",
    "smallint",
    "mediumint",
    "text",
    "string",
    "float",
    "double",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "dateTime",
    "time",
    "timestamp",
    "binary",
    "enum",
    "enu",
    "json",
    "jsonb",
    "uuid",
    "specificType",
    "geometry",
    "geography",
    "point",
];

/// The method a builder call names (`table.string` gives `string`).
fn method<'s>(builder: &Call<'s>) -> &'s str {
    builder.name.rsplit('.').next().unwrap_or_default()
}

/// The columns a `createTable` callback defines.
fn created_columns(source: &Source, parameter: &str, body: Range<usize>) -> Vec<String> {
    let mut columns = Vec::new();
    for builder in source.method_calls(parameter, body) {
        match method(&builder) {
            "timestamps" => columns.extend(["created_at".to_string(), "updated_at".to_string()]),
            "increments" | "bigIncrements" if builder.nth(0).is_none() => {
                columns.push("id".to_string())
            }
            m if COLUMN_TYPES.contains(&m) => columns.extend(builder.nth(0).map(|a| name(&a))),
            _ => {}
        }
    }
    columns
}

/// One call in an `alterTable` callback, with its chained modifiers.
fn read_builder(source: &Source, builder: &Call, table: &str, collected: &mut Collected) {
    let table = table.to_string();
    let column = |i: usize| builder.nth(i).map(|a| name(&a)).unwrap_or_default();
    let op = match method(builder) {
        m if COLUMN_TYPES.contains(&m) => return column_change(source, builder, table, collected),
        "timestamps" => {
            // `timestamps(useTimestamps, defaultToNow)`: not null with a
            // default when the second is true.
            let default_to_now = is_true(builder.nth(1));
            for column in ["created_at", "updated_at"] {
                let op = Op::AddColumn {
                    table: table.clone(),
                    column: column.into(),
                    not_null: default_to_now,
                    default: if default_to_now {
                        DefaultKind::Constant
                    } else {
                        DefaultKind::None
                    },
                };
                collected.op(builder, op);
            }
            return;
        }
        "dropColumn" | "dropColumns" => {
            for column in builder.positional() {
                let op = Op::DropColumn {
                    table: table.clone(),
                    column: name(&column),
                };
                collected.op(builder, op);
            }
            return;
        }
        "renameColumn" => Op::RenameColumn {
            table,
            from: column(0),
            to: column(1),
        },
        "dropNullable" => Op::SetNotNull {
            table,
            column: column(0),
        },
        "index" => Op::CreateIndex {
            table,
            unique: false,
            concurrently: false,
        },
        "unique" => Op::AddUnique {
            table,
            using_index: false,
        },
        "foreign" => Op::AddForeignKey {
            table,
            not_valid: false,
        },
        "check" => Op::AddCheck {
            table,
            not_valid: false,
        },
        _ => return,
    };
    collected.op(builder, op);
}

/// A column added (or, with `.alter()`, changed) in `alterTable`, and the
/// index, unique constraint or foreign key its modifiers ask for.
fn column_change(source: &Source, builder: &Call, table: String, collected: &mut Collected) {
    let column = builder.nth(0).map(|a| name(&a)).unwrap_or_default();
    let modifiers = source.chain(builder.span.end);
    let modifier = |name: &str| modifiers.iter().find(|m| m.name == name);
    let not_null = modifier("notNullable").is_some();
    let mut ops = Vec::new();
    if modifier("alter").is_some() {
        ops.push(Op::ChangeType {
            table: table.clone(),
            column: column.clone(),
        });
        if not_null {
            ops.push(Op::SetNotNull {
                table: table.clone(),
                column,
            });
        }
    } else {
        ops.push(Op::AddColumn {
            table: table.clone(),
            column,
            not_null,
            default: default_of(modifier("defaultTo").and_then(|m| m.nth(0))),
        });
    }
    if modifier("references").is_some() {
        ops.push(Op::AddForeignKey {
            table: table.clone(),
            not_valid: false,
        });
    }
    if modifier("unique").is_some() {
        ops.push(Op::AddUnique {
            table: table.clone(),
            using_index: false,
        });
    }
    if modifier("index").is_some() {
        ops.push(Op::CreateIndex {
            table,
            unique: false,
            concurrently: false,
        });
    }
    let text_end = modifiers.last().map_or(builder.span.end, |m| m.span.end);
    let text = source.slice(builder.span.start..text_end);
    for op in ops {
        collected.op_with_text(builder, text, op);
    }
}

/// The call at `at`, inside the bracket `open` (if any) of the function
/// body starting at `body_start`, stands as a statement (awaited,
/// returned, in an array of promises, or an arrow function's result), not
/// as a value passed to another call or put in an object.
fn is_statement(source: &Source, body_start: usize, open: Option<usize>, at: usize) -> bool {
    let Some(open) = open else {
        return true;
    };
    let before = source.slice(body_start..open).trim_end();
    match source.slice(open..open + 1) {
        "[" => true,
        "{" => before.ends_with(')') || before.ends_with("=>"),
        _ => source.code_only(open..at).contains("=>"),
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::frameworks::Reversibility;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        knex(text, &Native(Dialect::Postgres))
    }

    fn ops(text: &str) -> Vec<(u32, Op)> {
        read(text).up.into_iter().map(|l| (l.line, l.op)).collect()
    }

    #[test]
    fn create_table_with_its_columns() {
        let text = "exports.up = function (knex) {\n  return knex.schema.createTable('orders', function (table) {\n    table.increments();\n    table.integer('org_id').notNullable().references('id').inTable('orgs');\n    table.string('name', 255);\n    table.index(['org_id']);\n    table.timestamps(true, true);\n  });\n};\n\nexports.down = function (knex) {\n  return knex.schema.dropTable('orders');\n};\n";
        let migration = read(text);
        assert_eq!(
            ops(text),
            [(
                2,
                Op::CreateTable {
                    table: "orders".into(),
                    columns: ["id", "org_id", "name", "created_at", "updated_at"]
                        .map(String::from)
                        .to_vec()
                }
            )]
        );
        assert!(migration.in_transaction);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn not_null_columns_with_or_without_defaults() {
        let text = "export async function up(knex: Knex): Promise<void> {\n  await knex.schema.alterTable('users', (t) => {\n    t.integer('org_id')\n      .notNullable();\n    t.boolean('active').notNullable().defaultTo(true);\n    t.uuid('token').defaultTo(knex.raw('gen_random_uuid()'));\n    t.string('nickname').nullable();\n    t.bigInteger('age').notNullable().alter();\n  });\n}\n\nexport async function down(knex: Knex): Promise<void> {\n  await knex.schema.alterTable('users', (t) => t.dropColumns('org_id', 'active'));\n}\n";
        let got = ops(text);
        let users = || "users".to_string();
        assert_eq!(
            got,
            [
                (
                    3,
                    Op::AddColumn {
                        table: users(),
                        column: "org_id".into(),
                        not_null: true,
                        default: DefaultKind::None
                    }
                ),
                (
                    5,
                    Op::AddColumn {
                        table: users(),
                        column: "active".into(),
                        not_null: true,
                        default: DefaultKind::Constant
                    }
                ),
                (
                    6,
                    Op::AddColumn {
                        table: users(),
                        column: "token".into(),
                        not_null: false,
                        default: DefaultKind::Volatile("gen_random_uuid()".into())
                    }
                ),
                (
                    7,
                    Op::AddColumn {
                        table: users(),
                        column: "nickname".into(),
                        not_null: false,
                        default: DefaultKind::None
                    }
                ),
                (
                    8,
                    Op::ChangeType {
                        table: users(),
                        column: "age".into()
                    }
                ),
                (
                    8,
                    Op::SetNotNull {
                        table: users(),
                        column: "age".into()
                    }
                ),
            ]
        );
        let migration = read(text);
        assert!(migration.errors.is_empty(), "{:?}", migration.errors);
        assert_eq!(migration.up[0].text, "t.integer('org_id') .notNullable()");
    }

    #[test]
    fn table_level_changes() {
        let text = "exports.up = async (knex) => {\n  await knex.schema\n    .table('users', function (table) {\n      table.dropColumn('legacy');\n      table.renameColumn('name', 'full_name');\n      table.unique(['email']);\n      table.foreign('org_id').references('orgs.id');\n      table.index('org_id');\n    })\n    .renameTable('people', 'persons')\n    .dropTableIfExists('old');\n  await knex.table('users').where({ id: 1 }).update({ a: 1 });\n};\nexports.down = async () => {};\n";
        let got: Vec<Op> = ops(text).into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            got,
            [
                Op::DropColumn {
                    table: "users".into(),
                    column: "legacy".into()
                },
                Op::RenameColumn {
                    table: "users".into(),
                    from: "name".into(),
                    to: "full_name".into()
                },
                Op::AddUnique {
                    table: "users".into(),
                    using_index: false
                },
                Op::AddForeignKey {
                    table: "users".into(),
                    not_valid: false
                },
                Op::CreateIndex {
                    table: "users".into(),
                    unique: false,
                    concurrently: false
                },
                Op::RenameTable {
                    from: "people".into(),
                    to: "persons".into()
                },
                Op::DropTable {
                    table: "old".into()
                },
            ]
        );
        assert_eq!(
            read(text).reversibility,
            Reversibility::Irreversible {
                line: 14,
                why: "down does nothing".into()
            }
        );
    }

    #[test]
    fn raw_sql_statements_but_not_raw_values() {
        let text = "exports.config = { transaction: false };\n\nexports.up = async function (knex) {\n  await knex.raw('CREATE INDEX CONCURRENTLY users_org ON users (org_id)');\n  await knex.schema.raw(`\n    UPDATE users\n    SET a = 1`);\n  await knex('users').update({ b: knex.raw('now()') });\n  await Promise.all([knex.raw('DELETE FROM a'), knex.raw('NOT SQL')]);\n};\n";
        let migration = read(text);
        assert!(!migration.in_transaction);
        let got: Vec<(u32, &Op)> = migration.up.iter().map(|l| (l.line, &l.op)).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(matches!(
            got[0],
            (
                4,
                Op::CreateIndex {
                    concurrently: true,
                    ..
                }
            )
        ));
        assert!(matches!(got[1], (6, Op::DataChange { kind: "UPDATE", .. })));
        assert!(matches!(got[2], (9, Op::DataChange { kind: "DELETE", .. })));
        assert_eq!(migration.errors.len(), 1);
        assert_eq!(migration.errors[0].line, 9);
        assert_eq!(
            migration.reversibility,
            Reversibility::Irreversible {
                line: 3,
                why: "no down migration".into()
            }
        );
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "exports.up = ",
            "exports.up = (knex) => knex.schema.createTable('a', (t) => { t.string(",
            "export function up(",
            "exports.up = async () => { await knex.raw(`",
            "é exports.up = (ü) => { ü.schema.alterTable('é', (t) => t.string('ü').defaultTo(",
        ] {
            let _ = read(text);
        }
    }
}
