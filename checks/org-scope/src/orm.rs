//! ORM and query-builder call chains judged: which model or table a chain
//! queries, whether it filters on the tenant, and what it does (reads,
//! looks up one row by primary key, writes). Django managers and
//! querysets, SQLAlchemy `query`, `select`, `update`, `delete`, `get` and
//! Core tables, ActiveRecord finders and batch writes, Prisma model
//! delegates, TypeORM repositories and query builders, Sequelize models,
//! Knex tables and GORM chains. A chain's comments are blanked first, and
//! calls that do not keep other tenants out (`exclude`, OR-ed `Q`,
//! `where.not`, `or`) are cut out before its filters are read.

use regex::Regex;
use shipready_sdk::syntax::Language;

use crate::tenancy::{Model, Orm, Tenancy};
use shipready_schema::filters::Kind;

/// An ORM query on a tenant-owned model without the tenant filter.
#[derive(Debug)]
pub struct Unscoped<'t> {
    pub model: &'t Model,
    pub kind: Kind,
    /// Filters on the primary key and nothing else.
    pub by_id: bool,
    /// What it filters on, as written (`pk`, `status`), for the message.
    pub filtered_on: Vec<String>,
}

pub struct Chains {
    django: Regex,
    keywords: Regex,
    sqlalchemy: Regex,
    sa_compare: Regex,
    rails: Regex,
    rails_keys: Regex,
    prisma: Regex,
    prisma_where: Regex,
    typeorm: Regex,
    object_keys: Regex,
    sequelize: Regex,
    knex: Regex,
    knex_where: Regex,
    gorm_model: Regex,
    gorm_var: Regex,
}

