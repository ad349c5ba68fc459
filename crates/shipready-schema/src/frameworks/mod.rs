//! Framework migrations (Rails, Django, Alembic, Knex, Sequelize, TypeORM)
//! read into the same operations as SQL.
//!
//! Each reader finds the framework's calls with [`crate::calls`] (no Ruby,
//! Python or JavaScript parser), keeps those in the forward migration, and
//! translates them into [`Op`]s at the line of the call. Raw SQL the
//! migration runs (`execute`, `RunSQL`, `op.execute`, `knex.raw`,
//! `sequelize.query`, `queryRunner.query`) goes through [`crate::sql::parse`]
//! at the line its text starts on. The backward migration only decides
//! [`Reversibility`].
//!
//! Operations come out in the order they are written, which is the order
//! they run in for every framework read here.

mod alembic;
mod django;
mod js;
mod knex;
mod rails;
mod sequelize;
mod typeorm;

pub use alembic::alembic;
pub use django::django;
pub use knex::knex;
pub use rails::rails;
pub use sequelize::sequelize;
pub use typeorm::typeorm;

use crate::calls::{Arg, Call};
use crate::ops::{DefaultKind, Located, Op, excerpt, normalize};
use crate::sql::{ParseError, ParseSql};

/// Whether a migration can be rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reversibility {
    Reversible,
    /// It cannot be rolled back: `line` is what makes it so.
    Irreversible {
        line: u32,
        why: String,
    },
}

/// What a framework migration file does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkMigration {
    /// The forward migration's operations.
    pub up: Vec<Located>,
    /// Raw SQL inside it that the parser could not read.
    pub errors: Vec<ParseError>,
    pub reversibility: Reversibility,
    /// The framework runs it inside a transaction.
    pub in_transaction: bool,
    /// Its identity in a migration graph (Alembic `revision`), if any.
    pub id: Option<String>,
    /// What it follows in that graph (Alembic `down_revision`, Django
    /// `dependencies` in the same app).
    pub depends_on: Vec<String>,
    /// The column types it defines, in order (Django: `CreateModel`,
    /// `AddField`, `AlterField`), so a reader of the whole history can tell
    /// an `AlterField` that keeps the type from one that changes it.
    pub fields: Vec<FieldDef>,
}

/// A column's type as a migration defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    pub line: u32,
    pub table: String,
    pub column: String,
    /// The field class (`CharField`, `DecimalField`, a custom class).
    pub class: String,
    /// `max_length`, when it is a number.
    pub length: Option<u64>,
    /// `max_digits` and `decimal_places` as written.
    pub precision: Option<String>,
    /// An `AlterField`: it redefines a column defined before.
    pub altered: bool,
}

/// Django classes stored as `varchar(max_length)`.
const VARCHAR_FIELDS: &[&str] = &[
    "CharField",
    "SlugField",
    "EmailField",
    "URLField",
    "GenericIPAddressField",
    "FilePathField",
    "FileField",
    "ImageField",
];

impl FieldDef {
    /// Redefining the column from `before` to `self` changes how the
    /// database stores it (a rewrite or a full scan on PostgreSQL). Not:
    /// the same storage with other choices, help text, validators or
    /// defaults; a `varchar` made longer; a `varchar` made `text`.
    pub fn changes_storage_of(&self, before: &FieldDef) -> bool {
        let varchar = |class: &str| VARCHAR_FIELDS.contains(&class);
        // Django's default `max_length` of each varchar class.
        let length = |f: &FieldDef| {
            f.length.or(match f.class.as_str() {
                "URLField" => Some(200),
                "EmailField" => Some(254),
                "SlugField" => Some(50),
                "FileField" | "ImageField" | "FilePathField" => Some(100),
                "GenericIPAddressField" => Some(39),
                _ => None,
            })
        };
        let widened = match (length(before), length(self)) {
            (Some(old), Some(new)) => new >= old,
            (old, new) => old == new,
        };
        if varchar(&before.class) && self.class == "TextField" {
            return false;
        }
        let same_kind =
            before.class == self.class || varchar(&before.class) && varchar(&self.class);
        !(same_kind && widened && before.precision == self.precision)
    }
}

/// Operations gathered call by call, put back in source order at the end.
struct Collected<'p> {
    parser: &'p dyn ParseSql,
    /// Each with the offset of the call it comes from.
    ops: Vec<(usize, Located)>,
    errors: Vec<ParseError>,
}

