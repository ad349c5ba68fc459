//! Alembic migrations (`versions/*.py`).
//!
//! The forward migration is the body of `def upgrade()`, found by
//! indentation; `op.*` calls in it are read, and so are the calls on a
//! `with op.batch_alter_table('t') as batch_op:` alias, on table `t`.
//! `revision` is the migration's id and `down_revision` (one, a tuple for
//! a merge, or `None`) what it follows.
//!
//! A migration runs outside a transaction when it uses
//! `autocommit_block()` anywhere (a simplification: only the block itself
//! does).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{
    Collected, FrameworkMigration, Reversibility, constructor, default_of, is_false, is_true, name,
};
use crate::calls::{Arg, Call, Source, Syntax};
use crate::ops::{DefaultKind, Op};
use crate::sql::ParseSql;

/// Read an Alembic migration.
pub fn alembic(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    let source = Source::new(text, Syntax::Python);
    static UPGRADE: LazyLock<Regex> = LazyLock::new(|| def("upgrade"));
    static DOWNGRADE: LazyLock<Regex> = LazyLock::new(|| def("downgrade"));
    static REVISION: LazyLock<Regex> = LazyLock::new(|| assignment("revision"));
    static DOWN_REVISION: LazyLock<Regex> = LazyLock::new(|| assignment("down_revision"));
    let upgrade = function(&source, &UPGRADE);
    let downgrade = function(&source, &DOWNGRADE);
    let mut collected = Collected::new(sql);
    if let Some(upgrade) = &upgrade {
        read_upgrade(&source, upgrade.body.clone(), &mut collected);
    }
    let (up, errors) = collected.finish();
    FrameworkMigration {
        up,
        errors,
        reversibility: reversibility(&source, upgrade.as_ref(), downgrade.as_ref()),
        in_transaction: source
            .code_matches(&AUTOCOMMIT_BLOCK, 0..source.len())
            .is_empty(),
        id: assigned_strings(&source, &REVISION).into_iter().next(),
        depends_on: assigned_strings(&source, &DOWN_REVISION),
        fields: Vec::new(),
    }
}

static AUTOCOMMIT_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bautocommit_block\b").expect("valid"));

/// A top-level function: the line of its `def` and its body.
struct Function {
    line: u32,
    body: Range<usize>,
}

/// `def <name>(`, its indentation captured.
fn def(name: &str) -> Regex {
    Regex::new(&format!(r"(?m)^([ \t]*)def[ \t]+{name}[ \t]*\(")).expect("valid")
}

/// `<variable> = ` at the start of a line, with an optional annotation
/// (`down_revision: Union[str, None] = `).
fn assignment(variable: &str) -> Regex {
    Regex::new(&format!(r"(?m)^{variable}[ \t]*(?::[^=\n]*)?=[ \t]*")).expect("valid")
}

/// The function whose `def` the regex `def` finds, and its indented body.
fn function(source: &Source, def: &Regex) -> Option<Function> {
    let caps = source
        .code_matches(def, 0..source.len())
        .into_iter()
        .next()?;
    let whole = caps.get(0)?;
    let indent = caps.get(1).map_or(0, |m| m.len());
    let params_close = source.matching_close(whole.end() - 1)?;
    let colon = (params_close..source.len())
        .find(|&i| source.is_code(i) && source.slice(i..i + 1) == ":")?;
    let body_start = colon + 1;
    Some(Function {
        line: source.line_of(whole.start()),
        body: body_start..block_end(source, body_start, indent),
    })
}

/// Where the block starting at `start` ends: at the first line of code
/// indented no deeper than `indent`, outside any open bracket.
fn block_end(source: &Source, start: usize, indent: usize) -> usize {
    let text = source.text();
    let mut depth = 0i32;
    let mut line_start = start;
    let mut first_line = true;
    while line_start < source.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(source.len(), |p| line_start + p + 1);
        let first_content = (line_start..line_end)
            .find(|&i| !matches!(source.slice(i..i + 1), " " | "\t" | "\n" | "\r"));
        if let Some(content) = first_content {
            let dedented = !first_line
                && depth <= 0
                && source.is_code(content)
                && content - line_start <= indent;
            if dedented {
                return line_start;
            }
        }
        for i in line_start..line_end {
            if source.is_code(i) {
                match source.slice(i..i + 1) {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth -= 1,
                    _ => {}
                }
            }
        }
        first_line = false;
        line_start = line_end;
    }
    source.len()
}

