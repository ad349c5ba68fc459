//! Sequelize migrations (`migrations/*.js`).
//!
//! The forward migration is `up` (`up: async (queryInterface, Sequelize)
//! => {...}` or `async up(queryInterface, Sequelize) {...}`); query
//! interface calls are found as methods on any receiver, so the parameter
//! may have any name. SQL runs through `sequelize.query(...)`.
//!
//! Sequelize runs a migration in a transaction only when it opens one
//! itself (`queryInterface.sequelize.transaction(...)`).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Collected, FrameworkMigration, default_of, is_false, is_true, js, name};
use crate::calls::{Arg, Call, Source};
use crate::ops::{DefaultKind, Op, normalize};
use crate::sql::ParseSql;

/// Read a Sequelize migration.
pub fn sequelize(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    js::read(text, sql, read_up, |source| {
        !source.calls("sequelize.transaction").is_empty()
    })
}

/// Query interface methods read.
const METHODS: &[&str] = &[
    "createTable",
    "dropTable",
    "renameTable",
    "addColumn",
    "removeColumn",
    "renameColumn",
    "changeColumn",
    "addIndex",
    "addConstraint",
    "bulkInsert",
    "bulkUpdate",
    "bulkDelete",
];

fn read_up(source: &Source, body: Range<usize>, collected: &mut Collected) {
    js::read_methods(
        source,
        body,
        collected,
        METHODS,
        read_call,
        "sequelize.query",
    );
}

fn read_call(method: &str, call: &Call, collected: &mut Collected) {
    let arg = |i: usize| call.nth(i).map(|a| name(&a)).unwrap_or_default();
    let table = arg(0);
    // Options given in any object argument after the table.
    let option = |key: &str| {
        call.positional()
            .iter()
            .skip(1)
            .find_map(|a| a.property(key))
    };
    let op = match method {
        "addColumn" => return add_column(call, table, call.nth(2), collected),
        "createTable" => Op::CreateTable {
            table,
            columns: call.nth(1).map(|a| attribute_names(&a)).unwrap_or_default(),
        },
        "dropTable" => Op::DropTable { table },
        "renameTable" => Op::RenameTable {
            from: table,
            to: arg(1),
        },
        "removeColumn" => Op::DropColumn {
            table,
            column: arg(1),
        },
        "renameColumn" => Op::RenameColumn {
            table,
            from: arg(1),
            to: arg(2),
        },
        "changeColumn" => {
            let column = arg(1);
            let attributes = call.nth(2);
            collected.op(
                call,
                Op::ChangeType {
                    table: table.clone(),
                    column: column.clone(),
                },
            );
            if is_false(attributes.and_then(|a| a.property("allowNull"))) {
                collected.op(call, Op::SetNotNull { table, column });
            }
            return;
        }
        "addIndex" => Op::CreateIndex {
            table,
            unique: is_true(option("unique")),
            concurrently: is_true(option("concurrently")),
        },
        "addConstraint" => {
            let kind = option("type").and_then(|t| t.string()).unwrap_or_default();
            match kind.to_ascii_lowercase().as_str() {
                "foreign key" => Op::AddForeignKey {
                    table,
                    not_valid: false,
                },
                "unique" => Op::AddUnique {
                    table,
                    using_index: false,
                },
                "check" => Op::AddCheck {
                    table,
                    not_valid: false,
                },
                _ => Op::Other,
            }
        }
        "bulkInsert" | "bulkUpdate" | "bulkDelete" => Op::DataChange {
            table: Some(table),
            kind: match method {
                "bulkInsert" => "INSERT",
                "bulkUpdate" => "UPDATE",
                _ => "DELETE",
            },
        },
        _ => return,
    };
    collected.op(call, op);
}

/// `addColumn('t', 'c', { type, allowNull, defaultValue, references, unique })`:
/// the column and the constraints its attributes add.
fn add_column(call: &Call, table: String, attributes: Option<Arg>, collected: &mut Collected) {
    let column = call.nth(1).map(|a| name(&a)).unwrap_or_default();
    let attribute = |key: &str| attributes.as_ref().and_then(|a| a.property(key));
    collected.op(
        call,
        Op::AddColumn {
            table: table.clone(),
            column,
            not_null: is_false(attribute("allowNull")),
            default: default_value(attribute("defaultValue")),
        },
    );
    if attribute("references").is_some() {
        let op = Op::AddForeignKey {
            table: table.clone(),
            not_valid: false,
        };
        collected.op(call, op);
    }
    if is_true(attribute("unique")) {
        let op = Op::AddUnique {
            table,
            using_index: false,
        };
        collected.op(call, op);
    }
}

/// A `defaultValue`: `Sequelize.fn('gen_random_uuid')` calls that SQL
/// function; `Sequelize.UUIDV4` and other values are filled in by
/// Sequelize, constants to the database.
fn default_value(value: Option<Arg>) -> DefaultKind {
    static FN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"\bfn\(\s*['"`]([A-Za-z_][A-Za-z0-9_.]*)['"`]"#).expect("valid")
    });
    let function = value
        .as_ref()
        .and_then(|v| FN.captures(v.text()))
        .and_then(|c| c.get(1));
    match function {
        Some(function) => DefaultKind::of_expression(&format!("{}()", function.as_str())),
        None => default_of(value),
    }
}

