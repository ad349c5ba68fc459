//! Express (and Express-style routers: `express.Router()`, `Router()`).
//!
//! A route is `x.get('/path', ...middleware, handler)` on an app or router.
//! Middleware reaches it from three places, in order: `app.use(mw)` before
//! the router is mounted, the mount itself (`app.use('/p', mw, router)`),
//! and `router.use(mw)` declared before the route in the router's file (a
//! route declared above `router.use(requireAuth)` runs without it).
//! Routers are followed across files through `require` and `import`.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::{Facts, Item, Shape, keyword, literal, split_args};
use crate::routes::{Inventory, Route};

const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "del", "all", "options", "head",
];

/// A variable holding an app or a router, and the router's own prefix
/// (koa-router's `new Router({ prefix: '/api' })`).
fn router_value(value: &str) -> Option<(&'static str, String)> {
    let v = value.trim();
    if v == "express()" || v.starts_with("express.Router(") || v.starts_with("Router(") {
        return Some(("Express", String::new()));
    }
    if v == "new Koa()" {
        return Some(("Koa", String::new()));
    }
    let args = v
        .strip_prefix("new Router(")
        .or_else(|| v.strip_prefix("new KoaRouter("))?;
    let args = split_args(args.trim_end_matches(')'));
    let options = args
        .first()
        .map_or("", |o| o.trim_start_matches('{').trim_end_matches('}'));
    Some((
        "Koa",
        keyword(&split_args(options), "prefix")
            .and_then(literal)
            .unwrap_or_default(),
    ))
}

/// Where a router is mounted: its path prefix and the middleware that
/// runs before it.
#[derive(Debug, Clone, Default)]
struct Mount {
    prefix: String,
    guards: Vec<String>,
}

/// A router: its file and variable; `*` for "the router a module
/// exports", when another file mounts it.
type RouterKey = (String, String);

struct File<'f, 'a> {
    path: &'a str,
    items: &'f [Item<'a>],
    /// Variables holding an app or router: framework, own prefix.
    routers: BTreeMap<&'a str, (&'static str, String)>,
    /// Variables bound to another file that makes a router
    /// (`require('./routes/x')`, `import x from './routes/x'`).
    modules: BTreeMap<&'a str, String>,
}

impl File<'_, '_> {
    /// The router a `use` argument names: a local router, or a module's.
    fn router(&self, arg: &str) -> Option<RouterKey> {
        let arg = arg
            .trim()
            .trim_end_matches(".routes()")
            .trim_end_matches(".middleware()");
        if self.routers.contains_key(arg) {
            Some((self.path.to_string(), arg.to_string()))
        } else {
            self.modules.get(arg).map(|f| (f.clone(), "*".to_string()))
        }
    }
}

