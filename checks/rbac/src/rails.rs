//! Rails: `config/routes.rb` (and `config/routes/*.rb`) to controllers.
//!
//! The routes file is read as nested blocks: `namespace`, `scope`,
//! `resources`/`resource` (with `only`/`except`, nested resources,
//! `member` and `collection`), verbs with `to: "controller#action"`,
//! `root`, `match ... via:`, `devise_for` (Devise's sign-in and password
//! routes) and `authenticate :user do` blocks. Each route is followed to
//! its controller action, whose guards are the `before_action` filters of
//! the controller and its ancestors (`only`/`except` honoured,
//! `skip_before_action` removing them), `http_basic_authenticate_with`,
//! `rate_limit`, and Rack::Attack throttles on its path.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::express::join;
use crate::facts::{Facts, Item, Shape, split_args};
use crate::routes::{GuardKind, GuardNames, Inventory, Route, Unresolved};

/// Calls that only group routes, and how they change the scope.
const FILTERS: &[&str] = &[
    "before_action",
    "prepend_before_action",
    "append_before_action",
    "before_filter",
    "http_basic_authenticate_with",
    "rate_limit",
];
const SKIPS: &[&str] = &["skip_before_action", "skip_before_filter"];
const LOOPS: &[&str] = &["each", "each_with_index", "map", "times"];

static THROTTLED_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"req\.path\s*(?:==\s*|\.start_with\?\(\s*|\.include\?\(\s*)["']([^"']+)["']"#)
        .expect("valid")
});

/// Where a route sits: path prefix, controller module, the resource whose
/// block it is in, extra guards from `authenticate` blocks.
#[derive(Debug, Clone, Default)]
struct Scope {
    path: String,
    module: String,
    /// Inside `resources :x do`: its controller, and whether a `member`
    /// block is open (`/x/:id/...`).
    resource: Option<(String, bool)>,
    guards: Vec<String>,
}

/// A symbol or string argument's name: `:projects`, `"projects"`.
fn name(arg: &str) -> Option<String> {
    let a = arg.trim();
    let a = a.strip_prefix(':').unwrap_or(a);
    let a = a.trim_matches(['"', '\'']);
    (!a.is_empty()
        && a.chars().all(|c| {
            c.is_alphanumeric() || matches!(c, '_' | '/' | ':' | '-' | '.' | '#' | '!' | '?')
        }))
    .then(|| a.to_string())
}

/// An option's value in a Ruby argument list: `only: [:a]`, `to: "c#a"`,
/// `:only => :a`.
fn option<'a>(args: &[&'a str], key: &str) -> Option<&'a str> {
    args.iter().find_map(|a| {
        let rest = a
            .strip_prefix(&format!("{key}:"))
            .or_else(|| a.strip_prefix(&format!(":{key} =>")))?;
        Some(rest.trim())
    })
}

/// The names in `[:a, :b]`, `%i[a b]` or `:a`.
fn names(value: &str) -> Vec<String> {
    let v = value.trim();
    if let Some(inner) = v.strip_prefix("%i[").or_else(|| v.strip_prefix("%w[")) {
        return inner
            .trim_end_matches(']')
            .split_whitespace()
            .map(str::to_string)
            .collect();
    }
    let inner = v.trim_start_matches('[').trim_end_matches(']');
    split_args(inner).into_iter().filter_map(name).collect()
}

fn plural(word: &str) -> String {
    if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else if let Some(stem) = word
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{word}s")
    }
}

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = word
        .strip_suffix("ses")
        .or_else(|| word.strip_suffix("xes"))
    {
        format!("{stem}{}", &word[stem.len()..stem.len() + 1])
    } else {
        word.strip_suffix('s').unwrap_or(word).to_string()
    }
}

/// The controller of `resources :projects` (`projects`) or `resource
/// :profile` (`profiles`), unless `controller:` names another.
fn resource_controller(name_: &str, plural_resource: bool, args: &[&str]) -> String {
    option(args, "controller")
        .and_then(name)
        .unwrap_or_else(|| {
            if plural_resource {
                name_.to_string()
            } else {
                plural(name_)
            }
        })
}

