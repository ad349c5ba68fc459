//! The rules of the tenant-isolation check, each with examples per stack.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// An `UPDATE` or `DELETE` on a tenant-owned table (a table with a
    /// tenant column such as `org_id`, or a model that belongs to the
    /// organisation) that does not filter on the tenant.
    ///
    /// ## Why it matters
    /// One request changes or deletes another customer's rows. Nothing in
    /// the response shows it; the other customer finds out.
    ///
    /// ## Example
    /// - SQL (node-postgres, sqlx, psycopg): `UPDATE invoices SET status = 'paid' WHERE id = $1`
    /// - Django: `Invoice.objects.filter(status="overdue").update(status="void")`
    /// - SQLAlchemy: `session.execute(delete(Invoice).where(Invoice.id == invoice_id))`
    /// - ActiveRecord: `Invoice.where(status: "draft").delete_all`
    /// - Prisma: `prisma.invoice.update({ where: { id }, data })`
    /// - TypeORM: `this.invoices.delete({ status: "draft" })`
    /// - Sequelize: `Invoice.destroy({ where: { id } })`
    /// - Knex: `knex('invoices').where({ id }).del()`
    /// - GORM: `db.Model(&Invoice{}).Where("id = ?", id).Update("status", "paid")`
    ///
    /// ## How to fix
    /// Filter on the tenant too: `WHERE id = $1 AND org_id = $2`;
    /// `Invoice.objects.filter(org=request.org, ...)`;
    /// `current_organization.invoices.where(...)`; `where: { id, orgId }`
    /// (`updateMany`). Or make the scoping automatic: row-level security
    /// with a policy, `acts_as_tenant`, a tenant-filtering default manager,
    /// a Prisma extension that injects `orgId`, or a helper named in the
    /// `scope_helpers` setting.
    pub static UNSCOPED_WRITE: Rule = ("org-scope/unscoped-write", "Write on tenant data not scoped to the organisation", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A read of a tenant-owned table that filters on the primary key and
    /// nothing else.
    ///
    /// ## Why it matters
    /// This is the classic insecure direct object reference: anyone who
    /// changes the id in the URL reads another organisation's record. Ids
    /// are sequential or leak in links, so guessing is cheap.
    ///
    /// ## Example
    /// - SQL: `SELECT * FROM invoices WHERE id = $1`
    /// - Django: `Invoice.objects.get(pk=pk)`
    /// - SQLAlchemy: `session.get(Invoice, invoice_id)`
    /// - ActiveRecord: `Invoice.find(params[:id])`
    /// - Prisma: `prisma.invoice.findUnique({ where: { id } })`
    /// - TypeORM: `this.invoices.findOneBy({ id })`
    /// - Sequelize: `Invoice.findByPk(id)`
    /// - Knex: `knex('invoices').where({ id }).first()`
    /// - GORM: `db.First(&invoice, id)`
    ///
    /// ## How to fix
    /// Look the row up within the tenant: `WHERE id = $1 AND org_id = $2`;
    /// `Invoice.objects.get(pk=pk, org=request.org)`;
    /// `current_organization.invoices.find(params[:id])`;
    /// `prisma.invoice.findFirst({ where: { id, orgId } })`.
    pub static LOOKUP_BY_ID: Rule = ("org-scope/lookup-by-id", "Tenant row looked up by id alone", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A read of a tenant-owned table with no filter on the tenant: not
    /// directly, not through a join to a scoped table, not through a scoped
    /// subquery, not by a default scope, row-level security or a
    /// configured helper.
    ///
    /// ## Why it matters
    /// The query returns every organisation's rows: an export, a search or
    /// a dashboard shows one customer's data to another.
    ///
    /// ## Example
    /// - SQL: `SELECT * FROM invoices WHERE status = 'overdue'`
    /// - Django: `Invoice.objects.all()`
    /// - SQLAlchemy: `db.query(Invoice).filter(Invoice.status == "open")`
    /// - ActiveRecord: `Invoice.where(status: "open")`
    /// - Prisma: `prisma.invoice.findMany()`
    /// - TypeORM: `this.invoices.find({ where: { status } })`
    /// - Sequelize: `Invoice.findAll({ where: { status } })`
    /// - Knex: `knex('invoices').where('status', status)`
    /// - GORM: `db.Where("status = ?", s).Find(&invoices)`
    ///
    /// ## How to fix
    /// Add the tenant filter (`AND org_id = $1`, `.filter(org=...)`,
    /// `where(organization: ...)`, `where: { orgId }`), go through the
    /// organisation's association, or scope the model once for all (see
    /// `org-scope/unscoped-write`). A job that really must see every
    /// tenant: `# shipready:ignore org-scope/unscoped-read -- why`.
    pub static UNSCOPED_READ: Rule = ("org-scope/unscoped-read", "Read of tenant data not scoped to the organisation", Severity::Medium);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// SQL on a tenant-owned table built at run time (concatenation,
    /// f-strings, `%` or `.format`, template literals with `${}`, Ruby
    /// `#{}`, `fmt.Sprintf`) whose visible text does not filter on the
    /// tenant. The check cannot see the rest, so it cannot say it is scoped.
    ///
    /// ## Why it matters
    /// Built SQL is where filters get lost (a branch that forgets the
    /// clause) and where injection starts. Not verifiable is not a pass.
    ///
    /// ## Example
    /// - JavaScript: `pool.query('SELECT * FROM invoices WHERE ' + clause)`
    /// - Python: `cursor.execute(f"DELETE FROM invoices WHERE id = {invoice_id}")`
    /// - Go: `db.Query(fmt.Sprintf("SELECT * FROM tasks ORDER BY %s", col))`
    /// - Ruby: `Invoice.find_by_sql("SELECT * FROM invoices WHERE #{cond}")`
    ///
    /// ## How to fix
    /// Keep the tenant filter in the literal part (`... WHERE org_id = $1
    /// AND ` + clause) and bind values as parameters, or use the query
    /// builder or ORM with the tenant filter.
    pub static UNVERIFIABLE: Rule = ("org-scope/unverifiable", "SQL built at run time: scope cannot be verified", Severity::Low);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// A source file with syntax errors. The parser recovers and the parts
    /// that parsed are still checked; queries inside the broken parts may
    /// be missed.
    ///
    /// ## Why it matters
    /// A clean report is only as good as what was read.
    ///
    /// ## Example
    /// A template file with `.py` extension, or syntax newer than the
    /// parser's grammar.
    ///
    /// ## How to fix
    /// Fix the syntax, or exclude generated and template files in the
    /// configuration.
    pub static PARTIAL_PARSE: Rule = ("org-scope/partial-parse", "Source file parsed with errors", Severity::Info);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Source files the check could not analyse: languages it does not
    /// parse (PHP, C#, Kotlin...), files over 2 MiB (bundles, generated
    /// code), binary or non-UTF-8 files, files too slow to parse. They are
    /// counted, by language and reason.
    ///
    /// ## Why it matters
    /// Queries in those files are not checked.
    ///
    /// ## Example
    /// `12 source files not analysed: 11 php (language not parsed), 1 too large (dist/app.js)`.
    ///
    /// ## How to fix
    /// Nothing to fix in the code; review those files' queries by hand.
    pub static NOT_ANALYSED: Rule = ("org-scope/not-analysed", "Source files not analysed", Severity::Info);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing is wrong: this item counts the unscoped queries found
    /// outside any request path, which the other rules do not report: test
    /// code, docs and examples; data migrations and backfills (`migrations/`,
    /// `db/migrate/`, Alembic `versions/`); management commands
    /// (`management/commands/`, `lib/tasks/*.rake`); seeds (`seeds.rb`,
    /// `seed.ts`, `seeds/`); one-off scripts (`scripts/`, `script/`).
    ///
    /// ## Why it matters
    /// A backfill over every organisation or a test's setup reads all
    /// tenants on purpose; reporting them buries the request handler that
    /// forgets the filter.
    ///
    /// ## Example
    /// `41 unscoped queries set aside: 30 in test code, 8 in data migrations, 3 in scripts`.
    ///
    /// ## How to fix
    /// Nothing to fix. Code under these paths that does serve requests
    /// belongs elsewhere.
    pub static SET_ASIDE: Rule = ("org-scope/set-aside", "Queries outside any request path", Severity::Info);
}

pub static ALL: &[&Rule] = &[
    &UNSCOPED_WRITE,
    &LOOKUP_BY_ID,
    &UNSCOPED_READ,
    &UNVERIFIABLE,
    &PARTIAL_PARSE,
    &NOT_ANALYSED,
    &SET_ASIDE,
];