/// The attribute names of a `createTable` attributes object.
fn attribute_names(attributes: &Arg) -> Vec<String> {
    attributes
        .items()
        .iter()
        .filter_map(|item| item.keyword())
        .map(|(key, _)| normalize(&key))
        .collect()
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::frameworks::Reversibility;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        sequelize(text, &Native(Dialect::Postgres))
    }

    fn ops(text: &str) -> Vec<(u32, Op)> {
        read(text).up.into_iter().map(|l| (l.line, l.op)).collect()
    }

    #[test]
    fn create_table_with_attribute_columns() {
        let text = "'use strict';\n\nmodule.exports = {\n  async up(queryInterface, Sequelize) {\n    await queryInterface.createTable('Orders', {\n      id: { type: Sequelize.INTEGER, primaryKey: true },\n      orgId: { type: Sequelize.INTEGER, references: { model: 'Orgs', key: 'id' } },\n      'createdAt': Sequelize.DATE,\n    });\n  },\n\n  async down(queryInterface) {\n    await queryInterface.dropTable('Orders');\n  },\n};\n";
        let migration = read(text);
        assert_eq!(
            ops(text),
            [(
                5,
                Op::CreateTable {
                    table: "orders".into(),
                    columns: vec!["id".into(), "orgid".into(), "createdat".into()]
                }
            )]
        );
        assert!(!migration.in_transaction);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn columns_with_defaults_and_constraints() {
        let text = "module.exports = {\n  up: async (qi, Sequelize) => {\n    await qi.addColumn('users', 'org_id', {\n      type: Sequelize.INTEGER,\n      allowNull: false,\n      references: { model: 'orgs', key: 'id' },\n    });\n    await qi.addColumn('users', 'token', { type: Sequelize.UUID, defaultValue: Sequelize.fn('gen_random_uuid') });\n    await qi.addColumn('users', 'ref', { type: Sequelize.UUID, defaultValue: Sequelize.UUIDV4, allowNull: false });\n    await qi.addColumn('users', 'note', Sequelize.TEXT);\n  },\n  down: async (qi) => {\n    await qi.removeColumn('users', 'org_id');\n  },\n};\n";
        let users = || "users".to_string();
        assert_eq!(
            ops(text),
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
                    3,
                    Op::AddForeignKey {
                        table: users(),
                        not_valid: false
                    }
                ),
                (
                    8,
                    Op::AddColumn {
                        table: users(),
                        column: "token".into(),
                        not_null: false,
                        default: DefaultKind::Volatile("gen_random_uuid()".into())
                    }
                ),
                (
                    9,
                    Op::AddColumn {
                        table: users(),
                        column: "ref".into(),
                        not_null: true,
                        default: DefaultKind::Constant
                    }
                ),
                (
                    10,
                    Op::AddColumn {
                        table: users(),
                        column: "note".into(),
                        not_null: false,
                        default: DefaultKind::None
                    }
                ),
            ]
        );
    }

    #[test]
    fn indexes_constraints_and_sql() {
        let text = "module.exports = {\n  async up(queryInterface) {\n    await queryInterface.addIndex('users', ['email'], { unique: true, concurrently: true });\n    await queryInterface.addIndex('users', { fields: ['org_id'] });\n    await queryInterface.addConstraint('users', { fields: ['org_id'], type: 'FOREIGN KEY', references: { table: 'orgs', field: 'id' } });\n    await queryInterface.addConstraint('users', { fields: ['age'], type: 'check', where: { age: { [Op.gt]: 0 } } });\n    await queryInterface.sequelize.query(\n      'UPDATE users SET a = 1'\n    );\n    await queryInterface.changeColumn('users', 'age', { type: Sequelize.BIGINT, allowNull: false });\n    await queryInterface.sequelize.transaction(async (transaction) => {});\n  },\n  async down() {},\n};\n";
        let migration = read(text);
        let got: Vec<(u32, Op)> = migration.up.into_iter().map(|l| (l.line, l.op)).collect();
        let users = || "users".to_string();
        assert_eq!(
            got,
            [
                (
                    3,
                    Op::CreateIndex {
                        table: users(),
                        unique: true,
                        concurrently: true
                    }
                ),
                (
                    4,
                    Op::CreateIndex {
                        table: users(),
                        unique: false,
                        concurrently: false
                    }
                ),
                (
                    5,
                    Op::AddForeignKey {
                        table: users(),
                        not_valid: false
                    }
                ),
                (
                    6,
                    Op::AddCheck {
                        table: users(),
                        not_valid: false
                    }
                ),
                (
                    8,
                    Op::DataChange {
                        table: None,
                        kind: "UPDATE"
                    }
                ),
                (
                    10,
                    Op::ChangeType {
                        table: users(),
                        column: "age".into()
                    }
                ),
                (
                    10,
                    Op::SetNotNull {
                        table: users(),
                        column: "age".into()
                    }
                ),
            ]
        );
        assert!(migration.in_transaction);
        assert_eq!(
            migration.reversibility,
            Reversibility::Irreversible {
                line: 13,
                why: "down does nothing".into()
            }
        );
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "module.exports = { up: ",
            "module.exports = { async up(qi) { await qi.addColumn('a', 'b', {",
            "up: () => qi.createTable('é', { ü: ",
            "up(qi) { qi.sequelize.query(`",
        ] {
            let _ = read(text);
        }
    }
}
