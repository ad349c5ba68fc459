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

use crate::express::join;
use crate::facts::{Facts, Item, Shape, literal, split_args, through_call};
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

#[derive(Debug, Clone, PartialEq, Eq)]
struct Router {
    kind: Kind,
    prefix: String,
    /// Middleware every route of this router runs, in order, with where
    /// it was added (`Use` only reaches routes declared after it).
    guards: Vec<(u32, String)>,
}

impl Router {
    /// A router made from this one at `at` (a group, a mount, a router
    /// handed to a function): under `sub`, running what this one runs by
    /// then and `middleware`.
    fn child(&self, at: u32, sub: &str, middleware: &[&str]) -> Router {
        let mut guards: Vec<(u32, String)> =
            self.guards_before(at).into_iter().map(|g| (0, g)).collect();
        guards.extend(middleware.iter().map(|g| (0, g.to_string())));
        Router {
            kind: self.kind,
            prefix: join(&self.prefix, sub),
            guards,
        }
    }

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

type Scopes = Vec<(u32, BTreeMap<String, Router>)>;

fn lookup(scopes: &Scopes, name: &str) -> Option<Router> {
    scopes.iter().rev().find_map(|(_, m)| m.get(name).cloned())
}

/// The router a parameter type names (`*gin.Engine`, `chi.Router`).
fn param_kind(ty: &str) -> Option<Kind> {
    match ty.trim_start_matches('*') {
        "gin.Engine" | "gin.RouterGroup" | "gin.IRouter" | "gin.IRoutes" => Some(Kind::Gin),
        "echo.Echo" | "echo.Group" => Some(Kind::Echo),
        "chi.Router" | "chi.Mux" => Some(Kind::Chi),
        "http.ServeMux" => Some(Kind::NetHttp),
        _ => None,
    }
}

/// A function that registers routes on a router it is given:
/// `func RegisterAdmin(r *gin.RouterGroup, h *Handler)`.
struct RouterFunction<'f, 'a> {
    path: &'a str,
    item: &'f Item<'a>,
    /// Parameter position, name and router kind.
    params: Vec<(usize, String, Kind)>,
    /// It makes a chi router and returns it, for `r.Mount("/p", f())`.
    factory: bool,
}

/// The position a factory's own router is bound at in [`Calls`].
const OWN_ROUTER: usize = usize::MAX;

fn router_functions<'f, 'a>(facts: &'f Facts<'a>) -> BTreeMap<&'a str, RouterFunction<'f, 'a>> {
    let mut out = BTreeMap::new();
    for item in facts
        .of(Shape::Function)
        .filter(|i| i.path.ends_with(".go"))
    {
        let name = item.text("name");
        let text = &item.node.text;
        let Some(open) = text.find(&format!("{name}(")).map(|i| i + name.len()) else {
            continue;
        };
        let list = through_call(&text[open..]);
        // `a, b *gin.Engine`: a name without a type takes the next type.
        let mut params: Vec<(String, Option<String>)> = split_args(list)
            .into_iter()
            .map(|p| match p.split_once(char::is_whitespace) {
                Some((n, t)) => (n.to_string(), Some(t.trim().to_string())),
                None => (p.to_string(), None),
            })
            .collect();
        for i in (0..params.len()).rev() {
            if params[i].1.is_none() {
                params[i].1 = params.get(i + 1).and_then(|p| p.1.clone());
            }
        }
        let routers: Vec<(usize, String, Kind)> = params
            .iter()
            .enumerate()
            .filter_map(|(i, (n, t))| Some((i, n.clone(), param_kind(t.as_deref()?)?)))
            .collect();
        let factory =
            routers.is_empty() && text.contains("chi.NewRouter()") && text.contains("return ");
        if !routers.is_empty() || factory {
            out.insert(
                name,
                RouterFunction {
                    path: item.path,
                    item,
                    params: routers,
                    factory,
                },
            );
        }
    }
    out
}

/// What the walk of one stretch of source found besides routes: router
/// functions called with a known router.
type Calls = Vec<(String, Vec<(usize, Router)>)>;

pub fn read(facts: &Facts<'_>, out: &mut Inventory) {
    let functions = router_functions(facts);
    let mut seen: Vec<Kind> = Vec::new();
    let mut calls: Calls = Vec::new();
    for path in facts.paths().filter(|p| p.ends_with(".go")) {
        // Router functions are walked once their callers are known.
        let bodies: Vec<(u32, u32)> = functions
            .values()
            .filter(|f| f.path == path)
            .map(|f| (f.item.start(), f.item.node.end_byte))
            .collect();
        let items: Vec<&Item<'_>> = facts
            .in_file(path)
            .iter()
            .filter(|i| {
                !bodies
                    .iter()
                    .any(|&(start, end)| i.start() > start && i.node.end_byte <= end)
            })
            .collect();
        walk(
            facts,
            path,
            &items,
            vec![(u32::MAX, BTreeMap::new())],
            None,
            &functions,
            &mut calls,
            &mut seen,
            out,
        );
    }
    // Router functions, from the routers their callers hand them (a few
    // levels deep). One never called with a known router has routes whose
    // mount and middleware are not known: they cannot be verified.
    let mut walked = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let pending = std::mem::take(&mut calls);
        for (name, bound) in pending {
            let Some(function) = functions.get(name.as_str()) else {
                continue;
            };
            let key = format!("{name}{bound:?}");
            if !walked.insert(key) {
                continue;
            }
            let mut scope = BTreeMap::new();
            let mut mounted = None;
            for (index, router) in bound {
                if index == OWN_ROUTER {
                    mounted = Some(router);
                } else if let Some((_, param, _)) =
                    function.params.iter().find(|(i, _, _)| *i == index)
                {
                    scope.insert(param.clone(), router);
                }
            }
            walk_function(
                facts,
                function,
                scope,
                mounted.as_ref(),
                &functions,
                &mut calls,
                &mut seen,
                out,
            );
        }
    }
    for (name, function) in &functions {
        if walked.iter().any(|k| k.starts_with(&format!("{name}["))) {
            continue;
        }
        if function.factory {
            // Mounted nowhere the check can see: served as it is
            // (`http.ListenAndServe(":80", router())`).
            walk_function(
                facts,
                function,
                BTreeMap::new(),
                None,
                &functions,
                &mut Vec::new(),
                &mut seen,
                out,
            );
            continue;
        }
        let scope = function
            .params
            .iter()
            .map(|(_, param, kind)| {
                (
                    param.clone(),
                    Router {
                        kind: *kind,
                        prefix: String::new(),
                        guards: Vec::new(),
                    },
                )
            })
            .collect();
        let before = out.routes.len();
        walk_function(
            facts,
            function,
            scope,
            None,
            &functions,
            &mut Vec::new(),
            &mut seen,
            out,
        );
        for route in out.routes.split_off(before) {
            out.dynamic.push(Dynamic {
                framework: route.framework,
                file: route.file,
                line: route.line,
                code: format!(
                    "{} {} (registered by {name}, which is never called with a known router)",
                    route.method, route.path
                ),
            });
        }
    }
    for kind in seen {
        out.saw(kind.name());
    }
}

