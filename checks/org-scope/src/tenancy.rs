//! Which tables and models belong to a tenant, and how.
//!
//! Tables come from the migrations and schema files (a tenant column such
//! as `org_id`); models from the ORM declarations in the source: Django (a
//! foreign key to the tenant model), SQLAlchemy (`__tablename__` and a
//! tenant column), ActiveRecord (`belongs_to :organization`) and Prisma
//! (a relation to the tenant model). Each also records what scopes all of
//! its queries: row-level security with a policy, `acts_as_tenant`, a
//! `default_scope` or a tenant-filtering manager, a Prisma client extended
//! to inject the filter.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;

use crate::Settings;

/// A tenant-owned table.
#[derive(Debug, Clone)]
pub struct TenantTable {
    pub column: String,
    /// `path:line` of what made it tenant-owned.
    pub origin: String,
    /// Row-level security is enabled and a policy exists: every query is
    /// filtered by the database.
    pub row_level_security: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orm {
    Django,
    SqlAlchemy,
    ActiveRecord,
    Prisma,
    Typeorm,
    Sequelize,
    Gorm,
    /// A table queried by name through a query builder (Knex).
    Table,
}

/// A tenant-owned model.
#[derive(Debug, Clone)]
pub struct Model {
    pub orm: Orm,
    pub name: String,
    /// Names a filter on the tenant uses: `org`, `org_id` (Django,
    /// ActiveRecord), `org_id` (SQLAlchemy), `orgId`, `org` (Prisma).
    pub keys: Vec<String>,
    /// What scopes every query on it, if anything does.
    pub default_scope: Option<String>,
    pub origin: String,
}

#[derive(Debug, Default)]
pub struct Tenancy {
    /// By lower-case table name.
    pub tables: BTreeMap<String, TenantTable>,
    /// By class name (Prisma: the client accessor, `lineItem`).
    pub models: BTreeMap<(OrmKey, String), Model>,
    /// Prisma clients extended to inject the tenant filter.
    pub scoped_clients: BTreeSet<String>,
    /// TypeORM repositories by the name they are held under
    /// (`invoices: Repository<Invoice>`): the entity.
    pub repositories: BTreeMap<String, String>,
    /// Tables as models, for builders that query a table by name.
    pub table_models: BTreeMap<String, Model>,
}

/// Models are looked up per ORM family: a Python class name and a Ruby one
/// may coincide.
pub type OrmKey = u8;

pub fn orm_key(orm: Orm) -> OrmKey {
    orm as u8
}

impl Tenancy {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.models.is_empty()
    }

    pub fn model(&self, orm: Orm, name: &str) -> Option<&Model> {
        self.models.get(&(orm_key(orm), name.to_string()))
    }

    /// Index every tenant-owned table as a model, for builders that query
    /// a table by name.
    pub fn index_tables(&mut self) {
        self.table_models = self
            .tables
            .iter()
            .map(|(name, t)| {
                let model = Model {
                    orm: Orm::Table,
                    name: name.clone(),
                    keys: vec![t.column.clone()],
                    default_scope: None,
                    origin: t.origin.clone(),
                };
                (name.clone(), model)
            })
            .collect();
    }

    /// A stand-in model for a table queried by name (Knex): what the
    /// messages name.
    pub fn table_model(&self, table: &str) -> Option<&Model> {
        self.table_models.get(table)
    }

    pub fn add_model(&mut self, model: Model) {
        self.models
            .insert((orm_key(model.orm), model.name.clone()), model);
    }

    /// Every key any model filters its tenant by (Django lookups can go
    /// through another model: `invoice__org`).
    pub fn all_keys(&self, orm: Orm) -> BTreeSet<&str> {
        self.models
            .values()
            .filter(|m| m.orm == orm)
            .flat_map(|m| m.keys.iter().map(String::as_str))
            .collect()
    }
}

/// The tenant column of a table with these columns, if it has one.
pub fn tenant_column<'a>(columns: &'a [String], settings: &Settings) -> Option<&'a String> {
    columns
        .iter()
        .find(|c| settings.tenant_columns.iter().any(|t| t == *c))
}