/// The seven actions of `resources` (or six of `resource`), filtered by
/// `only` and `except`: (action, method, path suffix).
fn actions(
    plural_resource: bool,
    args: &[&str],
) -> Vec<(&'static str, &'static str, &'static str)> {
    let all: &[(&str, &str, &str)] = if plural_resource {
        &[
            ("index", "GET", ""),
            ("create", "POST", ""),
            ("new", "GET", "/new"),
            ("edit", "GET", "/:id/edit"),
            ("show", "GET", "/:id"),
            ("update", "PATCH", "/:id"),
            ("destroy", "DELETE", "/:id"),
        ]
    } else {
        &[
            ("create", "POST", ""),
            ("new", "GET", "/new"),
            ("edit", "GET", "/edit"),
            ("show", "GET", ""),
            ("update", "PATCH", ""),
            ("destroy", "DELETE", ""),
        ]
    };
    let only = option(args, "only").map(names);
    let except = option(args, "except").map(names).unwrap_or_default();
    all.iter()
        .filter(|(a, _, _)| only.as_ref().is_none_or(|o| o.iter().any(|n| n == a)))
        .filter(|(a, _, _)| !except.iter().any(|n| n == a))
        .copied()
        .collect()
}

/// A route before its controller is read.
struct Declared {
    file: String,
    method: String,
    path: String,
    /// `admin/impersonations`.
    controller: String,
    action: String,
    line: u32,
    guards: Vec<String>,
}

pub fn read(
    facts: &Facts<'_>,
    names: &GuardNames,
    rack_attack: &[(String, Option<Vec<String>>)],
    out: &mut Inventory,
) {
    let files: Vec<&str> = facts
        .paths()
        .filter(|p| {
            p.ends_with("config/routes.rb") || (p.contains("config/routes/") && p.ends_with(".rb"))
        })
        .collect();
    if files.is_empty() {
        return;
    }
    out.saw("Rails");
    let mut declared = Vec::new();
    for path in &files {
        let calls: Vec<&Item<'_>> = facts
            .in_file(path)
            .iter()
            .filter(|i| i.shape == Shape::Call)
            .collect();
        // The calls whose block is open, outermost first.
        let mut open: Vec<&Item<'_>> = Vec::new();
        for call in &calls {
            open.retain(|a| {
                a.get("block").is_some_and(|b| {
                    call.start() >= b.start_byte && call.node.end_byte <= b.end_byte
                })
            });
            let ancestors = open.clone();
            if call.get("block").is_some() {
                open.push(call);
            }
            if ancestors.iter().any(|a| LOOPS.contains(&a.text("method"))) {
                if !LOOPS.contains(&call.text("method")) {
                    out.cannot_follow("Rails", path, call);
                }
                continue;
            }
            let mut scope = Scope::default();
            for a in &ancestors {
                enter(&mut scope, a);
            }
            declare(call, &scope, path, &mut declared, out);
        }
    }
    let controllers = Controllers::new(facts, names);
    for d in declared {
        // Controllers Rails and Devise provide are not in the repository;
        // any other missing controller leaves the route's guards unknown.
        let provided = d.controller.starts_with("devise/") || d.controller.starts_with("rails/");
        if !provided && controllers.file(&d.controller).is_none() {
            out.unresolved.push(Unresolved {
                framework: "Rails",
                route: format!("{} {}", d.method, d.path),
                reason: format!("no app/controllers/{}_controller.rb", d.controller),
                file: d.file,
                line: d.line,
            });
            continue;
        }
        let (mut guards, handler, handler_at) = controllers.guards(&d.controller, &d.action);
        guards.splice(0..0, d.guards.iter().cloned());
        for (throttled, paths) in rack_attack {
            let covered = match paths {
                None => true,
                Some(paths) => paths
                    .iter()
                    .any(|p| d.path == *p || d.path.starts_with(&format!("{p}/"))),
            };
            if covered {
                guards.push(format!("Rack::Attack throttle {throttled}"));
            }
        }
        out.routes.push(Route {
            framework: "Rails",
            method: d.method,
            path: d.path,
            file: d.file,
            line: d.line,
            guards,
            handler,
            handler_at,
        });
    }
}

