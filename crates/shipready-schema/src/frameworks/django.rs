//! Django migrations (`<app>/migrations/0002_x.py`).
//!
//! Operations are the `migrations.*` calls (also found without the
//! `migrations.` prefix, as `AddIndexConcurrently` usually is), except
//! those in `SeparateDatabaseAndState(state_operations=...)`, which never
//! reach the database.
//!
//! A model's table is its lower-cased name: Django names it
//! `<app_label>_<model>`, but the app label is not in the file. A
//! `ForeignKey` or `OneToOneField` named `org` is the column `org_id`
//! (or its `db_column`). `RemoveField` does not know the field's type, so
//! it drops the column named like the field. `dependencies` come out as
//! `app/name` (`orders/0001_initial`) for the caller to match against the
//! app.

use std::sync::LazyLock;

use regex::Regex;

use super::{
    Collected, FieldDef, FrameworkMigration, Reversibility, constructor, default_of, is_false,
    is_true, name, param,
};
use crate::calls::{Arg, Call, Source, Syntax};
use crate::ops::{DefaultKind, Op};
use crate::sql::ParseSql;

/// Read a Django migration.
pub fn django(text: &str, sql: &dyn ParseSql) -> FrameworkMigration {
    let source = Source::new(text, Syntax::Python);
    let state_only: Vec<_> = source
        .calls("SeparateDatabaseAndState")
        .iter()
        .filter_map(|call| call.keyword("state_operations"))
        .map(|arg| arg.span)
        .collect();
    let mut collected = Collected::new(sql);
    let mut fields = Vec::new();
    let mut irreversible: Vec<(usize, u32, &str)> = Vec::new();
    for operation in OPERATIONS {
        for call in source.calls(operation) {
            if state_only.iter().any(|s| s.contains(&call.span.start)) {
                continue;
            }
            read_operation(operation, &call, &mut collected);
            fields.extend(field_defs(operation, &call));
            if let Some(why) = irreversible_because(operation, &call) {
                irreversible.push((call.span.start, call.line, why));
            }
        }
    }
    irreversible.sort_by_key(|(offset, ..)| *offset);
    let (up, errors) = collected.finish();
    FrameworkMigration {
        up,
        errors,
        reversibility: match irreversible.first() {
            Some((_, line, why)) => Reversibility::Irreversible {
                line: *line,
                why: why.to_string(),
            },
            None => Reversibility::Reversible,
        },
        in_transaction: source.code_matches(&NOT_ATOMIC, 0..source.len()).is_empty(),
        id: None,
        depends_on: dependencies(&source),
        fields: {
            fields.sort_by_key(|f: &FieldDef| f.line);
            fields
        },
    }
}

static NOT_ATOMIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*atomic\s*=\s*False\b").expect("valid"));

/// The operations read, by class name.
const OPERATIONS: &[&str] = &[
    "CreateModel",
    "DeleteModel",
    "RenameModel",
    "AddField",
    "RemoveField",
    "RenameField",
    "AlterField",
    "AddIndex",
    "AddIndexConcurrently",
    "AddConstraint",
    "AddConstraintNotValid",
    "RunSQL",
    "RunPython",
];