impl Chains {
    pub fn new() -> Chains {
        let r = |s: &str| Regex::new(s).expect("a valid pattern");
        Chains {
            django: r(r"^([A-Z]\w*)\.objects\b"),
            keywords: r(r"[(,]\s*(\w+)\s*=[^=]"),
            sqlalchemy: r(
                r"^(?:\w+\.)?(query|get|select|update|delete)\(\s*(\w+)|^(\w+)\.(select|update|delete)\(",
            ),
            sa_compare: r(r"\.(\w+)\s*==|\.(\w+)\.in_\(|[(,]\s*(\w+)\s*=[^=]"),
            rails: r(r"^([A-Z]\w*)\s*\.(\w+[!?]?)"),
            rails_keys: r(r#"\b(\w+):\s|["'`]\s*(?:\w+\.)?(\w+)\s*(?:=|IN\b)"#),
            prisma: r(r"^(\w+)\.(\w+)\.(\w+)\("),
            prisma_where: r(r"where:\s*\{([^}]*)\}"),
            typeorm: r(r"^(?:this\.)?(\w+)(?:\.getRepository\(\s*(\w+)\s*\))?\s*\.(\w+)\("),
            object_keys: r(r"\{([^{}]*)\}"),
            sequelize: r(
                r"^([A-Z]\w*)\.(findAll|findOne|findByPk|findAndCountAll|count|update|destroy)\(",
            ),
            knex: r(r#"^\w+(?:\.(?:table|from))?\(\s*['"](\w+)['"]\s*\)"#),
            knex_where: r(r#"\.(?:where|andWhere)\(\s*(?:['"](\w+)['"]|\{([^}]*)\})"#),
            gorm_model: r(r"(?:&|\[\])(?:\w+\.)?([A-Z]\w*)\{"),
            gorm_var: r(r"&(\w+)"),
        }
    }

    /// Judge a chain, or `None` when it is not a query on a tenant-owned
    /// model, or is scoped.
    pub fn judge<'t>(
        &self,
        language: Language,
        text: &str,
        tenancy: &'t Tenancy,
        helpers: &[String],
        unscoping: bool,
    ) -> Option<Unscoped<'t>> {
        let text = &without_comments(text, language);
        if helpers
            .iter()
            .any(|h| text.contains(&format!(".{h}(")) || text.contains(&format!("{h}(")))
        {
            return None;
        }
        match language {
            Language::Python => self.python(text, tenancy),
            Language::Ruby => self.rails(text, tenancy, unscoping),
            Language::JavaScript | Language::TypeScript | Language::Tsx => self
                .prisma(text, tenancy)
                .or_else(|| self.typeorm(text, tenancy))
                .or_else(|| self.sequelize(text, tenancy))
                .or_else(|| self.knex(text, tenancy)),
            Language::Go => self.gorm(text, tenancy),
            _ => None,
        }
    }

    fn python<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        if let Some(c) = self.django.captures(text) {
            let model = tenancy.model(Orm::Django, &c[1])?;
            if model.default_scope.is_some()
                || [
                    ".create(",
                    ".bulk_create(",
                    ".get_or_create(",
                    ".update_or_create(",
                ]
                .iter()
                .any(|w| text.contains(w))
            {
                return None;
            }
            let keys = tenancy.all_keys(Orm::Django);
            // `exclude(org=...)` keeps the other tenants; `Q(org=...) | Q(...)`
            // lets them back in; `org__isnull` filters on nothing.
            let mut filtering = without_calls(text, &["exclude"]);
            if filtering.contains('|') {
                filtering = without_calls(&filtering, &["Q"]);
            }
            let filtered_on: Vec<String> = self
                .keywords
                .captures_iter(&filtering)
                .map(|k| k[1].to_string())
                .collect();
            let scoped = filtered_on
                .iter()
                .any(|k| !k.ends_with("__isnull") && k.split("__").any(|part| keys.contains(part)));
            if scoped {
                return None;
            }
            let kind = if text.contains(".update(") || text.contains(".delete(") {
                Kind::Write
            } else {
                Kind::Read
            };
            let by_id = kind == Kind::Read
                && !filtered_on.is_empty()
                && filtered_on.iter().all(|k| k == "pk" || k == "id");
            return Some(Unscoped {
                model,
                kind,
                by_id,
                filtered_on,
            });
        }
        let c = self.sqlalchemy.captures(text)?;
        // `select(Invoice)`, `session.get(Invoice, id)`; Core: `select(invoices)`,
        // `invoices.update()`.
        let (verb, name) = match (c.get(1), c.get(2)) {
            (Some(verb), Some(name)) => (verb.as_str(), name.as_str()),
            _ => (c.get(4)?.as_str(), c.get(3)?.as_str()),
        };
        let model = tenancy.model(Orm::SqlAlchemy, name)?;
        if model.default_scope.is_some() {
            return None;
        }
        let tenant_columns: Vec<&str> = tenancy
            .models
            .values()
            .filter(|m| m.orm == Orm::SqlAlchemy)
            .flat_map(|m| m.keys.iter().map(String::as_str))
            .collect();
        let compared: Vec<String> = self
            .sa_compare
            .captures_iter(text)
            .filter_map(|k| {
                k.get(1)
                    .or_else(|| k.get(2))
                    .or_else(|| k.get(3))
                    .map(|m| m.as_str().to_string())
            })
            .collect();
        if compared
            .iter()
            .any(|c| tenant_columns.contains(&c.as_str()))
        {
            return None;
        }
        let kind = if verb == "update"
            || verb == "delete"
            || text.contains(".delete(")
            || text.contains(".update(")
        {
            Kind::Write
        } else {
            Kind::Read
        };
        let by_id = kind == Kind::Read
            && (verb == "get"
                || text.contains(".get(")
                || (!compared.is_empty() && compared.iter().all(|c| c == "id")));
        Some(Unscoped {
            model,
            kind,
            by_id,
            filtered_on: compared,
        })
    }

