//! NestJS controllers: `@Controller('users')` classes whose methods carry
//! `@Get(':id')`, `@Post()` and friends.
//!
//! Guards come from `@UseGuards(...)` on the class or the method, and from
//! global guards (`{ provide: APP_GUARD, useClass: JwtAuthGuard }`,
//! `app.useGlobalGuards(...)`), which `@Public()` on the class or method
//! turns off (the usual allowlist idiom). A global roles guard only counts
//! where `@Roles(...)` says which role. `@Throttle()` limits the rate.
//! `app.setGlobalPrefix('api')` prefixes every path.

use std::sync::LazyLock;

use regex::Regex;

use crate::express::join;
use crate::facts::{Facts, Item, Shape, literal, split_args};
use crate::routes::{GuardKind, GuardNames, Inventory, Route};

static APP_GUARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"provide:\s*APP_GUARD\s*,\s*useClass:\s*(\w+)").expect("valid"));
static ROUTE_DECORATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@(Get|Post|Put|Patch|Delete|All|Head|Options)\s*\(").expect("valid")
});

/// Decorator names that are guards or guard settings.
fn guard_decorator(text: &str) -> bool {
    [
        "@UseGuards",
        "@Throttle",
        "@Public",
        "@Roles",
        "@Permissions",
        "@AllowAnonymous",
    ]
    .iter()
    .any(|d| text.starts_with(d))
}

pub fn read(facts: &Facts<'_>, names: &GuardNames, out: &mut Inventory) {
    // `app.setGlobalPrefix('api')` puts every controller under `/api`.
    let global_prefix = facts
        .of(Shape::Call)
        .filter(|c| c.text("method") == "setGlobalPrefix")
        .find_map(|c| c.args().first().and_then(|a| literal(a)))
        .unwrap_or_default();
    let mut global: Vec<String> = facts
        .of(Shape::Decorator)
        .flat_map(|d| APP_GUARD.captures_iter(&d.node.text))
        .map(|c| format!("{} (global)", &c[1]))
        .collect();
    global.extend(
        facts
            .of(Shape::Call)
            .filter(|c| c.text("method") == "useGlobalGuards")
            .flat_map(|c| c.args())
            .map(|a| {
                format!(
                    "{} (global)",
                    a.trim_start_matches("new ").split('(').next().unwrap_or(a)
                )
            }),
    );
    let mut seen = false;
    for path in facts.paths() {
        let items = facts.in_file(path);
        let mut boundary = 0;
        for class in items.iter().filter(|i| i.shape == Shape::JsClass) {
            let name_start = class.get("name").map_or(class.start(), |n| n.start_byte);
            let class_decorators = decorators(items, boundary, name_start);
            boundary = class.node.end_byte;
            let Some(controller) = class_decorators
                .iter()
                .find(|d| d.starts_with("@Controller"))
            else {
                continue;
            };
            seen = true;
            let prefix = controller_path(controller);
            let members: Vec<&Item<'_>> = items
                .iter()
                .filter(|i| i.shape == Shape::Method && i.within(class))
                .collect();
            let mut from = name_start;
            for method in members {
                let method_name_start = method.get("name").map_or(method.start(), |n| n.start_byte);
                let own = decorators(items, from, method_name_start);
                from = method.node.end_byte;
                let Some(route) = own.iter().find(|d| ROUTE_DECORATOR.is_match(d)) else {
                    continue;
                };
                let verb = ROUTE_DECORATOR.captures(route).expect("matched")[1].to_uppercase();
                let sub = route
                    .find('(')
                    .map(|i| split_args(&route[i..]))
                    .and_then(|a| a.first().and_then(|s| literal(s)))
                    .unwrap_or_default();
                let all: Vec<&String> = class_decorators.iter().chain(own.iter()).collect();
                let public = all
                    .iter()
                    .any(|d| d.starts_with("@Public") || d.starts_with("@AllowAnonymous"));
                let has_roles = all
                    .iter()
                    .any(|d| d.starts_with("@Roles") || d.starts_with("@Permissions"));
                let mut guards: Vec<String> = Vec::new();
                if !public {
                    guards.extend(
                        global
                            .iter()
                            .filter(|g| has_roles || names.kind(g) != GuardKind::Role)
                            .cloned(),
                    );
                }
                guards.extend(
                    all.iter()
                        .filter(|d| {
                            guard_decorator(d)
                                && !d.starts_with("@Roles")
                                && !d.starts_with("@Permissions")
                        })
                        .map(|d| d.trim_start_matches('@').to_string()),
                );
                out.routes.push(Route {
                    framework: "NestJS",
                    method: if verb == "ALL" { "ANY".into() } else { verb },
                    path: join(&join(&format!("/{global_prefix}"), &prefix), &sub),
                    file: path.to_string(),
                    line: facts_line(items, route).unwrap_or(method.line()),
                    guards,
                    handler_at: None,
                    handler: method.text_between(method_name_start, None).to_string(),
                });
            }
        }
    }
    if seen {
        out.saw("NestJS");
    }
}

/// Decorators whose text starts in `[from, to)`, in order.
fn decorators(items: &[Item<'_>], from: u32, to: u32) -> Vec<String> {
    items
        .iter()
        .filter(|i| i.shape == Shape::Decorator && i.start() >= from && i.start() < to)
        .map(|i| i.node.text.trim().to_string())
        .collect()
}

/// The line of the route decorator with this text.
fn facts_line(items: &[Item<'_>], decorator: &str) -> Option<u32> {
    items
        .iter()
        .find(|i| i.shape == Shape::Decorator && i.node.text.trim() == decorator)
        .map(Item::line)
}

/// `@Controller('users')`, `@Controller({ path: 'users' })`, `@Controller()`.
fn controller_path(decorator: &str) -> String {
    let args = decorator
        .find('(')
        .map(|i| split_args(&decorator[i..]))
        .unwrap_or_default();
    let first = args.first().copied().unwrap_or("");
    let path = literal(first).or_else(|| {
        let inner = first.trim().strip_prefix('{')?.strip_suffix('}')?;
        crate::facts::keyword(&split_args(inner), "path").and_then(literal)
    });
    path.unwrap_or_default().trim_matches('/').to_string()
}