pub fn read(facts: &Facts<'_>, paths: &BTreeSet<String>, out: &mut Inventory) {
    let mut files: Vec<File<'_, '_>> = Vec::new();
    for path in facts.paths() {
        let items = facts.in_file(path);
        let mut routers = BTreeMap::new();
        let mut modules = BTreeMap::new();
        for item in items {
            match item.shape {
                Shape::Binding => {
                    let value = item.text("value");
                    if let Some(router) = router_value(value) {
                        routers.insert(item.text("name"), router);
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
    // Only a module that makes a router can be mounted.
    let router_files: BTreeSet<String> = files.iter().map(|f| f.path.to_string()).collect();
    for file in &mut files {
        file.modules
            .retain(|_, target| router_files.contains(target));
    }
    for file in &files {
        for (framework, _) in file.routers.values() {
            out.saw(framework);
        }
    }
    // Mounts: `app.use('/p', mw, router)`, `app.use(router.routes())`.
    let mut mounts: BTreeMap<RouterKey, Vec<(RouterKey, Mount)>> = BTreeMap::new();
    for file in &files {
        for (i, item) in file.items.iter().enumerate() {
            if item.shape != Shape::Call || item.text("method") != "use" {
                continue;
            }
            let object = item.text("object");
            if !file.routers.contains_key(object) {
                continue;
            }
            let args = item.args();
            let Some(target) = args.last().and_then(|t| file.router(t)) else {
                continue;
            };
            let prefix = args.first().and_then(|a| literal(a));
            let first_guard = usize::from(prefix.is_some());
            let mut guards = uses_before(file, object, i);
            guards.extend(
                args[first_guard..args.len() - 1]
                    .iter()
                    .map(|g| g.to_string()),
            );
            mounts.entry(target).or_default().push((
                (file.path.to_string(), object.to_string()),
                Mount {
                    prefix: prefix.unwrap_or_default(),
                    guards,
                },
            ));
        }
    }
    for file in &files {
        for (var, (framework, own)) in &file.routers {
            let key = (file.path.to_string(), var.to_string());
            for mut full in mount_chain(&key, &mounts, 0) {
                full.prefix = join(&full.prefix, own);
                routes_in(file, var, framework, facts, &full, out);
            }
        }
    }
}

/// Every way a router is reached: prefixes and guards of its mounts,
/// followed up to the app (a router mounted nowhere is an app).
fn mount_chain(
    key: &RouterKey,
    mounts: &BTreeMap<RouterKey, Vec<(RouterKey, Mount)>>,
    depth: usize,
) -> Vec<Mount> {
    let exported = (key.0.clone(), "*".to_string());
    let parents: Vec<&(RouterKey, Mount)> = mounts
        .get(key)
        .into_iter()
        .chain(mounts.get(&exported))
        .flatten()
        .collect();
    if parents.is_empty() || depth >= 8 {
        return vec![Mount::default()];
    }
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
        .filter(|i| i.args().last().is_none_or(|a| file.router(a).is_none()))
        .flat_map(|i| i.args().into_iter().map(str::to_string))
        .collect()
}

fn routes_in(
    file: &File<'_, '_>,
    var: &str,
    framework: &'static str,
    facts: &Facts<'_>,
    mount: &Mount,
    out: &mut Inventory,
) {
    for (i, item) in file.items.iter().enumerate() {
        match item.shape {
            Shape::Call => {
                let method = item.text("method");
                let object = item.text("object");
                if !METHODS.contains(&method) {
                    continue;
                }
                let args = item.args();
                // `router.route('/items/:id').get(h).delete(h)`: the path
                // is `route`'s, every argument of the verb is middleware
                // or handler.
                let chained = chained_path(object, var);
                let (path_arg, rest) = match chained {
                    Some(path) => (path, &args[..]),
                    None if object == var && args.len() >= 2 => (args[0], &args[1..]),
                    None => continue, // another object, or `app.get('setting')`
                };
                let Some(path) = literal(path_arg) else {
                    out.cannot_follow(framework, file.path, item);
                    continue;
                };
                let mut guards = mount.guards.clone();
                guards.extend(uses_before(file, var, i));
                let Some((handler, middleware)) = rest.split_last() else {
                    continue;
                };
                guards.extend(middleware.iter().map(|g| g.to_string()));
                let (handler, handler_at) = handler_text(handler, file.path, facts);
                out.routes.push(Route {
                    framework,
                    method: match method {
                        "all" => "ANY".to_string(),
                        "del" => "DELETE".to_string(),
                        m => m.to_uppercase(),
                    },
                    path: join(&mount.prefix, &path),
                    file: file.path.to_string(),
                    line: item.line(),
                    guards,
                    handler,
                    handler_at,
                });
            }
            Shape::ComputedCall if item.text("object") == var => {
                out.cannot_follow(framework, file.path, item);
            }
            _ => {}
        }
    }
}

/// The path argument of `var.route('/x')` when `object` is that call, or
/// that call followed by other verbs (`var.route('/x').get(h)`).
fn chained_path<'t>(object: &'t str, var: &str) -> Option<&'t str> {
    let rest = object
        .strip_prefix(var)?
        .trim_start()
        .strip_prefix(".route(")?;
    let close = rest.find(')')?;
    Some(rest[..close].trim())
}

/// The handler's source: inline, or the function it names (and where).
pub fn handler_text(
    handler: &str,
    near: &str,
    facts: &Facts<'_>,
) -> (String, Option<(String, u32)>) {
    let name = handler.rsplit('.').next().unwrap_or(handler).trim();
    let named = name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
    match named.then(|| facts.function(name, near)).flatten() {
        Some(function) => (
            function.node.text.clone(),
            Some((function.path.to_string(), function.line())),
        ),
        None => (handler.to_string(), None),
    }
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
    // TypeScript's ESM imports name the compiled file: `./routes/admin.js`
    // is `./routes/admin.ts` in the repository.
    let base = match base.rsplit_once('.') {
        Some((stem, "js" | "mjs" | "cjs" | "jsx"))
            if !paths.contains(&base) && !paths.contains(&format!("src/{base}")) =>
        {
            stem.to_string()
        }
        _ => base,
    };
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