    fn rails<'t>(&self, text: &str, tenancy: &'t Tenancy, unscoping: bool) -> Option<Unscoped<'t>> {
        let c = self.rails.captures(text)?;
        let model = tenancy.model(Orm::ActiveRecord, &c[1])?;
        let unscoped = text.contains(".unscoped") || unscoping;
        if (model.default_scope.is_some() && !unscoped) || text.contains("find_by_sql") {
            return None;
        }
        // `where.not(organization: ...)` and `.or(...)` do not keep the
        // other tenants out.
        let filtering = without_calls(text, &["not", "or"]);
        let filtered_on: Vec<String> = self
            .rails_keys
            .captures_iter(&filtering)
            .filter_map(|k| {
                k.get(1)
                    .or_else(|| k.get(2))
                    .map(|m| m.as_str().to_string())
            })
            .collect();
        if filtered_on.iter().any(|k| model.keys.contains(k)) {
            return None;
        }
        let write = [
            "update_all",
            "delete_all",
            "destroy_all",
            ".destroy",
            ".delete",
            ".update(",
            ".update!(",
        ]
        .iter()
        .any(|w| text.contains(w));
        let kind = if write { Kind::Write } else { Kind::Read };
        let first = &c[2];
        let kind = if [
            "destroy",
            "delete",
            "update",
            "update!",
            "destroy_by",
            "delete_by",
        ]
        .contains(&first)
        {
            Kind::Write
        } else {
            kind
        };
        let by_id = kind == Kind::Read
            && (first == "find"
                || ((first == "find_by" || first == "find_by!")
                    && filtered_on.iter().all(|k| k == "id")));
        Some(Unscoped {
            model,
            kind,
            by_id,
            filtered_on,
        })
    }

    fn prisma<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let c = self.prisma.captures(text)?;
        if tenancy.scoped_clients.contains(&c[1]) {
            return None;
        }
        let model = tenancy.model(Orm::Prisma, &c[2])?;
        let words: Vec<&str> = text
            .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .collect();
        if model.keys.iter().any(|k| words.contains(&k.as_str())) {
            return None;
        }
        let method = &c[3];
        let kind = if ["update", "updateMany", "delete", "deleteMany", "upsert"].contains(&method) {
            Kind::Write
        } else {
            Kind::Read
        };
        let filtered_on = match text.find("where:") {
            Some(at) => object_keys(&text[at + "where:".len()..]),
            None => Vec::new(),
        };
        let by_id = kind == Kind::Read && filtered_on == ["id"];
        Some(Unscoped {
            model,
            kind,
            by_id,
            filtered_on,
        })
    }

    /// The variable a Prisma query takes its filter from
    /// (`where: envelopeWhereInput`), if it does.
    pub fn where_variable<'a>(&self, text: &'a str) -> Option<&'a str> {
        let rest = text[text.find("where:")? + "where:".len()..].trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = rest[end..].trim_start();
        (end > 0 && (after.starts_with(',') || after.starts_with('}'))).then(|| &rest[..end])
    }

    /// TypeORM: `this.invoices.find(...)` on a repository field, or
    /// `dataSource.getRepository(Invoice).find(...)`.
    fn typeorm<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let c = self.typeorm.captures(text)?;
        let entity = match c.get(2) {
            Some(e) => e.as_str(),
            None => tenancy.repositories.get(&c[1])?.as_str(),
        };
        let model = tenancy.model(Orm::Typeorm, entity)?;
        let words = words(text);
        let column = column_names(model);
        if model
            .keys
            .iter()
            .chain(&column)
            .any(|k| words.contains(&k.as_str()))
        {
            return None;
        }
        let method = &c[3];
        let write = ["update", "delete", "softDelete"].contains(&method)
            || (method == "createQueryBuilder"
                && (text.contains(".update(") || text.contains(".delete(")));
        let filtered_on = self.first_object_keys(text);
        Some(self.verdict(model, write, filtered_on, method.starts_with("findOne")))
    }

    /// Sequelize: `Invoice.findAll({ where: ... })`, `Invoice.findByPk(id)`.
    fn sequelize<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let c = self.sequelize.captures(text)?;
        let model = tenancy.model(Orm::Sequelize, &c[1])?;
        let words = words(text);
        if model.keys.iter().any(|k| words.contains(&k.as_str())) {
            return None;
        }
        let method = &c[2];
        if method == "findByPk" {
            return Some(Unscoped {
                model,
                kind: Kind::Read,
                by_id: true,
                filtered_on: vec!["id".to_string()],
            });
        }
        let filtered_on = self.first_object_keys(text);
        Some(self.verdict(
            model,
            method == "update" || method == "destroy",
            filtered_on,
            method == "findOne",
        ))
    }

    /// Knex: `knex('invoices').where(...)`, on a tenant-owned table.
    fn knex<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let c = self.knex.captures(text)?;
        let table = tenancy.tables.get(&c[1].to_lowercase())?;
        if table.row_level_security || words(text).contains(&table.column.as_str()) {
            return None;
        }
        let write = [".update(", ".del(", ".delete("]
            .iter()
            .any(|w| text.contains(w));
        let filtered_on: Vec<String> = self
            .knex_where
            .captures_iter(text)
            .flat_map(|w| match (w.get(1), w.get(2)) {
                (Some(column), _) => vec![column.as_str().to_string()],
                (_, Some(object)) => keys_of(object.as_str()),
                _ => Vec::new(),
            })
            .collect();
        let by_id = !write && filtered_on == ["id"];
        Some(Unscoped {
            model: tenancy.table_model(&c[1].to_lowercase())?,
            kind: if write { Kind::Write } else { Kind::Read },
            by_id,
            filtered_on,
        })
    }

    /// GORM: `db.Where(...).Find(&invoices)`; the model comes from the
    /// arguments (`&Invoice{}`, or a variable named after it).
    fn gorm<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let model = self
            .gorm_model
            .captures_iter(text)
            .find_map(|c| tenancy.model(Orm::Gorm, &c[1]))
            .or_else(|| {
                self.gorm_var.captures_iter(text).find_map(|c| {
                    let var = c[1].to_ascii_lowercase();
                    tenancy.models.values().find(|m| {
                        m.orm == Orm::Gorm && {
                            let name = m.name.to_ascii_lowercase();
                            var == name
                                || var == format!("{name}s")
                                || var == format!("{name}es")
                                || (name.ends_with('y')
                                    && var == format!("{}ies", &name[..name.len() - 1]))
                        }
                    })
                })
            })?;
        let column = column_names(model);
        let words = words(text);
        let scoped = column.iter().any(|c| words.contains(&c.as_str()))
            || model.keys.iter().any(|k| text.contains(&format!("{k}:")));
        if scoped {
            return None;
        }
        let write = [
            ".Delete(",
            ".Update(",
            ".Updates(",
            ".UpdateColumn(",
            ".UpdateColumns(",
        ]
        .iter()
        .any(|w| text.contains(w));
        let conditions: Vec<String> = text
            .match_indices(".Where(\"")
            .filter_map(|(i, m)| text[i + m.len()..].split('"').next())
            .flat_map(|cond| {
                cond.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|w| {
                        !w.is_empty()
                            && !w.eq_ignore_ascii_case("and")
                            && !w.eq_ignore_ascii_case("or")
                    })
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        // `First(&invoice, id)`: a primary key as the second argument.
        let by_pk_argument = [".First(&", ".Take(&", ".Last(&", ".Find(&"]
            .iter()
            .any(|m| {
                text.find(m).is_some_and(|i| {
                    text[i..]
                        .split(')')
                        .next()
                        .is_some_and(|call| call.contains(','))
                })
            });
        let by_id = !write && ((conditions.is_empty() && by_pk_argument) || conditions == ["id"]);
        Some(Unscoped {
            model,
            kind: if write { Kind::Write } else { Kind::Read },
            by_id,
            filtered_on: if by_id && conditions.is_empty() {
                vec!["id".to_string()]
            } else {
                conditions
            },
        })
    }

    /// The keys of a call's `where: {...}` object, or of its first object.
    fn first_object_keys(&self, text: &str) -> Vec<String> {
        self.prisma_where
            .captures(text)
            .or_else(|| self.object_keys.captures(text))
            .map(|w| keys_of(&w[1]))
            .unwrap_or_default()
    }

    fn verdict<'t>(
        &self,
        model: &'t Model,
        write: bool,
        filtered_on: Vec<String>,
        single: bool,
    ) -> Unscoped<'t> {
        let by_id = !write && single && filtered_on == ["id"];
        Unscoped {
            model,
            kind: if write { Kind::Write } else { Kind::Read },
            by_id,
            filtered_on,
        }
    }
}

