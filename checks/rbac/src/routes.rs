//! The route inventory the framework readers fill, and what a guard is.
//!
//! A reader records every route it can see with the guards that run before
//! its handler, as written (`requireAuth`, `Depends(require_admin)`,
//! `@login_required`, `LoginRequiredMixin`), and the handler's text. Which
//! guards authenticate, which check a role and which limit the rate is
//! decided once, here, from their names and the configured ones.

use std::sync::LazyLock;

use regex::Regex;

use crate::facts::{Item, first_line};

/// One HTTP route.
#[derive(Debug, Clone)]
pub struct Route {
    pub framework: &'static str,
    /// Upper case (`GET`), or `ANY` when every method reaches it.
    pub method: String,
    /// The full path, prefixes and mount points included, as written in the
    /// framework's syntax (`/admin/users/:id`, `/items/{item_id}`).
    pub path: String,
    /// Where the route is declared.
    pub file: String,
    pub line: u32,
    /// Guards in the order they run: app-wide, router, route.
    pub guards: Vec<String>,
    /// The handler's source, for checks made inside it (`await auth()`,
    /// `has_role`, an audit call, a signature check).
    pub handler: String,
    /// Where the handler is defined, when not at the declaration (a named
    /// function, a view, a controller action).
    pub handler_at: Option<(String, u32)>,
}

/// Code that registers routes in a way the check cannot follow (a loop
/// over a table, a computed path or method).
#[derive(Debug, Clone)]
pub struct Dynamic {
    pub framework: &'static str,
    pub file: String,
    pub line: u32,
    pub code: String,
}

/// A route declaration a reader saw but could not resolve to its handler
/// (a Rails controller that is not in the repository): its guards are
/// unknown, so it is neither protected nor open.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub framework: &'static str,
    pub file: String,
    pub line: u32,
    /// `GET /reports`.
    pub route: String,
    pub reason: String,
}

/// What the readers found.
#[derive(Debug, Default)]
pub struct Inventory {
    pub routes: Vec<Route>,
    pub dynamic: Vec<Dynamic>,
    pub unresolved: Vec<Unresolved>,
    /// Frameworks seen in the repository, for the not-applicable reason and
    /// the log.
    pub frameworks: Vec<&'static str>,
}

impl Inventory {
    /// Code at `item` registers routes the check cannot follow.
    pub fn cannot_follow(&mut self, framework: &'static str, file: &str, item: &Item<'_>) {
        self.dynamic.push(Dynamic {
            framework,
            file: file.to_string(),
            line: item.line(),
            code: first_line(&item.node.text),
        });
    }

    /// Per framework read: the route declarations seen (routes, code that
    /// registers routes at run time, unresolved declarations) and how many
    /// of them became routes with known guards.
    pub fn coverage(&self) -> Vec<(&'static str, usize, usize)> {
        self.frameworks
            .iter()
            .map(|&f| {
                let resolved = self.routes.iter().filter(|r| r.framework == f).count();
                let other = self.dynamic.iter().filter(|d| d.framework == f).count()
                    + self.unresolved.iter().filter(|u| u.framework == f).count();
                (f, resolved + other, resolved)
            })
            .collect()
    }

    pub fn saw(&mut self, framework: &'static str) {
        if !self.frameworks.contains(&framework) {
            self.frameworks.push(framework);
        }
    }
}

/// What a guard does, judged by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardKind {
    /// Declares the route public (`@Public()`, `AllowAny`, `permitAll()`):
    /// shown in the inventory, protects nothing.
    Public,
    RateLimit,
    Role,
    Auth,
    Other,
}

/// The configured guard names on top of the built-in vocabulary.
#[derive(Debug, Clone, Default)]
pub struct GuardNames {
    pub auth: Vec<String>,
    pub role: Vec<String>,
}

static RATE_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)rate[-_]?limit|limiter|throttl|\.limit\(|slow_?down").expect("valid")
});
static ROLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)role|admin|permission|staff|superuser|authori[sz]|privilege|policy|PreAuthorize|Secured|user_passes_test|can_|access_control",
    )
    .expect("valid")
});
static AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)auth|login|logged_?in|signed_?in|current_?user|require_?user|session|jwt|bearer|token|passport|protect|IsAuthenticated|clerk|guard",
    )
    .expect("valid")
});
static DECLARED_PUBLIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)AllowAny|^@?Public\(|permitAll|AllowAnonymous|login_not_required|^skip_before_action ")
        .expect("valid")
});
static NOT_A_GUARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)optional|get_db|csrf|^(session|cookieSession|cookieParser|cors|helmet|morgan|compression|bodyParser|express\.\w+)\(",
    )
    .expect("valid")
});

impl GuardNames {
    pub fn kind(&self, guard: &str) -> GuardKind {
        let named = |names: &[String]| {
            names.iter().any(|n| {
                guard
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| w == n)
            })
        };
        if DECLARED_PUBLIC.is_match(guard) {
            GuardKind::Public
        } else if RATE_LIMIT.is_match(guard) {
            GuardKind::RateLimit
        } else if named(&self.role) {
            GuardKind::Role
        } else if named(&self.auth) {
            GuardKind::Auth
        } else if NOT_A_GUARD.is_match(guard) {
            GuardKind::Other
        } else if ROLE.is_match(guard) {
            GuardKind::Role
        } else if AUTH.is_match(guard) {
            GuardKind::Auth
        } else {
            GuardKind::Other
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_are_known_by_their_names() {
        let names = GuardNames {
            auth: vec!["ensureLoggedIn".into()],
            role: vec!["needs_boss".into()],
        };
        for (guard, kind) in [
            ("requireAuth", GuardKind::Auth),
            ("Depends(get_current_user)", GuardKind::Auth),
            ("login_required", GuardKind::Auth),
            ("ensureLoggedIn()", GuardKind::Auth),
            ("requireRole('admin')", GuardKind::Role),
            ("Depends(require_admin)", GuardKind::Role),
            ("roles_required(\"staff\")", GuardKind::Role),
            ("needs_boss", GuardKind::Role),
            ("authLimiter", GuardKind::RateLimit),
            ("limiter.limit(\"5/minute\")", GuardKind::RateLimit),
            ("Depends(get_db)", GuardKind::Other),
            ("optionalUser", GuardKind::Other),
            ("express.json()", GuardKind::Other),
            ("Public()", GuardKind::Public),
            ("SecurityFilterChain permitAll() (open)", GuardKind::Public),
        ] {
            assert_eq!(names.kind(guard), kind, "{guard}");
        }
    }
}
