//! The route rules, the same for every framework: who can reach a route,
//! whether a privileged one checks a role, whether login and password
//! reset are rate-limited, whether privileged actions are audited.

use std::sync::LazyLock;

use regex::Regex;
use shipready_sdk::prelude::*;

use crate::facts::code_only;
use crate::routes::{GuardKind, GuardNames, Route};
use crate::rules;

/// Paths that are public by design: health checks, sign-in and sign-up,
/// password reset, public pages and APIs.
static PUBLIC_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        ^/?$
        | (^|/)(health|healthz|healthcheck|livez|readyz|ready|ping|up|status)/?$
        | (^|/)(login|logout|signin|sign_in|sign-in|signup|sign_up|sign-up|register|session|sessions|token|callback)(/|$)
        | (forgot|reset)[-_]?password | password[-_/]?(reset|forgot|new)
        | (^|/)reset(/|$) | (^|/)passwords?/?$
        | (^|/)(public|docs|pricing|landing|about|terms|privacy)(/|$)
        | \[\.\.\.nextauth\]
        | (^|/)\.well-known/",
    )
    .expect("valid")
});
/// Webhooks are public when their handler verifies the sender's signature.
static WEBHOOK_PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)webhook|(^|/)hooks?(/|$)").expect("valid"));
pub static VERIFIES_SIGNATURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)construct_?event|signature|hmac|compare_digest|timingSafeEqual|secure_compare|verify_webhook")
        .expect("valid")
});
/// Paths for staff only: administration, internal tools, impersonation,
/// roles and permissions, exports of every user.
pub static PRIVILEGED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (^|/)(admin|admins|internal|staff|manage|management|backoffice|back-office|superuser|sudo|ops)(/|$)
        | impersonat
        | (^|/)(roles?|permissions?)(/|$)
        | (^|/)users?/export | (^|/)export/users?(/|$)",
    )
    .expect("valid")
});
/// A path segment that names one record (`:id`, `:project_id`, `{pk}`,
/// `<int:pk>`, `[projectId]`): a route declared public that serves a
/// record by its id is still judged.
static RECORD_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|/)(?::|\{|<(?:\w+:)?|\[)\w*(?:id|pk)(?:[}>\]]|/|$)").expect("valid")
});
/// Privileged actions that should leave an audit entry.
static PRIVILEGED_ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)impersonat|(^|/)(roles?|permissions?)(/|$)|/users?/.*(delete|ban|suspend)")
        .expect("valid")
});
static USER_RECORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(^|/)(users|accounts)/[^/]+/?$").expect("valid"));
static AUDIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)audit").expect("valid"));
/// Sign-in and password-reset endpoints, which attackers hammer.
static CREDENTIAL_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (^|/)(login|signin|sign_in|sign-in|session|sessions|token)(/|$)
        | (forgot|reset)[-_]?password | password[-_/]?(reset|forgot)
        | (^|/)reset(/|$) | (^|/)passwords?/?$ | \[\.\.\.nextauth\]",
    )
    .expect("valid")
});
/// Checks made inside a handler.
pub static BODY_AUTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(getServerSession|getSession|auth|currentUser|getAuth|requireUser|getUser|verifyToken|getToken)\(")
        .expect("valid")
});
/// A Python hook or view that reads the signed-in user.
pub static BODY_AUTH_PY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"current_user|g\.user|request\.user|session\[").expect("valid"));
pub static BODY_ROLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\.role\s*[!=]==?|has_?role|is_?admin|is_staff|is_superuser|roles\.includes|\.can\(|authorize[!(]|has_?perm(ission)?s?\(|check_?permission"#)
        .expect("valid")
});
static BODY_RATE_LIMIT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)rate[-_]?limit|limiter|throttl").expect("valid"));

/// What protects a route, all things considered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Protection {
    pub auth: bool,
    pub role: bool,
    pub rate_limit: bool,
    /// The checks found inside the handler, for the inventory.
    pub in_handler: Option<&'static str>,
}

/// `body` is the handler's code without its comments.
fn protection(route: &Route, body: &str, names: &GuardNames) -> Protection {
    let mut p = Protection::default();
    for guard in &route.guards {
        match names.kind(guard) {
            GuardKind::RateLimit => p.rate_limit = true,
            GuardKind::Role => {
                p.role = true;
                p.auth = true;
            }
            GuardKind::Auth => p.auth = true,
            GuardKind::Public | GuardKind::Other => {}
        }
    }
    let calls = |names: &[String]| names.iter().any(|n| body.contains(&format!("{n}(")));
    if BODY_AUTH.is_match(body) || calls(&names.auth) {
        p.auth = true;
        p.in_handler = Some("a session check in the handler");
    }
    if calls(&names.role) || (p.auth && BODY_ROLE.is_match(body)) {
        p.auth = true;
        p.role = true;
        p.in_handler = Some("a role check in the handler");
    }
    if BODY_RATE_LIMIT.is_match(body) {
        p.rate_limit = true;
        p.in_handler.get_or_insert("a rate limit in the handler");
    }
    p
}

fn python(route: &Route) -> bool {
    route.file.ends_with(".py")
}

fn mutating(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "ANY")
}

/// The route's name in messages: `POST /admin/users/:id/impersonate`.
pub fn name(route: &Route) -> String {
    format!("{} {}", route.method, route.path)
}