fn read_operation(operation: &str, call: &Call, collected: &mut Collected) {
    let model = || {
        param(call, "model_name", 0)
            .map(|a| name(&a))
            .unwrap_or_default()
    };
    let op = match operation {
        "RunSQL" => return collected.sql(call, param(call, "sql", 0)),
        "AddField" => return add_field(call, model(), collected),
        "CreateModel" => Op::CreateTable {
            table: param(call, "name", 0).map(|a| name(&a)).unwrap_or_default(),
            columns: model_columns(param(call, "fields", 1)),
        },
        "DeleteModel" => Op::DropTable {
            table: param(call, "name", 0).map(|a| name(&a)).unwrap_or_default(),
        },
        "RenameModel" => Op::RenameTable {
            from: param(call, "old_name", 0)
                .map(|a| name(&a))
                .unwrap_or_default(),
            to: param(call, "new_name", 1)
                .map(|a| name(&a))
                .unwrap_or_default(),
        },
        "RemoveField" => Op::DropColumn {
            table: model(),
            column: param(call, "name", 1).map(|a| name(&a)).unwrap_or_default(),
        },
        "RenameField" => Op::RenameColumn {
            table: model(),
            from: param(call, "old_name", 1)
                .map(|a| name(&a))
                .unwrap_or_default(),
            to: param(call, "new_name", 2)
                .map(|a| name(&a))
                .unwrap_or_default(),
        },
        "AlterField" => {
            let field_name = param(call, "name", 1).map(|a| name(&a)).unwrap_or_default();
            let field = param(call, "field", 2).and_then(|a| Field::read(&a, field_name.clone()));
            match field {
                // A join table, or a key whose column type follows the
                // target's primary key: `on_delete`, `related_name` and
                // the like never reach the database's column type.
                Some(f) if f.relation != Relation::None => Op::Other,
                field => Op::ChangeType {
                    table: model(),
                    column: field.map_or(field_name, |f| f.column),
                },
            }
        }
        "AddIndex" | "AddIndexConcurrently" => Op::CreateIndex {
            table: model(),
            unique: false,
            concurrently: operation == "AddIndexConcurrently",
        },
        "AddConstraint" | "AddConstraintNotValid" => {
            let constraint = param(call, "constraint", 1);
            let class = constraint
                .as_ref()
                .and_then(constructor)
                .map(|(class, _)| class);
            let not_valid = operation == "AddConstraintNotValid";
            match class {
                Some("UniqueConstraint") => Op::AddUnique {
                    table: model(),
                    using_index: false,
                },
                Some("CheckConstraint") => Op::AddCheck {
                    table: model(),
                    not_valid,
                },
                _ => Op::Other,
            }
        }
        "RunPython" => Op::DataChange {
            table: None,
            kind: "UPDATE",
        },
        _ => return,
    };
    collected.op(call, op);
}

/// Why an operation cannot be reversed, if it cannot.
fn irreversible_because(operation: &str, call: &Call) -> Option<&'static str> {
    match operation {
        "RunSQL" if param(call, "reverse_sql", 1).is_none() => {
            Some("RunSQL without reverse_sql cannot be reversed")
        }
        "RunPython" if param(call, "reverse_code", 1).is_none() => {
            Some("RunPython without reverse_code cannot be reversed")
        }
        _ => None,
    }
}

