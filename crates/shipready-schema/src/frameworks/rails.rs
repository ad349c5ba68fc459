//! Rails migrations (`db/migrate/*.rb`).
//!
//! The forward migration is the `change` or `up` method; a method runs
//! from its `def` to the next `def` (migrations hold few methods, and
//! `end`s are not counted for them). Inside `change`, `dir.down` blocks of
//! `reversible` are left out. `create_table` blocks are read for their
//! columns (`t.string :name`, `t.references :org` as `org_id`,
//! `t.timestamps`), and a table gets an `id` column unless `id: false`.
//!
//! Not read: `change_table` blocks, and anything called through a helper
//! method of the migration.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Collected, FrameworkMigration, Reversibility, default_of, is_false, is_true, name};
use crate::calls::{Arg, Call, Source, Syntax};
use crate::ops::{DefaultKind, Op};
use crate::sql::ParseSql;

/// Read a Rails migration.
pub fn rails(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    let source = Source::new(text, Syntax::Ruby);
    let methods = methods(&source);
    let mut collected = Collected::new(sql);
    for method in methods
        .iter()
        .filter(|m| m.name == "change" || m.name == "up")
    {
        read_forward(&source, method.body.clone(), &mut collected);
    }
    let (up, errors) = collected.finish();
    FrameworkMigration {
        up,
        errors,
        reversibility: reversibility(&source, &methods),
        in_transaction: source
            .code_matches(&DISABLE_DDL_TRANSACTION, 0..source.len())
            .is_empty(),
        id: None,
        depends_on: Vec::new(),
        fields: Vec::new(),
    }
}

static DISABLE_DDL_TRANSACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bdisable_ddl_transaction!").expect("valid"));

/// A method of the migration class.
struct Method<'a> {
    name: &'a str,
    line: u32,
    /// From after its name to the next `def` (or the end of the file).
    body: Range<usize>,
}

fn methods<'a>(source: &Source<'a>) -> Vec<Method<'a>> {
    static DEF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bdef\s+(?:self\.)?([A-Za-z_][A-Za-z0-9_]*[!?]?)").expect("valid")
    });
    let found = source.code_matches(&DEF, 0..source.len());
    let starts: Vec<usize> = found
        .iter()
        .filter_map(|c| c.get(0).map(|m| m.start()))
        .collect();
    found
        .iter()
        .enumerate()
        .filter_map(|(i, caps)| {
            let whole = caps.get(0)?;
            let end = starts.get(i + 1).copied().unwrap_or(source.len());
            Some(Method {
                name: caps.get(1)?.as_str(),
                line: source.line_of(whole.start()),
                body: whole.end()..end,
            })
        })
        .collect()
}

/// Rails calls that change the schema.
const OPERATIONS: &[&str] = &[
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "remove_column",
    "remove_columns",
    "rename_column",
    "change_column",
    "change_column_null",
    "add_index",
    "add_foreign_key",
    "add_check_constraint",
    "add_reference",
    "add_belongs_to",
    "execute",
];

fn read_forward(source: &Source, body: Range<usize>, collected: &mut Collected) {
    let backward_only = blocks_of(source, ".down", body.clone());
    for operation in OPERATIONS {
        for call in source.calls_in(operation, body.clone()) {
            if !backward_only.iter().any(|b| b.contains(&call.span.start)) {
                read_call(source, operation, &call, collected);
            }
        }
    }
}

fn read_call(source: &Source, operation: &str, call: &Call, collected: &mut Collected) {
    let positional = call.positional();
    let arg = |i: usize| positional.get(i).map(name);
    let table = arg(0).unwrap_or_default();
    let op = match operation {
        "execute" => return collected.sql(call, positional.first().cloned()),
        "add_reference" | "add_belongs_to" => return add_reference(call, table, collected),
        "remove_columns" => {
            for column in positional.iter().skip(1) {
                let op = Op::DropColumn {
                    table: table.clone(),
                    column: name(column),
                };
                collected.op(call, op);
            }
            return;
        }
        "drop_table" => {
            for table in &positional {
                collected.op(call, Op::DropTable { table: name(table) });
            }
            return;
        }
        "create_table" => Op::CreateTable {
            columns: table_columns(source, call),
            table,
        },
        "rename_table" => Op::RenameTable {
            from: table,
            to: arg(1).unwrap_or_default(),
        },
        "add_column" => Op::AddColumn {
            table,
            column: arg(1).unwrap_or_default(),
            not_null: is_false(call.keyword("null")),
            default: default_of(call.keyword("default")),
        },
        "remove_column" => Op::DropColumn {
            table,
            column: arg(1).unwrap_or_default(),
        },
        "rename_column" => Op::RenameColumn {
            table,
            from: arg(1).unwrap_or_default(),
            to: arg(2).unwrap_or_default(),
        },
        "change_column" => Op::ChangeType {
            table,
            column: arg(1).unwrap_or_default(),
        },
        "change_column_null" if is_false(positional.get(2).cloned()) => Op::SetNotNull {
            table,
            column: arg(1).unwrap_or_default(),
        },
        "change_column_null" => Op::Other,
        "add_index" => Op::CreateIndex {
            table,
            unique: is_true(call.keyword("unique")),
            concurrently: concurrently(call.keyword("algorithm")),
        },
        "add_foreign_key" => Op::AddForeignKey {
            table,
            not_valid: is_false(call.keyword("validate")),
        },
        "add_check_constraint" => Op::AddCheck {
            table,
            not_valid: is_false(call.keyword("validate")),
        },
        _ => return,
    };
    collected.op(call, op);
}

