//! What keeps other tenants out when a query does not filter on the tenant
//! key itself. Read from the names a query filters on (and, for the
//! caller, the values), the same way for every ORM and for SQL:
//!
//! - **the caller**: `user=request.user`, `userId: session.user.id`,
//!   `Member.owner_id == current_user.id`: the rows are the caller's own;
//! - **a loaded tenant-owned parent**: `page=instance`,
//!   `invoice_id=invoice.id`, `Member.customer_id == customer.id`,
//!   `programId: program.id`: the rows belong to one parent row the code
//!   already holds, and that row's own lookup is where the tenant is
//!   checked (and reported, when it is not). A parent id straight from the
//!   request (`invoice_id=invoice_id`, `req.params.id`) scopes nothing;
//! - **identity**: a lookup by a token, its digest, a secret or a host
//!   name (any model: a custom domain names its tenant), or by email, username, code or domain on a user, member,
//!   session, key or invitation model, establishes who the caller is or
//!   which tenant they act in; it cannot be scoped by a tenant not yet
//!   known. (`customers WHERE email = ?` is not one.)

use std::collections::BTreeSet;

use regex::Regex;

use crate::tenancy::Tenancy;

/// Why a query without the tenant key is scoped all the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scoped {
    Caller,
    /// Through `key`, compared with a row held in `holder`.
    Parent {
        key: String,
        holder: String,
    },
    Identity(String),
}

pub struct Scopes {
    /// Tenant-owned models and tables, normalised ([`norm`]), singular.
    parents: BTreeSet<String>,
    /// The tenant's keys (`workspace`, `workspaceid`, `org_id`), lower case.
    tenant_words: BTreeSet<String>,
    caller: Regex,
}

const CALLER_KEYS: &[&str] = &[
    "user",
    "owner",
    "member",
    "createdby",
    "author",
    "actor",
    "requester",
    "profile",
];

/// Keys that name who someone is, on [`IDENTITY_MODELS`].
const IDENTITY_KEYS: &[&str] = &[
    "email",
    "username",
    "login",
    "apikey",
    "code",
    "otp",
    "domain",
    "externalid",
    "provideraccountid",
    "clientid",
    "identity",
];

/// Models (normalised name fragments) that hold who someone is.
const IDENTITY_MODELS: &[&str] = &[
    "user",
    "member",
    "session",
    "token",
    "apikey",
    "key",
    "invit",
    "verification",
    "credential",
    "oauth",
    "passkey",
    "domain",
    "identity",
];

impl Scopes {
    pub fn new(tenancy: &Tenancy) -> Scopes {
        let mut parents = BTreeSet::new();
        let mut tenant_words = BTreeSet::new();
        for model in tenancy.models.values() {
            parents.insert(norm(&model.name));
            tenant_words.extend(model.keys.iter().map(|k| k.to_ascii_lowercase()));
        }
        for table in tenancy.tables.keys() {
            let t = norm(table);
            parents.insert(singular(&t));
            parents.insert(t);
        }
        Scopes {
            parents,
            tenant_words,
            caller: Regex::new(
                r"request\.user\b|\bcurrent_?user\b|(?i:currentUser)|self\.user\b|info\.context\.user|\bctx\.(?:session\.)?user\b|\bsession\.user\b|\bsession\?\.user\b|auth_subject|\bg\.user\b|\breq\.user\b|\buser\.id\b|\buserId\s*[,}\n]|:\s*userId\b|\bviewer\b",
            )
            .expect("a valid pattern"),
        }
    }

