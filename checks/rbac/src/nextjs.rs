//! Next.js route handlers (`app/**/route.ts`, one exported function per
//! method) and API routes (`pages/api/**`, any method).
//!
//! The path comes from the file's place under `app/` or `pages/`, route
//! groups `(name)` left out. Guards are the checks inside the handler
//! (`await auth()`, `getServerSession`, a configured guard) and
//! `middleware.ts`, for the paths its `matcher` covers.

use std::sync::LazyLock;

use regex::Regex;

use crate::facts::{Facts, Shape, code_only};
use crate::judge::{BODY_AUTH, BODY_ROLE};
use crate::routes::{Inventory, Route};

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

static ROUTE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:.*/)?(?:src/)?(app|pages)/(.*?)(?:/?(route|index))?\.(?:ts|tsx|js|jsx|mjs)$")
        .expect("valid")
});
static STARTS_WITH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"startsWith\(\s*['"`]([^'"`]+)['"`]"#).expect("valid"));
static MATCHER_STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"`](/[^'"`]*)['"`]"#).expect("valid"));

/// `middleware.ts`: the paths it runs for (every path when it has no
/// matcher) and the guard it amounts to.
struct Middleware {
    file: String,
    prefixes: Option<Vec<String>>,
    /// It requires a session.
    session: bool,
    /// It checks a role: for every path it covers (`None`), or only under
    /// these prefixes (`if (pathname.startsWith('/api/admin') && ...)`).
    role: Option<Option<Vec<String>>>,
}

pub fn read(facts: &Facts<'_>, out: &mut Inventory) {
    let middleware = middleware(facts);
    let mut seen = false;
    for path in facts.paths() {
        let Some(caps) = ROUTE_FILE.captures(path) else {
            continue;
        };
        let dir = &caps[1];
        let rest = &caps[2];
        let app_router = dir == "app" && caps.get(3).is_some_and(|m| m.as_str() == "route");
        let api_route = dir == "pages" && (rest == "api" || rest.starts_with("api/"));
        if !app_router && !api_route {
            continue;
        }
        let url: String = rest
            .split('/')
            .filter(|s| !(s.is_empty() || (s.starts_with('(') && s.ends_with(')'))))
            .fold(String::new(), |acc, s| format!("{acc}/{s}"));
        let url = if url.is_empty() { "/".to_string() } else { url };
        let items = facts.in_file(path);
        let handlers: Vec<(String, u32, &str)> = if app_router {
            items
                .iter()
                .filter(|i| i.shape == Shape::Export && METHODS.contains(&i.text("name")))
                .map(|i| (i.text("name").to_string(), i.line(), i.node.text.as_str()))
                .collect()
        } else {
            items
                .iter()
                .find(|i| i.shape == Shape::Function || i.shape == Shape::Binding)
                .map(|i| ("ANY".to_string(), i.line(), i.node.text.as_str()))
                .into_iter()
                .collect()
        };
        for (method, line, text) in handlers {
            seen = true;
            let mut guards = Vec::new();
            if let Some(m) = middleware.as_ref().filter(|m| m.covers(&url)) {
                guards.extend(m.guard(&url));
            }
            guards.extend(wrapper(facts, path, text));
            out.routes.push(Route {
                framework: "Next.js",
                method,
                path: url.clone(),
                file: path.to_string(),
                line,
                guards,
                handler: text.to_string(),
                handler_at: None,
            });
        }
    }
    if seen {
        out.saw("Next.js");
    }
}

/// `export const POST = withAdmin(async (req) => ...)`: the handler is
/// wrapped, and the wrapper is its guard. What it does is read from its
/// definition when the repository has it (a session or token check, a role
/// check), else judged by its name.
fn wrapper(facts: &Facts<'_>, path: &str, export: &str) -> Option<String> {
    let name = WRAPPED.captures(export)?.get(1)?.as_str();
    let Some(def) = facts.function(name, path) else {
        return Some(name.to_string());
    };
    let body = code_only(&def.node.text, false);
    let auth =
        BODY_AUTH.is_match(&body) || body.contains("authorization") || body.contains("Bearer");
    let role = BODY_ROLE.is_match(&body);
    // The kind of a guard is judged by its text: what the definition
    // does is said in words the judge knows.
    Some(match (auth, role) {
        (true, true) => format!("{name} (its definition requires a session and a role)"),
        (true, false) => format!("{name} (its definition requires a session or token)"),
        _ => name.to_string(),
    })
}

static WRAPPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^export\s+const\s+\w+\s*(?::[^=]+)?=\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\(")
        .expect("valid")
});

fn under(url: &str, prefixes: &[String]) -> bool {
    prefixes
        .iter()
        .any(|p| url == p || url.starts_with(&format!("{}/", p.trim_end_matches('/'))))
}

impl Middleware {
    fn covers(&self, url: &str) -> bool {
        self.prefixes.as_ref().is_none_or(|p| under(url, p))
    }

    /// What it amounts to for one path.
    fn guard(&self, url: &str) -> Option<String> {
        let role = match &self.role {
            Some(None) => true,
            Some(Some(prefixes)) => under(url, prefixes),
            None => false,
        };
        if self.session && role {
            Some(format!("{} (requires an admin role)", self.file))
        } else if self.session {
            Some(format!("{} (requires a session)", self.file))
        } else {
            None
        }
    }
}

fn middleware(facts: &Facts<'_>) -> Option<Middleware> {
    let file = facts
        .paths()
        .find(|p| {
            let name = p.strip_prefix("src/").unwrap_or(p);
            name.starts_with("middleware.") && !name.contains('/')
        })?
        .to_string();
    let items = facts.in_file(&file);
    let body: String = items
        .iter()
        .filter(|i| i.shape == Shape::Export)
        .map(|i| i.node.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let prefixes = items
        .iter()
        .find(|i| i.shape == Shape::Export && i.text("name") == "config")
        .map(|config| {
            MATCHER_STRING
                .captures_iter(&config.node.text)
                .map(|c| {
                    let pattern = &c[1];
                    let end = pattern.find([':', '(', '*']).unwrap_or(pattern.len());
                    pattern[..end].trim_end_matches('/').to_string()
                })
                .collect()
        });
    let session = BODY_AUTH.is_match(&body) || body.contains("withAuth") || body.contains("token");
    // A role check on a line that tests the path applies under that path.
    let role = BODY_ROLE.find(&body).map(|m| {
        let line_start = body[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let line_end = body[m.end()..]
            .find('\n')
            .map_or(body.len(), |i| m.end() + i);
        let line = &body[line_start..line_end];
        let prefixes: Vec<String> = STARTS_WITH
            .captures_iter(line)
            .map(|c| c[1].trim_end_matches('/').to_string())
            .collect();
        (!prefixes.is_empty()).then_some(prefixes)
    });
    Some(Middleware {
        file,
        prefixes,
        session,
        role,
    })
    .filter(|m| !m.file.is_empty())
}