/// How a block call changes the scope of the routes inside it.
fn enter(scope: &mut Scope, call: &Item<'_>) {
    let args = split_args(call.text("args"));
    let first = args.first().and_then(|a| name(a));
    match call.text("method") {
        "namespace" => {
            if let Some(n) = first {
                scope.path = join(&scope.path, &n);
                scope.module = join(&scope.module, &n).trim_start_matches('/').to_string();
            }
        }
        "scope" => {
            let path = option(&args, "path")
                .and_then(name)
                .or_else(|| first.filter(|_| !args[0].contains(':') || args[0].starts_with('"')));
            if let Some(p) = path {
                scope.path = join(&scope.path, &p);
            }
            if let Some(m) = option(&args, "module").and_then(name) {
                scope.module = join(&scope.module, &m).trim_start_matches('/').to_string();
            }
        }
        "resources" | "resource" => {
            if let Some(n) = first {
                let plural_resource = call.text("method") == "resources";
                let controller = resource_controller(&n, plural_resource, &args);
                scope.path = if plural_resource {
                    join(&scope.path, &format!("{n}/:{}_id", singular(&n)))
                } else {
                    join(&scope.path, &n)
                };
                scope.resource = Some((qualified(&scope.module, &controller), plural_resource));
            }
        }
        // Inside `resources :projects do`, routes sit under
        // `/projects/:project_id`; `member` makes it `/projects/:id`,
        // `collection` makes it `/projects`.
        method @ ("member" | "collection") => {
            if let Some((_, plural_resource)) = &mut scope.resource {
                let nested = std::mem::replace(plural_resource, false);
                if let Some((head, _)) = scope.path.rsplit_once('/').filter(|_| nested) {
                    scope.path = if method == "member" {
                        format!("{head}/:id")
                    } else {
                        head.to_string()
                    };
                }
            }
        }
        "authenticate" | "authenticated" => {
            scope.guards.push(format!(
                "{} {} (routes)",
                call.text("method"),
                call.text("args").trim()
            ));
        }
        _ => {}
    }
}

fn qualified(module: &str, controller: &str) -> String {
    if module.is_empty() || controller.contains('/') {
        controller.to_string()
    } else {
        format!("{module}/{controller}")
    }
}

