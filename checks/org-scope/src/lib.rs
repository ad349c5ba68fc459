//! Built-in check `org-scope`: every query on a tenant-owned table is
//! scoped to the current organisation.
//!
//! 1. Which tables are tenant-owned ([`tenancy`]): from the migrations
//!    (SQL files parsed by the host; Rails, Alembic, Knex, Sequelize and
//!    TypeORM migrations) and the ORM models (Django, SQLAlchemy,
//!    ActiveRecord, Prisma, TypeORM, Sequelize, GORM), by their tenant
//!    column or relation to the tenant model.
//! 2. Which queries touch them ([`source`]): the host parses the source
//!    with tree-sitter and answers the check's queries: SQL in string
//!    literals of Python, JavaScript, TypeScript, Ruby, Go and Java (and
//!    SQL built at run time), ORM and query-builder call chains (Knex,
//!    GORM), scoping helpers.
//! 3. Whether each is scoped: SQL by the host (`sql.check-filters`, a real
//!    SQL parser, all statements in one call), ORM chains here ([`orm`]).
//!
//! Parsing is the cost: when the migrations hold no tenant table and one
//! native search finds no tenant column or model named in the source, the
//! rules are not applicable and nothing is parsed.
//!
//! In a change-limited run (`--since`), a change with no source, SQL or
//! Prisma file costs nothing; otherwise the whole repository is parsed
//! (which models and tables are tenant-owned is a repository-wide fact)
//! and only findings in the changed files count.
//!
//! Settings: `tenant_columns`, `tenant_models` (added to the defaults),
//! `scope_helpers` (functions or methods that scope a query),
//! `global_tables` (tables that are never tenant-owned), each a list of
//! strings.

mod orm;
pub mod rules;
mod scope;
mod set_aside;
mod source;
mod sql;
mod tenancy;

use std::collections::{BTreeMap, BTreeSet};

use shipready_schema::Schema;
use shipready_schema::sql::{Dialect, ParseSql, Parsed};
use shipready_sdk::Level;
use shipready_sdk::prelude::*;

use set_aside::SetAside;
use shipready_sdk::syntax::{Language, SkipReason};

use shipready_schema::filters::{FilterCheck, Kind, OwnedTable};
use source::{Found, Purpose};
use tenancy::Tenancy;

/// The check; `export!` makes it the component's `check` export.
pub struct OrgScope;

/// What the configuration says about tenancy.
#[derive(Debug, Clone)]
pub struct Settings {
    pub tenant_columns: Vec<String>,
    pub tenant_models: Vec<String>,
    pub scope_helpers: Vec<String>,
    pub global_tables: Vec<String>,
}

const TENANT_COLUMNS: &[&str] = &[
    "org_id",
    "organization_id",
    "organisation_id",
    "tenant_id",
    "account_id",
    "workspace_id",
    "team_id",
];
const TENANT_MODELS: &[&str] = &[
    "Organization",
    "Organisation",
    "Org",
    "Tenant",
    "Account",
    "Workspace",
    "Team",
];

impl Settings {
    fn from(ctx: &Context) -> Result<Settings> {
        let list = |key: &str, defaults: &[&str]| -> Result<Vec<String>> {
            let mut out: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
            out.extend(ctx.names(key)?.unwrap_or_default());
            Ok(out)
        };
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.to_lowercase()).collect();
        Ok(Settings {
            tenant_columns: lower(list("tenant_columns", TENANT_COLUMNS)?),
            tenant_models: list("tenant_models", TENANT_MODELS)?,
            scope_helpers: list("scope_helpers", &[])?,
            global_tables: lower(list("global_tables", &[])?),
        })
    }
}

