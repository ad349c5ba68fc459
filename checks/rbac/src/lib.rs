//! Built-in check `rbac`: every route is authenticated, privileged routes
//! check a role, and authentication is done right.
//!
//! 1. The host parses the source (one tree-sitter query per language,
//!    [`facts`]); the framework readers turn what it found into a route
//!    inventory with the guards in front of each route: Express and Koa
//!    ([`express`]), Fastify ([`fastify`]), Next.js ([`nextjs`]), NestJS
//!    ([`nestjs`]), Flask and FastAPI ([`python`]), Django and DRF
//!    ([`django`]), Rails ([`rails`]), gin, echo, chi and `net/http`
//!    ([`go`]), Spring ([`spring`]).
//! 2. The route rules are judged the same way for every framework
//!    ([`judge`]): unauthenticated routes, privileged routes without a role
//!    check, login and reset without rate limiting, privileged actions
//!    without an audit entry. Each route is listed (`rbac/route`, info),
//!    which puts the inventory in every report format.
//! 3. The authentication mistakes are found with one native search
//!    ([`hardening`]): fast password hashes, CSRF off, CORS with
//!    credentials from any origin, unverified JWTs, insecure session
//!    cookies.
//!
//! 4. With `--url`, the privileged routes are requested without
//!    credentials on the live application ([`live`]): a `200` with content
//!    is a confirmed exposure.
//!
//! Routes the check cannot read (registered in a loop, or in a framework
//! it does not read yet) are reported as such, at low severity: they are
//! never counted as protected.
//!
//! Parsing is the cost: one native search first finds which language
//! families import a web framework (or hold route files such as
//! `config/routes.rb`, `urls.py`, `app/**/route.ts`); only those are
//! parsed. In a change-limited run (`--since`), a change with no source or
//! configuration file costs nothing.
//!
//! Settings: `auth_guards` and `role_guards`, lists of function,
//! decorator, middleware or class names that authenticate or check a
//! role, on top of the names recognised by default.

mod django;
mod express;
mod facts;
mod fastify;
mod go;
mod hardening;
mod judge;
mod live;
mod nestjs;
mod nextjs;
mod python;
mod rails;
mod routes;
pub mod rules;
mod spring;

use std::collections::BTreeSet;

use shipready_sdk::Level;
use shipready_sdk::prelude::*;
use shipready_sdk::syntax::Answer;

use facts::Facts;
use routes::{GuardNames, Inventory};

/// The check; `export!` makes it the component's `check` export.
pub struct Rbac;