    /// Whether filtering on `keys` (as written: `issue__project_id`,
    /// `partnerId_programId`, `customer_id`) in `text` keeps other
    /// tenants out; `own` is the queried model or table, which is not its
    /// own parent.
    pub fn scoped(
        &self,
        keys: &[String],
        text: &str,
        own: &str,
        defined: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Scoped> {
        let own = norm(own);
        let own = [singular(&own), own];
        let names: Vec<(String, String)> = keys
            .iter()
            .flat_map(|k| parts(k).into_iter().map(move |p| (k.clone(), p)))
            .collect();
        if names.iter().any(|(_, n)| CALLER_KEYS.contains(&n.as_str()))
            && self.caller.is_match(text)
        {
            return Some(Scoped::Caller);
        }
        if let Some((key, holder)) = names.iter().find_map(|(key, n)| {
            (!own.contains(n) && self.parents.contains(n))
                .then(|| self.loaded(key, text, defined).map(|h| (key, h)))
                .flatten()
        }) {
            return Some(Scoped::Parent {
                key: key.clone(),
                holder,
            });
        }
        let identity_model = IDENTITY_MODELS.iter().any(|m| own[1].contains(m));
        names
            .iter()
            .find(|(_, n)| {
                ["token", "hash", "digest", "secret"]
                    .iter()
                    .any(|s| n.ends_with(s))
                    || n == "domain"
                    || (identity_model && IDENTITY_KEYS.contains(&n.as_str()))
            })
            .map(|(key, _)| Scoped::Identity(key.clone()))
    }
}

impl Scopes {
    /// Whether `key` is compared in `text` with a row the code holds: an
    /// object (`page=instance`, Django's foreign key by object) or its id
    /// (`invoice.id`, `self.invoice_id`), or an id variable the file
    /// derives from the tenant or the caller (`const programId =
    /// defaultProgramId(workspace)`); not with a bare id from elsewhere or
    /// the request. The variable that holds the row.
    fn loaded(
        &self,
        key: &str,
        text: &str,
        defined: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        let key_re = regex::escape(key);
        let compared = Regex::new(&format!(r"\b{key_re}\s*(?:==|=|:)\s*([\w.]+)")).ok()?;
        let shorthand = Regex::new(&format!(r"[{{,]\s*{key_re}\s*[,}}]")).ok()?;
        let mut values: Vec<String> = compared
            .captures_iter(text)
            .map(|c| c[1].to_string())
            .collect();
        if shorthand.is_match(text) {
            values.push(key.to_string());
        }
        values.into_iter().find_map(|value| {
            let from_request = [
                "request.", "req.", "params", "kwargs", "args", "input", "body", "query",
            ]
            .iter()
            .any(|r| value.contains(r));
            if from_request || value.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return None;
            }
            let holder = value.strip_prefix("self.").unwrap_or(&value);
            let holder = holder.split('.').next().unwrap_or(holder).to_string();
            let is_loaded = if value.contains('.') {
                is_id(&value)
            } else if !is_id(key) && !is_id(&value) {
                true
            } else {
                defined(&value).is_some_and(|d| self.from_tenant(&d))
            };
            is_loaded.then_some(holder)
        })
    }

    /// Whether a variable's definition derives it from the tenant or the
    /// caller.
    fn from_tenant(&self, definition: &str) -> bool {
        self.caller.is_match(definition)
            || definition
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| self.tenant_words.contains(&w.to_ascii_lowercase()))
    }
}

fn is_id(v: &str) -> bool {
    let last = v.rsplit('.').next().unwrap_or(v).to_ascii_lowercase();
    last == "id" || last == "pk" || last.ends_with("id")
}

/// The names inside a filter key, normalised, with the `id` that marks a
/// foreign key taken off: `issue__project_id` gives `issue` and
/// `project`, `partnerId_programId` gives `partner` and `program`.
fn parts(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in key.split("__") {
        // Prisma's compound unique keys join camelCase fields with `_`.
        let pieces: Vec<&str> = if part.contains("Id_") {
            part.split('_').collect()
        } else {
            vec![part]
        };
        for piece in pieces {
            let n = norm(piece);
            let n = n
                .strip_suffix("id")
                .filter(|s| s.len() > 1)
                .unwrap_or(&n)
                .to_string();
            let n = n
                .strip_suffix("pk")
                .filter(|s| s.len() > 1)
                .map(str::to_string)
                .unwrap_or(n);
            out.push(n);
        }
    }
    out
}