impl Check for OrgScope {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "org-scope",
            env!("CARGO_PKG_VERSION"),
            "Tenant isolation",
            "Queries on tenant-owned tables that are not scoped to the current organisation.",
        )
        .capabilities(&[Capability::Repo, Capability::Search, Capability::Syntax])
        .rules(rules::ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let settings = Settings::from(cx.context())?;
        // A change with no source, SQL or schema file in it cannot hold an
        // unscoped query: nothing to parse.
        if let Some(changed) = &cx.context().changed_files {
            let relevant = changed.iter().any(|p| {
                Language::of_path(p).is_some() || p.ends_with(".sql") || p.ends_with(".prisma")
            });
            if !relevant {
                cx.log(Level::Info, "no source, SQL or Prisma file in the change");
                return Ok(());
            }
        }
        let mut tenancy = Tenancy::default();
        tenancy::from_schema(&mut tenancy, &schema(cx)?, &settings);
        // Parsing is the cost: a repository whose source never names a
        // tenant column or model cannot hold a tenant-owned model.
        if tenancy.is_empty() && !mentions_tenancy(cx, &settings)? {
            not_applicable(cx, &settings);
            return Ok(());
        }
        let queries = source::queries(&settings.scope_helpers);
        let answer = cx.query_syntax(source::GLOBS, &queries.specs)?;
        let found = source::found(&answer, &queries);
        learn_models(cx, &mut tenancy, &found, &settings)?;
        tenancy.index_tables();
        if tenancy.is_empty() {
            not_applicable(cx, &settings);
            return Ok(());
        }
        cx.log(
            Level::Info,
            &format!(
                "{} tenant-owned tables, {} models, {} source files parsed",
                tenancy.tables.len(),
                tenancy.models.len(),
                answer.files.len()
            ),
        );
        let mut aside = SetAside::default();
        judge_sql(cx, &found, &tenancy, &mut aside);
        judge_chains(cx, &answer, &found, &tenancy, &settings, &mut aside);
        aside.summarize(cx);
        coverage(cx, &answer);
        Ok(())
    }
}

shipready_sdk::export!(OrgScope);

fn not_applicable(cx: &mut Cx<'_>, settings: &Settings) {
    for rule in rules::ALL {
        cx.not_applicable(
            rule,
            format!(
                "no tenant-owned tables or models found (no column such as {}, no model related to {})",
                settings.tenant_columns[0], settings.tenant_models[0]
            ),
        );
    }
}

/// Whether any source or schema file names a tenant column (`org_id`,
/// `orgId`, `OrgID`) or tenant model (`Organization`, `:organization`): a
/// native multi-pattern search, far cheaper than parsing every file.
fn mentions_tenancy(cx: &Cx<'_>, settings: &Settings) -> Result<bool> {
    let mut words: Vec<String> = settings.tenant_columns.clone();
    for column in &settings.tenant_columns {
        // `org_id` is also written `orgId` and `OrgID`.
        let camel: String = column
            .split('_')
            .enumerate()
            .map(|(i, part)| {
                let mut p = part.to_string();
                if i > 0 && !p.is_empty() {
                    p[..1].make_ascii_uppercase();
                }
                p
            })
            .collect();
        words.push(camel.clone());
        words.push(camel.replace("Id", "ID"));
    }
    words.extend(settings.tenant_models.iter().cloned());
    words.extend(settings.tenant_models.iter().map(|m| tenancy::snake(m)));
    words.sort();
    words.dedup();
    let keywords: Vec<&str> = words.iter().map(String::as_str).collect();
    let pattern = Pattern::new(0, format!(r"(?i)\b({})\b", words.join("|"))).keywords(&keywords);
    let mut globs: Vec<&str> = source::GLOBS.to_vec();
    globs.push("*.prisma");
    Ok(!cx.search(&[pattern], &globs)?.hits.is_empty())
}

/// SQL parsed through the host (framework migrations embed some).
struct HostSql<'a, 'b>(&'a Cx<'b>);

impl ParseSql for HostSql<'_, '_> {
    fn parse_sql(&self, sql: &str, first_line: u32) -> Parsed {
        self.0
            .parse_sql(&[(sql, first_line)], Dialect::Postgres)
            .pop()
            .unwrap_or_default()
    }
}