/// The column types an operation defines.
fn field_defs(operation: &str, call: &Call) -> Vec<FieldDef> {
    let model = || {
        param(call, "model_name", 0)
            .map(|a| name(&a))
            .unwrap_or_default()
    };
    let def = |table: String, field: Field, altered: bool| FieldDef {
        line: call.line,
        table,
        column: field.column,
        class: field.class,
        length: field.length,
        precision: field.precision,
        altered,
    };
    let one = |altered: bool| {
        let field_name = param(call, "name", 1).map(|a| name(&a)).unwrap_or_default();
        param(call, "field", 2)
            .and_then(|a| Field::read(&a, field_name))
            .filter(|f| f.relation == Relation::None)
            .map(|f| def(model(), f, altered))
            .into_iter()
            .collect()
    };
    match operation {
        "AddField" => one(false),
        "AlterField" => one(true),
        "CreateModel" => {
            let table = param(call, "name", 0).map(|a| name(&a)).unwrap_or_default();
            model_fields(param(call, "fields", 1))
                .into_iter()
                .filter_map(|(_, field)| field)
                .filter(|field| field.relation == Relation::None)
                .map(|field| def(table.clone(), field, false))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Fields Django stores as strings.
const STRING_FIELDS: &[&str] = &[
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "FilePathField",
    "FileField",
    "ImageField",
];

/// A model field as far as the database sees it.
struct Field {
    column: String,
    /// The field class, and what sizes its storage.
    class: String,
    length: Option<u64>,
    precision: Option<String>,
    relation: Relation,
    not_null: bool,
    default: DefaultKind,
    unique: bool,
    /// `db_index=True`, or a foreign key without `db_index=False`.
    indexed: bool,
    /// A relation with a database constraint (not `db_constraint=False`).
    constrained: bool,
}

#[derive(PartialEq, Eq)]
enum Relation {
    None,
    ForeignKey,
    OneToOne,
    /// A join table, no column.
    ManyToMany,
}

impl Field {
    /// Read `models.X(...)` for a field named `field_name`.
    fn read(arg: &Arg, field_name: String) -> Option<Field> {
        let (class, call) = constructor(arg)?;
        let relation = match class {
            "ForeignKey" => Relation::ForeignKey,
            "OneToOneField" => Relation::OneToOne,
            "ManyToManyField" => Relation::ManyToMany,
            _ => Relation::None,
        };
        let is_relation = matches!(relation, Relation::ForeignKey | Relation::OneToOne);
        let column = match call.keyword("db_column") {
            Some(column) => name(&column),
            None if is_relation => format!("{field_name}_id"),
            None => field_name,
        };
        // Django fills `default` in once for existing rows: a constant to
        // the database, even when it is a callable.
        // A string field that may be blank and not null gets `''` for
        // existing rows (Django's `effective_default`).
        let blank_string = is_true(call.keyword("blank"))
            && !is_true(call.keyword("null"))
            && STRING_FIELDS.contains(&class);
        let default = match call.keyword("db_default") {
            Some(db_default) => default_of(Some(db_default)),
            None if call.keyword("default").is_some() || blank_string => DefaultKind::Constant,
            None => DefaultKind::None,
        };
        let db_index = call.keyword("db_index");
        let precision = match (call.keyword("max_digits"), call.keyword("decimal_places")) {
            (None, None) => None,
            (digits, places) => Some(format!(
                "{},{}",
                digits.map_or("", |a| a.text()),
                places.map_or("", |a| a.text())
            )),
        };
        Some(Field {
            column,
            class: class.to_string(),
            length: call
                .keyword("max_length")
                .and_then(|a| a.text().parse().ok()),
            precision,
            not_null: !is_true(call.keyword("null")),
            default,
            unique: is_true(call.keyword("unique")) || relation == Relation::OneToOne,
            indexed: is_true(db_index.clone())
                || relation == Relation::ForeignKey && !is_false(db_index),
            constrained: is_relation && !is_false(call.keyword("db_constraint")),
            relation,
        })
    }
}

/// `AddField`: the column, then what Django builds with it (foreign key,
/// unique constraint, index).
fn add_field(call: &Call, table: String, collected: &mut Collected) {
    let field_name = param(call, "name", 1).map(|a| name(&a)).unwrap_or_default();
    let Some(field) = param(call, "field", 2).and_then(|a| Field::read(&a, field_name)) else {
        return;
    };
    if field.relation == Relation::ManyToMany {
        return collected.op(call, Op::Other);
    }
    let column = Op::AddColumn {
        table: table.clone(),
        column: field.column,
        not_null: field.not_null,
        default: field.default,
    };
    collected.op(call, column);
    if field.constrained {
        let foreign_key = Op::AddForeignKey {
            table: table.clone(),
            not_valid: false,
        };
        collected.op(call, foreign_key);
    }
    if field.unique {
        let unique = Op::AddUnique {
            table: table.clone(),
            using_index: false,
        };
        collected.op(call, unique);
    } else if field.indexed {
        let index = Op::CreateIndex {
            table,
            unique: false,
            concurrently: false,
        };
        collected.op(call, index);
    }
}

/// The columns of `fields=[('name', models.X(...)), ...]`.
fn model_columns(fields: Option<Arg>) -> Vec<String> {
    model_fields(fields)
        .into_iter()
        .filter_map(|(field_name, field)| match field {
            Some(field) if field.relation == Relation::ManyToMany => None,
            Some(field) => Some(field.column),
            None => Some(field_name),
        })
        .collect()
}

/// `CreateModel(fields=[('name', models.X(...)), ...])`: each field's
/// name and, when it reads, the field.
fn model_fields(fields: Option<Arg>) -> Vec<(String, Option<Field>)> {
    let Some(fields) = fields else {
        return Vec::new();
    };
    fields
        .items()
        .iter()
        .filter_map(|pair| {
            let pair = pair.items();
            let field_name = pair.first().map(name)?;
            let field = pair.get(1).and_then(|f| Field::read(f, field_name.clone()));
            Some((field_name, field))
        })
        .collect()
}

/// `dependencies = [('orders', '0001_initial'), ...]` as
/// `orders/0001_initial`; swappable dependencies are left out.
fn dependencies(source: &Source) -> Vec<String> {
    static DEPENDENCIES: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*dependencies\s*=\s*").expect("valid"));
    let Some(assignment) = source
        .code_matches(&DEPENDENCIES, 0..source.len())
        .into_iter()
        .next()
        .and_then(|c| c.get(0))
    else {
        return Vec::new();
    };
    let open = source.skip_blank(assignment.end());
    let close = source.matching_close(open).unwrap_or(source.len());
    source
        .items(open + 1..close)
        .iter()
        .filter_map(|dependency| {
            let parts: Vec<String> = dependency
                .items()
                .iter()
                .filter_map(|p| p.string())
                .collect();
            match parts.as_slice() {
                [app, migration] => Some(format!("{app}/{migration}")),
                _ => None,
            }
        })
        .collect()
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::sql::{Dialect, Native};

    fn read(text: &str) -> FrameworkMigration {
        django(text, &Native(Dialect::Postgres))
    }

    fn migration(operations: &str) -> String {
        format!(
            "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [\n        ('orders', '0001_initial'),\n        migrations.swappable_dependency(settings.AUTH_USER_MODEL),\n        (\"orgs\", \"0003_org_slug\"),\n    ]\n\n    operations = [\n{operations}\n    ]\n"
        )
    }

    const FIRST_OPERATION_LINE: u32 = 12;

    fn ops(text: &str) -> Vec<(u32, Op)> {
        read(text).up.into_iter().map(|l| (l.line, l.op)).collect()
    }

    #[test]
    fn dependencies_as_app_and_name() {
        let migration = read(&migration(""));
        assert_eq!(
            migration.depends_on,
            ["orders/0001_initial", "orgs/0003_org_slug"]
        );
        assert!(migration.in_transaction);
        assert_eq!(migration.id, None);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn alter_field_on_a_relation_is_not_a_column_type_change() {
        let text = migration(
            "        migrations.AlterField(model_name='order', name='tags', field=models.ManyToManyField(blank=True, related_name='orders', to='tags.tag')),\n        migrations.AlterField(model_name='order', name='user', field=models.OneToOneField(on_delete=models.SET_NULL, null=True, related_name='+', to='accounts.user')),\n        migrations.AlterField(model_name='order', name='note', field=models.CharField(max_length=500)),",
        );
        let got: Vec<Op> = ops(&text).into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            got,
            [
                Op::Other,
                Op::Other,
                Op::ChangeType {
                    table: "order".into(),
                    column: "note".into()
                }
            ]
        );
    }

    #[test]
    fn field_types_are_kept_for_a_reader_of_the_whole_history() {
        let text = migration(
            "        migrations.CreateModel(name='App', fields=[('id', models.AutoField(primary_key=True)), ('url', models.URLField(max_length=200)), ('org', models.ForeignKey(on_delete=models.CASCADE, to='orgs.org'))]),\n        migrations.AlterField(model_name='app', name='url', field=models.URLField(max_length=2048, help_text='x')),\n        migrations.AddField(model_name='app', name='price', field=models.DecimalField(max_digits=12, decimal_places=3, default=0)),",
        );
        let fields = read(&text).fields;
        let summary: Vec<(&str, &str, Option<u64>, Option<&str>, bool)> = fields
            .iter()
            .map(|f| {
                (
                    f.column.as_str(),
                    f.class.as_str(),
                    f.length,
                    f.precision.as_deref(),
                    f.altered,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("id", "AutoField", None, None, false),
                ("url", "URLField", Some(200), None, false),
                ("url", "URLField", Some(2048), None, true),
                ("price", "DecimalField", None, Some("12,3"), false),
            ]
        );
        assert!(!fields[2].changes_storage_of(&fields[1]), "widened varchar");
        assert!(fields[1].changes_storage_of(&fields[2]), "narrowed varchar");
        assert!(fields[3].changes_storage_of(&fields[1]), "another class");
        let mut default_length = fields[1].clone();
        default_length.length = None;
        assert!(
            !fields[2].changes_storage_of(&default_length),
            "URLField() is varchar(200), made 2048"
        );
    }

    #[test]
    fn a_blank_string_field_gets_an_empty_default_for_existing_rows() {
        let text = migration(
            "        migrations.AddField(model_name='order', name='note', field=models.TextField(blank=True)),\n        migrations.AddField(model_name='order', name='code', field=models.CharField(max_length=8)),",
        );
        let defaults: Vec<DefaultKind> = ops(&text)
            .into_iter()
            .filter_map(|(_, op)| match op {
                Op::AddColumn { default, .. } => Some(default),
                _ => None,
            })
            .collect();
        assert_eq!(defaults, [DefaultKind::Constant, DefaultKind::None]);
    }

    #[test]
    fn add_field_not_null_or_nullable() {
        let text = migration(
            "        migrations.AddField(\n            model_name='order',\n            name='note',\n            field=models.TextField(null=True),\n        ),\n        migrations.AddField('order', 'status', models.CharField(max_length=20, default='new')),\n        migrations.AddField(model_name='order', name='code', field=models.CharField(max_length=5)),",
        );
        assert_eq!(
            ops(&text),
            [
                (
                    FIRST_OPERATION_LINE,
                    Op::AddColumn {
                        table: "order".into(),
                        column: "note".into(),
                        not_null: false,
                        default: DefaultKind::None
                    }
                ),
                (
                    FIRST_OPERATION_LINE + 5,
                    Op::AddColumn {
                        table: "order".into(),
                        column: "status".into(),
                        not_null: true,
                        default: DefaultKind::Constant
                    }
                ),
                (
                    FIRST_OPERATION_LINE + 6,
                    Op::AddColumn {
                        table: "order".into(),
                        column: "code".into(),
                        not_null: true,
                        default: DefaultKind::None
                    }
                ),
            ]
        );
    }

    #[test]
    fn foreign_keys_bring_a_constraint_and_an_index() {
        let text = migration(
            "        migrations.AddField(\n            model_name='order',\n            name='org',\n            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='orgs.org'),\n        ),\n        migrations.AddField('order', 'owner', models.ForeignKey(on_delete=models.CASCADE, to='auth.user', db_index=False, default=uuid.uuid4)),",
        );
        let got: Vec<Op> = ops(&text).into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            got,
            [
                Op::AddColumn {
                    table: "order".into(),
                    column: "org_id".into(),
                    not_null: false,
                    default: DefaultKind::None
                },
                Op::AddForeignKey {
                    table: "order".into(),
                    not_valid: false
                },
                Op::CreateIndex {
                    table: "order".into(),
                    unique: false,
                    concurrently: false
                },
                Op::AddColumn {
                    table: "order".into(),
                    column: "owner_id".into(),
                    not_null: true,
                    default: DefaultKind::Constant
                },
                Op::AddForeignKey {
                    table: "order".into(),
                    not_valid: false
                },
            ]
        );
    }

    #[test]
    fn models_fields_indexes_and_constraints() {
        let text = migration(
            "        migrations.CreateModel(\n            name='Invoice',\n            fields=[\n                ('id', models.BigAutoField(auto_created=True, primary_key=True)),\n                ('org', models.ForeignKey(on_delete=models.CASCADE, to='orgs.org')),\n                ('tags', models.ManyToManyField(to='tags.tag')),\n            ],\n        ),\n        migrations.RenameField('invoice', 'total', 'amount'),\n        migrations.AlterField('invoice', 'org', models.ForeignKey(on_delete=models.PROTECT, to='orgs.org')),\n        migrations.RemoveField(model_name='invoice', name='legacy'),\n        migrations.AddIndex(model_name='invoice', index=models.Index(fields=['org'], name='inv_org')),\n        AddIndexConcurrently(model_name='invoice', index=models.Index(fields=['amount'], name='inv_amt')),\n        migrations.AddConstraint(model_name='invoice', constraint=models.UniqueConstraint(fields=['org', 'number'], name='uniq')),\n        migrations.AddConstraint(model_name='invoice', constraint=models.CheckConstraint(check=models.Q(amount__gte=0), name='pos')),\n        migrations.RenameModel(old_name='Invoice', new_name='Bill'),\n        migrations.DeleteModel(name='Legacy'),",
        );
        let got: Vec<Op> = ops(&text).into_iter().map(|(_, op)| op).collect();
        assert_eq!(
            got,
            [
                Op::CreateTable {
                    table: "invoice".into(),
                    columns: vec!["id".into(), "org_id".into()]
                },
                Op::RenameColumn {
                    table: "invoice".into(),
                    from: "total".into(),
                    to: "amount".into()
                },
                // AlterField on a foreign key: on_delete is not the database's.
                Op::Other,
                Op::DropColumn {
                    table: "invoice".into(),
                    column: "legacy".into()
                },
                Op::CreateIndex {
                    table: "invoice".into(),
                    unique: false,
                    concurrently: false
                },
                Op::CreateIndex {
                    table: "invoice".into(),
                    unique: false,
                    concurrently: true
                },
                Op::AddUnique {
                    table: "invoice".into(),
                    using_index: false
                },
                Op::AddCheck {
                    table: "invoice".into(),
                    not_valid: false
                },
                Op::RenameTable {
                    from: "invoice".into(),
                    to: "bill".into()
                },
                Op::DropTable {
                    table: "legacy".into()
                },
            ]
        );
    }

    #[test]
    fn run_sql_and_run_python() {
        let text = migration(
            "        migrations.RunSQL(\n            \"\"\"\n            UPDATE orders SET status = 'new';\n            CREATE INDEX orders_status ON orders (status);\n            \"\"\",\n            reverse_sql=migrations.RunSQL.noop,\n        ),\n        migrations.RunSQL([\"DELETE FROM a\", (\"INSERT INTO b VALUES (1)\", [1])], [\"SELECT 1\"]),\n        migrations.RunPython(forwards, migrations.RunPython.noop),",
        );
        let migration = read(&text);
        let got: Vec<(u32, &Op)> = migration.up.iter().map(|l| (l.line, &l.op)).collect();
        let line = FIRST_OPERATION_LINE;
        assert!(matches!(got[0], (l, Op::DataChange { kind: "UPDATE", .. }) if l == line + 2));
        assert!(
            matches!(got[1], (l, Op::CreateIndex { concurrently: false, .. }) if l == line + 3)
        );
        assert!(matches!(got[2], (l, Op::DataChange { kind: "DELETE", .. }) if l == line + 7));
        assert!(matches!(got[3], (_, Op::DataChange { kind: "INSERT", .. })));
        assert!(matches!(got[4], (l, Op::DataChange { kind: "UPDATE", .. }) if l == line + 8));
        assert_eq!(got.len(), 5);
        assert!(migration.errors.is_empty(), "{:?}", migration.errors);
        assert_eq!(migration.reversibility, Reversibility::Reversible);
    }

    #[test]
    fn irreversible_data_migrations() {
        let text = migration(
            "        migrations.AddField('order', 'x', models.IntegerField(null=True)),\n        migrations.RunPython(backfill),\n        migrations.RunSQL('UPDATE orders SET x = 1'),",
        );
        assert_eq!(
            read(&text).reversibility,
            Reversibility::Irreversible {
                line: FIRST_OPERATION_LINE + 1,
                why: "RunPython without reverse_code cannot be reversed".into()
            }
        );
        let with_keyword = migration(
            "        migrations.RunPython(code=backfill, reverse_code=unfill),\n        migrations.RunSQL(sql='UPDATE orders SET x = 1', reverse_sql='UPDATE orders SET x = 0'),",
        );
        assert_eq!(read(&with_keyword).reversibility, Reversibility::Reversible);
    }

    #[test]
    fn non_atomic_migrations_and_state_only_operations() {
        let text = "class Migration(migrations.Migration):\n    atomic = False\n\n    operations = [\n        migrations.SeparateDatabaseAndState(\n            state_operations=[migrations.RemoveField('order', 'x')],\n            database_operations=[migrations.RunSQL('ALTER TABLE orders DROP COLUMN y', reverse_sql='')],\n        ),\n    ]\n";
        let migration = read(text);
        assert!(!migration.in_transaction);
        assert_eq!(migration.up.len(), 1);
        assert!(matches!(&migration.up[0].op, Op::DropColumn { column, .. } if column == "y"));
    }

    #[test]
    fn broken_files_do_not_panic() {
        for text in [
            "",
            "dependencies = [",
            "migrations.AddField(",
            "migrations.AddField(field=models.ForeignKey(",
            "migrations.RunSQL(\"\"\"",
            "é migrations.CreateModel(name='é', fields=[('ü',",
        ] {
            let _ = read(text);
        }
    }
}