/// The routes one call declares.
fn declare(
    call: &Item<'_>,
    scope: &Scope,
    file: &str,
    out: &mut Vec<Declared>,
    inv: &mut Inventory,
) {
    let method = call.text("method");
    let args = split_args(call.text("args"));
    let line = call.line();
    // `target` is `controller#action`; a bare controller is qualified by
    // the namespace, one inside a resource block is that resource's.
    let mut push = |verb: &str, path: String, target: &str, qualify: bool| {
        let (controller, action) = target.split_once('#').unwrap_or((target, ""));
        out.push(Declared {
            file: file.to_string(),
            method: verb.to_string(),
            path,
            controller: if qualify {
                qualified(&scope.module, controller)
            } else {
                controller.to_string()
            },
            action: action.to_string(),
            line,
            guards: scope.guards.clone(),
        });
    };
    match method {
        "resources" | "resource" => {
            let Some(n) = args.first().and_then(|a| name(a)) else {
                inv.cannot_follow("Rails", file, call);
                return;
            };
            let plural_resource = method == "resources";
            let controller = resource_controller(&n, plural_resource, &args);
            let base = join(&scope.path, &n);
            for (action, verb, suffix) in actions(plural_resource, &args) {
                push(
                    verb,
                    format!("{base}{suffix}"),
                    &format!("{controller}#{action}"),
                    true,
                );
            }
        }
        "get" | "post" | "put" | "patch" | "delete" | "match" => {
            let Some(first) = args.first() else { return };
            if first.contains("#{") {
                inv.cannot_follow("Rails", file, call);
                return;
            }
            // `get "path" => "c#a"` or `get "path", to: "c#a"` or `get :search`.
            let (path_arg, arrow) = match first.split_once("=>") {
                Some((p, t)) => (p.trim(), Some(t.trim())),
                None => (*first, None),
            };
            let Some(sub) = name(path_arg) else {
                inv.cannot_follow("Rails", file, call);
                return;
            };
            // A redirect has no handler to guard.
            let to = arrow.or_else(|| option(&args, "to"));
            if to.is_some_and(|t| t.starts_with("redirect")) {
                return;
            }
            let target = arrow
                .and_then(name)
                .or_else(|| option(&args, "to").and_then(name))
                .or_else(|| {
                    let (resource, _) = scope.resource.as_ref()?;
                    Some(format!(
                        "{}#{}",
                        resource.rsplit('/').next().unwrap_or(resource),
                        sub
                    ))
                })
                .unwrap_or_else(|| match sub.rsplit_once('/') {
                    Some((c, a)) => format!("{c}#{a}"),
                    None => format!("{sub}#{sub}"),
                });
            let verbs: Vec<String> = if method == "match" {
                option(&args, "via")
                    .map(names)
                    .unwrap_or_default()
                    .iter()
                    .map(|v| v.to_uppercase())
                    .collect()
            } else {
                vec![method.to_uppercase()]
            };
            let in_resource = scope
                .resource
                .as_ref()
                .filter(|_| arrow.is_none() && option(&args, "to").is_none());
            for verb in verbs {
                let path = join(&scope.path, &sub);
                match in_resource {
                    Some((resource, _)) => {
                        let action = target.split_once('#').map_or("", |(_, a)| a);
                        push(&verb, path, &format!("{resource}#{action}"), false);
                    }
                    None => push(&verb, path, &target, true),
                }
            }
        }
        "root" => {
            let target = args
                .first()
                .and_then(|a| name(a))
                .or_else(|| option(&args, "to").and_then(name))
                .unwrap_or_default();
            push("GET", join(&scope.path, "/"), &target, true);
        }
        "devise_for" => {
            if let Some(n) = args.first().and_then(|a| name(a)) {
                let base = join(&scope.path, &n);
                push(
                    "POST",
                    format!("{base}/sign_in"),
                    "devise/sessions#create",
                    false,
                );
                push(
                    "POST",
                    format!("{base}/password"),
                    "devise/passwords#create",
                    false,
                );
            }
        }
        _ => {}
    }
}

/// Controller classes, the concerns they include, and their filters.
struct Controllers<'f, 'a> {
    facts: &'f Facts<'a>,
    names: &'f GuardNames,
    /// `admin/users` → `app/controllers/admin/users_controller.rb`.
    files: BTreeMap<String, &'a str>,
    /// Modules by name (`Authentication`, `Admin::Authorization`, and
    /// each by its last segment): the concerns `include` names.
    modules: BTreeMap<&'a str, &'f Item<'a>>,
}