impl<'p> Collected<'p> {
    fn new(parser: &'p dyn ParseSql) -> Collected<'p> {
        Collected {
            parser,
            ops: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Record what a call does.
    fn op(&mut self, call: &Call, op: Op) {
        self.op_with_text(call, call.text(), op);
    }

    /// Record what a call does, shown as `text` (the call and what is
    /// chained on it).
    fn op_with_text(&mut self, call: &Call, text: &str, op: Op) {
        let located = Located {
            line: call.line,
            text: excerpt(text),
            op,
        };
        self.ops.push((call.span.start, located));
    }

    /// Record the SQL a call runs: every string in `sql` (each item's, for
    /// a list of statements), parsed at the line it starts on.
    fn sql(&mut self, call: &Call, sql: Option<Arg>) {
        let Some(sql) = sql else { return };
        let items = sql.items();
        let values = if items.is_empty() {
            sql.strings()
        } else {
            items
                .iter()
                .filter_map(|item| item.strings().into_iter().next())
                .collect()
        };
        for value in values {
            let parsed = self.parser.parse_sql(&value.value, value.line);
            self.ops
                .extend(parsed.ops.into_iter().map(|op| (call.span.start, op)));
            self.errors
                .extend(parsed.errors.into_iter().map(|error| ParseError {
                    templated: error.templated || value.interpolated,
                    ..error
                }));
        }
    }

    /// The operations in source order and the SQL errors by line.
    fn finish(mut self) -> (Vec<Located>, Vec<ParseError>) {
        self.ops.sort_by_key(|(offset, _)| *offset);
        self.errors.sort_by_key(|error| error.line);
        (
            self.ops.into_iter().map(|(_, located)| located).collect(),
            self.errors,
        )
    }
}

/// A table or column name: a literal's contents (for a name held in a
/// variable or constant, that identifier), normalized.
fn name(arg: &Arg) -> String {
    normalize(&arg.string().unwrap_or_else(|| arg.text().to_string()))
}

/// A call's argument given by keyword or else by position.
fn param<'s>(call: &Call<'s>, keyword: &str, position: usize) -> Option<Arg<'s>> {
    call.keyword(keyword).or_else(|| call.nth(position))
}

/// The value is `true` (`True` in Python).
fn is_true(value: Option<Arg>) -> bool {
    value.is_some_and(|v| v.is("true") || v.is("True"))
}

/// The value is `false` (`False` in Python).
fn is_false(value: Option<Arg>) -> bool {
    value.is_some_and(|v| v.is("false") || v.is("False"))
}

/// A constructor call standing as the whole argument (`models.ForeignKey(...)`,
/// `sa.Column(...)`, `new TableColumn({...})`): the class name without its
/// module, and the call.
fn constructor<'s>(arg: &Arg<'s>) -> Option<(&'s str, Call<'s>)> {
    let text = arg.text();
    let callee = text.get(..text.find('(')?)?.trim();
    let callee = callee.strip_prefix("new ").unwrap_or(callee).trim();
    let class = callee.rsplit('.').next()?;
    let call = arg
        .calls_inside(callee)
        .into_iter()
        .find(|call| call.span.end == arg.span.end)?;
    Some((class, call))
}

/// The default a column gets from a framework's default expression: none
/// when absent or null, volatile when it calls a volatile SQL function
/// (`-> { "gen_random_uuid()" }`, `sa.text("gen_random_uuid()")`,
/// `knex.raw('gen_random_uuid()')`), constant otherwise.
fn default_of(value: Option<Arg>) -> DefaultKind {
    match value {
        None => DefaultKind::None,
        Some(v) if ["nil", "None", "null", "undefined"].contains(&v.text()) => DefaultKind::None,
        Some(v) => DefaultKind::of_expression(v.text()),
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::sql::{Dialect, Native};

    #[test]
    fn defaults_are_volatile_only_when_they_call_a_volatile_function() {
        assert_eq!(DefaultKind::of_expression("0"), DefaultKind::Constant);
        assert_eq!(
            DefaultKind::of_expression("-> { \"now()\" }"),
            DefaultKind::Constant
        );
        assert_eq!(
            DefaultKind::of_expression("sa.text('GEN_RANDOM_UUID()')"),
            DefaultKind::Volatile("gen_random_uuid()".into())
        );
        assert_eq!(
            DefaultKind::of_expression("'random'"),
            DefaultKind::Constant
        );
    }

    /// Every prefix of these, through every reader, must not panic:
    /// unbalanced brackets, unterminated strings and heredocs, multi-byte
    /// characters cut anywhere.
    #[test]
    fn every_reader_survives_every_prefix_of_tricky_input() {
        let samples = [
            "class A < ActiveRecord::Migration[7.1]\n  disable_ddl_transaction!\n  def change\n    create_table :é do |t|\n      t.string :ü, null: false\n    end\n    add_reference :a, :b, index: { algorithm: :concurrently }\n    execute <<~SQL\n      UPDATE \"é\" SET x = '#{y}';\n    SQL\n  end\n  def down\n    raise ActiveRecord::IrreversibleMigration\n  end\nend\n",
            "revision = 'é1'\ndown_revision = ('a', \"b\")\n\ndef upgrade():\n    with op.batch_alter_table('t') as b:\n        b.add_column(sa.Column('ü', sa.Text(), server_default=sa.text('random()')))\n    op.execute(\"\"\"\nCREATE INDEX CONCURRENTLY i ON t (x);\n\"\"\")\n    migrations.AddField('m', 'f', models.ForeignKey(null=True))\n\ndef downgrade():\n    pass\n",
            "exports.config = { transaction: false };\nexports.up = async (knex) => {\n  await knex.schema.alterTable('é', (t) => {\n    t.uuid('ü').notNullable().defaultTo(knex.raw('gen_random_uuid()'));\n  });\n  await queryInterface.addColumn('t', 'c', { allowNull: false });\n  await queryRunner.query(`SELECT ${x} /* ( */`);\n};\nexports.down = () => {};\n",
        ];
        type Reader = fn(&str, &dyn ParseSql) -> FrameworkMigration;
        let readers: [Reader; 6] = [rails, django, alembic, knex, sequelize, typeorm];
        for sample in samples {
            let cuts = (0..=sample.len()).filter(|&i| sample.is_char_boundary(i));
            for cut in cuts {
                for reader in readers {
                    let _ = reader(&sample[..cut], &Native(Dialect::Postgres));
                }
            }
        }
    }
}