/// The guards that authenticate, check a role or limit the rate, as
/// written (their first line); other middleware is left out.
fn guards_text(route: &Route, names: &GuardNames, p: &Protection) -> String {
    let mut shown: Vec<String> = route
        .guards
        .iter()
        .filter(|g| names.kind(g) != GuardKind::Other)
        .map(|g| {
            let line = g.lines().next().unwrap_or("").trim();
            if line.len() > 80 {
                format!("{}...", &line[..line.floor_char_boundary(80)])
            } else {
                line.to_string()
            }
        })
        .collect();
    shown.dedup();
    shown.extend(p.in_handler.map(str::to_string));
    if shown.is_empty() {
        "no guard".to_string()
    } else {
        format!("guards: {}", shown.join(", "))
    }
}

/// Routes listed in the inventory, at most: findings are capped per check
/// (10,000 by default) and the rules' findings come first.
pub const MAX_LISTED: usize = 5_000;

/// Reports the route rules for every route, and lists the route itself;
/// what protects each route, in order.
pub fn judge(cx: &mut Cx<'_>, routes: &[Route], names: &GuardNames) -> Vec<Protection> {
    let mut protections = Vec::with_capacity(routes.len());
    if routes.len() > MAX_LISTED {
        cx.report(Finding::new(
            &rules::ROUTE,
            format!(
                "{} routes: the first {MAX_LISTED} are listed, {} more are judged but not listed",
                routes.len(),
                routes.len() - MAX_LISTED
            ),
        ));
    }
    for (n, route) in routes.iter().enumerate() {
        let body = code_only(&route.handler, python(route));
        let p = protection(route, &body, names);
        protections.push(p);
        let guards = guards_text(route, names, &p);
        let path = route.path.as_str();
        let webhook = WEBHOOK_PATH.is_match(path);
        let signed_webhook = webhook && VERIFIES_SIGNATURE.is_match(&body);
        let privileged = PRIVILEGED_PATH.is_match(path);
        // An action the code declares public (`skip_before_action
        // :authenticate_user!`, `@Public()`, `AllowAny`) is public, unless
        // it is privileged or serves one record by its id.
        let declared = route
            .guards
            .iter()
            .find(|g| names.kind(g) == GuardKind::Public)
            .map(|g| g.lines().next().unwrap_or("").trim());
        let declared_public = declared.is_some() && !privileged && !RECORD_ID.is_match(path);
        let public =
            (PUBLIC_PATH.is_match(path) && !privileged) || signed_webhook || declared_public;
        let at = |f: Finding| f.at_line(route.file.clone(), route.line);
        let status = if p.role {
            "role-checked".to_string()
        } else if p.auth {
            "authenticated".to_string()
        } else if signed_webhook {
            "public (a webhook that checks its signature)".to_string()
        } else if let Some(declared) = declared.filter(|_| declared_public) {
            format!("public (declared: {declared})")
        } else if public {
            "public by design".to_string()
        } else {
            "open".to_string()
        };
        if n < MAX_LISTED {
            cx.report(
                at(Finding::new(
                    &rules::ROUTE,
                    format!(
                        "{} ({}): {status}; {}{}",
                        name(route),
                        route.framework,
                        guards,
                        route
                            .handler_at
                            .as_ref()
                            .map_or(String::new(), |(f, l)| format!("; handler {f}:{l}"))
                    ),
                ))
                .fingerprint(name(route)),
            );
        }
        if !p.auth && !public {
            let why = if webhook {
                "a webhook whose handler verifies no signature".to_string()
            } else if privileged {
                "a privileged route".to_string()
            } else if let Some(declared) = declared {
                format!("declared public by `{declared}`, but it serves one record by its id")
            } else {
                "not a public path".to_string()
            };
            cx.report(
                at(Finding::new(
                    &rules::UNAUTHENTICATED,
                    format!(
                        "{} is reachable without authentication ({why}; {})",
                        name(route),
                        guards
                    ),
                ))
                .severity(if mutating(&route.method) || privileged {
                    Severity::High
                } else {
                    Severity::Medium
                })
                .evidence(name(route))
                .fingerprint(name(route)),
            );
        } else if privileged && p.auth && !p.role {
            cx.report(
                at(Finding::new(
                    &rules::UNPRIVILEGED_ADMIN,
                    format!(
                        "{} is privileged but any signed-in user can call it ({})",
                        name(route),
                        guards
                    ),
                ))
                .evidence(name(route))
                .fingerprint(name(route)),
            );
        }
        let credential = CREDENTIAL_PATH.is_match(path)
            && !matches!(route.method.as_str(), "GET" | "HEAD" | "OPTIONS");
        if credential && !p.rate_limit {
            cx.report(
                at(Finding::new(
                    &rules::RATE_LIMIT,
                    format!(
                        "{} takes credentials or reset requests with no rate limit ({})",
                        name(route),
                        guards
                    ),
                ))
                .evidence(name(route))
                .fingerprint(name(route)),
            );
        }
        let action = PRIVILEGED_ACTION.is_match(path)
            || (route.method == "DELETE" && USER_RECORD.is_match(path));
        if action && mutating(&route.method) && !AUDIT.is_match(&body) {
            cx.report(
                at(Finding::new(
                    &rules::AUDIT_LOG,
                    format!(
                        "{} changes who can do what, and its handler writes no audit entry",
                        name(route)
                    ),
                ))
                .evidence(name(route))
                .fingerprint(name(route)),
            );
        }
    }
    protections
}