/// The text without the calls named (`.exclude(...)`, `Q(...)`), their
/// arguments and all.
fn without_calls(text: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for name in names {
            let open = format!("{name}(");
            if rest.starts_with(&open)
                && !out.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                let mut depth = 0;
                for (i, c) in rest.char_indices().skip(name.len()) {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                rest = &rest[i + 1..];
                                continue 'scan;
                            }
                        }
                        _ => {}
                    }
                }
                return out;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The identifiers of a text.
pub fn words(text: &str) -> Vec<&str> {
    text.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The keys of the object literal `text` starts with, at every depth
/// (`{ id, team: { members: { some: { userId } } } }` → `id`, `team`,
/// `members`, `some`, `userId`), shorthand properties included; empty
/// when `text` does not start with an object.
pub fn object_keys(text: &str) -> Vec<String> {
    let text = text.trim_start();
    if !text.starts_with('{') {
        return Vec::new();
    }
    let mut depth = 0usize;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => {
                depth -= 1;
                if depth == 0 {
                    end = i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let object = &text[..end];
    let bytes = object.as_bytes();
    let mut keys = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let before = object[..start].trim_end().chars().last();
        let after = object[i..].trim_start().chars().next();
        let key = after == Some(':') && !object[i..].trim_start().starts_with("::");
        let shorthand =
            matches!(before, Some('{') | Some(',')) && matches!(after, Some(',') | Some('}'));
        if key || shorthand {
            keys.push(object[start..i].to_string());
        }
    }
    keys
}

/// What `name` is first assigned in `file` (`const where = { ... }`,
/// `let where: Prisma.EnvelopeWhereInput = build(...)`), up to the end of
/// its statement.
pub fn definition<'a>(file: &'a str, name: &str) -> Option<&'a str> {
    let pattern = Regex::new(&format!(
        r"\b(?:const|let|var)\s+{}\s*(?::[^=;]*)?=\s*",
        regex::escape(name)
    ))
    .ok()?;
    // `const { programId } = ...` and `const { a, programId: p } = ...`
    // bind it by destructuring.
    let destructured = Regex::new(&format!(
        r"\b(?:const|let|var)\s*\{{[^}}]*\b{}\b[^}}]*\}}\s*(?::[^=;]*)?=\s*",
        regex::escape(name)
    ))
    .ok()?;
    let start = pattern
        .find_iter(file)
        .last()
        .or_else(|| destructured.find_iter(file).last())?
        .end();
    let rest = &file[start..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            ';' if depth <= 0 => return Some(&rest[..i]),
            '\n' if depth <= 0 && i > 0 => return Some(&rest[..i]),
            _ => {}
        }
        if depth < 0 || i > 4000 {
            return Some(&rest[..i]);
        }
    }
    Some(rest)
}