/// `op.*` operations read.
const OPERATIONS: &[&str] = &[
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "alter_column",
    "create_index",
    "create_foreign_key",
    "create_check_constraint",
    "create_unique_constraint",
    "execute",
    "bulk_insert",
];

fn read_upgrade(source: &Source, body: Range<usize>, collected: &mut Collected) {
    for operation in OPERATIONS {
        for call in source.calls_in(&format!("op.{operation}"), body.clone()) {
            read_operation(operation, &call, None, collected);
        }
    }
    for batch in source.calls_in("op.batch_alter_table", body.clone()) {
        let Some(table) = batch.keyword("table_name").or_else(|| batch.nth(0)) else {
            continue;
        };
        let Some((alias, block)) = with_block(source, &batch) else {
            continue;
        };
        for call in source.method_calls(alias, block) {
            let operation = call.name.rsplit('.').next().unwrap_or_default();
            read_operation(operation, &call, Some(name(&table)), collected);
        }
    }
}

/// The alias and body of `with <call> as alias:`.
fn with_block<'a>(source: &Source<'a>, call: &Call) -> Option<(&'a str, Range<usize>)> {
    static ALIAS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*as\s+([A-Za-z_][A-Za-z0-9_]*)\s*:").expect("valid"));
    let after = call.span.end;
    let caps = ALIAS.captures(source.slice(after..source.len()))?;
    let alias = caps.get(1)?;
    let body_start = after + caps.get(0)?.end();
    let line = source
        .slice(0..call.span.start)
        .rsplit('\n')
        .next()
        .unwrap_or_default();
    let indent = line.len() - line.trim_start().len();
    Some((
        source.slice(after + alias.start()..after + alias.end()),
        body_start..block_end(source, body_start, indent),
    ))
}

/// The argument naming the table an `op.*` call works on: its keyword
/// and its position.
fn table_parameter(operation: &str) -> (&'static str, usize) {
    match operation {
        "create_foreign_key" => ("source_table", 1),
        "create_index" | "create_check_constraint" | "create_unique_constraint" => {
            ("table_name", 1)
        }
        _ => ("table_name", 0),
    }
}

/// Read one operation; `batch_table` is the table of a batch alias, whose
/// calls do not name it.
fn read_operation(
    operation: &str,
    call: &Call,
    batch_table: Option<String>,
    collected: &mut Collected,
) {
    let mut positional = call.positional();
    let table = match batch_table {
        Some(table) => table,
        None => {
            let (keyword, position) = table_parameter(operation);
            match call.keyword(keyword) {
                Some(table) => name(&table),
                None if position < positional.len() => name(&positional.remove(position)),
                None => String::new(),
            }
        }
    };
    // What follows the table (and, for constraints and indexes, the name).
    let rest = |i: usize| positional.get(i).cloned();
    let column = || {
        call.keyword("column_name")
            .or_else(|| rest(0))
            .map(|a| name(&a))
    };
    let postgresql_not_valid = || is_true(call.keyword("postgresql_not_valid"));
    match operation {
        "execute" => collected.sql(call, call.keyword("sqltext").or_else(|| call.nth(0))),
        "bulk_insert" => collected.op(
            call,
            Op::DataChange {
                table: None,
                kind: "INSERT",
            },
        ),
        "create_table" => {
            let columns = positional
                .iter()
                .filter_map(column_definition)
                .map(|c| c.name)
                .collect();
            collected.op(call, Op::CreateTable { table, columns });
        }
        "drop_table" => collected.op(call, Op::DropTable { table }),
        "rename_table" => {
            let to = call.keyword("new_table_name").or_else(|| rest(0));
            let to = to.map(|a| name(&a)).unwrap_or_default();
            collected.op(call, Op::RenameTable { from: table, to });
        }
        "add_column" => {
            let Some(column) = call.keyword("column").or_else(|| rest(0)) else {
                return;
            };
            let Some(column) = column_definition(&column) else {
                return;
            };
            collected.op(
                call,
                Op::AddColumn {
                    table: table.clone(),
                    column: column.name,
                    not_null: column.not_null,
                    default: column.default,
                },
            );
            if column.foreign_key {
                collected.op(
                    call,
                    Op::AddForeignKey {
                        table,
                        not_valid: false,
                    },
                );
            }
        }
        "drop_column" => collected.op(
            call,
            Op::DropColumn {
                table,
                column: column().unwrap_or_default(),
            },
        ),
        "alter_column" => alter_column(call, table, column().unwrap_or_default(), collected),
        "create_index" => collected.op(
            call,
            Op::CreateIndex {
                table,
                unique: is_true(call.keyword("unique")),
                concurrently: is_true(call.keyword("postgresql_concurrently")),
            },
        ),
        "create_foreign_key" => collected.op(
            call,
            Op::AddForeignKey {
                table,
                not_valid: postgresql_not_valid(),
            },
        ),
        "create_check_constraint" => collected.op(
            call,
            Op::AddCheck {
                table,
                not_valid: postgresql_not_valid(),
            },
        ),
        "create_unique_constraint" => collected.op(
            call,
            Op::AddUnique {
                table,
                using_index: false,
            },
        ),
        _ => {}
    }
}