impl Check for Rbac {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "rbac",
            env!("CARGO_PKG_VERSION"),
            "Access control",
            "Routes reachable without authentication, privileged routes without a role check, and authentication done wrong.",
        )
        .capabilities(&[
            Capability::Repo,
            Capability::Search,
            Capability::Syntax,
            Capability::Http,
        ])
        .rules(rules::ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let names = GuardNames {
            auth: cx.context().names("auth_guards")?.unwrap_or_default(),
            role: cx.context().names("role_guards")?.unwrap_or_default(),
        };
        // A change with no source or configuration file in it can hold no
        // route or authentication mistake: nothing to parse. Otherwise the
        // whole repository is read (mounts and guards are repository-wide)
        // and only findings in the changed files count.
        if let Some(changed) = &cx.context().changed_files {
            let relevant = changed.iter().any(|p| {
                shipready_sdk::syntax::Language::of_path(p).is_some()
                    || hardening::GLOBS
                        .iter()
                        .any(|g| p.ends_with(g.trim_start_matches('*')))
                    || p.ends_with("pom.xml")
                    || p.contains("build.gradle")
            });
            if !relevant {
                cx.log(Level::Info, "no source or configuration file in the change");
                return Ok(());
            }
        }
        let globs = families_in_use(cx)?;
        let answer = if globs.is_empty() {
            cx.log(Level::Info, "no web framework imported: no source parsed");
            Answer::default()
        } else {
            cx.query_syntax(&globs, &facts::queries())?
        };
        let facts = Facts::new(&answer);
        let paths: BTreeSet<String> = cx
            .paths(facts::GLOBS)?
            .into_iter()
            .map(|f| f.path)
            .collect();
        let django = django_settings(cx)?;
        let mut inventory = Inventory::default();
        express::read(&facts, &paths, &mut inventory);
        fastify::read(&facts, &paths, &mut inventory);
        nextjs::read(&facts, &mut inventory);
        nestjs::read(&facts, &names, &mut inventory);
        python::read(&facts, &mut inventory);
        django::read(&facts, &django, &mut inventory);
        rails::read(&facts, &names, &rack_attack(cx)?, &mut inventory);
        go::read(&facts, &mut inventory);
        let spring_security = !cx
            .search(
                &[Pattern::new(0, "spring-boot-starter-security")],
                &["pom.xml", "build.gradle", "build.gradle.kts"],
            )?
            .hits
            .is_empty();
        spring::read(&facts, spring_security, &mut inventory);
        // Routes in tests, docs and examples are not the application's
        // (a test server, a sample app): set aside, counted in the log.
        let declared = inventory.routes.len();
        let production = |file: &str| !ignored(file) && cx.not_production(file).is_none();
        inventory.routes.retain(|r| production(&r.file));
        inventory.dynamic.retain(|d| production(&d.file));
        if inventory.routes.len() < declared {
            cx.log(
                Level::Info,
                &format!(
                    "{} routes in tests, docs or examples set aside",
                    declared - inventory.routes.len()
                ),
            );
        }
        inventory
            .routes
            .sort_by(|a, b| (&a.file, a.line, &a.method).cmp(&(&b.file, b.line, &b.method)));
        cx.log(
            Level::Info,
            &format!(
                "{} routes ({}), {} files parsed",
                inventory.routes.len(),
                inventory.frameworks.join(", "),
                answer.files.len()
            ),
        );
        let protections = judge::judge(cx, &inventory.routes, &names);
        live::confirm(cx, &inventory.routes);
        for d in &inventory.dynamic {
            cx.report(
                Finding::new(
                    &rules::DYNAMIC,
                    format!(
                        "{} routes are registered at run time here: the check cannot see their paths or guards",
                        d.framework
                    ),
                )
                .at_line(d.file.clone(), d.line)
                .evidence(d.code.clone())
                .fingerprint(d.code.clone()),
            );
        }
        for u in &inventory.unresolved {
            cx.report(
                Finding::new(
                    &rules::ROUTE,
                    format!("{} ({}): not followed, {}", u.route, u.framework, u.reason),
                )
                .at_line(u.file.clone(), u.line)
                .fingerprint(format!("unresolved {}", u.route)),
            );
        }
        coverage(cx, &inventory);
        role_model(cx, &inventory, &protections);
        unread_frameworks(cx, &inventory)?;
        partial_parses(cx, &answer, &inventory);
        hardening::run(cx, &facts)?;
        if inventory.routes.is_empty()
            && inventory.dynamic.is_empty()
            && inventory.unresolved.is_empty()
        {
            for rule in [
                &rules::UNAUTHENTICATED,
                &rules::UNPRIVILEGED_ADMIN,
                &rules::NO_ROLE_MODEL,
                &rules::RATE_LIMIT,
                &rules::AUDIT_LOG,
            ] {
                cx.not_applicable(rule, "no HTTP routes found");
            }
        }
        Ok(())
    }
}

shipready_sdk::export!(Rbac);

/// Vendored and generated code is not the application's routes.
fn ignored(path: &str) -> bool {
    path.split('/').any(|part| {
        matches!(
            part,
            "node_modules"
                | "vendor"
                | "dist"
                | "build"
                | ".next"
                | ".venv"
                | "venv"
                | "site-packages"
        )
    })
}

