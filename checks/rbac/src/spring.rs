//! Spring MVC controllers (`@RestController`, `@Controller`) and Spring
//! Security.
//!
//! A route is a method with `@GetMapping`, `@PostMapping`, ... or
//! `@RequestMapping`, under its class's `@RequestMapping` prefix. Guards:
//! the `SecurityFilterChain`'s `requestMatchers(...)` rules (the first
//! that matches the path decides, `anyRequest()` last), method security
//! (`@PreAuthorize`, `@Secured`, `@RolesAllowed`) on the class or the
//! method, and resilience4j's `@RateLimiter`. With Spring Security on the
//! build path and no filter chain of the application's own, Spring Boot
//! authenticates every request.

use std::sync::LazyLock;

use regex::Regex;

use crate::express::join;
use crate::facts::{Facts, Item, Shape, literal, split_args, through_call};
use crate::routes::{Inventory, Route};

static MAPPING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@(Get|Post|Put|Patch|Delete|Request)Mapping\b").expect("valid"));
static METHOD_SECURITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"@(PreAuthorize|Secured|RolesAllowed|RateLimiter|PermitAll|DenyAll)\b")
        .expect("valid")
});
static MATCHER_RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\.(?:requestMatchers|antMatchers|mvcMatchers|regexMatchers)\(([^)]*)\)\s*\.(\w+)\(([^)]*)\)|\.anyRequest\(\)\s*\.(\w+)\(([^)]*)\)",
    )
    .expect("valid")
});

/// One `authorizeHttpRequests` rule: the patterns it covers (none: any
/// request), an optional HTTP method, and the access it grants.
#[derive(Debug, Clone)]
struct Rule {
    method: Option<String>,
    patterns: Option<Vec<String>>,
    access: String,
}

impl Rule {
    fn covers(&self, method: &str, path: &str) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| m != method && method != "ANY")
        {
            return false;
        }
        match &self.patterns {
            None => true,
            Some(patterns) => patterns.iter().any(|p| ant_match(p, path)),
        }
    }

    /// The guard this rule amounts to, named so that its kind is clear.
    fn guard(&self) -> String {
        let access = self.access.as_str();
        if access.starts_with("permitAll") || access.starts_with("anonymous") {
            format!("SecurityFilterChain {access} (open)")
        } else if access.starts_with("denyAll") {
            "SecurityFilterChain denyAll() (no one: role-checked)".to_string()
        } else {
            format!("SecurityFilterChain {access}")
        }
    }
}

/// Ant-style path matching, enough for route paths: `/admin/**`, `/x/*`,
/// `/exact`.
fn ant_match(pattern: &str, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    if let Some(prefix) = pattern.strip_suffix("/**") {
        return path == prefix || path.starts_with(&format!("{prefix}/")) || prefix.is_empty();
    }
    let p: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let q: Vec<&str> = path.split('/').collect();
    p.len() == q.len()
        && p.iter()
            .zip(&q)
            .all(|(a, b)| *a == "*" || a == b || a.starts_with('{'))
}

/// The filter chain's rules, in order, from every class that has them.
fn filter_chain(facts: &Facts<'_>) -> Vec<Rule> {
    let mut rules = Vec::new();
    for class in facts.of(Shape::Class).filter(|c| c.path.ends_with(".java")) {
        for c in MATCHER_RULE.captures_iter(&class.node.text) {
            let (matchers, access, arg) = match (c.get(1), c.get(4)) {
                (Some(m), _) => (Some(m.as_str()), &c[2], &c[3]),
                (None, Some(a)) => (None, a.as_str(), c.get(5).map_or("", |m| m.as_str())),
                _ => continue,
            };
            let (method, patterns) = match matchers {
                None => (None, None),
                Some(m) => {
                    let args = split_args(m);
                    let method = args
                        .iter()
                        .find_map(|a| a.strip_prefix("HttpMethod."))
                        .map(str::to_string);
                    let patterns: Vec<String> = args.iter().filter_map(|a| literal(a)).collect();
                    (method, Some(patterns))
                }
            };
            rules.push(Rule {
                method,
                patterns,
                access: format!("{access}({arg})"),
            });
        }
    }
    rules
}

/// An annotation's arguments: `@GetMapping("/x")` → `["\"/x\""]`.
fn annotation_args(text: &str) -> Vec<&str> {
    let call = through_call(text);
    call.find('(')
        .map(|i| split_args(&call[i..]))
        .unwrap_or_default()
}

