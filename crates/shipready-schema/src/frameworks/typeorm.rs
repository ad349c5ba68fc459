//! TypeORM migrations (`migrations/*.ts`, classes implementing
//! `MigrationInterface`).
//!
//! The forward migration is the `up(queryRunner)` method. Generated
//! migrations are mostly `queryRunner.query(...)` SQL; the query runner's
//! schema methods (`addColumn`, `createIndex`, `createTable`, …) are read
//! too, with names given as strings or as `new Table({ name })` /
//! `new TableColumn({ name })` objects. A `TableColumn` is `NOT NULL`
//! unless `isNullable: true`, as in TypeORM; `isConcurrent: true` on a
//! `TableIndex` (TypeORM 0.3.18+) builds it concurrently.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Collected, FrameworkMigration, default_of, is_true, js};
use crate::calls::{Arg, Call, Source};
use crate::ops::{DefaultKind, Op, normalize};
use crate::sql::ParseSql;

/// Read a TypeORM migration.
pub fn typeorm(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    js::read(text, sql, read_up, |source| {
        source
            .code_matches(&NO_TRANSACTION, 0..source.len())
            .is_empty()
    })
}

/// `transaction = false` on the migration class.
static NO_TRANSACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\btransaction\s*=\s*false\b").expect("valid"));

/// Query runner methods read.
const METHODS: &[&str] = &[
    "createTable",
    "dropTable",
    "renameTable",
    "addColumn",
    "addColumns",
    "dropColumn",
    "dropColumns",
    "renameColumn",
    "changeColumn",
    "createIndex",
    "createForeignKey",
    "createForeignKeys",
    "createUniqueConstraint",
    "createCheckConstraint",
];

fn read_up(source: &Source, body: Range<usize>, collected: &mut Collected) {
    js::read_methods(source, body, collected, METHODS, read_call, ".query");
}

/// A name given as a string or as an object's `name` property.
fn name_of(arg: &Arg) -> Option<String> {
    arg.string()
        .or_else(|| arg.property("name").and_then(|n| n.string()))
        .map(|n| normalize(&n))
}

fn read_call(method: &str, call: &Call, collected: &mut Collected) {
    let Some(table) = call.nth(0).as_ref().and_then(name_of) else {
        return;
    };
    let arg = |i: usize| call.nth(i).as_ref().and_then(name_of).unwrap_or_default();
    // The items of an array argument (`addColumns('t', [...])`).
    let items = |i: usize| call.nth(i).map(|a| a.items()).unwrap_or_default();
    let op = match method {
        "addColumn" => return add_column(call, &table, call.nth(1), collected),
        "addColumns" => {
            for column in items(1) {
                add_column(call, &table, Some(column), collected);
            }
            return;
        }
        "dropColumns" => {
            for column in items(1) {
                let column = name_of(&column).unwrap_or_default();
                let op = Op::DropColumn {
                    table: table.clone(),
                    column,
                };
                collected.op(call, op);
            }
            return;
        }
        "createTable" => Op::CreateTable {
            columns: call
                .nth(0)
                .and_then(|t| t.property("columns"))
                .map(|columns| columns.items().iter().filter_map(name_of).collect())
                .unwrap_or_default(),
            table,
        },
        "dropTable" => Op::DropTable { table },
        "renameTable" => Op::RenameTable {
            from: table,
            to: arg(1),
        },
        "dropColumn" => Op::DropColumn {
            table,
            column: arg(1),
        },
        "renameColumn" => Op::RenameColumn {
            table,
            from: arg(1),
            to: arg(2),
        },
        "changeColumn" => Op::ChangeType {
            table,
            column: arg(1),
        },
        "createIndex" => {
            let index = call.nth(1);
            let option = |key: &str| index.as_ref().and_then(|i| i.property(key));
            Op::CreateIndex {
                table,
                unique: is_true(option("isUnique")),
                concurrently: is_true(option("isConcurrent")),
            }
        }
        "createForeignKey" | "createForeignKeys" => Op::AddForeignKey {
            table,
            not_valid: false,
        },
        "createUniqueConstraint" => Op::AddUnique {
            table,
            using_index: false,
        },
        "createCheckConstraint" => Op::AddCheck {
            table,
            not_valid: false,
        },
        _ => return,
    };
    collected.op(call, op);
}

