//! Express (and Express-style routers: `express.Router()`, `Router()`).
//!
//! A route is `x.get('/path', ...middleware, handler)` on an app or router.
//! Middleware reaches it from three places, in order: `app.use(mw)` before
//! the router is mounted, the mount itself (`app.use('/p', mw, router)`),
//! and `router.use(mw)` declared before the route in the router's file (a
//! route declared above `router.use(requireAuth)` runs without it).
//! Routers are followed across files through `require` and `import`.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::{Facts, Item, Shape, literal};
use crate::routes::{Dynamic, Inventory, Route};

const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "all", "options", "head",
];

/// A variable holding an app or a router.
fn is_router_value(value: &str) -> bool {
    let v = value.trim();
    v == "express()"
        || v.starts_with("express.Router(")
        || v.starts_with("Router(")
        || v.starts_with("express.Router ")
}

/// Where a router file is mounted: its path prefix and the middleware
/// that runs before it.
#[derive(Debug, Clone, Default)]
struct Mount {
    prefix: String,
    guards: Vec<String>,
}

struct File<'f, 'a> {
    path: &'a str,
    items: &'f [Item<'a>],
    /// Variables holding an app or router.
    routers: BTreeSet<&'a str>,
    /// Variables bound to another file (`require('./x')`, `import x from`).
    modules: BTreeMap<&'a str, String>,
}

pub fn read(facts: &Facts<'_>, paths: &BTreeSet<String>, out: &mut Inventory) {
    let mut files: Vec<File<'_, '_>> = Vec::new();
    for path in facts.paths() {
        let items = facts.in_file(path);
        let mut routers = BTreeSet::new();
        let mut modules = BTreeMap::new();
        for item in items {
            match item.shape {
                Shape::Binding => {
                    let value = item.text("value");
                    if is_router_value(value) {
                        routers.insert(item.text("name"));
                    } else if let Some(file) = value
                        .strip_prefix("require(")
                        .and_then(|r| r.strip_suffix(')'))
                        .and_then(literal)
                        .and_then(|source| resolve(path, &source, paths))
                    {
                        modules.insert(item.text("name"), file);
                    }
                }
                Shape::Import => {
                    if let Some(file) =
                        literal(item.text("source")).and_then(|s| resolve(path, &s, paths))
                    {
                        modules.insert(item.text("name"), file);
                    }
                }
                _ => {}
            }
        }
        if !routers.is_empty() {
            files.push(File {
                path,
                items,
                routers,
                modules,
            });
        }
    }
    if files.is_empty() {
        return;
    }
    out.saw("Express");
    // Mounts: which file's router is mounted where, with which guards.
    let mut mounts: BTreeMap<String, Vec<(String, Mount)>> = BTreeMap::new();
    for file in &files {
        for (i, item) in file.items.iter().enumerate() {
            if item.shape != Shape::Call || item.text("method") != "use" {
                continue;
            }
            let object = item.text("object");
            if !file.routers.contains(object) {
                continue;
            }
            let args = item.args();
            let Some(prefix) = args.first().and_then(|a| literal(a)) else {
                continue;
            };
            let Some(target) = args.last() else { continue };
            let Some(target_file) = file.modules.get(target) else {
                continue;
            };
            let mut guards = uses_before(file, object, i);
            guards.extend(args[1..args.len() - 1].iter().map(|g| g.to_string()));
            mounts.entry(target_file.clone()).or_default().push((
                file.path.to_string(),
                Mount {
                    prefix: prefix.to_string(),
                    guards,
                },
            ));
        }
    }
    for file in &files {
        for full in mount_chain(file.path, &mounts, 0) {
            routes_in(file, facts, &full, out);
        }
    }
}

/// Every way a file's router is reached: prefixes and guards of its
/// mounts, followed up to the app (a file mounted nowhere is the app).
fn mount_chain(
    path: &str,
    mounts: &BTreeMap<String, Vec<(String, Mount)>>,
    depth: usize,
) -> Vec<Mount> {
    let Some(parents) = mounts.get(path).filter(|_| depth < 8) else {
        return vec![Mount::default()];
    };
    let mut out = Vec::new();
    for (parent, mount) in parents {
        for outer in mount_chain(parent, mounts, depth + 1) {
            let mut guards = outer.guards.clone();
            guards.extend(mount.guards.iter().cloned());
            out.push(Mount {
                prefix: join(&outer.prefix, &mount.prefix),
                guards,
            });
        }
    }
    out
}