/// `op.alter_column(...)`: a new type, `nullable=False`, a new name, each
/// its own operation.
fn alter_column(call: &Call, table: String, column: String, collected: &mut Collected) {
    if call.keyword("type_").is_some() {
        let op = Op::ChangeType {
            table: table.clone(),
            column: column.clone(),
        };
        collected.op(call, op);
    }
    if is_false(call.keyword("nullable")) {
        let op = Op::SetNotNull {
            table: table.clone(),
            column: column.clone(),
        };
        collected.op(call, op);
    }
    if let Some(new_name) = call.keyword("new_column_name") {
        let op = Op::RenameColumn {
            table,
            from: column,
            to: name(&new_name),
        };
        collected.op(call, op);
    }
}

/// What `sa.Column('name', ..., nullable=False, server_default=...)` says.
struct ColumnDefinition {
    name: String,
    not_null: bool,
    default: DefaultKind,
    /// It holds a `sa.ForeignKey(...)`.
    foreign_key: bool,
}

fn column_definition(arg: &Arg) -> Option<ColumnDefinition> {
    let (class, call) = constructor(arg)?;
    if class != "Column" {
        return None;
    }
    let column_name = call.keyword("name").or_else(|| call.nth(0))?;
    Some(ColumnDefinition {
        name: name(&column_name),
        not_null: is_false(call.keyword("nullable")) || is_true(call.keyword("primary_key")),
        default: default_of(call.keyword("server_default")),
        foreign_key: !call.calls_inside("ForeignKey").is_empty(),
    })
}

/// The strings of the module-level assignment the regex `assignment`
/// finds: one (`revision = 'abc'`), several (`down_revision = ('a', 'b')`)
/// or none (`down_revision = None`).
fn assigned_strings(source: &Source, assignment: &Regex) -> Vec<String> {
    let Some(value_start) = source
        .code_matches(assignment, 0..source.len())
        .first()
        .and_then(|c| c.get(0))
        .map(|m| m.end())
    else {
        return Vec::new();
    };
    let value_end = match source.slice(value_start..value_start + 1) {
        "(" | "[" => source
            .matching_close(value_start)
            .map_or(source.len(), |close| close + 1),
        _ => source
            .text()
            .get(value_start..)
            .and_then(|rest| rest.find('\n'))
            .map_or(source.len(), |p| value_start + p),
    };
    source
        .items(value_start..value_end)
        .iter()
        .flat_map(|value| match value.items().as_slice() {
            [] => value.string().into_iter().collect::<Vec<_>>(),
            items => items.iter().filter_map(|i| i.string()).collect(),
        })
        .collect()
}

