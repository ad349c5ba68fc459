//! Flask and FastAPI: routes are decorated functions (`@bp.route("/x")`,
//! `@router.get("/x")`) on a blueprint, router or app created in the same
//! file, mounted with a prefix elsewhere (`register_blueprint(auth.bp,
//! url_prefix="/auth")`, `include_router(items.router)`).
//!
//! Flask guards: the function's other decorators (`@login_required`,
//! `@roles_required(...)`, `@limiter.limit(...)`) and the blueprint's
//! `before_request` hook (its decorators and the checks in its body).
//! FastAPI guards: `Depends(...)` in the app's, the router's, the
//! inclusion's and the route's `dependencies`, and in the endpoint's
//! parameters.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::express::join;
use crate::facts::{Facts, Item, Shape, first_line, keyword, literal, split_args, through_call};
use crate::judge::{BODY_AUTH_PY, BODY_ROLE};
use crate::routes::{Dynamic, Inventory, Route};

static DEPENDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:Depends|Security)\(\s*([\w.]*)").expect("valid"));
static ROUTE_DECORATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@(\w+)\.(route|get|post|put|patch|delete|head|options|api_route|websocket)\s*\(")
        .expect("valid")
});

/// A decorated definition's decorators, with the line each starts on.
pub fn decorators<'a>(item: &Item<'a>) -> Vec<(&'a str, u32)> {
    let Some(def) = item.get("def") else {
        return Vec::new();
    };
    let text = item.text_between(item.start(), Some(def.start_byte));
    let mut out: Vec<(&str, u32)> = Vec::new();
    let mut offset = 0;
    let mut current: Option<(usize, u32)> = None;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('@') {
            if let Some((start, at)) = current {
                out.push((through_call(text[start..offset].trim()), at));
            }
            current = Some((
                offset + line.len() - line.trim_start().len(),
                item.line() + n as u32,
            ));
        }
        offset += line.len();
    }
    if let Some((start, at)) = current {
        out.push((through_call(text[start..].trim()), at));
    }
    out
}

/// `Depends(get_current_user)` for each dependency named in `text`.
fn depends(text: &str) -> Vec<String> {
    DEPENDS
        .captures_iter(text)
        .filter(|c| !c[1].is_empty())
        .map(|c| format!("Depends({})", &c[1]))
        .collect()
}

static ANNOTATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\w\s*:\s*([A-Za-z_][\w.]*)\s*(?:[,=)]|$)").expect("valid"));

/// The dependencies of a signature: `Depends(...)` written in it, and
/// those of the `Annotated` aliases its parameters are typed with
/// (`authz: AuthorizeAccountRead`, where `AuthorizeAccountRead =
/// Annotated[Account, Depends(AccountPolicyGuard(...))]`).
fn signature_depends(facts: &Facts<'_>, path: &str, signature: &str) -> Vec<String> {
    let mut out = depends(signature);
    for c in ANNOTATION.captures_iter(signature) {
        let alias = c[1].rsplit('.').next().unwrap_or(&c[1]);
        let Some(binding) = facts
            .function(alias, path)
            .filter(|b| b.shape == Shape::Binding && b.text("value").starts_with("Annotated["))
        else {
            continue;
        };
        out.extend(
            depends(binding.text("value"))
                .into_iter()
                .map(|d| format!("{d} (through {alias})")),
        );
    }
    out
}

/// The def line up to its body: where FastAPI parameters declare
/// dependencies.
fn signature(def: &str) -> &str {
    def.find("):")
        .or_else(|| def.find(") ->"))
        .map_or(def, |i| &def[..i])
}

/// The module stem a file defines (`app/routers/items.py` → `items`).
fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name.strip_suffix(".py").unwrap_or(name);
    if name == "__init__" {
        path.rsplit('/').nth(1).unwrap_or(name)
    } else {
        name
    }
}