/// The paths an annotation maps: its first literal, `value =` or `path =`
/// (one or an array); `""` when it names none.
fn mapped_paths(args: &[&str]) -> Vec<String> {
    let value = args
        .iter()
        .find_map(|a| {
            let (k, v) = a.split_once('=')?;
            matches!(k.trim(), "value" | "path").then_some(v.trim())
        })
        .or_else(|| args.first().copied().filter(|a| !a.contains('=')));
    match value {
        None => vec![String::new()],
        Some(v) => {
            let inner = v.trim().trim_start_matches('{').trim_end_matches('}');
            let paths: Vec<String> = split_args(inner).into_iter().filter_map(literal).collect();
            if paths.is_empty() {
                vec![String::new()]
            } else {
                paths
            }
        }
    }
}

/// Method security and rate-limit annotations, as guards.
fn annotation_guards(modifiers: &str) -> Vec<String> {
    METHOD_SECURITY
        .find_iter(modifiers)
        .map(|m| {
            let text = through_call(&modifiers[m.start()..]);
            match m.as_str() {
                // `PreAuthorize` names the expression, whose words decide:
                // `hasRole(...)` checks a role, `isAuthenticated()` does not.
                "@PreAuthorize" => format!(
                    "method security {}",
                    annotation_args(text).first().copied().unwrap_or("")
                ),
                "@PermitAll" => "method security permitAll (open)".to_string(),
                "@DenyAll" => "method security denyAll (no one: role-checked)".to_string(),
                _ => text.trim_start_matches('@').to_string(),
            }
        })
        .collect()
}

pub fn read(facts: &Facts<'_>, security_on_classpath: bool, out: &mut Inventory) {
    let chain = filter_chain(facts);
    let mut seen = false;
    for path in facts.paths().filter(|p| p.ends_with(".java")) {
        let items = facts.in_file(path);
        for class in items.iter().filter(|i| i.shape == Shape::Class) {
            let class_mods = class.text("bases");
            if !class_mods.contains("@RestController") && !class_mods.contains("@Controller") {
                continue;
            }
            seen = true;
            let prefixes = class_mods
                .find("@RequestMapping")
                .map(|i| mapped_paths(&annotation_args(&class_mods[i..])))
                .unwrap_or_else(|| vec![String::new()]);
            let class_guards = annotation_guards(class_mods);
            for method in items
                .iter()
                .filter(|i| i.shape == Shape::Method && i.within(class))
            {
                route(
                    method,
                    path,
                    &prefixes,
                    &class_guards,
                    &chain,
                    security_on_classpath,
                    out,
                );
            }
        }
    }
    if seen {
        out.saw("Spring");
    }
}

fn route(
    method: &Item<'_>,
    file: &str,
    prefixes: &[String],
    class_guards: &[String],
    chain: &[Rule],
    security_on_classpath: bool,
    out: &mut Inventory,
) {
    let mods = method.text("mods");
    let Some(found) = MAPPING.find(mods) else {
        return;
    };
    let kind = &MAPPING.captures(&mods[found.start()..]).expect("matched")[1];
    let args = annotation_args(&mods[found.start()..]);
    let verbs: Vec<String> = if kind == "Request" {
        let listed: Vec<String> = args
            .iter()
            .filter(|a| a.trim_start().starts_with("method"))
            .flat_map(|a| a.split("RequestMethod.").skip(1))
            .map(|v| v.chars().take_while(char::is_ascii_alphabetic).collect())
            .collect();
        if listed.is_empty() {
            vec!["ANY".to_string()]
        } else {
            listed
        }
    } else {
        vec![kind.to_uppercase()]
    };
    let line = method.line() + mods[..found.start()].matches('\n').count() as u32;
    // The method without its annotations, for the checks made inside it.
    let body = method.get("mods").map_or(method.node.text.as_str(), |m| {
        method.text_between(m.end_byte, None)
    });
    let mut guards = class_guards.to_vec();
    guards.extend(annotation_guards(mods));
    for prefix in prefixes {
        for sub in mapped_paths(&args) {
            let path = join(&join("/", prefix), &sub);
            for verb in &verbs {
                let mut all = Vec::new();
                match chain.iter().find(|r| r.covers(verb, &path)) {
                    Some(rule) => all.push(rule.guard()),
                    None if chain.is_empty() && security_on_classpath => all
                        .push("Spring Security default (every request authenticated)".to_string()),
                    None => {}
                }
                all.extend(guards.iter().cloned());
                out.routes.push(Route {
                    framework: "Spring",
                    method: verb.clone(),
                    path: path.clone(),
                    file: file.to_string(),
                    line,
                    guards: all,
                    handler: body.to_string(),
                    handler_at: None,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ant_patterns_match_route_paths() {
        assert!(ant_match("/admin/**", "/admin/users/{id}"));
        assert!(ant_match("/admin/**", "/admin"));
        assert!(!ant_match("/admin/**", "/administrator"));
        assert!(ant_match("/reports/*", "/reports/{id}"));
        assert!(!ant_match("/reports/*", "/reports/{id}/pdf"));
        assert!(ant_match("/actuator/health", "/actuator/health"));
    }
}