/// `algorithm: :concurrently`.
fn concurrently(algorithm: Option<Arg>) -> bool {
    algorithm.and_then(|a| a.string()).as_deref() == Some("concurrently")
}

/// `add_reference :users, :org, foreign_key: true, index: { unique: true }`:
/// the `org_id` column (and `org_type` when polymorphic), its foreign key
/// when asked for, and its index unless `index: false`.
fn add_reference(call: &Call, table: String, collected: &mut Collected) {
    let Some(reference) = call.nth(1).map(|a| name(&a)) else {
        return;
    };
    collected.op(
        call,
        Op::AddColumn {
            table: table.clone(),
            column: format!("{reference}_id"),
            not_null: is_false(call.keyword("null")),
            default: default_of(call.keyword("default")),
        },
    );
    if is_true(call.keyword("polymorphic")) {
        let column = format!("{reference}_type");
        collected.op(
            call,
            Op::AddColumn {
                table: table.clone(),
                column,
                not_null: is_false(call.keyword("null")),
                default: DefaultKind::None,
            },
        );
    }
    let foreign_key = call.keyword("foreign_key");
    if foreign_key.as_ref().is_some_and(|f| !f.is("false")) {
        let op = Op::AddForeignKey {
            table: table.clone(),
            not_valid: false,
        };
        collected.op(call, op);
    }
    let index = call.keyword("index");
    if !is_false(index.clone()) {
        let index_option = |key: &str| index.as_ref().and_then(|i| i.property(key));
        let algorithm = call
            .keyword("algorithm")
            .or_else(|| index_option("algorithm"));
        let op = Op::CreateIndex {
            table,
            unique: is_true(index_option("unique")),
            concurrently: concurrently(algorithm),
        };
        collected.op(call, op);
    }
}

/// The columns a `create_table` block defines.
fn table_columns(source: &Source, call: &Call) -> Vec<String> {
    let mut columns = Vec::new();
    if !is_false(call.keyword("id")) {
        columns.push("id".to_string());
    }
    let Some(block) = block_after(source, call.span.end) else {
        return columns;
    };
    let Some(variable) = block_variable(source, &block) else {
        return columns;
    };
    for column_call in source.method_calls(variable, block) {
        let method = column_call.name.rsplit('.').next().unwrap_or_default();
        let names = column_call
            .positional()
            .iter()
            .map(name)
            .collect::<Vec<_>>();
        match method {
            "timestamps" => columns.extend(["created_at".to_string(), "updated_at".to_string()]),
            "references" | "belongs_to" => {
                columns.extend(names.iter().map(|n| format!("{n}_id")));
            }
            "column" => columns.extend(names.into_iter().take(1)),
            "index"
            | "check_constraint"
            | "foreign_key"
            | "exclusion_constraint"
            | "unique_constraint" => {}
            _ => columns.extend(names),
        }
    }
    columns
}

/// The variable a block names first (`do |t|` gives `t`).
fn block_variable<'a>(source: &Source<'a>, block: &Range<usize>) -> Option<&'a str> {
    static VARIABLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:do|\{)\s*\|\s*([A-Za-z_][A-Za-z0-9_]*)").expect("valid"));
    let opening = source.slice(block.clone());
    let variable = VARIABLE.captures(opening)?.get(1)?;
    Some(source.slice(block.start + variable.start()..block.start + variable.end()))
}

/// The blocks of calls named `name` in a range (`dir.down do … end`).
fn blocks_of(source: &Source, name: &str, within: Range<usize>) -> Vec<Range<usize>> {
    source
        .calls_in(name, within)
        .iter()
        .filter_map(|call| block_after(source, call.span.end))
        .collect()
}

