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
//! - **identity**: a lookup by a token, its digest or a secret (any
//!   model), or by email, username, code or domain on a user, member,
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
        for model in tenancy.models.values() {
            parents.insert(norm(&model.name));
        }
        for table in tenancy.tables.keys() {
            let t = norm(table);
            parents.insert(singular(&t));
            parents.insert(t);
        }
        Scopes {
            parents,
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
    pub fn scoped(&self, keys: &[String], text: &str, own: &str) -> Option<Scoped> {
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
                .then(|| loaded(key, text).map(|h| (key, h)))
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
                    || (identity_model && IDENTITY_KEYS.contains(&n.as_str()))
            })
            .map(|(key, _)| Scoped::Identity(key.clone()))
    }
}

/// Whether `key` is compared in `text` with a row the code holds: an
/// object (`page=instance`, Django's foreign key by object) or its id
/// (`invoice.id`, `self.invoice_id`), not with a bare id or the request;
/// the variable that holds the row.
fn loaded(key: &str, text: &str) -> Option<String> {
    let pattern = format!(r"\b{}\s*(?:==|=|:)\s*([\w.]+)", regex::escape(key));
    let pattern = Regex::new(&pattern).ok()?;
    pattern.captures_iter(text).find_map(|c| {
        let value = &c[1];
        let from_request = [
            "request.", "req.", "params", "kwargs", "args", "input", "body", "query",
        ]
        .iter()
        .any(|r| value.contains(r));
        let is_id = |v: &str| {
            let last = v.rsplit('.').next().unwrap_or(v).to_ascii_lowercase();
            last == "id" || last == "pk" || last.ends_with("_id") || last.ends_with("id")
        };
        let is_loaded = !from_request
            && !value.chars().next().is_some_and(|c| c.is_ascii_digit())
            && if value.contains('.') {
                is_id(value)
            } else {
                !is_id(key) && !is_id(value)
            };
        let holder = value.strip_prefix("self.").unwrap_or(value);
        let holder = holder.split('.').next().unwrap_or(holder);
        is_loaded.then(|| holder.to_string())
    })
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

    fn keys(k: &[&str]) -> Vec<String> {
        k.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_caller_scopes_only_when_the_value_is_the_caller() {
        let s = Scopes::new(&tenancy(&["APIToken"]));
        assert_eq!(
            s.scoped(
                &keys(&["user", "pk"]),
                "APIToken.objects.get(user=request.user, pk=pk)",
                "APIToken"
            ),
            Some(Scoped::Caller)
        );
        assert_eq!(
            s.scoped(
                &keys(&["user_id"]),
                "Pref.objects.get(user_id=mention_id)",
                "Pref"
            ),
            None
        );
        assert_eq!(
            s.scoped(
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
        let p = |k: &[&str], text, own| s.scoped(&keys(k), text, own);
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
        for key in ["token_hash", "hashedToken", "api_key_digest", "secret"] {
            assert_eq!(
                s.scoped(&keys(&[key]), "", "Share"),
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
                s.scoped(&keys(&[key]), "", model),
                Some(Scoped::Identity(key.into())),
                "{key} on {model}"
            );
        }
        assert_eq!(s.scoped(&keys(&["email"]), "", "customers"), None);
        assert_eq!(s.scoped(&keys(&["name"]), "", "User"), None);
    }
}
