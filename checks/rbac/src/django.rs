//! Django and Django REST framework: `path(...)` and `re_path(...)` in
//! `urls.py` files, followed to the view function or class, and through
//! `include("app.urls")` and DRF routers (`router.register("users",
//! UserViewSet)`).
//!
//! Guards: wrappers in `urls.py` (`login_required(view)`,
//! `ratelimit(...)(view)`), the function's decorators, the class's mixins
//! (`LoginRequiredMixin`, `PermissionRequiredMixin`) and
//! `method_decorator`s, DRF `permission_classes` (or the project's
//! `DEFAULT_PERMISSION_CLASSES` when a DRF view sets none), and the admin
//! site (staff only).

use std::collections::BTreeMap;

use crate::express::join;
use crate::facts::{Facts, Item, Shape, literal, split_args};
use crate::python::decorators;
use crate::routes::{Inventory, Route};

/// What the project's settings say.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    /// `REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]`, each class name.
    pub default_permissions: Vec<String>,
    /// `LoginRequiredMiddleware` is installed: every view needs a login
    /// unless marked `login_not_required`.
    pub login_required_middleware: bool,
}

const DRF_BASES: &[&str] = &[
    "APIView",
    "ViewSet",
    "GenericAPIView",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "GenericViewSet",
];

pub fn read(facts: &Facts<'_>, settings: &Settings, out: &mut Inventory) {
    let url_files: Vec<&str> = facts.paths().filter(|p| p.ends_with("urls.py")).collect();
    if url_files.is_empty() {
        return;
    }
    // `include("accounts.urls")` from another urls file: that file's prefix.
    let mut prefixes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &url_files {
        for call in facts.in_file(path).iter().filter(|c| is_path_call(c)) {
            let args = call.args();
            let (Some(route), Some(view)) = (args.first().and_then(|a| literal(a)), args.get(1))
            else {
                continue;
            };
            if let Some(module) = view.strip_prefix("include(").and_then(|v| {
                split_args(&format!("({v}"))
                    .first()
                    .and_then(|m| literal(m))
            }) {
                let file = format!("{}.py", module.replace('.', "/"));
                prefixes.entry(file).or_default().push(join("/", &route));
            }
        }
    }
    let mut seen = false;
    for path in &url_files {
        let roots = prefixes
            .iter()
            .find(|(file, _)| path.ends_with(file.as_str()))
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| vec!["/".to_string()]);
        let items = facts.in_file(path);
        for root in &roots {
            for call in items.iter().filter(|c| is_path_call(c)) {
                seen = true;
                let args = call.args();
                let Some(route) = args.first().and_then(|a| literal(a)) else {
                    out.cannot_follow("Django", path, call);
                    continue;
                };
                let Some(view) = args.get(1) else { continue };
                let url = join(root, &route);
                if view.starts_with("include(") {
                    // A DRF router's URLs: its registrations in this file.
                    let router = view
                        .trim_start_matches("include(")
                        .split('.')
                        .next()
                        .unwrap_or("");
                    for reg in items.iter().filter(|i| {
                        i.shape == Shape::Call
                            && i.text("method") == "register"
                            && i.text("object") == router
                    }) {
                        let reg_args = reg.args();
                        let (Some(sub), Some(class)) =
                            (reg_args.first().and_then(|a| literal(a)), reg_args.get(1))
                        else {
                            continue;
                        };
                        // The registration declares the route.
                        let view = view_guards(facts, class, settings);
                        out.routes
                            .push(view.route(join(&url, &sub), path, reg.line()));
                    }
                    continue;
                }
                let view = view_guards(facts, view, settings);
                out.routes.push(view.route(url, path, call.line()));
            }
        }
    }
    if seen {
        out.saw("Django");
    }
}

fn is_path_call(item: &Item<'_>) -> bool {
    item.shape == Shape::Call && matches!(item.text("callee"), "path" | "re_path" | "url")
}

/// What a view expression amounts to.
struct View {
    guards: Vec<String>,
    handler: String,
    handler_at: Option<(String, u32)>,
    method: String,
}

impl View {
    fn route(self, url: String, file: &str, line: u32) -> Route {
        Route {
            framework: "Django",
            method: self.method,
            path: url,
            file: file.to_string(),
            line,
            guards: self.guards,
            handler: self.handler,
            handler_at: self.handler_at,
        }
    }
}