fn reversibility(
    source: &Source,
    upgrade: Option<&Function>,
    downgrade: Option<&Function>,
) -> Reversibility {
    let Some(downgrade) = downgrade else {
        return Reversibility::Irreversible {
            line: upgrade.map_or(1, |u| u.line),
            why: "no downgrade()".into(),
        };
    };
    let code: String = source
        .code_only(downgrade.body.clone())
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let does_nothing = code.replace("pass", "").replace("...", "").is_empty();
    let why = if does_nothing {
        "downgrade() does nothing"
    } else if code.starts_with("raise") {
        "downgrade() raises"
    } else {
        return Reversibility::Reversible;
    };
    Reversibility::Irreversible {
        line: downgrade.line,
        why: why.into(),
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        alembic(text, &Native(Dialect::Postgres))
    }

    fn ops(text: &str) -> Vec<(u32, Op)> {
        read(text).up.into_iter().map(|l| (l.line, l.op)).collect()
    }

    const HEADER: &str = "\"\"\"add orgs\n\nRevision ID: abc123\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = 'abc123'\ndown_revision = 'def456'\n\n";

    #[test]
    fn revision_and_down_revision() {
        let single = read(HEADER);
        assert_eq!(single.id.as_deref(), Some("abc123"));
        assert_eq!(single.depends_on, ["def456"]);

        let merge = read(
            "revision: str = \"m1\"\ndown_revision: Union[str, Sequence[str], None] = (\n    'a1',\n    \"b2\",\n)\n",
        );
        assert_eq!(merge.id.as_deref(), Some("m1"));
        assert_eq!(merge.depends_on, ["a1", "b2"]);

        let first = read("revision = 'first'\ndown_revision = None\nbranch_labels = None\n");
        assert_eq!(first.id.as_deref(), Some("first"));
        assert!(first.depends_on.is_empty());
    }

    #[test]
    fn indexes_concurrent_or_not() {
        let text = format!(
            "{HEADER}def upgrade() -> None:\n    with op.get_context().autocommit_block():\n        op.create_index(\n            'ix_users_email',\n            'users',\n            ['email'],\n            unique=True,\n            postgresql_concurrently=True,\n        )\n    op.create_index(op.f('ix_users_org'), 'users', ['org_id'])\n\n\ndef downgrade() -> None:\n    op.drop_index('ix_users_email')\n"
        );
        let migration = read(&text);
        assert!(!migration.in_transaction);
        assert_eq!(
            ops(&text),
            [
                (
                    13,
                    Op::CreateIndex {
                        table: "users".into(),
                        unique: true,
                        concurrently: true
                    }
                ),
                (
                    20,
                    Op::CreateIndex {
                        table: "users".into(),
                        unique: false,
                        concurrently: false
                    }
                )
            ]
        );
        assert_eq!(migration.reversibility, Reversibility::Reversible);
        assert!(read(HEADER).in_transaction);
    }

    #[test]
    fn tables_and_columns() {
        let text = format!(
            "{HEADER}def upgrade():\n    op.create_table('orgs',\n        sa.Column('id', sa.Integer(), primary_key=True),\n        sa.Column('name', sa.Text(), nullable=False),\n        sa.PrimaryKeyConstraint('id'),\n    )\n    op.add_column('users', sa.Column('org_id', sa.Integer(), sa.ForeignKey('orgs.id'), nullable=False))\n    op.add_column('users', sa.Column('token', sa.Uuid(), server_default=sa.text('gen_random_uuid()')))\n    op.add_column('users', sa.Column('active', sa.Boolean(), nullable=False, server_default='true'))\n    op.alter_column('users', 'name', new_column_name='full_name', nullable=False)\n    op.alter_column('users', 'age', type_=sa.BigInteger())\n    op.drop_column('users', 'legacy')\n    op.rename_table('people', 'persons')\n    op.drop_table('old')\n    op.create_foreign_key('fk', 'users', 'orgs', ['org_id'], ['id'], postgresql_not_valid=True)\n    op.create_check_constraint('ck', 'users', 'age > 0')\n    op.create_unique_constraint('uq', 'users', ['email'])\n\n\ndef downgrade():\n    op.drop_table('orgs')\n"
        );
        let got: Vec<Op> = ops(&text).into_iter().map(|(_, op)| op).collect();
        let users = || "users".to_string();
        assert_eq!(
            got,
            [
                Op::CreateTable {
                    table: "orgs".into(),
                    columns: vec!["id".into(), "name".into()]
                },
                Op::AddColumn {
                    table: users(),
                    column: "org_id".into(),
                    not_null: true,
                    default: DefaultKind::None
                },
                Op::AddForeignKey {
                    table: users(),
                    not_valid: false
                },
                Op::AddColumn {
                    table: users(),
                    column: "token".into(),
                    not_null: false,
                    default: DefaultKind::Volatile("gen_random_uuid()".into())
                },
                Op::AddColumn {
                    table: users(),
                    column: "active".into(),
                    not_null: true,
                    default: DefaultKind::Constant
                },
                Op::SetNotNull {
                    table: users(),
                    column: "name".into()
                },
                Op::RenameColumn {
                    table: users(),
                    from: "name".into(),
                    to: "full_name".into()
                },
                Op::ChangeType {
                    table: users(),
                    column: "age".into()
                },
                Op::DropColumn {
                    table: users(),
                    column: "legacy".into()
                },
                Op::RenameTable {
                    from: "people".into(),
                    to: "persons".into()
                },
                Op::DropTable {
                    table: "old".into()
                },
                Op::AddForeignKey {
                    table: users(),
                    not_valid: true
                },
                Op::AddCheck {
                    table: users(),
                    not_valid: false
                },
                Op::AddUnique {
                    table: users(),
                    using_index: false
                },
            ]
        );
    }

    #[test]
    fn batch_operations_use_the_batch_table() {
        let text = format!(
            "{HEADER}def upgrade():\n    with op.batch_alter_table('users', schema=None) as batch_op:\n        batch_op.add_column(sa.Column('age', sa.Integer(), nullable=True))\n        batch_op.create_index('ix_age', ['age'], unique=False)\n    op.drop_table('x')\n\n\ndef downgrade():\n    pass\n"
        );
        assert_eq!(
            ops(&text),
            [
                (
                    13,
                    Op::AddColumn {
                        table: "users".into(),
                        column: "age".into(),
                        not_null: false,
                        default: DefaultKind::None
                    }
                ),
                (
                    14,
                    Op::CreateIndex {
                        table: "users".into(),
                        unique: false,
                        concurrently: false
                    }
                ),
                (15, Op::DropTable { table: "x".into() }),
            ]
        );
    }

    #[test]
    fn execute_sql_at_its_lines() {
        let text = format!(
            "{HEADER}def upgrade():\n    op.execute(\"UPDATE users SET a = 1\")\n    op.execute(\n        sa.text(\n            \"\"\"\nALTER TABLE users\n  ADD COLUMN b int;\nCREATE INDEX CONCURRENTLY users_b ON users (b);\n\"\"\"\n        )\n    )\n    op.execute(f\"UPDATE {{table}} SET a = 2\")\n\n\ndef downgrade():\n    op.execute('DROP TABLE users')\n"
        );
        let migration = read(&text);
        let got: Vec<(u32, &Op)> = migration.up.iter().map(|l| (l.line, &l.op)).collect();
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(matches!(
            got[0],
            (12, Op::DataChange { kind: "UPDATE", .. })
        ));
        assert!(matches!(got[1], (16, Op::AddColumn { .. })));
        assert!(matches!(
            got[2],
            (
                18,
                Op::CreateIndex {
                    concurrently: true,
                    ..
                }
            )
        ));
        // An f-string UPDATE is a data change whatever the table: its first
        // word says so, no parse needed.
        assert!(matches!(
            got[3],
            (22, Op::DataChange { kind: "UPDATE", .. })
        ));
        assert!(migration.errors.is_empty());
    }

    #[test]
    fn downgrades_that_do_nothing() {
        let pass = format!(
            "{HEADER}def upgrade():\n    op.drop_table('x')\n\n\ndef downgrade():\n    \"\"\"Nothing to do.\"\"\"\n    # really\n    pass\n"
        );
        assert_eq!(
            read(&pass).reversibility,
            Reversibility::Irreversible {
                line: 15,
                why: "downgrade() does nothing".into()
            }
        );
        let empty = format!(
            "{HEADER}def upgrade():\n    op.drop_table('x')\n\n\ndef downgrade():\n    ...\n    \n"
        );
        assert!(matches!(
            read(&empty).reversibility,
            Reversibility::Irreversible { line: 15, .. }
        ));
        let does_something = format!(
            "{HEADER}def upgrade():\n    op.drop_table('x')\n\n\ndef downgrade():\n    pass\n    op.create_table('x')\n"
        );
        assert_eq!(
            read(&does_something).reversibility,
            Reversibility::Reversible
        );
        let raises = format!(
            "{HEADER}def upgrade():\n    op.drop_table('x')\n\ndef downgrade():\n    raise NotImplementedError()\n"
        );
        assert!(matches!(
            read(&raises).reversibility,
            Reversibility::Irreversible { line: 14, .. }
        ));
        let missing = format!("{HEADER}def upgrade():\n    op.drop_table('x')\n");
        assert_eq!(
            read(&missing).reversibility,
            Reversibility::Irreversible {
                line: 11,
                why: "no downgrade()".into()
            }
        );
    }

    #[test]
    fn only_the_upgrade_counts() {
        let text = format!(
            "{HEADER}def downgrade():\n    op.drop_table('users')\n\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer()))\n# op.drop_table('commented')\n\nop.drop_table('module_level')\n"
        );
        let got = ops(&text);
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], (16, Op::CreateTable { .. })));
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "def upgrade(",
            "def upgrade():",
            "def upgrade():\n    op.add_column(",
            "def upgrade():\n  op.execute(\"\"\"",
            "revision = (",
            "down_revision = ('a',",
            "é\ndef upgrade():\n    op.create_table('é', sa.Column('ü'",
        ] {
            let _ = read(text);
        }
    }
}
