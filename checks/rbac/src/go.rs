//! Go: gin, echo, chi and `net/http` routers.
//!
//! Routers are variables: `gin.Default()`, `echo.New()`, `chi.NewRouter()`,
//! `http.NewServeMux()`, and groups made from them (`r.Group("/api",
//! mw)`, chi's `r.With(mw)` and `r.Route("/api", func(r chi.Router) {...})`).
//! A route's guards are its router's at the group's creation, the
//! router's `Use(...)` calls before the route, and the route's own
//! middleware (after the handler in echo, before it in gin). A
//! `net/http` handler wrapped in a middleware call (`requireAuth(h)`) is
//! guarded by it.

use std::collections::BTreeMap;

use crate::express::{first_line, join};
use crate::facts::{Facts, Item, Shape, literal, split_args};
use crate::routes::{Dynamic, Inventory, Route};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gin,
    Echo,
    Chi,
    NetHttp,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Gin => "gin",
            Kind::Echo => "echo",
            Kind::Chi => "chi",
            Kind::NetHttp => "net/http",
        }
    }
}

#[derive(Debug, Clone)]
struct Router {
    kind: Kind,
    prefix: String,
    /// Middleware every route of this router runs, in order, with where
    /// it was added (`Use` only reaches routes declared after it).
    guards: Vec<(u32, String)>,
}

impl Router {
    fn guards_before(&self, at: u32) -> Vec<String> {
        self.guards
            .iter()
            .filter(|(o, _)| *o <= at)
            .map(|(_, g)| g.clone())
            .collect()
    }
}

fn root(value: &str) -> Option<Kind> {
    let v = value.trim();
    if v.starts_with("gin.Default(") || v.starts_with("gin.New(") {
        Some(Kind::Gin)
    } else if v.starts_with("echo.New(") {
        Some(Kind::Echo)
    } else if v.starts_with("chi.NewRouter(") || v.starts_with("chi.NewMux(") {
        Some(Kind::Chi)
    } else if v.starts_with("http.NewServeMux(") {
        Some(Kind::NetHttp)
    } else {
        None
    }
}

const VERBS: &[&str] = &[
    "GET",
    "POST",
    "PUT",
    "PATCH",
    "DELETE",
    "HEAD",
    "OPTIONS",
    "Any",
    "Get",
    "Post",
    "Put",
    "Patch",
    "Delete",
    "Head",
    "Options",
    "Handle",
    "HandleFunc",
];