/// `Admin::BaseController` → `admin/base_controller`.
fn snake_path(class: &str) -> String {
    class
        .split("::")
        .map(|part| {
            let mut out = String::new();
            for (i, c) in part.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl<'f, 'a> Controllers<'f, 'a> {
    fn new(facts: &'f Facts<'a>, names: &'f GuardNames) -> Self {
        let files = facts
            .paths()
            .filter_map(|p| {
                let (_, rest) = p.rsplit_once("app/controllers/")?;
                Some((rest.strip_suffix("_controller.rb")?.to_string(), p))
            })
            .collect();
        let mut modules = BTreeMap::new();
        for m in facts.of(Shape::Module) {
            let full = m.text("name");
            let last = full.rsplit("::").next().unwrap_or(full);
            modules.entry(full).or_insert(m);
            modules.entry(last).or_insert(m);
        }
        Controllers {
            facts,
            names,
            files,
            modules,
        }
    }

    /// The file of `admin/users` (`app/controllers/admin/users_controller.rb`).
    fn file(&self, controller: &str) -> Option<&'a str> {
        self.files.get(controller).copied()
    }

    /// The guards in front of `controller#action`, the action's source and
    /// where it is.
    fn guards(
        &self,
        controller: &str,
        action: &str,
    ) -> (Vec<String>, String, Option<(String, u32)>) {
        let mut chain = Vec::new();
        let mut handler = String::new();
        let mut handler_at = None;
        let mut current = self.file(controller);
        let mut namespace = controller
            .rsplit_once('/')
            .map_or(String::new(), |(m, _)| m.to_string());
        let mut seen = BTreeSet::new();
        while let Some(file) = current.filter(|f| seen.insert(*f)) {
            let items = self.facts.in_file(file);
            let Some(class) = items.iter().rfind(|i| i.shape == Shape::Class) else {
                break;
            };
            if let Some(method) =
                action_source(items, class, action).filter(|_| handler_at.is_none())
            {
                handler = method.node.text.clone();
                handler_at = Some((method.path.to_string(), method.line()));
            }
            chain.push(self.statements(class, &mut BTreeSet::new()));
            let parent = class.text("bases").trim();
            current = None;
            if !parent.starts_with("ActionController::") && !parent.is_empty() {
                let path = snake_path(parent);
                let mut ns = namespace.clone();
                loop {
                    let candidate = if ns.is_empty() {
                        path.clone()
                    } else {
                        format!("{ns}/{path}")
                    };
                    let stem = candidate.trim_end_matches("_controller").to_string();
                    if let Some(f) = self.file(&stem) {
                        current = Some(f);
                        namespace = stem
                            .rsplit_once('/')
                            .map_or(String::new(), |(m, _)| m.to_string());
                        break;
                    }
                    match ns.rsplit_once('/') {
                        Some((outer, _)) => ns = outer.to_string(),
                        None if !ns.is_empty() => ns.clear(),
                        None => break,
                    }
                }
            }
        }
        // Ancestors first: each class's filters run after its parent's.
        let mut active: Vec<String> = Vec::new();
        for statements in chain.iter().rev() {
            for f in statements {
                let applies = f
                    .only
                    .as_ref()
                    .is_none_or(|o| o.iter().any(|a| a == action))
                    && !f.except.iter().any(|a| a == action);
                if !applies {
                    continue;
                }
                if SKIPS.contains(&f.kind.as_str()) {
                    let skipped: Vec<String> = active
                        .iter()
                        .filter(|n| f.names.contains(n))
                        .cloned()
                        .collect();
                    active.retain(|n| !f.names.contains(n));
                    // Skipping authentication declares the action public,
                    // on the line that says so.
                    for name in skipped {
                        if matches!(self.names.kind(&name), GuardKind::Auth | GuardKind::Role) {
                            active.push(format!(
                                "skip_before_action :{name} ({}:{})",
                                f.file, f.line
                            ));
                        }
                    }
                } else {
                    active.extend(f.names.iter().cloned());
                }
            }
        }
        (active, handler, handler_at)
    }

    /// The filter statements of a class or module body, in order: its own,
    /// those of the concerns it includes (where it includes them), and
    /// those of the filter macros it calls (`skip_authentication only:
    /// [:index]`, a method of a concern that calls `skip_before_action`).
    /// Statements inside a method run only when it is called: not here.
    fn statements(&self, body: &Item<'a>, seen: &mut BTreeSet<(&'a str, u32)>) -> Vec<Filter> {
        let items = self.facts.in_file(body.path);
        let defs: Vec<&Item<'a>> = items
            .iter()
            .filter(|i| i.shape == Shape::Function && i.within(body))
            .collect();
        let mut out = Vec::new();
        for call in items
            .iter()
            .filter(|i| i.shape == Shape::Call && i.within(body))
        {
            if defs.iter().any(|d| call.within(d)) {
                continue;
            }
            let method = call.text("method");
            if FILTERS.contains(&method) || SKIPS.contains(&method) {
                out.push(filter(call));
            } else if method == "include" {
                for arg in call.args() {
                    let name = arg.trim().trim_start_matches("::");
                    if let Some(m) = self.modules.get(name) {
                        if seen.insert((m.path, m.start())) {
                            out.extend(self.statements(m, seen));
                        }
                    }
                }
            } else if let Some(def) = self
                .facts
                .function(method, body.path)
                .filter(|d| d.path.ends_with(".rb"))
            {
                // A macro forwards its options (`**options`) to the
                // filters it declares without their own.
                let outer = filter(call);
                for mut f in self.statements_of_def(def) {
                    if f.only.is_none() && f.except.is_empty() {
                        f.only = outer.only.clone();
                        f.except = outer.except.clone();
                    }
                    out.push(f);
                }
            }
        }
        out
    }

    /// The filter statements in a method's body (a filter macro).
    fn statements_of_def(&self, def: &Item<'a>) -> Vec<Filter> {
        self.facts
            .in_file(def.path)
            .iter()
            .filter(|i| i.shape == Shape::Call && i.within(def))
            .filter(|i| FILTERS.contains(&i.text("method")) || SKIPS.contains(&i.text("method")))
            .map(filter)
            .collect()
    }
}

/// A filter statement: `before_action :authenticate_user!, only: [:edit]`,
/// and where it is written.
struct Filter {
    kind: String,
    names: Vec<String>,
    only: Option<Vec<String>>,
    except: Vec<String>,
    file: String,
    line: u32,
}

fn filter(call: &Item<'_>) -> Filter {
    let method = call.text("method");
    let args = call.args();
    let names: Vec<String> = match method {
        "http_basic_authenticate_with" | "rate_limit" => vec![method.to_string()],
        _ => args
            .iter()
            .filter(|a| a.starts_with(':') && !a.contains("=>"))
            .filter_map(|a| name(a))
            .collect(),
    };
    Filter {
        kind: method.to_string(),
        names,
        only: option(&args, "only").map(self::names),
        except: option(&args, "except").map(self::names).unwrap_or_default(),
        file: call.path.to_string(),
        line: call.line(),
    }
}

/// The public method `action` of a class (before `private`).
fn action_source<'i, 'a>(
    items: &'i [Item<'a>],
    class: &Item<'_>,
    action: &str,
) -> Option<&'i Item<'a>> {
    let private = items
        .iter()
        .filter(|i| {
            i.shape == Shape::Private
                && i.start() > class.start()
                && i.start() < class.node.end_byte
        })
        .map(Item::start)
        .next()
        .unwrap_or(u32::MAX);
    items.iter().find(|i| {
        i.shape == Shape::Function
            && i.text("name") == action
            && i.start() > class.start()
            && i.start() < private.min(class.node.end_byte)
    })
}

/// Rack::Attack throttles: their name and the paths they cover (`None`:
/// every request).
pub fn rack_attack(text: &str) -> Vec<(String, Option<Vec<String>>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("throttle(") {
        let block = &rest[at..];
        let end = block[1..].find("throttle(").map_or(block.len(), |e| e + 1);
        let body = &block[..end];
        let label = body.split(['"', '\'']).nth(1).unwrap_or("").to_string();
        let paths: Vec<String> = THROTTLED_PATH
            .captures_iter(body)
            .map(|c| c[1].trim_end_matches('/').to_string())
            .collect();
        out.push((label, (!paths.is_empty()).then_some(paths)));
        rest = &block[end..];
    }
    out
}
