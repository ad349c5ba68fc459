//! ORM call chains judged: which model a chain queries, whether it filters
//! on the tenant, and what it does (reads, looks up one row by primary
//! key, writes). Django managers and querysets, SQLAlchemy `query`,
//! `select`, `update`, `delete` and `get`, ActiveRecord finders and
//! batch writes, Prisma model delegates.

use regex::Regex;
use shipready_sdk::syntax::Language;

use crate::sql::Kind;
use crate::tenancy::{Model, Orm, Tenancy};

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
}

impl Chains {
    pub fn new() -> Chains {
        let r = |s: &str| Regex::new(s).expect("a valid pattern");
        Chains {
            django: r(r"^([A-Z]\w*)\.objects\b"),
            keywords: r(r"[(,]\s*(\w+)\s*=[^=]"),
            sqlalchemy: r(r"^(?:\w+\.)?(query|get|select|update|delete)\(\s*([A-Z]\w*)"),
            sa_compare: r(r"\b([A-Z]\w*)\.(\w+)\s*==|[(,]\s*(\w+)\s*=[^=]"),
            rails: r(r"^([A-Z]\w*)\.(\w+[!?]?)"),
            rails_keys: r(r#"\b(\w+):\s|["'`]\s*(?:\w+\.)?(\w+)\s*(?:=|IN\b)"#),
            prisma: r(r"^(\w+)\.(\w+)\.(\w+)\("),
            prisma_where: r(r"where:\s*\{([^}]*)\}"),
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
            Language::Ruby => self.rails(text, tenancy),
            Language::JavaScript | Language::TypeScript | Language::Tsx => {
                self.prisma(text, tenancy)
            }
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
            let filtered_on: Vec<String> = self
                .keywords
                .captures_iter(text)
                .map(|k| k[1].to_string())
                .collect();
            let scoped = filtered_on
                .iter()
                .any(|k| k.split("__").any(|part| keys.contains(part)));
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
        let model = tenancy.model(Orm::SqlAlchemy, &c[2])?;
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
                k.get(2)
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
        let verb = &c[1];
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

    fn rails<'t>(&self, text: &str, tenancy: &'t Tenancy) -> Option<Unscoped<'t>> {
        let c = self.rails.captures(text)?;
        let model = tenancy.model(Orm::ActiveRecord, &c[1])?;
        if model.default_scope.is_some() || text.contains("find_by_sql") {
            return None;
        }
        let filtered_on: Vec<String> = self
            .rails_keys
            .captures_iter(text)
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
        let filtered_on: Vec<String> = self
            .prisma_where
            .captures(text)
            .map(|w| {
                w[1].split(',')
                    .filter_map(|f| f.split(':').next())
                    .map(|f| f.trim().to_string())
                    .filter(|f| !f.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let by_id = kind == Kind::Read && filtered_on == ["id"];
        Some(Unscoped {
            model,
            kind,
            by_id,
            filtered_on,
        })
    }
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