/// The `do … end` or `{ … }` block starting right after offset `at`.
fn block_after(source: &Source, at: usize) -> Option<Range<usize>> {
    let start = source.skip_blank(at);
    let rest = source.slice(start..source.len());
    if rest.starts_with('{') {
        let close = source.matching_close(start).unwrap_or(source.len());
        return Some(start..(close + 1).min(source.len()));
    }
    let is_do =
        rest.starts_with("do") && !rest[2..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
    is_do.then(|| start..do_block_end(source, start))
}

/// Where the `do` block at `start` ends: its matching `end`, counting
/// `do` and the keywords that open a statement at the start of a line.
fn do_block_end(source: &Source, start: usize) -> usize {
    static KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:do|end|if|unless|while|until|case|begin|def|class|module)\b")
            .expect("valid")
    });
    let mut depth = 0usize;
    for word in KEYWORD.find_iter(source.slice(start..source.len())) {
        let at = start + word.start();
        let before = source.slice(0..at);
        if !source.is_code(at) || before.ends_with('.') || before.ends_with(':') {
            continue;
        }
        let starts_line = before
            .rsplit('\n')
            .next()
            .is_some_and(|line| line.trim().is_empty());
        match word.as_str() {
            "do" => depth += 1,
            "end" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return start + word.end();
                }
            }
            _ if starts_line => depth += 1,
            _ => {}
        }
    }
    source.len()
}

fn reversibility(source: &Source, methods: &[Method]) -> Reversibility {
    let find = |name: &str| methods.iter().find(|m| m.name == name);
    if let Some(down) = find("down") {
        return match raises_irreversible(source, down) {
            Some(line) => Reversibility::Irreversible {
                line,
                why: "down raises ActiveRecord::IrreversibleMigration".into(),
            },
            None => Reversibility::Reversible,
        };
    }
    if let Some(change) = find("change") {
        return match first_irreversible_call(source, change.body.clone()) {
            Some((line, why)) => Reversibility::Irreversible { line, why },
            None => Reversibility::Reversible,
        };
    }
    match find("up") {
        Some(up) => Reversibility::Irreversible {
            line: up.line,
            why: "up without down".into(),
        },
        None => Reversibility::Reversible,
    }
}

/// The line of the `raise ActiveRecord::IrreversibleMigration` a `down`
/// method starts with.
fn raises_irreversible(source: &Source, down: &Method) -> Option<u32> {
    let code = source.code_only(down.body.clone());
    let first_statement = code.trim_start().lines().next().unwrap_or_default();
    let raises =
        first_statement.starts_with("raise") && first_statement.contains("IrreversibleMigration");
    raises.then(|| source.line_of(source.skip_blank(down.body.start)))
}