/// The schema the migrations and schema files leave: SQL files (down
/// migrations left out), then Rails, Alembic, Knex, Sequelize and TypeORM
/// migrations, each replayed in path order.
fn schema(cx: &Cx<'_>) -> Result<Schema> {
    let mut schema = Schema::default();
    let files = cx.paths(&[
        "*.sql",
        "db/migrate/*.rb",
        "**/db/migrate/*.rb",
        "**/migrations/**/*.js",
        "**/migrations/**/*.cjs",
        "**/migrations/**/*.mjs",
        "**/migrations/**/*.ts",
        "**/versions/*.py",
    ])?;
    let is_down = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name.ends_with(".down.sql")
            || name == "down.sql"
            || (name.starts_with('U') && name.contains("__"))
    };
    let sql: Vec<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with(".sql") && !is_down(p) && !source::ignored(p))
        .collect();
    for (path, parsed) in sql.iter().zip(cx.parse_sql_files(&sql, Dialect::Postgres)) {
        if let Ok(file) = parsed {
            schema.apply(path, &file.parsed.ops);
        }
    }
    use shipready_schema::frameworks;
    for file in files
        .iter()
        .filter(|f| !f.path.ends_with(".sql") && !source::ignored(&f.path))
    {
        let Ok(bytes) = cx.read(&file.path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let sql = HostSql(cx);
        let read = if file.path.ends_with(".rb") {
            frameworks::rails(&text, &sql)
        } else if file.path.ends_with(".py") {
            if !text.contains("revision") {
                continue;
            }
            frameworks::alembic(&text, &sql)
        } else if text.contains("MigrationInterface") {
            frameworks::typeorm(&text, &sql)
        } else if text.contains("queryInterface") {
            frameworks::sequelize(&text, &sql)
        } else if text.contains("knex") || text.contains("exports.up") {
            frameworks::knex(&text, &sql)
        } else {
            continue;
        };
        schema.apply(&file.path, &read.up);
    }
    Ok(schema)
}