/// Middleware given to `object.use(mw)` (no path) before item `before`.
fn uses_before(file: &File<'_, '_>, object: &str, before: usize) -> Vec<String> {
    file.items[..before]
        .iter()
        .filter(|i| {
            i.shape == Shape::Call && i.text("method") == "use" && i.text("object") == object
        })
        .filter(|i| i.args().first().is_some_and(|a| literal(a).is_none()))
        .flat_map(|i| i.args().into_iter().map(str::to_string))
        .collect()
}

fn routes_in(file: &File<'_, '_>, facts: &Facts<'_>, mount: &Mount, out: &mut Inventory) {
    for (i, item) in file.items.iter().enumerate() {
        match item.shape {
            Shape::Call => {
                let method = item.text("method");
                let object = item.text("object");
                if !METHODS.contains(&method) || !file.routers.contains(object) {
                    continue;
                }
                let args = item.args();
                if args.len() < 2 {
                    continue; // `app.get('setting')`
                }
                let Some(path) = literal(args[0]) else {
                    out.dynamic.push(Dynamic {
                        framework: "Express",
                        file: file.path.to_string(),
                        line: item.line(),
                        code: first_line(&item.node.text),
                    });
                    continue;
                };
                let mut guards = mount.guards.clone();
                guards.extend(uses_before(file, object, i));
                guards.extend(args[1..args.len() - 1].iter().map(|g| g.to_string()));
                let handler = args[args.len() - 1];
                out.routes.push(Route {
                    framework: "Express",
                    method: match method {
                        "all" => "ANY".to_string(),
                        "del" => "DELETE".to_string(),
                        m => m.to_uppercase(),
                    },
                    path: join(&mount.prefix, &path),
                    file: file.path.to_string(),
                    line: item.line(),
                    guards,
                    handler: handler_text(handler, file.path, facts),
                });
            }
            Shape::ComputedCall if file.routers.contains(item.text("object")) => {
                out.dynamic.push(Dynamic {
                    framework: "Express",
                    file: file.path.to_string(),
                    line: item.line(),
                    code: first_line(&item.node.text),
                });
            }
            _ => {}
        }
    }
}

/// The handler's source: inline, or the function it names.
pub fn handler_text(handler: &str, near: &str, facts: &Facts<'_>) -> String {
    let name = handler.rsplit('.').next().unwrap_or(handler).trim();
    let named = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    match facts.function(name, near).filter(|_| named) {
        Some(function) => function.node.text.clone(),
        None => handler.to_string(),
    }
}

pub fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    line.chars().take(160).collect()
}

/// `/a` + `/b/` → `/a/b/`; `/a/` + `/` → `/a/`.
pub fn join(prefix: &str, path: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    let joined = format!("{prefix}/{path}");
    if joined.len() > 1 && path.is_empty() {
        joined.trim_end_matches('/').to_string()
    } else {
        joined
    }
}

/// The repository file a relative module specifier names.
pub fn resolve(from: &str, spec: &str, paths: &BTreeSet<String>) -> Option<String> {
    let base = if let Some(rest) = spec.strip_prefix("@/") {
        rest.to_string()
    } else if spec.starts_with('.') {
        let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for part in spec.split('/') {
            match part {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                p => parts.push(p),
            }
        }
        parts.join("/")
    } else {
        return None;
    };
    let candidates = [
        "",
        ".js",
        ".ts",
        ".mjs",
        ".cjs",
        ".jsx",
        ".tsx",
        "/index.js",
        "/index.ts",
    ];
    for root in ["", "src/"] {
        for ext in candidates {
            let candidate = format!("{root}{base}{ext}");
            if paths.contains(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_without_doubled_slashes() {
        assert_eq!(join("/admin", "/users"), "/admin/users");
        assert_eq!(join("", "/"), "/");
        assert_eq!(join("/projects", "/"), "/projects");
        assert_eq!(join("/projects", "/:id"), "/projects/:id");
    }

    #[test]
    fn relative_modules_resolve_to_repository_files() {
        let paths: BTreeSet<String> = ["routes/admin.js", "lib/x/index.ts", "src/lib/a.ts"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            resolve("app.js", "./routes/admin", &paths).as_deref(),
            Some("routes/admin.js")
        );
        assert_eq!(
            resolve("routes/y.js", "../lib/x", &paths).as_deref(),
            Some("lib/x/index.ts")
        );
        assert_eq!(
            resolve("app/p.ts", "@/lib/a", &paths).as_deref(),
            Some("src/lib/a.ts")
        );
        assert_eq!(resolve("app.js", "express", &paths), None);
    }
}