pub fn read(facts: &Facts<'_>, out: &mut Inventory) {
    for path in facts.paths().filter(|p| p.ends_with(".go")) {
        let items = facts.in_file(path);
        // Routers in scope: the file's, then those of `Route` closures.
        let mut scopes: Vec<(u32, BTreeMap<String, Router>)> = vec![(u32::MAX, BTreeMap::new())];
        let mut seen: Vec<Kind> = Vec::new();
        for item in items {
            while scopes.len() > 1 && item.start() >= scopes.last().expect("nonempty").0 {
                scopes.pop();
            }
            let lookup = |scopes: &[(u32, BTreeMap<String, Router>)], name: &str| {
                scopes.iter().rev().find_map(|(_, m)| m.get(name).cloned())
            };
            match item.shape {
                Shape::Binding => {
                    let name = item.text("name").to_string();
                    let value = item.text("value");
                    let router = if let Some(kind) = root(value) {
                        Some(Router {
                            kind,
                            prefix: String::new(),
                            guards: Vec::new(),
                        })
                    } else {
                        derived(value, item.start(), &scopes, lookup)
                    };
                    if let Some(router) = router {
                        scopes.last_mut().expect("nonempty").1.insert(name, router);
                    }
                }
                Shape::Call => {
                    let object = item.text("object");
                    let method = item.text("method");
                    let args = item.args();
                    let router = lookup(&scopes, object).or_else(|| {
                        (object == "http").then(|| Router {
                            kind: Kind::NetHttp,
                            prefix: String::new(),
                            guards: Vec::new(),
                        })
                    });
                    let Some(router) = router else { continue };
                    match method {
                        "Use" => {
                            if let Some((_, m)) = scopes
                                .iter_mut()
                                .rev()
                                .find(|(_, m)| m.contains_key(object))
                            {
                                let r = m.get_mut(object).expect("found");
                                r.guards
                                    .extend(args.iter().map(|a| (item.start(), a.to_string())));
                            }
                        }
                        "Route" if router.kind == Kind::Chi => {
                            // `r.Route("/api", func(r chi.Router) { ... })`.
                            let (Some(sub), Some(body)) =
                                (args.first().and_then(|a| literal(a)), args.get(1))
                            else {
                                continue;
                            };
                            let param = body
                                .strip_prefix("func(")
                                .and_then(|b| b.split_whitespace().next())
                                .unwrap_or("r")
                                .to_string();
                            let inner = Router {
                                kind: Kind::Chi,
                                prefix: join(&router.prefix, &sub),
                                guards: router
                                    .guards_before(item.start())
                                    .into_iter()
                                    .map(|g| (0, g))
                                    .collect(),
                            };
                            let mut scope = BTreeMap::new();
                            scope.insert(param, inner);
                            scopes.push((item.node.end_byte, scope));
                        }
                        m if VERBS.contains(&m) => {
                            if !seen.contains(&router.kind) {
                                seen.push(router.kind);
                            }
                            route(facts, path, item, &router, &args, out);
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        for kind in seen {
            out.saw(kind.name());
        }
    }
}

/// `x.Group("/p", mw...)` or `x.With(mw...)` of a known router.
fn derived(
    value: &str,
    at: u32,
    scopes: &[(u32, BTreeMap<String, Router>)],
    lookup: impl Fn(&[(u32, BTreeMap<String, Router>)], &str) -> Option<Router>,
) -> Option<Router> {
    let (object, rest) = value.split_once('.')?;
    let parent = lookup(scopes, object.trim())?;
    let (method, args) = rest.split_once('(')?;
    let args = format!("({args}");
    let args = split_args(&args);
    let mut guards: Vec<(u32, String)> = parent
        .guards_before(at)
        .into_iter()
        .map(|g| (0, g))
        .collect();
    match method {
        "Group" => {
            let sub = args.first().and_then(|a| literal(a))?;
            guards.extend(args[1..].iter().map(|g| (0, g.to_string())));
            Some(Router {
                kind: parent.kind,
                prefix: join(&parent.prefix, &sub),
                guards,
            })
        }
        "With" => {
            guards.extend(args.iter().map(|g| (0, g.to_string())));
            Some(Router {
                kind: parent.kind,
                prefix: parent.prefix.clone(),
                guards,
            })
        }
        _ => None,
    }
}

fn route(
    facts: &Facts<'_>,
    path: &str,
    item: &Item<'_>,
    router: &Router,
    args: &[&str],
    out: &mut Inventory,
) {
    let framework = router.kind.name();
    let method = item.text("method");
    let Some(pattern) = args.first().and_then(|a| literal(a)) else {
        out.dynamic.push(Dynamic {
            framework,
            file: path.to_string(),
            line: item.line(),
            code: first_line(&item.node.text),
        });
        return;
    };
    if args.len() < 2 {
        return;
    }
    // Go 1.22 patterns: `"GET /items/{id}"`.
    let (verb, sub) = match pattern.split_once(' ') {
        Some((v, p)) if v.chars().all(|c| c.is_ascii_uppercase()) => (v.to_string(), p.to_string()),
        _ => (
            match method {
                "Any" | "Handle" | "HandleFunc" => "ANY".to_string(),
                m => m.to_uppercase(),
            },
            pattern.clone(),
        ),
    };
    let mut guards = router.guards_before(item.start());
    let (handler, own): (&str, Vec<&str>) = match router.kind {
        Kind::Echo => (args[1], args[2..].to_vec()),
        _ => (args[args.len() - 1], args[1..args.len() - 1].to_vec()),
    };
    guards.extend(own.iter().map(|g| g.to_string()));
    // `requireAuth(http.HandlerFunc(h))`: the wrappers are middleware.
    let mut inner = handler.trim();
    while let Some(open) = inner
        .find('(')
        .filter(|_| inner.ends_with(')') && !inner.starts_with("func"))
    {
        let head = &inner[..open];
        if head != "http.HandlerFunc" {
            guards.push(head.to_string());
        }
        match split_args(&inner[open..]).last() {
            Some(arg) => inner = arg,
            None => break,
        }
    }
    out.routes.push(Route {
        framework,
        method: verb,
        path: join(&router.prefix, &sub),
        file: path.to_string(),
        line: item.line(),
        guards,
        handler: crate::express::handler_text(inner, path, facts),
    });
}