/// Models from the classes and Prisma schemas; Prisma clients extended
/// with the tenant filter.
fn learn_models(
    cx: &Cx<'_>,
    tenancy: &mut Tenancy,
    found: &[Found<'_>],
    settings: &Settings,
) -> Result<()> {
    let patterns = std::cell::OnceCell::new();
    let patterns = || patterns.get_or_init(tenancy::Patterns::new);
    let classes = |ext: &[&str]| -> Vec<tenancy::Class<'_>> {
        found
            .iter()
            .filter(|f| f.purpose == Purpose::Class && ext.iter().any(|e| f.path.ends_with(e)))
            .filter_map(|f| {
                let name = f.others.iter().find(|c| c.name == "name")?;
                let bases = f.others.iter().find(|c| c.name == "bases")?;
                Some(tenancy::Class {
                    path: f.path,
                    line: f.capture.span.start_line,
                    name: &name.text,
                    bases: &bases.text,
                    text: &f.capture.text,
                })
            })
            .collect()
    };
    for file in cx.paths(&["*.prisma"])? {
        if let Ok(bytes) = cx.read(&file.path) {
            tenancy::from_prisma(
                tenancy,
                &file.path,
                &String::from_utf8_lossy(&bytes),
                settings,
            );
        }
    }
    let python = classes(&[".py"]);
    if !python.is_empty() {
        tenancy::from_python(tenancy, &python, patterns(), settings);
    }
    let ruby = classes(&[".rb"]);
    if !ruby.is_empty() {
        tenancy::from_ruby(tenancy, &ruby, patterns(), settings);
    }
    let scripts = [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"];
    tenancy::from_typeorm(tenancy, &classes(&scripts), settings);
    tenancy::from_sequelize(tenancy, &classes(&scripts), settings);
    tenancy::from_gorm(tenancy, &classes(&[".go"]), settings);
    let repository =
        regex::Regex::new(r"(\w+)\s*[!?]?\s*:\s*Repository<\s*(\w+)\s*>").expect("a valid pattern");
    for f in found.iter().filter(|f| f.purpose == Purpose::Repository) {
        if let Some(c) = repository.captures(&f.capture.text) {
            tenancy
                .repositories
                .insert(c[1].to_string(), c[2].to_string());
        }
    }
    let prisma_keys: Vec<String> = tenancy
        .models
        .values()
        .filter(|m| m.orm == tenancy::Orm::Prisma)
        .flat_map(|m| m.keys.iter().cloned())
        .collect();
    for f in found.iter().filter(|f| f.purpose == Purpose::Client) {
        let Some(value) = f.others.iter().find(|c| c.name == "value") else {
            continue;
        };
        if prisma_keys.iter().any(|k| value.text.contains(k.as_str())) {
            tenancy.scoped_clients.insert(f.capture.text.clone());
        }
    }
    Ok(())
}

/// One line of a capture's text, whitespace collapsed, at most 200 characters.
fn excerpt(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

fn filters(on: &[String]) -> String {
    if on.is_empty() {
        "this query has no filter on it".to_string()
    } else {
        let names: Vec<String> = on.iter().map(|c| format!("`{c}`")).collect();
        format!("this query filters only on {}", names.join(", "))
    }
}

/// SQL literals and built SQL, judged.
fn judge_sql(cx: &mut Cx<'_>, found: &[Found<'_>], tenancy: &Tenancy, aside: &mut SetAside) {
    let built: Vec<&Found<'_>> = outermost(found.iter().filter(|f| f.purpose == Purpose::Built));
    let tagged: std::collections::BTreeSet<(&str, u32)> = found
        .iter()
        .filter(|f| f.purpose == Purpose::Tagged)
        .map(|f| (f.path, f.capture.start_byte))
        .collect();
    let mut candidates: Vec<(&Found<'_>, source::SqlText)> = Vec::new();
    // Adjacent literals (`"SELECT *" "FROM t"`) are one string of pieces.
    let strings = outermost(found.iter().filter(|f| f.purpose == Purpose::SqlString));
    for f in strings {
        if covers(&built, f) {
            continue;
        }
        let text = if f.capture.kind == "concatenated_string" {
            source::built(&f.capture.text)
        } else {
            let is_tagged = tagged.contains(&(f.path, f.capture.start_byte));
            source::literal(&f.capture.text, is_tagged)
        };
        candidates.push((f, text));
    }
    for b in &built {
        candidates.push((b, source::built(&b.capture.text)));
    }
    candidates.sort_by_key(|(f, _)| (f.path, f.capture.start_byte));
    // The host parses them all at once, across cores.
    let owned: Vec<OwnedTable> = tenancy
        .tables
        .iter()
        .map(|(name, t)| OwnedTable {
            table: name.clone(),
            column: t.column.clone(),
            filtered_by_database: t.row_level_security,
        })
        .collect();
    // UI text that starts with a verb ("Delete envelope", "Update a
    // discount.", "DELETE /users/me") is not SQL.
    candidates.retain(|(_, text)| source::reads_as_sql(&text.sql));
    let scopes = scope::Scopes::new(tenancy);
    let sources: Vec<&str> = candidates.iter().map(|(_, t)| t.sql.as_str()).collect();
    let checks = cx.check_sql_filters(&sources, &owned);
    for ((f, text), check) in candidates.iter().zip(checks) {
        let line = f.capture.span.start_line;
        let evidence = excerpt(&text.sql);
        match check {
            FilterCheck::Filtered => {}
            FilterCheck::Unfiltered(u) if text.dynamic => {
                let t = &tenancy.tables[&u.table];
                unverifiable(cx, aside, f.path, line, &u.table, &t.column, evidence);
            }
            FilterCheck::Unfiltered(u)
                if scopes
                    .scoped(&u.filtered_on, &text.sql, &u.table, &|_| None)
                    .is_some() => {}
            FilterCheck::Unfiltered(u) => {
                let t = &tenancy.tables[&u.table];
                let (rule, what) = if u.kind == Kind::Write {
                    (
                        &rules::UNSCOPED_WRITE,
                        format!("`{}` on `{}` is not scoped to the tenant", u.verb, u.table),
                    )
                } else if u.by_id_alone() {
                    (
                        &rules::LOOKUP_BY_ID,
                        format!(
                            "`{}` on `{}` looks a row up by primary key alone",
                            u.verb, u.table
                        ),
                    )
                } else {
                    (
                        &rules::UNSCOPED_READ,
                        format!("`{}` on `{}` is not scoped to the tenant", u.verb, u.table),
                    )
                };
                aside.report(
                    cx,
                    f.path,
                    Finding::new(
                        rule,
                        format!(
                            "{what}: table `{}` has tenant column `{}` ({}); {}",
                            u.table,
                            t.column,
                            t.origin,
                            filters(&u.filtered_on)
                        ),
                    )
                    .at_line(f.path, line)
                    .evidence(evidence)
                    .remediation(format!(
                        "Add `{} = <current organisation>` to the WHERE clause (or join to a table that is scoped), or enable row-level security with a policy on `{}`.",
                        t.column, u.table
                    )),
                );
            }
            FilterCheck::Unparsed => {
                // Only text the parser cannot read that names a tenant
                // table without its tenant column is worth a word.
                let lower = text.sql.to_lowercase();
                for table in sql::tables_named(&text.sql, tenancy) {
                    let column = &tenancy.tables[table].column;
                    if !lower.contains(column.as_str()) {
                        unverifiable(cx, aside, f.path, line, table, column, evidence.clone());
                        break;
                    }
                }
            }
        }
    }
}

fn unverifiable(
    cx: &mut Cx<'_>,
    aside: &mut SetAside,
    path: &str,
    line: u32,
    table: &str,
    column: &str,
    evidence: String,
) {
    aside.report(
        cx,
        path,
        Finding::new(
            &rules::UNVERIFIABLE,
            format!(
                "SQL on `{table}` is built at run time and its visible text does not filter on `{column}`: the check cannot verify that it is scoped to the tenant"
            ),
        )
        .at_line(path, line)
        .evidence(evidence)
        .remediation(format!(
            "Keep `{column} = <parameter>` in the literal part of the query and bind values as parameters, or build it with the ORM and its tenant filter."
        )),
    );
}

/// Captures not inside another capture of the same file, sorted by file
/// and place (syntax nodes nest or are apart, never overlap).
fn outermost<'a, 'f>(items: impl Iterator<Item = &'a Found<'f>>) -> Vec<&'a Found<'f>> {
    let mut items: Vec<&Found<'_>> = items.collect();
    items.sort_by_key(|f| {
        (
            f.path,
            f.capture.start_byte,
            std::cmp::Reverse(f.capture.end_byte),
        )
    });
    let mut out: Vec<&Found<'_>> = Vec::with_capacity(items.len());
    for f in items {
        if covers(&out, f) {
            continue;
        }
        out.push(f);
    }
    out
}

/// Whether one of `outer` (as [`outermost`] returns them) holds `f`.
fn covers(outer: &[&Found<'_>], f: &Found<'_>) -> bool {
    let key = (f.path, f.capture.start_byte);
    let i = outer.partition_point(|o| (o.path, o.capture.start_byte) <= key);
    i > 0 && outer[i - 1].path == f.path && f.capture.end_byte <= outer[i - 1].capture.end_byte
}

/// ORM call chains, judged.
fn judge_chains(
    cx: &mut Cx<'_>,
    answer: &shipready_sdk::syntax::Answer,
    found: &[Found<'_>],
    tenancy: &Tenancy,
    settings: &Settings,
    aside: &mut SetAside,
) {
    let languages: BTreeMap<&str, Language> = answer
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.syntax.language))
        .collect();
    // The longest chain from each start: `a.b(c).d(e)` and `a.b(c)` start
    // at the same byte.
    let mut chains: BTreeMap<(&str, u32), &Found<'_>> = BTreeMap::new();
    for f in found.iter().filter(|f| f.purpose == Purpose::Chain) {
        let key = (f.path, f.capture.start_byte);
        if chains
            .get(&key)
            .is_none_or(|o| o.capture.end_byte < f.capture.end_byte)
        {
            chains.insert(key, f);
        }
    }
    let helpers = outermost(found.iter().filter(|f| f.purpose == Purpose::Helper));
    let unscoping = outermost(found.iter().filter(|f| f.purpose == Purpose::Unscoping));
    let checker = orm::Chains::new();
    let scopes = scope::Scopes::new(tenancy);
    let mut judged = Vec::new();
    for ((path, _), f) in chains {
        if covers(&helpers, f) {
            continue;
        }
        let Some(language) = languages.get(path) else {
            continue;
        };
        if let Some(u) = checker.judge(
            *language,
            &f.capture.text,
            tenancy,
            &settings.scope_helpers,
            covers(&unscoping, f),
        ) {
            judged.push((path, f, u));
        }
    }
    // The files that hold unscoped chains, read once for what the chains
    // alone do not show.
    let texts: BTreeMap<&str, String> = judged
        .iter()
        .map(|(path, _, _)| *path)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter_map(|p| Some((p, String::from_utf8_lossy(&cx.read(p).ok()?).into_owned())))
        .collect();
    // Rows loaded without the tenant filter, by the variable that holds
    // them and the line that assigns it: a query through such a parent
    // is not scoped by it.
    let mut unscoped_rows: BTreeSet<(&str, String, usize)> = BTreeSet::new();
    let mut seen = Vec::with_capacity(judged.len());
    for (path, f, mut u) in judged {
        let file = texts.get(path).map(String::as_str).unwrap_or_default();
        // A filter held in a variable is read where the file defines it.
        let mut scope_text = f.capture.text.clone();
        if let Some(definition) = checker
            .where_variable(&f.capture.text)
            .and_then(|name| orm::definition(file, name))
        {
            if u.model
                .keys
                .iter()
                .any(|k| orm::words(definition).contains(&k.as_str()))
            {
                continue;
            }
            u.filtered_on.extend(orm::object_keys(definition));
            scope_text.push('\n');
            scope_text.push_str(definition);
        }
        let at = f.capture.start_byte as usize;
        if let Some(var) = assigned_to(file, at) {
            unscoped_rows.insert((path, var, line_start(file, at)));
        }
        seen.push((path, f, u, scope_text));
    }
    for (path, f, u, scope_text) in seen {
        let file = texts.get(path).map_or("", String::as_str);
        let before = &file[..(f.capture.start_byte as usize).min(file.len())];
        let defined = |name: &str| orm::definition(before, name).map(str::to_string);
        match scopes.scoped(&u.filtered_on, &scope_text, &u.model.name, &defined) {
            Some(scope::Scoped::Parent { holder, .. })
                if last_assignment(
                    texts.get(path).map_or("", String::as_str),
                    &holder,
                    f.capture.start_byte as usize,
                )
                .is_some_and(|line| unscoped_rows.contains(&(path, holder.clone(), line))) => {}
            Some(_) => continue,
            None => {}
        }
        let evidence = excerpt(&f.capture.text);
        let head = format!(
            "`{}`",
            excerpt(&f.capture.text)
                .chars()
                .take(60)
                .collect::<String>()
        );
        let (rule, what) = if u.kind == Kind::Write {
            (
                &rules::UNSCOPED_WRITE,
                format!("{head} writes tenant data without the tenant filter"),
            )
        } else if u.by_id {
            (
                &rules::LOOKUP_BY_ID,
                format!("{head} looks a row up by primary key alone"),
            )
        } else {
            (
                &rules::UNSCOPED_READ,
                format!("{head} reads tenant data without the tenant filter"),
            )
        };
        let keys: Vec<String> = u.model.keys.iter().map(|k| format!("`{k}`")).collect();
        aside.report(
            cx,
            path,
            Finding::new(
                rule,
                format!(
                    "{what}: model `{}` belongs to the tenant through {} ({}); {}",
                    u.model.name,
                    keys.join(" / "),
                    u.model.origin,
                    filters(&u.filtered_on)
                ),
            )
            .at_line(path, f.capture.span.start_line)
            .evidence(evidence)
            .remediation(format!(
                "Filter on {} too, or query through the organisation's association; to scope every query of `{}`, use a tenant default scope, manager or client extension, or name your helper in `scope_helpers`.",
                keys.join(" / "),
                u.model.name
            )),
        );
    }
}

/// The variable the expression at `at` is assigned to on its line
/// (`const customer = await prisma...`, `invoice = Invoice.objects...`).
fn assigned_to(file: &str, at: usize) -> Option<String> {
    let before = file.get(..at)?;
    let line = before.rsplit('\n').next().unwrap_or(before);
    let line = line.trim_end();
    let line = line.strip_suffix("await").unwrap_or(line).trim_end();
    let line = line.strip_suffix('=')?.trim_end();
    let line = line
        .strip_suffix(|c: char| c == ':' || c == '!')
        .unwrap_or(line);
    let name: String = line
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!name.is_empty()).then_some(name)
}

fn line_start(file: &str, at: usize) -> usize {
    file.get(..at)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1)
}