/// A router or blueprint made in a file, and how it is reached.
#[derive(Debug, Default, Clone)]
struct Mount {
    prefix: String,
    guards: Vec<String>,
}

impl Mount {
    /// `url_prefix=` or `prefix=`, and `dependencies=[Depends(...)]`, of a
    /// blueprint, router or inclusion.
    fn from_args(args: &[&str]) -> Mount {
        Mount {
            prefix: keyword(args, "url_prefix")
                .or_else(|| keyword(args, "prefix"))
                .and_then(literal)
                .unwrap_or_default(),
            guards: keyword(args, "dependencies")
                .map(depends)
                .unwrap_or_default(),
        }
    }
}

/// Flask and FastAPI, one pass: they are written the same way.
pub fn read(facts: &Facts<'_>, out: &mut Inventory) {
    // Routers, blueprints and apps: (file, variable) → own prefix, guards.
    let mut objects: BTreeMap<(&str, &str), (&'static str, Mount)> = BTreeMap::new();
    for item in facts.of(Shape::Binding).filter(|i| i.path.ends_with(".py")) {
        let callee = item.text("callee");
        let framework = match callee {
            "Blueprint" | "Flask" => "Flask",
            "APIRouter" | "FastAPI" => "FastAPI",
            _ => continue,
        };
        let value = item.text("value");
        let args = value
            .find('(')
            .map(|i| split_args(&value[i..]))
            .unwrap_or_default();
        objects.insert(
            (item.path, item.text("name")),
            (framework, Mount::from_args(&args)),
        );
    }
    if objects.is_empty() {
        return;
    }
    // Where each is mounted: `register_blueprint(mod.bp, url_prefix=...)`,
    // `include_router(mod.router, prefix=..., dependencies=[...])`.
    let mut mounted: BTreeMap<(String, String), Vec<Mount>> = BTreeMap::new();
    for call in facts.of(Shape::Call) {
        let method = call.text("method");
        if method != "register_blueprint" && method != "include_router" {
            continue;
        }
        let args = call.args();
        let Some(target) = args.first() else { continue };
        let (module, var) = target.rsplit_once('.').unwrap_or(("", target));
        let Mount { prefix, guards } = Mount::from_args(&args);
        // The app's own prefix and dependencies apply on top.
        let outer = objects
            .get(&(call.path, call.text("object")))
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        let mut all = outer.guards;
        all.extend(guards);
        let module = if module.is_empty() {
            stem(call.path)
        } else {
            module
        };
        mounted
            .entry((module.to_string(), var.to_string()))
            .or_default()
            .push(Mount {
                prefix: join(&outer.prefix, &prefix),
                guards: all,
            });
    }
    // Flask `before_request` hooks per blueprint.
    let mut hooks: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for item in facts.of(Shape::Decorated) {
        let decs = decorators(item);
        let Some(object) = decs
            .iter()
            .find_map(|(d, _)| d.strip_prefix('@')?.strip_suffix(".before_request"))
        else {
            continue;
        };
        let mut guards: Vec<String> = decs
            .iter()
            .filter(|(d, _)| !d.ends_with(".before_request"))
            .map(|(d, _)| d.trim_start_matches('@').to_string())
            .collect();
        let body = &item.node.text;
        let name = item.text("name");
        if BODY_ROLE.is_match(body) {
            guards.push(format!("before_request {name} (checks a role)"));
        } else if BODY_AUTH_PY.is_match(body) {
            guards.push(format!("before_request {name} (requires a session)"));
        }
        hooks.entry((item.path, object)).or_default().extend(guards);
    }
    for ((path, var), (framework, own)) in &objects {
        out.saw(framework);
        let mounts = mounted
            .get(&(stem(path).to_string(), var.to_string()))
            .cloned()
            .unwrap_or_else(|| vec![Mount::default()]);
        for mount in &mounts {
            let mut base = mount.guards.clone();
            base.extend(own.guards.iter().cloned());
            base.extend(hooks.get(&(*path, *var)).cloned().unwrap_or_default());
            let prefix = join(&mount.prefix, &own.prefix);
            routes_of(facts, path, var, framework, &prefix, &base, out);
        }
    }
}

fn routes_of(
    facts: &Facts<'_>,
    path: &str,
    var: &str,
    framework: &'static str,
    prefix: &str,
    base: &[String],
    out: &mut Inventory,
) {
    for item in facts.in_file(path) {
        match item.shape {
            Shape::Decorated => {
                let decs = decorators(item);
                let Some((at, route, line, kind)) =
                    decs.iter().enumerate().find_map(|(i, (d, line))| {
                        let c = ROUTE_DECORATOR.captures(d)?;
                        (&c[1] == var).then(|| (i, *d, *line, c[2].to_string()))
                    })
                else {
                    continue;
                };
                let args = route
                    .find('(')
                    .map(|i| split_args(&route[i..]))
                    .unwrap_or_default();
                let Some(sub) = args.first().and_then(|a| literal(a)) else {
                    out.dynamic.push(Dynamic {
                        framework,
                        file: path.to_string(),
                        line,
                        code: first_line(route),
                    });
                    continue;
                };
                let mut guards = base.to_vec();
                guards.extend(
                    keyword(&args, "dependencies")
                        .map(depends)
                        .unwrap_or_default(),
                );
                guards.extend(
                    // Only decorators below the route's wrap what it
                    // registers: one above it wraps the registration.
                    decs[at + 1..]
                        .iter()
                        .map(|(d, _)| d.trim_start_matches('@').to_string()),
                );
                let def = item.get("def").map_or("", |d| d.text.as_str());
                guards.extend(signature_depends(facts, path, signature(def)));
                for method in methods(&kind, &args) {
                    out.routes.push(Route {
                        framework,
                        method,
                        path: join(prefix, &sub),
                        file: path.to_string(),
                        line,
                        guards: guards.clone(),
                        handler: def.to_string(),
                        handler_at: None,
                    });
                }
            }
            Shape::Call
                if item.text("object") == var
                    && matches!(item.text("method"), "add_url_rule" | "add_api_route") =>
            {
                let args = item.args();
                let Some(sub) = args.first().and_then(|a| literal(a)) else {
                    out.cannot_follow(framework, path, item);
                    continue;
                };
                let view = keyword(&args, "view_func")
                    .or_else(|| keyword(&args, "endpoint"))
                    .or_else(|| args.get(1).copied().filter(|a| !a.contains('=')))
                    .unwrap_or("");
                let function = facts.function(view.rsplit('.').next().unwrap_or(view), path);
                let handler = function.map_or(String::new(), |f| f.node.text.clone());
                let handler_at = function.map(|f| (f.path.to_string(), f.line()));
                let mut guards = base.to_vec();
                guards.extend(signature_depends(facts, path, signature(&handler)));
                for method in methods("route", &args) {
                    out.routes.push(Route {
                        framework,
                        method,
                        path: join(prefix, &sub),
                        file: path.to_string(),
                        line: item.line(),
                        guards: guards.clone(),
                        handler: handler.clone(),
                        handler_at: handler_at.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}

/// The methods a route answers: the decorator's verb, or `methods=[...]`.
fn methods(kind: &str, args: &[&str]) -> Vec<String> {
    match kind {
        "route" | "api_route" => {
            let listed: Vec<String> = keyword(args, "methods")
                .map(|m| split_args(m.trim_start_matches('[').trim_end_matches(']')))
                .unwrap_or_default()
                .into_iter()
                .filter_map(literal)
                .map(|m| m.to_uppercase())
                .collect();
            if listed.is_empty() {
                vec!["GET".to_string()]
            } else {
                listed
            }
        }
        "websocket" => vec!["GET".to_string()],
        verb => vec![verb.to_uppercase()],
    }
}
