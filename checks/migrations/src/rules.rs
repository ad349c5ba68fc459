//! The rules of the migrations check, each with what it checks, why it
//! matters, an example and the safe recipe.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// `CREATE INDEX` (or a framework's `add_index`, `create_index`,
    /// `AddIndex`, `table.index`) without `CONCURRENTLY` on a table that
    /// already exists (Postgres).
    ///
    /// ## Why it matters
    /// A plain `CREATE INDEX` holds a lock that blocks every write to the
    /// table until the index is built: minutes on a large table, during which
    /// inserts and updates queue and time out.
    ///
    /// ## Example
    /// `CREATE INDEX orders_org_id ON orders (org_id);`
    ///
    /// ## How to fix
    /// `CREATE INDEX CONCURRENTLY orders_org_id ON orders (org_id);`, outside
    /// a transaction (Rails: `algorithm: :concurrently` with
    /// `disable_ddl_transaction!`; Django: `AddIndexConcurrently` with
    /// `atomic = False`; Alembic: `postgresql_concurrently=True` inside
    /// `autocommit_block()`).
    pub static INDEX_NOT_CONCURRENT: Rule = ("migrations/index-not-concurrent", "Index built without CONCURRENTLY on an existing table", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// `CREATE INDEX CONCURRENTLY` in a migration that runs inside a
    /// transaction: an explicit `BEGIN`, or a migration tool that wraps each
    /// migration in one (Rails, Django, dbmate, sqlx, diesel unless told not
    /// to; a multi-statement file in golang-migrate or Prisma).
    ///
    /// ## Why it matters
    /// Postgres refuses `CONCURRENTLY` inside a transaction block: the deploy
    /// fails halfway, with the migration marked dirty.
    ///
    /// ## Example
    /// A dbmate migration `-- migrate:up` followed by
    /// `CREATE INDEX CONCURRENTLY ...`.
    ///
    /// ## How to fix
    /// Run it outside a transaction: dbmate `-- migrate:up transaction:false`,
    /// sqlx `-- no-transaction`, Rails `disable_ddl_transaction!`, Django
    /// `atomic = False`, or a file of its own in golang-migrate.
    pub static CONCURRENT_IN_TRANSACTION: Rule = ("migrations/concurrent-in-transaction", "CONCURRENTLY inside a transaction", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A column added `NOT NULL` without a default to an existing table.
    ///
    /// ## Why it matters
    /// Existing rows have no value for it: the migration fails on any table
    /// with rows (Postgres), or the application starts writing rows the old
    /// code cannot insert.
    ///
    /// ## Example
    /// `ALTER TABLE users ADD COLUMN org_id bigint NOT NULL;`
    ///
    /// ## How to fix
    /// Add it nullable, backfill in batches, then add a `CHECK (org_id IS NOT
    /// NULL) NOT VALID` constraint, `VALIDATE` it, and only then `SET NOT
    /// NULL` (or give it a constant default).
    pub static ADD_COLUMN_NOT_NULL: Rule = ("migrations/add-column-not-null", "NOT NULL column added without a default", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// `ALTER COLUMN ... SET NOT NULL` (Rails `change_column_null ..., false`,
    /// Alembic `nullable=False`) on an existing table.
    ///
    /// ## Why it matters
    /// Postgres scans the whole table to verify it while holding an `ACCESS
    /// EXCLUSIVE` lock: reads and writes stop for the duration.
    ///
    /// ## Example
    /// `ALTER TABLE users ALTER COLUMN email SET NOT NULL;`
    ///
    /// ## How to fix
    /// `ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT
    /// NULL) NOT VALID;` then `VALIDATE CONSTRAINT` in a later migration; on
    /// Postgres 12+ `SET NOT NULL` then uses the constraint and skips the scan.
    pub static SET_NOT_NULL: Rule = ("migrations/set-not-null", "SET NOT NULL on an existing column", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A column's type changed (`ALTER COLUMN ... TYPE`, `change_column`,
    /// `AlterField`, `alter_column(type_=...)`, `MODIFY COLUMN`). A Django
    /// `AlterField` counts only when the app's earlier migrations show the
    /// storage changing: not on a relation (`on_delete`, `related_name`), not
    /// for choices, help text, validators or defaults, not for a `varchar`
    /// made longer or made `text` (metadata only on PostgreSQL).
    ///
    /// ## Why it matters
    /// Most type changes rewrite the table under an exclusive lock, and the
    /// running application still reads and writes the old type.
    ///
    /// ## Example
    /// `ALTER TABLE events ALTER COLUMN payload TYPE jsonb;`
    ///
    /// ## How to fix
    /// Add a new column of the new type, write to both, backfill, switch
    /// reads, then drop the old column in a later release.
    pub static COLUMN_TYPE_CHANGE: Rule = ("migrations/column-type-change", "Column type changed in place", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A column dropped (`DROP COLUMN`, `remove_column`, `RemoveField`,
    /// `op.drop_column`, `dropColumn`).
    ///
    /// ## Why it matters
    /// The code deployed while the migration runs still selects and writes
    /// that column: requests fail until the new code is everywhere, and the
    /// data is gone for good.
    ///
    /// ## Example
    /// `ALTER TABLE users DROP COLUMN legacy_role;`
    ///
    /// ## How to fix
    /// First release code that no longer uses the column (Rails:
    /// `ignored_columns`), then drop it in a later migration, after a backup.
    pub static DROP_COLUMN: Rule = ("migrations/drop-column", "Column dropped", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A table dropped that this migration did not create.
    ///
    /// ## Why it matters
    /// Running code that still uses it fails, and its data is gone.
    ///
    /// ## Example
    /// `DROP TABLE invoices_old;`
    ///
    /// ## How to fix
    /// Remove every use first and release; take a backup; drop in a later
    /// migration (or rename it aside and drop after a grace period).
    pub static DROP_TABLE: Rule = ("migrations/drop-table", "Table dropped", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A column or table renamed (`RENAME COLUMN`, `RENAME TO`,
    /// `rename_column`, `RenameField`, `RenameModel`, `renameColumn`).
    ///
    /// ## Why it matters
    /// Old and new code run side by side during a deploy: the old code
    /// queries the old name and fails the moment the migration commits.
    ///
    /// ## Example
    /// `ALTER TABLE users RENAME COLUMN name TO full_name;`
    ///
    /// ## How to fix
    /// Expand and contract: add the new column, write to both, backfill,
    /// move reads, then drop the old one (or use a view for a table).
    pub static RENAME: Rule = ("migrations/rename", "Column or table renamed", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A foreign key or check constraint added to an existing table without
    /// `NOT VALID` (Rails `validate: false`, Alembic
    /// `postgresql_not_valid=True`).
    ///
    /// ## Why it matters
    /// Postgres validates every existing row while holding a lock that
    /// blocks writes (and, for a foreign key, on the referenced table too).
    ///
    /// ## Example
    /// `ALTER TABLE orders ADD CONSTRAINT fk_org FOREIGN KEY (org_id)
    /// REFERENCES orgs (id);`
    ///
    /// ## How to fix
    /// Add it `NOT VALID`, then `ALTER TABLE orders VALIDATE CONSTRAINT
    /// fk_org;` in a separate migration: validation takes a lighter lock.
    pub static CONSTRAINT_NOT_VALID: Rule = ("migrations/constraint-not-valid", "Constraint added without NOT VALID", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A column added with a volatile default (`gen_random_uuid()`,
    /// `random()`, `clock_timestamp()`, `uuid_generate_v4()`, ...) to an
    /// existing table.
    ///
    /// ## Why it matters
    /// Constant defaults are free on Postgres 11+, but a volatile one is
    /// computed per row: the whole table is rewritten under an exclusive lock.
    ///
    /// ## Example
    /// `ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();`
    ///
    /// ## How to fix
    /// Add the column without a default, set the default for new rows
    /// (`ALTER COLUMN ... SET DEFAULT`), and backfill existing rows in batches.
    pub static VOLATILE_DEFAULT: Rule = ("migrations/volatile-default", "Column added with a volatile default", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A unique constraint added to an existing table without building its
    /// index first (`ADD CONSTRAINT ... UNIQUE (...)`, `add_unique_constraint`,
    /// `table.unique(...)`).
    ///
    /// ## Why it matters
    /// The index behind the constraint is built while writes are blocked.
    ///
    /// ## Example
    /// `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);`
    ///
    /// ## How to fix
    /// `CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);`
    /// then `ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING
    /// INDEX users_email_idx;`.
    pub static UNIQUE_WITHOUT_INDEX: Rule = ("migrations/unique-without-index", "Unique constraint without a prior concurrent index", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A pending migration's statement that locks an existing table with no
    /// `SET lock_timeout` earlier in the migration (Postgres), when the
    /// database connection does not set one for every session either:
    /// Django `DATABASES[...]["OPTIONS"]` with `-c lock_timeout=...`, Rails
    /// `database.yml` `variables: lock_timeout`, Alembic `env.py` running
    /// `SET lock_timeout`, a Knex, TypeORM or Prisma connection setting it.
    /// Reported once, at the database configuration, listing the migrations
    /// it affects.
    ///
    /// ## Why it matters
    /// Even a quick `ALTER TABLE` waits for the lock behind any long-running
    /// query, and every other query on the table queues behind it: a
    /// one-millisecond change becomes an outage.
    ///
    /// ## Example
    /// `ALTER TABLE users ADD COLUMN nickname text;` alone in a migration.
    ///
    /// ## How to fix
    /// Start the migration with `SET lock_timeout = '5s';` (and retry on
    /// timeout), or set it for the migration role.
    pub static LOCK_TIMEOUT_MISSING: Rule = ("migrations/lock-timeout-missing", "No lock_timeout before a locking statement", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A migration that changes the schema of an existing table and also
    /// writes rows (`UPDATE`, `INSERT`, `DELETE`, Django `RunPython`).
    ///
    /// ## Why it matters
    /// In one transaction the schema change's lock is held for the whole
    /// backfill; a failed backfill also rolls back (or half-applies) the
    /// schema change.
    ///
    /// ## Example
    /// `ALTER TABLE users ADD COLUMN org_id bigint; UPDATE users SET org_id = 1;`
    ///
    /// ## How to fix
    /// Put the schema change and the backfill in separate migrations; run
    /// large backfills in batches, outside the deploy.
    pub static SCHEMA_AND_DATA: Rule = ("migrations/schema-and-data", "Schema change and data backfill in one migration", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A migration without a down migration where its system has them
    /// (golang-migrate and sqlx `.up.sql` / `.down.sql`, diesel `up.sql` /
    /// `down.sql`, dbmate `-- migrate:down`), or with an empty one.
    ///
    /// ## Why it matters
    /// When a release goes wrong, the rollback stops at this migration.
    ///
    /// ## Example
    /// `0007_add_orders.up.sql` with no `0007_add_orders.down.sql`.
    ///
    /// ## How to fix
    /// Write the down migration that undoes it, and test the round trip.
    pub static DOWN_MISSING: Rule = ("migrations/down-missing", "No down migration", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A framework migration that cannot be rolled back: Django `RunPython`
    /// without `reverse_code` or `RunSQL` without `reverse_sql`; Rails
    /// `change` with an irreversible operation (`execute`, `change_column`,
    /// `remove_column` without a type) and no `down`; an Alembic
    /// `downgrade()` that is empty or `pass`; Knex, Sequelize or TypeORM
    /// migrations without a `down`.
    ///
    /// ## Why it matters
    /// A rollback fails at this migration, in the middle of an incident.
    ///
    /// ## Example
    /// `migrations.RunPython(fill_org)` with no reverse function.
    ///
    /// ## How to fix
    /// Give the reverse (`migrations.RunPython(fill_org, migrations.RunPython.noop)`
    /// when nothing needs undoing), define `down`, or write the `downgrade()`.
    pub static IRREVERSIBLE: Rule = ("migrations/irreversible", "Migration cannot be rolled back", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Two migrations of the same system and directory with the same version
    /// number, one of them pending. Not Django: its numbers are part of the
    /// names and the order is the `dependencies` graph (two leaves of one
    /// number are a `migrations/multiple-heads`, a merge migration joins
    /// them).
    ///
    /// ## Why it matters
    /// The tool applies one, skips or fails on the other, and which one wins
    /// depends on the machine: environments drift apart.
    ///
    /// ## Example
    /// `0012_add_index.up.sql` and `0012_add_column.up.sql`.
    ///
    /// ## How to fix
    /// Renumber the newer one after the latest version.
    pub static DUPLICATE_VERSION: Rule = ("migrations/duplicate-version", "Duplicate migration version", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Alembic revisions with more than one head, or a Django app with more
    /// than one leaf migration.
    ///
    /// ## Why it matters
    /// `alembic upgrade head` and `manage.py migrate` refuse to run: two
    /// branches each added a migration, and the deploy stops.
    ///
    /// ## Example
    /// Two Alembic revisions whose `down_revision` is the same parent.
    ///
    /// ## How to fix
    /// Create a merge migration (`alembic merge heads`,
    /// `manage.py makemigrations --merge`), or rebase one onto the other.
    pub static MULTIPLE_HEADS: Rule = ("migrations/multiple-heads", "Migration graph has more than one head", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// An applied migration (see `migrations/applied-scope`) whose operations
    /// changed, or that was deleted, since the revision that applied it. An
    /// edit that leaves the operations as they were (an import renamed, a
    /// comment) is not reported. With no such revision, a migration file with
    /// more than one version in the git history.
    ///
    /// ## Why it matters
    /// Databases that already applied the first version never see the edit:
    /// production, staging and new environments end up with different
    /// schemas.
    ///
    /// ## Example
    /// `0003_orders.sql` committed, deployed, then edited to add a column.
    ///
    /// ## How to fix
    /// Restore the committed version and put the change in a new migration.
    pub static EDITED_AFTER_COMMIT: Rule = ("migrations/edited-after-commit", "Migration edited after it was committed", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Migration content the check could not read: SQL the parser does not
    /// understand, template-generated SQL, a file over the size limit or not
    /// UTF-8. The rest of the file and the other migrations are still
    /// checked.
    ///
    /// ## Why it matters
    /// What cannot be read cannot be verified: a dangerous statement may hide
    /// there.
    ///
    /// ## Example
    /// `CREATE TABLE {{ table_name }} (...)` in a templated migration.
    ///
    /// ## How to fix
    /// Check the statement by hand, set the right `dialect` in
    /// `[checks.migrations] settings`, or suppress the line with a reason.
    pub static UNREADABLE: Rule = ("migrations/unreadable", "Migration not fully readable", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A pending migration whose version sorts before one production has
    /// already applied (timestamps, numbers, Flyway versions), in the same
    /// directory. Django and Alembic are ordered by their dependency graphs
    /// instead (see `migrations/multiple-heads`).
    ///
    /// ## Why it matters
    /// Tools that apply migrations in version order either skip it for good
    /// (the database never gets it) or refuse to run (Flyway's
    /// `outOfOrder=false`), typically after a long-lived branch is merged.
    ///
    /// ## Example
    /// `20240101_add_index.sql` merged after `20240301_orders.sql` was
    /// deployed.
    ///
    /// ## How to fix
    /// Rename the pending migration to a version after the newest applied one.
    pub static OUT_OF_ORDER: Rule = ("migrations/out-of-order", "Pending migration ordered before an applied one", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing is wrong: this item says how many migrations were taken as
    /// already applied by production, and through which revision (the
    /// setting `applied-through`, `--since`, or the newest tag reachable
    /// from HEAD), or that all were judged because no revision says.
    ///
    /// ## Why it matters
    /// Migrations production has applied cannot lock a table again: only
    /// pending ones get the lock and safety rules, and the applied ones the
    /// history rules (edited or deleted after they were applied). Saying
    /// which were set aside keeps that choice visible.
    ///
    /// ## Example
    /// `264 migrations are taken as applied through v3.20.0`.
    ///
    /// ## How to fix
    /// Nothing to fix. To judge exactly what the next deploy applies, set
    /// `[checks.migrations] settings = { applied-through = "<the revision
    /// production runs>" }`.
    pub static APPLIED_SCOPE: Rule = ("migrations/applied-scope", "Which migrations were taken as applied", Severity::Info);
}

/// Every rule, in report order.
pub static ALL: &[&Rule] = &[
    &INDEX_NOT_CONCURRENT,
    &CONCURRENT_IN_TRANSACTION,
    &ADD_COLUMN_NOT_NULL,
    &SET_NOT_NULL,
    &COLUMN_TYPE_CHANGE,
    &DROP_COLUMN,
    &DROP_TABLE,
    &RENAME,
    &CONSTRAINT_NOT_VALID,
    &VOLATILE_DEFAULT,
    &UNIQUE_WITHOUT_INDEX,
    &LOCK_TIMEOUT_MISSING,
    &SCHEMA_AND_DATA,
    &DOWN_MISSING,
    &IRREVERSIBLE,
    &DUPLICATE_VERSION,
    &MULTIPLE_HEADS,
    &EDITED_AFTER_COMMIT,
    &UNREADABLE,
    &OUT_OF_ORDER,
    &APPLIED_SCOPE,
];