/// The start of the line that last assigns `var` before `at`.
fn last_assignment(file: &str, var: &str, at: usize) -> Option<usize> {
    let pattern = regex::Regex::new(&format!(
        r"(?m)^[ \t]*(?:(?:const|let|var)\s+)?{}\s*(?::[^=\n]*)?=[^=]",
        regex::escape(var)
    ))
    .ok()?;
    pattern
        .find_iter(file.get(..at)?)
        .last()
        .map(|m| line_start(file, m.start() + 1))
}

/// Files with syntax errors and files not analysed, said once each.
fn coverage(cx: &mut Cx<'_>, answer: &shipready_sdk::syntax::Answer) {
    for file in answer
        .files
        .iter()
        .filter(|f| f.syntax.errors > 0 && !source::ignored(&f.path))
    {
        let line = file.syntax.first_error.map_or(1, |s| s.start_line);
        cx.report(
            Finding::new(
                &rules::PARTIAL_PARSE,
                format!(
                    "{} syntax error(s), the first at line {line}: the parts that parsed were checked; queries in the rest may be missed",
                    file.syntax.errors
                ),
            )
            .at_line(&file.path, line)
            .remediation("Fix the syntax, or exclude the file if it is a template or generated."),
        );
    }
    let skipped: Vec<_> = answer
        .skipped
        .iter()
        .filter(|s| !source::ignored(&s.path))
        .collect();
    if skipped.is_empty() {
        return;
    }
    let mut counts: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for s in &skipped {
        let label = match s.reason {
            SkipReason::UnknownLanguage => format!(
                "{} (language not parsed)",
                s.language.as_deref().unwrap_or("unknown")
            ),
            SkipReason::TooLarge => "too large".to_string(),
            SkipReason::Binary => "binary".to_string(),
            SkipReason::NotUtf8 => "not UTF-8".to_string(),
            SkipReason::TimedOut => "too slow to parse".to_string(),
            SkipReason::Unreadable => "unreadable".to_string(),
        };
        let entry = counts.entry(label).or_insert((0, &s.path));
        entry.0 += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(label, (n, first))| format!("{n} {label}, e.g. {first}"))
        .collect();
    cx.report(
        Finding::new(
            &rules::NOT_ANALYSED,
            format!(
                "{} source files not analysed: {}",
                skipped.len(),
                parts.join("; ")
            ),
        )
        .remediation("Review the queries in those files by hand."),
    );
}

#[cfg(test)]
mod tests;