/// The first call in a `change` method that Rails cannot reverse (calls
/// inside `reversible` and `up_only` blocks excepted).
fn first_irreversible_call(source: &Source, body: Range<usize>) -> Option<(u32, String)> {
    let mut covered = blocks_of(source, "reversible", body.clone());
    covered.extend(blocks_of(source, "up_only", body.clone()));
    let mut found: Vec<(usize, u32, &str)> = Vec::new();
    let mut check = |name: &str, why: &'static str, irreversible: &dyn Fn(&Call) -> bool| {
        for call in source.calls_in(name, body.clone()) {
            let is_covered = covered.iter().any(|b| b.contains(&call.span.start));
            if !is_covered && irreversible(&call) {
                found.push((call.span.start, call.line, why));
            }
        }
    };
    check("execute", "execute in change cannot be reversed", &|_| true);
    check(
        "change_column",
        "change_column in change cannot be reversed",
        &|_| true,
    );
    check(
        "remove_column",
        "remove_column without a type cannot be reversed",
        &|call| call.positional().len() < 3,
    );
    check(
        "drop_table",
        "drop_table without a block cannot be reversed",
        &|call| block_after(source, call.span.end).is_none(),
    );
    found.sort_by_key(|(offset, ..)| *offset);
    found.first().map(|(_, line, why)| (*line, why.to_string()))
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        rails(text, &Native(Dialect::Postgres))
    }

    fn ops(text: &str) -> Vec<(u32, Op)> {
        read(text).up.into_iter().map(|l| (l.line, l.op)).collect()
    }

    #[test]
    fn concurrent_index_outside_a_transaction() {
        let text = "\
class AddIndexToUsersEmail < ActiveRecord::Migration[7.1]
  disable_ddl_transaction!

  def change
    add_index :users, :email, unique: true, algorithm: :concurrently
  end
end
";
        let migration = read(text);
        assert!(!migration.in_transaction);
        assert_eq!(
            ops(text),
            [(
                5,
                Op::CreateIndex {
                    table: "users".into(),
                    unique: true,
                    concurrently: true
                }
            )]
        );
        assert_eq!(
            migration.up[0].text,
            "add_index :users, :email, unique: true, algorithm: :concurrently"
        );
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn plain_index_in_a_transaction() {
        let text = "class A < ActiveRecord::Migration[7.1]\n  def change\n    add_index(:users,\n      [:org_id, :email])\n  end\nend\n";
        let migration = read(text);
        assert!(migration.in_transaction);
        assert_eq!(
            ops(text),
            [(
                3,
                Op::CreateIndex {
                    table: "users".into(),
                    unique: false,
                    concurrently: false
                }
            )]
        );
    }

    #[test]
    fn columns_and_their_defaults() {
        let text = "\
class A < ActiveRecord::Migration[7.1]
  def change
    add_column :users, :org_id, :bigint, null: false
    add_column :users, :active, :boolean, default: true, null: false
    add_column :users, :token, :uuid, default: -> { \"gen_random_uuid()\" }
    add_column :users, :nickname, :string, default: nil
    rename_column :users, :name, :full_name
    change_column_null :users, :email, false
    change_column_null :users, :phone, true
  end
end
";
        let got = ops(text);
        assert_eq!(
            got[0],
            (
                3,
                Op::AddColumn {
                    table: "users".into(),
                    column: "org_id".into(),
                    not_null: true,
                    default: DefaultKind::None
                }
            )
        );
        assert!(matches!(
            &got[1].1,
            Op::AddColumn {
                not_null: true,
                default: DefaultKind::Constant,
                ..
            }
        ));
        assert_eq!(
            got[2].1,
            Op::AddColumn {
                table: "users".into(),
                column: "token".into(),
                not_null: false,
                default: DefaultKind::Volatile("gen_random_uuid()".into())
            }
        );
        assert!(matches!(
            &got[3].1,
            Op::AddColumn {
                default: DefaultKind::None,
                ..
            }
        ));
        assert_eq!(
            got[4].1,
            Op::RenameColumn {
                table: "users".into(),
                from: "name".into(),
                to: "full_name".into()
            }
        );
        assert_eq!(
            got[5],
            (
                8,
                Op::SetNotNull {
                    table: "users".into(),
                    column: "email".into()
                }
            )
        );
        assert_eq!(got[6].1, Op::Other);
    }

    #[test]
    fn create_table_reads_its_block_columns() {
        let text = "\
class CreateOrders < ActiveRecord::Migration[7.1]
  def change
    create_table :orders do |t|
      t.references :org, null: false, foreign_key: true
      t.string :name, :code
      t.index :name
      t.timestamps
    end
    create_table(:tags, id: false) { |t| t.string :label }
  end
end
";
        assert_eq!(
            ops(text),
            [
                (
                    3,
                    Op::CreateTable {
                        table: "orders".into(),
                        columns: ["id", "org_id", "name", "code", "created_at", "updated_at"]
                            .map(String::from)
                            .to_vec()
                    }
                ),
                (
                    9,
                    Op::CreateTable {
                        table: "tags".into(),
                        columns: vec!["label".into()]
                    }
                )
            ]
        );
        assert_eq!(read(text).reversibility, Reversibility::Reversible);
    }

    #[test]
    fn references_foreign_keys_and_checks() {
        let text = "\
class A < ActiveRecord::Migration[7.1]
  def change
    add_reference :orders, :org, foreign_key: true, index: { algorithm: :concurrently }
    add_reference :orders, :owner, index: false
    add_foreign_key :orders, :orgs, validate: false
    add_check_constraint :orders, \"amount > 0\", name: \"positive\"
  end
end
";
        let got: Vec<Op> = ops(text).into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            got,
            [
                Op::AddColumn {
                    table: "orders".into(),
                    column: "org_id".into(),
                    not_null: false,
                    default: DefaultKind::None
                },
                Op::AddForeignKey {
                    table: "orders".into(),
                    not_valid: false
                },
                Op::CreateIndex {
                    table: "orders".into(),
                    unique: false,
                    concurrently: true
                },
                Op::AddColumn {
                    table: "orders".into(),
                    column: "owner_id".into(),
                    not_null: false,
                    default: DefaultKind::None
                },
                Op::AddForeignKey {
                    table: "orders".into(),
                    not_valid: true
                },
                Op::AddCheck {
                    table: "orders".into(),
                    not_valid: false
                },
            ]
        );
    }

    #[test]
    fn execute_sql_with_lines_of_the_sql() {
        let text = "\
class A < ActiveRecord::Migration[7.1]
  def up
    execute \"ALTER TABLE users ADD COLUMN a int\"
    execute <<~SQL
      UPDATE users SET a = 1;

      CREATE INDEX CONCURRENTLY users_a ON users (a);
    SQL
    execute \"NOT SQL AT ALL\"
  end

  def down
    execute \"DROP TABLE users\"
  end
end
";
        let migration = read(text);
        let got: Vec<(u32, &Op)> = migration.up.iter().map(|l| (l.line, &l.op)).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].0, 3);
        assert!(matches!(got[0].1, Op::AddColumn { .. }));
        assert_eq!(got[1].0, 5);
        assert!(matches!(got[1].1, Op::DataChange { kind: "UPDATE", .. }));
        assert_eq!(got[2].0, 7);
        assert!(matches!(
            got[2].1,
            Op::CreateIndex {
                concurrently: true,
                ..
            }
        ));
        assert_eq!(migration.errors.len(), 1);
        assert_eq!(migration.errors[0].line, 9);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn irreversible_change_methods() {
        let cases = [
            ("execute \"UPDATE users SET a = 1\"", "execute"),
            ("change_column :users, :age, :bigint", "change_column"),
            ("remove_column :users, :legacy", "remove_column"),
            ("drop_table :legacy", "drop_table"),
        ];
        for (call, why) in cases {
            let text = format!(
                "class A < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :x, :int\n    {call}\n  end\nend\n"
            );
            match read(&text).reversibility {
                Reversibility::Irreversible { line, why: got } => {
                    assert_eq!(line, 4, "{call}");
                    assert!(got.starts_with(why), "{got}");
                }
                Reversibility::Reversible => panic!("{call} should be irreversible"),
            }
        }
    }

    #[test]
    fn reversible_look_alikes() {
        for body in [
            "remove_column :users, :legacy, :string",
            "drop_table :legacy do |t|\n      t.string :name\n    end",
            "reversible do |dir|\n      dir.up { execute \"UPDATE users SET a = 1\" }\n      dir.down { execute \"UPDATE users SET a = 0\" }\n    end",
            "change_column_null :users, :email, false",
        ] {
            let text = format!(
                "class A < ActiveRecord::Migration[7.1]\n  def change\n    {body}\n  end\nend\n"
            );
            assert_eq!(
                read(&text).reversibility,
                Reversibility::Reversible,
                "{body}"
            );
        }
    }

    #[test]
    fn backward_blocks_are_not_forward_operations() {
        let text = "class A < ActiveRecord::Migration[7.1]\n  def change\n    reversible do |dir|\n      dir.up do\n        execute \"UPDATE users SET a = 1\"\n      end\n      dir.down do\n        execute \"DELETE FROM users\"\n      end\n    end\n  end\nend\n";
        let got = ops(text);
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], (5, Op::DataChange { kind: "UPDATE", .. })));
    }

    #[test]
    fn down_that_raises_or_up_without_down() {
        let raises = "class A < ActiveRecord::Migration[7.1]\n  def up\n    drop_table :a\n  end\n\n  def down\n    # no way back\n    raise ActiveRecord::IrreversibleMigration\n  end\nend\n";
        assert_eq!(
            read(raises).reversibility,
            Reversibility::Irreversible {
                line: 8,
                why: "down raises ActiveRecord::IrreversibleMigration".into()
            }
        );
        let up_only = "class A < ActiveRecord::Migration[7.1]\n  def self.up\n    drop_table :a\n  end\nend\n";
        assert!(matches!(
            read(up_only).reversibility,
            Reversibility::Irreversible { line: 2, .. }
        ));
        assert_eq!(ops(up_only), [(3, Op::DropTable { table: "a".into() })]);
    }

    #[test]
    fn comments_and_strings_are_not_calls() {
        let text = "class A < ActiveRecord::Migration[7.1]\n  def change\n    # add_index :users, :email\n    say \"add_column :users, :x, :int\"\n  end\nend\n";
        assert!(ops(text).is_empty());
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "def change",
            "def change\n  add_index",
            "def change\n  create_table :a do |t|\n t.string",
            "def up\n execute <<~SQL\n",
            "é def change ü add_column :é, :ü",
        ] {
            let _ = read(text);
        }
    }
}