#[allow(clippy::too_many_arguments)]
fn walk_function(
    facts: &Facts<'_>,
    function: &RouterFunction<'_, '_>,
    scope: BTreeMap<String, Router>,
    mounted: Option<&Router>,
    functions: &BTreeMap<&str, RouterFunction<'_, '_>>,
    calls: &mut Calls,
    seen: &mut Vec<Kind>,
    out: &mut Inventory,
) {
    let items: Vec<&Item<'_>> = facts
        .in_file(function.path)
        .iter()
        .filter(|i| i.within(function.item))
        .collect();
    walk(
        facts,
        function.path,
        &items,
        vec![(u32::MAX, scope)],
        mounted,
        functions,
        calls,
        seen,
        out,
    );
}

#[allow(clippy::too_many_arguments)]
fn walk(
    facts: &Facts<'_>,
    path: &str,
    items: &[&Item<'_>],
    mut scopes: Scopes,
    // The router a mounted factory's `chi.NewRouter()` stands for.
    mounted: Option<&Router>,
    functions: &BTreeMap<&str, RouterFunction<'_, '_>>,
    calls: &mut Calls,
    seen: &mut Vec<Kind>,
    out: &mut Inventory,
) {
    for item in items {
        while scopes.len() > 1 && item.start() >= scopes.last().expect("nonempty").0 {
            scopes.pop();
        }
        match item.shape {
            Shape::Binding => {
                let name = item.text("name").to_string();
                let value = item.text("value");
                let router = match root(value) {
                    Some(_) if mounted.is_some() => mounted.cloned(),
                    Some(kind) => Some(Router {
                        kind,
                        prefix: String::new(),
                        guards: Vec::new(),
                    }),
                    None => derived(value, item.start(), &scopes),
                };
                if let Some(router) = router {
                    scopes.last_mut().expect("nonempty").1.insert(name, router);
                }
            }
            Shape::Call
                if item.get("object").is_none() || functions.contains_key(item.text("method")) =>
            {
                // `RegisterAdmin(api, h)`, `routes.RegisterAdmin(api, h)`.
                let callee = if item.get("object").is_none() {
                    item.text("callee")
                } else {
                    item.text("method")
                };
                let args = item.args();
                let bound: Vec<(usize, Router)> = args
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| Some((i, lookup(&scopes, a.trim())?)))
                    .map(|(i, r)| (i, r.child(item.start(), "", &[])))
                    .collect();
                if functions.contains_key(callee) && !bound.is_empty() {
                    calls.push((callee.to_string(), bound));
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
                    "Mount" => {
                        // `r.Mount("/admin", adminRouter())`: a factory's
                        // router under this prefix and middleware.
                        let (Some(sub), Some(target)) =
                            (args.first().and_then(|a| literal(a)), args.get(1))
                        else {
                            continue;
                        };
                        let name = target
                            .trim_end_matches("()")
                            .rsplit('.')
                            .next()
                            .unwrap_or("");
                        if functions.get(name).is_some_and(|f| f.factory) && target.ends_with("()")
                        {
                            let mounted = router.child(item.start(), &sub, &[]);
                            calls.push((name.to_string(), vec![(OWN_ROUTER, mounted)]));
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
                        let inner = router.child(item.start(), &sub, &[]);
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
}

/// `x.Group("/p", mw...)` or `x.With(mw...)` of a known router.
fn derived(value: &str, at: u32, scopes: &Scopes) -> Option<Router> {
    let (object, rest) = value.split_once('.')?;
    let parent = lookup(scopes, object.trim())?;
    let (method, args) = rest.split_once('(')?;
    let args = format!("({args}");
    let args = split_args(&args);
    match method {
        "Group" => {
            let sub = args.first().and_then(|a| literal(a))?;
            Some(parent.child(at, &sub, &args[1..]))
        }
        "With" => Some(parent.child(at, "", &args)),
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
        out.cannot_follow(framework, path, item);
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
    let (handler, handler_at) = crate::express::handler_text(inner, path, facts);
    out.routes.push(Route {
        framework,
        method: verb,
        path: join(&router.prefix, &sub),
        file: path.to_string(),
        line: item.line(),
        guards,
        handler,
        handler_at,
    });
}