/// A view expression's guards, handler text and method: wrappers first,
/// then the function or class it names.
fn view_guards(facts: &Facts<'_>, view: &str, settings: &Settings) -> View {
    let mut guards = Vec::new();
    let mut expr = view.trim();
    // Wrappers: `ratelimit(...)(inner)`, `login_required(inner)`.
    while let Some(open) = expr.find('(') {
        let head = &expr[..open];
        if head.ends_with(".as_view") {
            break;
        }
        if let Some(split) = outer_call_split(expr) {
            guards.push(expr[..split].to_string());
            expr = expr[split..].trim_start_matches('(').trim_end_matches(')');
        } else {
            guards.push(head.rsplit('.').next().unwrap_or(head).to_string());
            match split_args(&expr[open..]).first() {
                Some(first) => expr = first,
                None => break,
            }
        }
    }
    if settings.login_required_middleware {
        guards.push("LoginRequiredMiddleware".to_string());
    }
    if expr == "admin.site.urls" {
        guards.push("Django admin site (staff only)".to_string());
        return View {
            guards,
            handler: String::new(),
            handler_at: None,
            method: "ANY".to_string(),
        };
    }
    let name = expr.trim_end_matches(".as_view()");
    let name = name.split(".as_view(").next().unwrap_or(name);
    let name = name.rsplit('.').next().unwrap_or(name);
    let mut method = "ANY".to_string();
    let mut handler = String::new();
    let mut handler_at = None;
    if let Some(class) = facts
        .items
        .iter()
        .find(|i| i.shape == Shape::Class && i.text("name") == name && i.path.ends_with(".py"))
    {
        handler = class.node.text.clone();
        handler_at = Some((class.path.to_string(), class.line()));
        let bases: Vec<String> = split_args(class.text("bases"))
            .into_iter()
            .map(str::to_string)
            .collect();
        let drf = bases
            .iter()
            .any(|b| DRF_BASES.iter().any(|d| b.ends_with(d)));
        guards.extend(bases.iter().cloned());
        if let Some(d) = facts
            .items
            .iter()
            .find(|i| i.shape == Shape::Decorated && i.text("name") == name && i.path == class.path)
        {
            guards.extend(
                decorators(d)
                    .iter()
                    .map(|(t, _)| t.trim_start_matches('@').to_string()),
            );
        }
        match permission_classes(&handler) {
            Some(classes) => guards.extend(classes),
            None if drf => guards.extend(
                settings
                    .default_permissions
                    .iter()
                    .map(|c| format!("{c} (DEFAULT_PERMISSION_CLASSES)")),
            ),
            None => {}
        }
    } else if let Some(function) = facts.items.iter().find(|i| {
        (i.shape == Shape::Decorated || i.shape == Shape::Function)
            && i.text("name") == name
            && i.path.ends_with(".py")
    }) {
        handler = function.node.text.clone();
        handler_at = Some((function.path.to_string(), function.line()));
        if function.shape == Shape::Decorated {
            for (d, _) in decorators(function) {
                let d = d.trim_start_matches('@');
                if d == "require_POST" {
                    method = "POST".to_string();
                }
                guards.push(d.to_string());
            }
        }
    }
    View {
        guards,
        handler,
        handler_at,
        method,
    }
}

/// `ratelimit(key="ip")(view)`: where the last call's parentheses open.
fn outer_call_split(expr: &str) -> Option<usize> {
    if !expr.ends_with(')') {
        return None;
    }
    let bytes = expr.as_bytes();
    let mut depth = 0;
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' => depth += 1,
            b'(' => {
                depth -= 1;
                if depth == 0 {
                    // `f(...)(...)`: the callee itself ends with `)`.
                    return (i > 0 && bytes[i - 1] == b')').then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `permission_classes = [IsAuthenticated, IsAdminUser]` in a class body.
fn permission_classes(class: &str) -> Option<Vec<String>> {
    let at = class.find("permission_classes")?;
    let rest = &class[at..];
    let open = rest.find(['[', '('])?;
    let close = rest[open..].find([']', ')'])? + open;
    Some(
        rest[open + 1..close]
            .split(',')
            .map(|c| c.trim().rsplit('.').next().unwrap_or("").to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    )
}

/// Class names in a settings value (`["rest_framework.permissions.IsAuthenticated"]`).
pub fn class_names(value: &str) -> Vec<String> {
    value
        .split(['"', '\''])
        .filter(|s| s.contains('.') || s.chars().next().is_some_and(char::is_uppercase))
        .map(|s| s.rsplit('.').next().unwrap_or(s).to_string())
        .filter(|s| s.chars().next().is_some_and(char::is_uppercase))
        .collect()
}