/// Learn the tables from the replayed migrations.
pub fn from_schema(tenancy: &mut Tenancy, schema: &shipready_schema::Schema, settings: &Settings) {
    for (name, table) in &schema.tables {
        if settings.global_tables.iter().any(|g| g == name) {
            continue;
        }
        if let Some(column) = tenant_column(&table.columns, settings) {
            let origin = table
                .created_at
                .as_ref()
                .map_or_else(|| "the migrations".to_string(), |(p, l)| format!("{p}:{l}"));
            tenancy.tables.insert(
                name.clone(),
                TenantTable {
                    column: column.clone(),
                    origin,
                    row_level_security: table.row_level_security && table.has_policy,
                },
            );
        }
    }
}

/// `LineItem` → `line_item`, `OrgID` → `org_id`, `orgId` → `org_id`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase())
                    && next.is_some_and(|n| n.is_ascii_lowercase()));
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The table name ActiveRecord and most conventions give a model.
pub fn plural(word: &str) -> String {
    if let Some(stem) = word.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        return format!("{word}es");
    }
    format!("{word}s")
}

fn tenant_model_name(name: &str, settings: &Settings) -> bool {
    let last = name.rsplit(['.', ':']).next().unwrap_or(name);
    settings.tenant_models.iter().any(|m| m == last)
}

/// A class declaration found in the source.
pub struct Class<'a> {
    pub path: &'a str,
    pub line: u32,
    pub name: &'a str,
    /// The base classes as written (`models.Model`, `< ApplicationRecord`).
    pub bases: &'a str,
    /// The whole declaration.
    pub text: &'a str,
}

pub struct Patterns {
    django_fk: Regex,
    django_manager: Regex,
    db_table: Regex,
    sa_tablename: Regex,
    sa_column: Regex,
    manager_filter: Regex,
    rails_belongs_to: Regex,
    rails_tenant: Regex,
    rails_table_name: Regex,
}

