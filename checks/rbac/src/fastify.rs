//! Fastify: `fastify.get('/x', { preHandler: [...] }, handler)` and
//! `fastify.route({ method, url, preHandler, handler })` on an instance
//! (`Fastify()`, `require('fastify')()`), and on the instance a plugin
//! receives when another file registers it with a prefix
//! (`fastify.register(require('./routes/admin'), { prefix: '/admin' })`).
//!
//! Guards: the route's `onRequest`/`preHandler`/`preValidation` hooks,
//! `addHook(...)` calls before the route (or before the plugin's
//! registration), and `@fastify/rate-limit` registered app-wide or a
//! route's `config.rateLimit`.

use std::collections::{BTreeMap, BTreeSet};

use crate::express::{handler_text, join, resolve};
use crate::facts::{Facts, Item, Shape, keyword, literal, split_args};
use crate::routes::{Inventory, Route};

const VERBS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "all",
];
const HOOKS: &[&str] = &["onRequest", "preHandler", "preValidation", "preParsing"];
/// What plugins call the instance they are given.
const PLUGIN_PARAMS: &[&str] = &["fastify", "app", "server", "instance"];

fn is_instance(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("Fastify(")
        || v.starts_with("fastify(")
        || v.starts_with("require('fastify')(")
        || v.starts_with("require(\"fastify\")(")
}

#[derive(Debug, Clone, Default)]
struct Mount {
    prefix: String,
    guards: Vec<String>,
}

/// The guards an options object names: its hooks and `config.rateLimit`.
fn option_guards(options: &str) -> Vec<String> {
    let inner = options.trim().trim_start_matches('{').trim_end_matches('}');
    let fields = split_args(inner);
    let mut guards = Vec::new();
    for hook in HOOKS {
        if let Some(value) = keyword(&fields, hook) {
            let value = value.trim();
            match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                Some(list) => guards.extend(split_args(list).into_iter().map(str::to_string)),
                None => guards.push(value.to_string()),
            }
        }
    }
    if keyword(&fields, "config").is_some_and(|c| c.contains("rateLimit")) {
        guards.push("config.rateLimit".to_string());
    }
    guards
}

pub fn read(facts: &Facts<'_>, paths: &BTreeSet<String>, out: &mut Inventory) {
    // Roots: files that make an instance. Plugins: files registered by
    // another, with a prefix and the hooks before the registration.
    let mut instances: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for item in facts.of(Shape::Binding) {
        if is_instance(item.text("value")) {
            instances
                .entry(item.path)
                .or_default()
                .insert(item.text("name"));
        }
    }
    if instances.is_empty() {
        return;
    }
    out.saw("Fastify");
    let mut queue: Vec<(String, Mount)> = instances
        .keys()
        .map(|p| (p.to_string(), Mount::default()))
        .collect();
    let mut done = BTreeSet::new();
    while let Some((path, mount)) = queue.pop() {
        if !done.insert((path.clone(), mount.prefix.clone())) || done.len() > 64 {
            continue;
        }
        let objects: BTreeSet<&str> = instances
            .get(path.as_str())
            .cloned()
            .unwrap_or_else(|| PLUGIN_PARAMS.iter().copied().collect());
        let items = facts.in_file(&path);
        let modules = modules(items, &path, paths);
        let mut hooks: Vec<String> = mount.guards.clone();
        for item in items
            .iter()
            .filter(|i| i.shape == Shape::Call && objects.contains(i.text("object")))
        {
            let args = item.args();
            match item.text("method") {
                "addHook" => {
                    let is_guard = args
                        .first()
                        .and_then(|a| literal(a))
                        .is_some_and(|h| HOOKS.contains(&h.as_str()));
                    if is_guard {
                        hooks.extend(args.get(1).map(|g| g.to_string()));
                    }
                }
                "register" => {
                    let Some(target) = args.first() else { continue };
                    if target.contains("rate-limit")
                        || target.contains("RateLimit")
                        || target.contains("rateLimit")
                    {
                        hooks.push(target.to_string());
                        continue;
                    }
                    let module = target
                        .strip_prefix("require(")
                        .and_then(|r| r.strip_suffix(')'))
                        .and_then(literal)
                        .and_then(|s| resolve(&path, &s, paths))
                        .or_else(|| modules.get(*target).cloned());
                    let Some(module) = module else { continue };
                    let prefix = args
                        .get(1)
                        .map(|o| split_args(o.trim().trim_start_matches('{').trim_end_matches('}')))
                        .and_then(|f| keyword(&f, "prefix").and_then(literal))
                        .unwrap_or_default();
                    let child = Mount {
                        prefix: join(&mount.prefix, &prefix),
                        guards: hooks.clone(),
                    };
                    queue.push((module, child));
                }
                "route" => {
                    let Some(options) = args.first() else {
                        continue;
                    };
                    let fields =
                        split_args(options.trim().trim_start_matches('{').trim_end_matches('}'));
                    let Some(url) = keyword(&fields, "url")
                        .or_else(|| keyword(&fields, "path"))
                        .and_then(literal)
                    else {
                        out.cannot_follow("Fastify", &path, item);
                        continue;
                    };
                    let methods: Vec<String> = keyword(&fields, "method")
                        .map(|m| {
                            split_args(m.trim_start_matches('[').trim_end_matches(']'))
                                .into_iter()
                                .filter_map(literal)
                                .collect()
                        })
                        .unwrap_or_default();
                    let handler = keyword(&fields, "handler").unwrap_or("");
                    let mut guards = hooks.clone();
                    guards.extend(option_guards(options));
                    for method in methods {
                        push(
                            out,
                            facts,
                            &path,
                            item,
                            &method.to_uppercase(),
                            join(&mount.prefix, &url),
                            guards.clone(),
                            handler,
                        );
                    }
                }
                verb if VERBS.contains(&verb) => {
                    let Some(sub) = args.first().and_then(|a| literal(a)) else {
                        if args.len() >= 2 {
                            out.cannot_follow("Fastify", &path, item);
                        }
                        continue;
                    };
                    if args.len() < 2 {
                        continue;
                    }
                    let mut guards = hooks.clone();
                    if args.len() >= 3 && args[1].trim_start().starts_with('{') {
                        guards.extend(option_guards(args[1]));
                    }
                    let method = if verb == "all" {
                        "ANY".to_string()
                    } else {
                        verb.to_uppercase()
                    };
                    push(
                        out,
                        facts,
                        &path,
                        item,
                        &method,
                        join(&mount.prefix, &sub),
                        guards,
                        args[args.len() - 1],
                    );
                }
                _ => {}
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push(
    out: &mut Inventory,
    facts: &Facts<'_>,
    path: &str,
    item: &Item<'_>,
    method: &str,
    url: String,
    guards: Vec<String>,
    handler: &str,
) {
    let (handler, handler_at) = handler_text(handler, path, facts);
    out.routes.push(Route {
        framework: "Fastify",
        method: method.to_string(),
        path: url,
        file: path.to_string(),
        line: item.line(),
        guards,
        handler,
        handler_at,
    });
}

/// Variables bound to repository files in one file.
fn modules(items: &[Item<'_>], path: &str, paths: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for item in items {
        let source = match item.shape {
            Shape::Binding => item
                .text("value")
                .strip_prefix("require(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(literal),
            Shape::Import => literal(item.text("source")),
            _ => None,
        };
        if let Some(file) = source.and_then(|s| resolve(path, &s, paths)) {
            out.insert(item.text("name").to_string(), file);
        }
    }
    out
}