/// The keys of an object literal's text (`id, orgId: x` → `id`, `orgId`).
fn keys_of(object: &str) -> Vec<String> {
    object
        .split(',')
        .filter_map(|f| f.split(':').next())
        .map(|f| f.trim().trim_matches(['\'', '"']).to_string())
        .filter(|f| !f.is_empty())
        .collect()
}

/// A model's tenant keys as database columns (`orgId` → `org_id`).
fn column_names(model: &Model) -> Vec<String> {
    model
        .keys
        .iter()
        .map(|k| crate::tenancy::snake(k))
        .collect()
}

/// The text with its comments blanked: a comment inside a chain
/// (`// scoped by org`) must not read as a filter.
fn without_comments(text: &str, language: Language) -> String {
    let line_comment = match language {
        Language::Python | Language::Ruby => "#",
        _ => "//",
    };
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some((_, n)) = chars.next() {
                        out.push(n);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None if matches!(c, '"' | '\'' | '`') => {
                quote = Some(c);
                out.push(c);
            }
            None if text[i..].starts_with(line_comment) && !text[i..].starts_with("#{") => {
                while chars.peek().is_some_and(|(_, n)| *n != '\n') {
                    chars.next();
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_cut_out_with_their_arguments() {
        assert_eq!(
            without_calls(
                "A.objects.exclude(org=o).filter(Q(x=1) | Q(org=(2)))",
                &["exclude", "Q"]
            ),
            "A.objects..filter( | )"
        );
        assert_eq!(
            without_calls("where.not(organization: o)", &["not"]),
            "where."
        );
    }

    #[test]
    fn comments_are_blanked_and_strings_kept() {
        assert_eq!(
            without_comments("a.b({ // org here\n x: 'http://y' })", Language::TypeScript),
            "a.b({ \n x: 'http://y' })"
        );
        assert_eq!(
            without_comments("A.objects.all()  # org\n.filter(x='#1')", Language::Python),
            "A.objects.all()  \n.filter(x='#1')"
        );
    }
}