/// `new TableColumn({ name, isNullable, default, isGenerated, generationStrategy })`.
fn add_column(call: &Call, table: &str, column: Option<Arg>, collected: &mut Collected) {
    let Some(column) = column else { return };
    let Some(column_name) = name_of(&column) else {
        return;
    };
    let generated_by = column
        .property("generationStrategy")
        .and_then(|s| s.string())
        .filter(|_| is_true(column.property("isGenerated")));
    let default = match generated_by.as_deref() {
        Some("uuid") => DefaultKind::Volatile("uuid_generate_v4()".into()),
        Some("increment") => DefaultKind::Volatile("nextval()".into()),
        _ => default_of(column.property("default")),
    };
    collected.op(
        call,
        Op::AddColumn {
            table: table.to_string(),
            column: column_name,
            not_null: !is_true(column.property("isNullable")),
            default,
        },
    );
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::frameworks::Reversibility;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        typeorm(text, &Native(Dialect::Postgres))
    }

    fn class(up: &str, down: &str) -> String {
        format!(
            "import {{ MigrationInterface, QueryRunner, TableColumn }} from \"typeorm\";\n\nexport class AddOrg1700000000000 implements MigrationInterface {{\n    name = 'AddOrg1700000000000'\n\n    public async up(queryRunner: QueryRunner): Promise<void> {{\n{up}\n    }}\n\n    public async down(queryRunner: QueryRunner): Promise<void> {{\n{down}\n    }}\n}}\n"
        )
    }

    /// The line of the first line of `up`'s body in [`class`].
    const UP_LINE: u32 = 7;

    #[test]
    fn generated_sql_at_its_lines() {
        let text = class(
            "        await queryRunner.query(`ALTER TABLE \"user\" ADD \"org_id\" integer NOT NULL`);\n        await queryRunner.query(\n            `CREATE INDEX \"IDX_1\" ON \"user\" (\"org_id\") `\n        );\n        await queryRunner.query(`UPDATE \"user\" SET a = ${value}`);",
            "        await queryRunner.query(`ALTER TABLE \"user\" DROP COLUMN \"org_id\"`);",
        );
        let migration = read(&text);
        let got: Vec<(u32, &Op)> = migration.up.iter().map(|l| (l.line, &l.op)).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(matches!(got[0], (l, Op::AddColumn { not_null: true, .. }) if l == UP_LINE));
        assert!(
            matches!(got[1], (l, Op::CreateIndex { concurrently: false, .. }) if l == UP_LINE + 2)
        );
        assert_eq!(migration.errors.len(), 1);
        assert!(migration.errors[0].templated);
        assert_eq!(migration.errors[0].line, UP_LINE + 4);
        assert!(migration.in_transaction);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn query_runner_schema_methods() {
        let text = class(
            "        await queryRunner.createTable(new Table({\n            name: 'orgs',\n            columns: [{ name: 'id', type: 'int', isPrimary: true }, { name: 'name', type: 'text' }],\n        }), true);\n        await queryRunner.addColumn('user', new TableColumn({ name: 'org_id', type: 'int' }));\n        await queryRunner.addColumn('user', new TableColumn({ name: 'nick', type: 'text', isNullable: true, default: \"'x'\" }));\n        await queryRunner.addColumn('user', new TableColumn({ name: 'uid', type: 'uuid', isGenerated: true, generationStrategy: 'uuid' }));\n        await queryRunner.createIndex('user', new TableIndex({ columnNames: ['org_id'], isUnique: true, isConcurrent: true }));\n        await queryRunner.renameColumn('user', 'name', 'full_name');\n        await queryRunner.changeColumn('user', 'age', new TableColumn({ name: 'age', type: 'bigint' }));\n        await queryRunner.dropColumn('user', 'legacy');\n        await queryRunner.dropTable('old');",
            "",
        );
        let got: Vec<Op> = read(&text).up.into_iter().map(|l| l.op).collect();
        let user = || "user".to_string();
        assert_eq!(
            got,
            [
                Op::CreateTable {
                    table: "orgs".into(),
                    columns: vec!["id".into(), "name".into()]
                },
                Op::AddColumn {
                    table: user(),
                    column: "org_id".into(),
                    not_null: true,
                    default: DefaultKind::None
                },
                Op::AddColumn {
                    table: user(),
                    column: "nick".into(),
                    not_null: false,
                    default: DefaultKind::Constant
                },
                Op::AddColumn {
                    table: user(),
                    column: "uid".into(),
                    not_null: true,
                    default: DefaultKind::Volatile("uuid_generate_v4()".into())
                },
                Op::CreateIndex {
                    table: user(),
                    unique: true,
                    concurrently: true
                },
                Op::RenameColumn {
                    table: user(),
                    from: "name".into(),
                    to: "full_name".into()
                },
                Op::ChangeType {
                    table: user(),
                    column: "age".into()
                },
                Op::DropColumn {
                    table: user(),
                    column: "legacy".into()
                },
                Op::DropTable {
                    table: "old".into()
                },
            ]
        );
    }

    #[test]
    fn transaction_off_and_empty_down() {
        let text = class(
            "        await queryRunner.query('CREATE INDEX CONCURRENTLY a ON b (c)');",
            "",
        )
        .replace("    name = ", "    transaction = false;\n    name = ");
        let migration = read(&text);
        assert!(!migration.in_transaction);
        assert_eq!(
            migration.reversibility,
            Reversibility::Irreversible {
                line: UP_LINE + 4,
                why: "down does nothing".into()
            }
        );
        let without_down = "export class A implements MigrationInterface {\n  async up(queryRunner: QueryRunner) {\n    await queryRunner.query('DROP TABLE a');\n  }\n}\n";
        assert!(matches!(
            read(without_down).reversibility,
            Reversibility::Irreversible { line: 2, .. }
        ));
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "async up(queryRunner",
            "async up(q) { await q.query(`",
            "async up(q) { q.addColumn('é', new TableColumn({ name: 'ü'",
            "up(q) { q.createTable(new Table({ columns: [{",
        ] {
            let _ = read(text);
        }
    }
}