/// Lower case without `_`: `ProgramEnrollment`, `program_enrollment` and
/// `programEnrollment` are one name.
fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = name.strip_suffix("ses") {
        format!("{stem}s")
    } else {
        name.strip_suffix('s').unwrap_or(name).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::{Model, Orm, Tenancy};

    fn tenancy(models: &[&str]) -> Tenancy {
        let mut t = Tenancy::default();
        for name in models {
            t.models.insert(
                (0, name.to_string()),
                Model {
                    orm: Orm::Django,
                    name: name.to_string(),
                    keys: vec!["workspace".into()],
                    default_scope: None,
                    origin: String::new(),
                },
            );
        }
        t
    }

    #[allow(non_snake_case)]
    fn S(s: &Scopes, keys: &[String], text: &str, own: &str) -> Option<Scoped> {
        s.scoped(keys, text, own, &|name| {
            (name == "programId").then(|| "getDefaultProgramIdOrThrow(workspace)".to_string())
        })
    }

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_caller_scopes_only_when_the_value_is_the_caller() {
        let s = Scopes::new(&tenancy(&["APIToken"]));
        assert_eq!(
            S(
                &s,
                &keys(&["user", "pk"]),
                "APIToken.objects.get(user=request.user, pk=pk)",
                "APIToken"
            ),
            Some(Scoped::Caller)
        );
        assert_eq!(
            S(
                &s,
                &keys(&["user_id"]),
                "Pref.objects.get(user_id=mention_id)",
                "Pref"
            ),
            None
        );
        assert_eq!(
            S(
                &s,
                &keys(&["userId"]),
                "prisma.x.findMany({ where: { userId, } })",
                "x"
            ),
            Some(Scoped::Caller)
        );
    }

    #[test]
    fn a_tenant_owned_parent_scopes_but_the_row_itself_does_not() {
        let s = Scopes::new(&tenancy(&[
            "Page",
            "PageLabel",
            "Invoice",
            "LineItem",
            "ProgramEnrollment",
            "Program",
        ]));
        let p = |k: &[&str], text, own| S(&s, &keys(k), text, own);
        assert_eq!(
            p(
                &["page"],
                "PageLabel.objects.filter(page=instance)",
                "PageLabel"
            ),
            Some(Scoped::Parent {
                key: "page".into(),
                holder: "instance".into()
            })
        );
        assert_eq!(
            p(
                &["invoice_id"],
                "LineItem.objects.filter(invoice_id=invoice.id)",
                "LineItem"
            ),
            Some(Scoped::Parent {
                key: "invoice_id".into(),
                holder: "invoice".into()
            })
        );
        assert_eq!(
            p(
                &["programId"],
                "prisma.x.findMany({ where: { programId: program.id } })",
                "ProgramEnrollment"
            ),
            Some(Scoped::Parent {
                key: "programId".into(),
                holder: "program".into()
            })
        );
        assert_eq!(
            p(
                &["invoice_id"],
                "LineItem.objects.filter(invoice_id=invoice_id)",
                "LineItem"
            ),
            None,
            "a parent id from the request scopes nothing"
        );
        assert_eq!(
            p(
                &["project_id"],
                "X.objects.filter(project_id=request.GET['p'])",
                "X"
            ),
            None
        );
        assert_eq!(
            p(
                &["programId"],
                "prisma.x.findMany({ where: { programId } })",
                "ProgramEnrollment"
            ),
            Some(Scoped::Parent {
                key: "programId".into(),
                holder: "programId".into()
            }),
            "an id the file derives from the workspace"
        );
        assert_eq!(
            p(
                &["invoiceId"],
                "prisma.x.findMany({ where: { invoiceId } })",
                "LineItem"
            ),
            None,
            "an id from elsewhere"
        );
        assert_eq!(p(&["id"], "Page.objects.get(id=page.id)", "Page"), None);
        assert_eq!(
            p(&["page_id"], "Page.objects.get(page_id=other.id)", "Page"),
            None,
            "a row is not its own parent"
        );
    }

    #[test]
    fn identity_lookups_establish_the_tenant() {
        let s = Scopes::new(&tenancy(&[]));
        for key in [
            "token_hash",
            "hashedToken",
            "api_key_digest",
            "secret",
            "domain",
        ] {
            assert_eq!(
                S(&s, &keys(&[key]), "", "Share"),
                Some(Scoped::Identity(key.into())),
                "{key}"
            );
        }
        for (key, model) in [
            ("email", "User"),
            ("username", "users"),
            ("domain", "EmailDomain"),
            ("code", "Invitation"),
        ] {
            assert_eq!(
                S(&s, &keys(&[key]), "", model),
                Some(Scoped::Identity(key.into())),
                "{key} on {model}"
            );
        }
        assert_eq!(S(&s, &keys(&["email"]), "", "customers"), None);
        assert_eq!(S(&s, &keys(&["name"]), "", "User"), None);
    }
}