/// The globs of the language families where a web framework shows (one
/// native search and a listing): the others are not parsed.
fn families_in_use(cx: &Cx<'_>) -> Result<Vec<&'static str>> {
    let patterns: Vec<Pattern> = facts::FAMILIES
        .iter()
        .enumerate()
        .map(|(i, f)| Pattern::new(i as u32, f.marker))
        .collect();
    let hits = cx.search(&patterns, facts::GLOBS)?;
    let mut globs = Vec::new();
    for (i, family) in facts::FAMILIES.iter().enumerate() {
        let marked = hits
            .hits
            .iter()
            .any(|h| h.pattern == i as u32 && !ignored(&h.path));
        let routes = !family.route_files.is_empty()
            && cx
                .paths(family.route_files)?
                .iter()
                .any(|f| !ignored(&f.path));
        if marked || routes {
            globs.extend_from_slice(family.globs);
        }
    }
    Ok(globs)
}

/// DRF's default permission classes and Django's login-required
/// middleware, from the settings modules.
fn django_settings(cx: &Cx<'_>) -> Result<django::Settings> {
    let mut settings = django::Settings::default();
    let patterns = [
        Pattern::new(0, r"DEFAULT_PERMISSION_CLASSES"),
        Pattern::new(1, r"LoginRequiredMiddleware"),
    ];
    let hits = cx.search(&patterns, &["*settings*.py", "**/settings/*.py"])?;
    for hit in &hits.hits {
        if hit.pattern == 1 {
            settings.login_required_middleware = true;
            continue;
        }
        // The value may span lines: read up to the closing bracket.
        let text = cx.read_utf8(&hit.path).unwrap_or_default();
        let start: usize = text
            .lines()
            .take(hit.line as usize - 1)
            .map(|l| l.len() + 1)
            .sum();
        let rest = &text[start.min(text.len())..];
        let end = rest.find([']', ')']).unwrap_or(rest.len());
        settings.default_permissions = django::class_names(&rest[..end]);
    }
    Ok(settings)
}

/// Rack::Attack throttles, from the files that configure them.
fn rack_attack(cx: &Cx<'_>) -> Result<Vec<(String, Option<Vec<String>>)>> {
    let hits = cx.search(&[Pattern::new(0, r"Rack::Attack")], &["*.rb"])?;
    let files: BTreeSet<&str> = hits.hits.iter().map(|h| h.path.as_str()).collect();
    Ok(files
        .into_iter()
        .flat_map(|f| rails::rack_attack(&cx.read_utf8(f).unwrap_or_default()))
        .collect())
}

/// Route coverage, per framework read: under 90% of the declarations
/// followed to a handler with known guards, the access-control item is
/// decided on part of the application, and says so (a low finding: the
/// item warns, never passes).
fn coverage(cx: &mut Cx<'_>, inventory: &Inventory) {
    for (framework, declared, resolved) in inventory.coverage() {
        if declared == 0 || resolved * 10 >= declared * 9 {
            continue;
        }
        let not_followed: Vec<String> = inventory
            .unresolved
            .iter()
            .filter(|u| u.framework == framework)
            .map(|u| format!("{}:{} {} ({})", u.file, u.line, u.route, u.reason))
            .chain(
                inventory
                    .dynamic
                    .iter()
                    .filter(|d| d.framework == framework)
                    .map(|d| format!("{}:{} {} (registered at run time)", d.file, d.line, d.code)),
            )
            .take(10)
            .collect();
        cx.report(
            Finding::new(
                &rules::NOT_ANALYSED,
                format!(
                    "{framework}: {resolved} of {declared} route declarations followed to a handler ({}%): access control is decided on {resolved} of {declared} routes",
                    resolved * 100 / declared
                ),
            )
            .evidence(not_followed.join("; "))
            .fingerprint(format!("coverage {framework}")),
        );
    }
}

/// Signed-in users and not one role check anywhere.
fn role_model(cx: &mut Cx<'_>, inventory: &Inventory, protections: &[judge::Protection]) {
    let authenticated = protections.iter().filter(|p| p.auth).count();
    if authenticated >= 2 && !protections.iter().any(|p| p.role) {
        cx.report(
            Finding::new(
                &rules::NO_ROLE_MODEL,
                format!(
                    "{authenticated} routes require a signed-in user and none checks a role or permission"
                ),
            )
            .evidence(format!("{} routes, {} authenticated, 0 role-checked", inventory.routes.len(), authenticated)),
        );
    }
}

/// Route files of frameworks the check does not read yet (hapi, Spring in
/// Kotlin): never counted as protected.
fn unread_frameworks(cx: &mut Cx<'_>, inventory: &Inventory) -> Result<()> {
    const FRAMEWORKS: &[(&str, &str, &[&str])] = &[
        (
            "hapi",
            r#"\bserver\.route\(\s*[\[{]|Hapi\.server\(|new Hapi\.Server\("#,
            &["*.js", "*.ts", "*.mjs", "*.cjs"],
        ),
        (
            "Spring (Kotlin)",
            r"@(RestController|Controller|RequestMapping|GetMapping|PostMapping)\b",
            &["*.kt"],
        ),
    ];
    let patterns: Vec<Pattern> = FRAMEWORKS
        .iter()
        .enumerate()
        .map(|(i, (_, re, _))| Pattern::new(i as u32, *re))
        .collect();
    let globs: Vec<&str> = FRAMEWORKS
        .iter()
        .flat_map(|(_, _, g)| g.iter().copied())
        .collect();
    let hits = cx.search(&patterns, &globs)?;
    for (i, (framework, _, globs)) in FRAMEWORKS.iter().enumerate() {
        let files: BTreeSet<&str> = hits
            .hits
            .iter()
            .filter(|h| h.pattern == i as u32 && !ignored(&h.path))
            .filter(|h| {
                globs.iter().any(|g| {
                    h.path
                        .ends_with(g.trim_start_matches("**/").trim_start_matches('*'))
                })
            })
            .filter(|h| !inventory.routes.iter().any(|r| r.file == h.path))
            .map(|h| h.path.as_str())
            .collect();
        let Some(first) = files.first() else { continue };
        let listed: Vec<&str> = files.iter().take(5).copied().collect();
        cx.report(
            Finding::new(
                &rules::NOT_ANALYSED,
                format!(
                    "{framework} routes are not read by this check yet ({} files): they are not known to be protected",
                    files.len()
                ),
            )
            .at_file(first.to_string())
            .evidence(listed.join(", "))
            .fingerprint(framework.to_string()),
        );
    }
    Ok(())
}

/// Files that hold routes, or look like they do, and did not parse
/// cleanly: their routes come from a partial tree.
fn partial_parses(cx: &mut Cx<'_>, answer: &Answer, inventory: &Inventory) {
    for file in &answer.files {
        if file.syntax.errors == 0 || ignored(&file.path) {
            continue;
        }
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        let routing = inventory.routes.iter().any(|r| r.file == file.path)
            || [
                "urls.py",
                "routes",
                "router",
                "controller",
                "views",
                "route.",
            ]
            .iter()
            .any(|w| name.contains(w));
        if !routing {
            continue;
        }
        let line = file.syntax.first_error.map_or(1, |s| s.start_line);
        cx.report(
            Finding::new(
                &rules::NOT_ANALYSED,
                format!(
                    "{} has {} syntax error(s) from line {line}: routes after it may be missing from the inventory",
                    file.path, file.syntax.errors
                ),
            )
            .at_line(file.path.clone(), line)
            .fingerprint(format!("parse {}", file.path)),
        );
    }
}

#[cfg(test)]
mod tests;