impl Patterns {
    pub fn new() -> Patterns {
        let r = |s: &str| Regex::new(s).expect("a valid pattern");
        Patterns {
            django_fk: r(
                r#"(?m)^\s+(\w+)\s*=\s*models\.(?:ForeignKey|OneToOneField)\(\s*["']?([\w.]+)["']?"#,
            ),
            django_manager: r(r"(?m)^\s+objects\s*=\s*(\w+)\("),
            db_table: r(r#"(?m)^\s+db_table\s*=\s*["'](\w+)["']"#),
            sa_tablename: r(r#"(?m)^\s+__tablename__\s*=\s*["'](\w+)["']"#),
            sa_column: r(
                r"(?m)^\s+(\w+)\s*(?::[^=\n]+)?=\s*(?:sa\.|db\.)?(?:mapped_column|Column)\((.*)",
            ),
            manager_filter: r(
                r"def get_queryset[\s\S]*\.filter\([^)]*\b(?:org|organization|tenant|account|workspace|team)(?:_id)?\s*=",
            ),
            rails_belongs_to: r(r"(?m)^\s*belongs_to\s*\(?\s*:(\w+)"),
            rails_tenant: r(r"(?m)^\s*acts_as_tenant\s*\(?\s*:(\w+)"),
            rails_table_name: r(r#"(?m)^\s*self\.table_name\s*=\s*["'](\w+)["']"#),
        }
    }
}

/// Python classes: Django models and managers, SQLAlchemy models.
pub fn from_python(
    tenancy: &mut Tenancy,
    classes: &[Class<'_>],
    p: &Patterns,
    settings: &Settings,
) {
    // Managers and querysets whose default queryset filters on the tenant.
    let tenant_managers: BTreeSet<&str> = classes
        .iter()
        .filter(|c| c.bases.contains("Manager") || c.bases.contains("QuerySet"))
        .filter(|c| p.manager_filter.is_match(c.text))
        .map(|c| c.name)
        .collect();
    for class in classes {
        let origin = format!("{}:{}", class.path, class.line);
        if class.bases.ends_with("Table") {
            core_table(tenancy, class, origin, settings);
            continue;
        }
        if let Some(table) = p.sa_tablename.captures(class.text) {
            let table = table[1].to_lowercase();
            let columns: Vec<(String, String)> = p
                .sa_column
                .captures_iter(class.text)
                .map(|c| (c[1].to_string(), c[2].to_string()))
                .collect();
            let tenant = columns.iter().find(|(name, args)| {
                settings.tenant_columns.contains(name)
                    || settings.tenant_models.iter().any(|m| {
                        args.contains(&format!("\"{}.", plural(&snake(m))))
                            || args.contains(&format!("'{}.", plural(&snake(m))))
                    })
            });
            if let Some((column, _)) = tenant
                && !settings.global_tables.contains(&table)
            {
                tenancy.add_model(Model {
                    orm: Orm::SqlAlchemy,
                    name: class.name.to_string(),
                    keys: vec![column.clone()],
                    default_scope: None,
                    origin: origin.clone(),
                });
                tenancy.tables.entry(table).or_insert(TenantTable {
                    column: column.clone(),
                    origin,
                    row_level_security: false,
                });
            }
            continue;
        }
        if !class.bases.contains("Model") {
            continue;
        }
        let fields: Vec<String> = p
            .django_fk
            .captures_iter(class.text)
            .filter(|c| tenant_model_name(&c[2], settings))
            .map(|c| c[1].to_string())
            .collect();
        let Some(field) = fields.first() else {
            continue;
        };
        let app = class
            .path
            .rsplit('/')
            .nth(1)
            .unwrap_or_default()
            .to_lowercase();
        let table = p.db_table.captures(class.text).map_or_else(
            || format!("{app}_{}", class.name.to_lowercase()),
            |c| c[1].to_lowercase(),
        );
        let manager = p
            .django_manager
            .captures(class.text)
            .map(|c| c[1].to_string())
            .filter(|m| tenant_managers.contains(m.as_str()));
        let multitenant = ["TenantModel", "TenantAwareModel"]
            .iter()
            .any(|b| class.bases.contains(b));
        tenancy.add_model(Model {
            orm: Orm::Django,
            name: class.name.to_string(),
            keys: vec![field.clone(), format!("{field}_id")],
            default_scope: manager
                .map(|m| format!("its manager `{m}` filters every query on the tenant"))
                .or_else(|| multitenant.then(|| "it is a tenant model".to_string())),
            origin: origin.clone(),
        });
        if !settings.global_tables.contains(&table) {
            tenancy.tables.entry(table).or_insert(TenantTable {
                column: format!("{field}_id"),
                origin,
                row_level_security: false,
            });
        }
    }
}

/// SQLAlchemy Core: `invoices = Table("invoices", metadata, Column("org_id", ...))`,
/// a model named by its variable.
fn core_table(tenancy: &mut Tenancy, class: &Class<'_>, origin: String, settings: &Settings) {
    let quoted = |after: &'static str| {
        class.text.split(after).skip(1).filter_map(|rest| {
            let rest = rest.trim_start();
            let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            rest[1..].split(quote).next().map(str::to_lowercase)
        })
    };
    let Some(table) = quoted("Table(").next() else {
        return;
    };
    let Some(column) = quoted("Column(").find(|c| settings.tenant_columns.contains(c)) else {
        return;
    };
    if settings.global_tables.contains(&table) {
        return;
    }
    tenancy.add_model(Model {
        orm: Orm::SqlAlchemy,
        name: class.name.to_string(),
        keys: vec![column.clone()],
        default_scope: None,
        origin: origin.clone(),
    });
    tenancy.tables.entry(table).or_insert(TenantTable {
        column,
        origin,
        row_level_security: false,
    });
}

/// Ruby classes: ActiveRecord models.
pub fn from_ruby(tenancy: &mut Tenancy, classes: &[Class<'_>], p: &Patterns, settings: &Settings) {
    for class in classes {
        if !(class.bases.contains("ApplicationRecord")
            || class.bases.contains("ActiveRecord::Base"))
        {
            continue;
        }
        let origin = format!("{}:{}", class.path, class.line);
        let table = p
            .rails_table_name
            .captures(class.text)
            .map_or_else(|| plural(&snake(class.name)), |c| c[1].to_lowercase());
        if settings.global_tables.contains(&table) {
            continue;
        }
        let tenant_assoc = |name: &str| settings.tenant_models.iter().any(|m| snake(m) == name);
        let acts_as_tenant = p
            .rails_tenant
            .captures(class.text)
            .map(|c| c[1].to_string());
        let association = acts_as_tenant.clone().or_else(|| {
            p.rails_belongs_to
                .captures_iter(class.text)
                .map(|c| c[1].to_string())
                .find(|a| tenant_assoc(a))
        });
        // A model without the association is still tenant-owned when its
        // table has a tenant column.
        let association = association.or_else(|| {
            tenancy
                .tables
                .get(&table)
                .map(|t| t.column.trim_end_matches("_id").to_string())
        });
        let Some(association) = association else {
            continue;
        };
        let column = format!("{association}_id");
        let default_scope = if acts_as_tenant.is_some() {
            Some("it declares `acts_as_tenant`".to_string())
        } else {
            class
                .text
                .lines()
                .find(|l| l.contains("default_scope") && l.contains(&association))
                .map(|_| "its `default_scope` filters on the tenant".to_string())
        };
        tenancy.add_model(Model {
            orm: Orm::ActiveRecord,
            name: class.name.to_string(),
            keys: vec![association, column.clone()],
            default_scope,
            origin: origin.clone(),
        });
        tenancy.tables.entry(table).or_insert(TenantTable {
            column,
            origin,
            row_level_security: false,
        });
    }
}

/// `schema.prisma`: models related to the tenant model, by client accessor.
pub fn from_prisma(tenancy: &mut Tenancy, path: &str, text: &str, settings: &Settings) {
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("model ")
            .and_then(|r| r.split_whitespace().next())
        else {
            continue;
        };
        let mut keys = Vec::new();
        let mut table = name.to_string();
        let mut columns: BTreeMap<String, String> = BTreeMap::new();
        for (_, body) in lines.by_ref() {
            let body = body.trim();
            if body.starts_with('}') {
                break;
            }
            if let Some(map) = body.strip_prefix("@@map(") {
                table = map.trim_matches(|c| c == '"' || c == ')').to_string();
                continue;
            }
            let mut parts = body.split_whitespace();
            let (Some(field), Some(ty)) = (parts.next(), parts.next()) else {
                continue;
            };
            let column = body
                .split_once("@map(\"")
                .and_then(|(_, r)| r.split_once('"'))
                .map_or_else(|| field.to_string(), |(c, _)| c.to_string());
            columns.insert(field.to_string(), column);
            let ty = ty.trim_end_matches(['?', '!']);
            if tenant_model_name(ty, settings) && !ty.ends_with("[]") {
                keys.push(field.to_string());
                if let Some((_, fk)) = body.split_once("fields: [") {
                    keys.extend(
                        fk.split(']')
                            .next()
                            .unwrap_or_default()
                            .split(',')
                            .map(|f| f.trim().to_string()),
                    );
                }
            } else if settings.tenant_columns.contains(&snake(field)) {
                keys.push(field.to_string());
            }
        }
        keys.sort();
        keys.dedup();
        let Some(column) = keys
            .iter()
            .filter_map(|k| columns.get(k))
            .find(|c| {
                settings.tenant_columns.contains(&snake(c)) || settings.tenant_columns.contains(*c)
            })
            .cloned()
        else {
            continue;
        };
        let table = table.to_lowercase();
        if settings.global_tables.contains(&table) {
            continue;
        }
        let origin = format!("{path}:{}", i + 1);
        let mut accessor = name.to_string();
        accessor[..1].make_ascii_lowercase();
        tenancy.add_model(Model {
            orm: Orm::Prisma,
            name: accessor,
            keys,
            default_scope: None,
            origin: origin.clone(),
        });
        tenancy.tables.entry(table).or_insert(TenantTable {
            column: column.to_lowercase(),
            origin,
            row_level_security: false,
        });
    }
}

/// A model's tenant keys among its fields: a field named like a tenant
/// column (`orgId`, `OrgID`, `org_id`) or typed as the tenant model (`org:
/// Organization`, `Org Organization`). `(field, type)` pairs.
fn tenant_fields(fields: &[(String, String)], settings: &Settings) -> Vec<String> {
    fields
        .iter()
        .filter(|(name, ty)| {
            settings.tenant_columns.contains(&snake(name))
                || tenant_model_name(ty.trim_start_matches(['*', '&']), settings)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// The tenant column among a model's keys (as the database names it).
fn column_of(keys: &[String], settings: &Settings) -> Option<String> {
    keys.iter()
        .map(|k| snake(k))
        .find(|c| settings.tenant_columns.contains(c))
        .or_else(|| keys.first().map(|k| format!("{}_id", snake(k))))
}

/// A model of `orm` declared by `class`, tenant-owned when `keys` name its
/// tenant, and its table.
fn add_owned(
    tenancy: &mut Tenancy,
    orm: Orm,
    class: &Class<'_>,
    keys: Vec<String>,
    table: String,
    settings: &Settings,
) {
    if settings.global_tables.contains(&table) || keys.is_empty() {
        return;
    }
    let origin = format!("{}:{}", class.path, class.line);
    if let Some(column) = column_of(&keys, settings) {
        tenancy.tables.entry(table).or_insert(TenantTable {
            column,
            origin: origin.clone(),
            row_level_security: false,
        });
    }
    tenancy.add_model(Model {
        orm,
        name: class.name.to_string(),
        keys,
        default_scope: None,
        origin,
    });
}

/// TypeORM entities: `@Entity('invoices') class Invoice { orgId: string; org: Organization }`.
pub fn from_typeorm(tenancy: &mut Tenancy, classes: &[Class<'_>], settings: &Settings) {
    let field = Regex::new(
        r"(?m)^\s*(?:@\w+\([^)]*\)\s*)*(?:public\s+|readonly\s+)*(\w+)[!?]?\s*:\s*([\w.]+)",
    )
    .expect("a valid pattern");
    let name =
        Regex::new(r#"@Entity\(\s*(?:\{\s*name:\s*)?['"](\w+)['"]"#).expect("a valid pattern");
    for class in classes.iter().filter(|c| c.bases.starts_with("@Entity")) {
        let fields: Vec<(String, String)> = field
            .captures_iter(class.text)
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        let table = name
            .captures(class.bases)
            .map_or_else(|| snake(class.name), |c| c[1].to_lowercase());
        add_owned(
            tenancy,
            Orm::Typeorm,
            class,
            tenant_fields(&fields, settings),
            table,
            settings,
        );
    }
}

/// Sequelize models: `Invoice.init({ orgId: ... }, { tableName: 'invoices' })`.
pub fn from_sequelize(tenancy: &mut Tenancy, classes: &[Class<'_>], settings: &Settings) {
    let key = Regex::new(r"(?m)^\s*(\w+)\s*:").expect("a valid pattern");
    let table_name = Regex::new(r#"tableName:\s*['"](\w+)['"]"#).expect("a valid pattern");
    for class in classes.iter().filter(|c| c.bases == "init") {
        let fields: Vec<(String, String)> = key
            .captures_iter(class.text)
            .map(|c| (c[1].to_string(), String::new()))
            .collect();
        let table = table_name
            .captures(class.text)
            .map_or_else(|| plural(&snake(class.name)), |c| c[1].to_lowercase());
        add_owned(
            tenancy,
            Orm::Sequelize,
            class,
            tenant_fields(&fields, settings),
            table,
            settings,
        );
    }
}

/// GORM models: `type Invoice struct { OrgID uint; Org Organization }`.
pub fn from_gorm(tenancy: &mut Tenancy, classes: &[Class<'_>], settings: &Settings) {
    let field = Regex::new(r"(?m)^\s*([A-Z]\w*)\s+([\w.*\[\]]+)").expect("a valid pattern");
    for class in classes.iter().filter(|c| c.bases.starts_with("struct")) {
        let fields: Vec<(String, String)> = field
            .captures_iter(class.bases)
            .map(|c| {
                (
                    c[1].to_string(),
                    c[2].rsplit('.').next().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let mut keys = tenant_fields(&fields, settings);
        // A relation field (`Org Organization`) filters through its key column.
        let columns: Vec<String> = keys.iter().map(|k| snake(k)).collect();
        keys.extend(columns);
        keys.sort();
        keys.dedup();
        let table = plural(&snake(class.name));
        add_owned(tenancy, Orm::Gorm, class, keys, table, settings);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_conventions() {
        assert_eq!(plural(&snake("LineItem")), "line_items");
        assert_eq!(plural(&snake("Company")), "companies");
        assert_eq!(plural(&snake("Day")), "days");
        assert_eq!(plural(&snake("Address")), "addresses");
        assert_eq!(snake("orgId"), "org_id");
        assert_eq!(snake("OrgID"), "org_id");
        assert_eq!(snake("HTTPServer"), "http_server");
    }
}
