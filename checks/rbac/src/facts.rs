//! What the host's parser tells the check about the source: one syntax
//! query per language, whose patterns pick out the shapes routes and
//! guards are written in (calls, decorated definitions, functions,
//! classes, imports, decorators). Each match becomes an [`Item`] tagged
//! with its [`Shape`]; the framework readers work on items, never on raw
//! file text.

use std::collections::BTreeMap;

use shipready_sdk::syntax::{Answer, Capture, Language, QuerySpec};

/// Source files the check reads, by language family, with what shows a
/// web framework is used there: an import, or a file where routes live.
/// Parsing is the cost: a family none of whose files shows one is not
/// parsed at all.
pub const FAMILIES: &[Family] = &[
    Family {
        globs: &[
            "*.js", "*.jsx", "*.mjs", "*.cjs", "*.ts", "*.tsx", "*.mts", "*.cts",
        ],
        marker: r#"(require\(|from )\s*['"](express|koa|@koa/router|koa-router|fastify|@nestjs/[a-z-]+|next|next/server|next-auth[a-z/-]*)['"]"#,
        route_files: &[
            "**/app/**/route.ts",
            "**/app/**/route.js",
            "**/pages/api/**",
            "middleware.ts",
            "src/middleware.ts",
        ],
    },
    Family {
        globs: &["*.py"],
        marker: r"^\s*(from|import)\s+(flask|fastapi|django|rest_framework)\b",
        route_files: &["urls.py"],
    },
    Family {
        globs: &["*.rb"],
        marker: r"Rails\.application\.routes\.draw",
        route_files: &["config/routes.rb"],
    },
    Family {
        globs: &["*.go"],
        marker: r#""(github\.com/(gin-gonic/gin|labstack/echo[/a-z0-9]*|go-chi/chi[/a-z0-9]*)|net/http)""#,
        route_files: &[],
    },
    Family {
        globs: &["*.java"],
        marker: r"org\.springframework\.(web\.bind\.annotation|security)",
        route_files: &[],
    },
];

/// A language family the check reads.
pub struct Family {
    pub globs: &'static [&'static str],
    /// A line that shows a web framework in a file of the family.
    pub marker: &'static str,
    /// Files that hold routes whatever they import.
    pub route_files: &'static [&'static str],
}

/// Every source file the check can read.
pub const GLOBS: &[&str] = &[
    "*.py", "*.js", "*.jsx", "*.mjs", "*.cjs", "*.ts", "*.tsx", "*.mts", "*.cts", "*.rb", "*.go",
    "*.java",
];

/// What a pattern picks out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A call: `@callee` (the function or `@object`/`@method` of a member
    /// call) and `@args`.
    Call,
    /// A call through a computed member, `app[method](...)`.
    ComputedCall,
    /// A Python function or class with decorators: `@name`, `@def`.
    Decorated,
    /// A function: `@name`, its whole text as the item.
    Function,
    /// A Python class: `@name`, `@bases`.
    Class,
    /// `name = <call>` (Python) or `const name = <value>` (JavaScript).
    Binding,
    /// `import x from '...'`, `import { x } from '...'`: `@name`, `@source`.
    Import,
    /// A JavaScript decorator (`@Get(':id')`).
    Decorator,
    /// A JavaScript class member method: `@name`.
    Method,
    /// A JavaScript class: `@name`.
    JsClass,
    /// `export function GET` / `export const GET =`: `@name`.
    Export,
    /// A Ruby module: `@name`.
    Module,
    /// A Ruby `private` or `protected` line: the methods after it are not
    /// actions.
    Private,
}

const PYTHON: &[(Shape, &str)] = &[
    (
        Shape::Decorated,
        "(decorated_definition definition: [(function_definition name: (identifier) @name) (class_definition name: (identifier) @name)] @def) @item",
    ),
    (
        Shape::Function,
        "(function_definition name: (identifier) @name) @item",
    ),
    (
        Shape::Class,
        "(class_definition name: (identifier) @name superclasses: (argument_list)? @bases) @item",
    ),
    (
        Shape::Call,
        r#"(call function: (identifier) @callee arguments: (argument_list) @args (#match? @callee "^(path|re_path|url|include|ratelimit|login_required|APIRouter|Blueprint|FastAPI|Flask|Depends)$")) @item"#,
    ),
    (
        Shape::Call,
        r#"(call function: (attribute object: (_) @object attribute: (identifier) @method) arguments: (argument_list) @args (#match? @method "^(register_blueprint|include_router|add_url_rule|add_api_route|register|add_middleware)$")) @item"#,
    ),
    (
        Shape::Binding,
        "(assignment left: (identifier) @name right: (call function: (_) @callee) @value) @item",
    ),
    // `CurrentUser = Annotated[User, Depends(get_current_user)]`: a
    // FastAPI dependency by type.
    (
        Shape::Binding,
        r#"(assignment left: (identifier) @name right: (subscript value: (identifier) @callee) @value (#eq? @callee "Annotated")) @item"#,
    ),
];

const SCRIPT: &[(Shape, &str)] = &[
    (
        Shape::Call,
        r#"(call_expression function: (member_expression object: (_) @object property: (property_identifier) @method) arguments: (arguments) @args (#match? @method "^(get|post|put|patch|delete|del|all|use|options|head|route|register|addHook|useGlobalGuards|setGlobalPrefix)$")) @item"#,
    ),
    (
        Shape::ComputedCall,
        "(call_expression function: (subscript_expression object: (identifier) @object) arguments: (arguments) @args) @item",
    ),
    (
        Shape::Binding,
        "(variable_declarator name: (identifier) @name value: [(call_expression) (await_expression) (arrow_function) (function_expression) (new_expression)] @value) @item",
    ),
    (
        Shape::Function,
        "(function_declaration name: (identifier) @name) @item",
    ),
    (
        Shape::Import,
        "(import_statement (import_clause (identifier) @name) source: (string) @source) @item",
    ),
    (
        Shape::Import,
        "(import_statement (import_clause (named_imports (import_specifier name: (identifier) @name))) source: (string) @source) @item",
    ),
    (Shape::Decorator, "(decorator) @item"),
    (
        Shape::Method,
        "(method_definition name: (property_identifier) @name) @item",
    ),
    (Shape::JsClass, "(class_declaration name: (_) @name) @item"),
    (
        Shape::Export,
        "(export_statement declaration: [(function_declaration name: (identifier) @name) (lexical_declaration (variable_declarator name: (identifier) @name))]) @item",
    ),
];

const RUBY: &[(Shape, &str)] = &[
    (
        Shape::Call,
        r#"(call method: (identifier) @method arguments: (argument_list)? @args block: (_)? @block (#match? @method "^(resources|resource|namespace|scope|get|post|put|patch|delete|match|root|member|collection|devise_for|authenticate|authenticated|draw|before_action|skip_before_action|prepend_before_action|append_before_action|before_filter|skip_before_filter|http_basic_authenticate_with|rate_limit|each|each_with_index|map|times|include)$")) @item"#,
    ),
    // Other calls in a class body may be filter macros a concern defines
    // (`skip_authentication only: [:index]`, `allow_unauthenticated_access`).
    (
        Shape::Call,
        r#"(class body: (body_statement (call method: (identifier) @method arguments: (argument_list) @args) @item) (#not-match? @method "^(resources|resource|namespace|scope|get|post|put|patch|delete|match|root|member|collection|devise_for|authenticate|authenticated|draw|before_action|skip_before_action|prepend_before_action|append_before_action|before_filter|skip_before_filter|http_basic_authenticate_with|rate_limit|each|each_with_index|map|times|include)$"))"#,
    ),
    (
        Shape::Call,
        r#"(class body: (body_statement (identifier) @method @item) (#not-any-of? @method "private" "protected" "public"))"#,
    ),
    (
        Shape::Class,
        "(class name: (_) @name superclass: (superclass (_) @bases)?) @item",
    ),
    (Shape::Module, "(module name: (_) @name) @item"),
    (
        Shape::Function,
        "[(method name: (_) @name) (singleton_method name: (_) @name)] @item",
    ),
    (
        Shape::Private,
        r#"((identifier) @item (#any-of? @item "private" "protected"))"#,
    ),
];

const GO: &[(Shape, &str)] = &[
    (
        Shape::Call,
        r#"(call_expression function: (selector_expression operand: (_) @object field: (field_identifier) @method) arguments: (argument_list) @args (#match? @method "^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|Any|Handle|HandleFunc|Group|Use|Get|Post|Put|Patch|Delete|Route|With|Add|Match|(Register|Setup|Mount|Init)\\w*)$")) @item"#,
    ),
    // Functions that register routes on a router they are given:
    // `RegisterRoutes(r)`, `setupAdmin(api, h)`.
    (
        Shape::Call,
        r#"(call_expression function: (identifier) @callee arguments: (argument_list) @args (#match? @callee "^[A-Z]|(?i)route|register|setup|mount")) @item"#,
    ),
    (
        Shape::Binding,
        "(short_var_declaration left: (expression_list . (identifier) @name) right: (expression_list . (_) @value)) @item",
    ),
    (
        Shape::Function,
        "[(function_declaration name: (identifier) @name) (method_declaration name: (field_identifier) @name)] @item",
    ),
];

const JAVA: &[(Shape, &str)] = &[
    (
        Shape::Class,
        "(class_declaration (modifiers)? @bases name: (identifier) @name) @item",
    ),
    (
        Shape::Method,
        "(method_declaration (modifiers)? @mods name: (identifier) @name) @item",
    ),
];

fn patterns(language: Language) -> &'static [(Shape, &'static str)] {
    match language {
        Language::Python => PYTHON,
        Language::Ruby => RUBY,
        Language::Go => GO,
        Language::Java => JAVA,
        Language::JavaScript | Language::TypeScript | Language::Tsx => SCRIPT,
    }
}

/// The languages the check reads: all the host parses.
const LANGUAGES: [Language; 7] = Language::ALL;

/// One query per language, its patterns in the order of [`patterns`].
pub fn queries() -> Vec<QuerySpec> {
    LANGUAGES
        .iter()
        .map(|&language| QuerySpec {
            language,
            source: patterns(language)
                .iter()
                .map(|(_, p)| *p)
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect()
}

/// One match: the node picked out (`@item`) and its named parts.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub path: &'a str,
    pub shape: Shape,
    pub node: &'a Capture,
    captures: &'a [Capture],
}

impl<'a> Item<'a> {
    pub fn get(&self, name: &str) -> Option<&'a Capture> {
        self.captures.iter().find(|c| c.name == name)
    }

    /// A part's text, empty when the pattern did not capture it.
    pub fn text(&self, name: &str) -> &'a str {
        self.get(name).map_or("", |c| c.text.as_str())
    }

    pub fn line(&self) -> u32 {
        self.node.span.start_line
    }

    pub fn start(&self) -> u32 {
        self.node.start_byte
    }

    /// The item's text from byte `from` of the file to byte `to` (or its
    /// end), clamped to what the host sent: a capture's text is cut at the
    /// host's capture limit, so another capture's offsets may point past it.
    pub fn text_between(&self, from: u32, to: Option<u32>) -> &'a str {
        let text = self.node.text.as_str();
        let at = |byte: u32| {
            let mut i = (byte.saturating_sub(self.start()) as usize).min(text.len());
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let start = at(from);
        let end = to.map_or(text.len(), at).max(start);
        &text[start..end]
    }

    /// The item lies inside `outer` (a class body, a function), in the
    /// same file.
    pub fn within(&self, outer: &Item<'_>) -> bool {
        self.path == outer.path
            && self.start() > outer.start()
            && self.node.end_byte <= outer.node.end_byte
    }

    /// The arguments of a call, split at top-level commas.
    pub fn args(&self) -> Vec<&'a str> {
        split_args(self.text("args"))
    }
}

/// Everything the query found, by file.
pub struct Facts<'a> {
    pub items: Vec<Item<'a>>,
    by_path: BTreeMap<&'a str, (usize, usize)>,
    /// Functions, methods and bindings by name: where handlers are looked
    /// up.
    by_name: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> Facts<'a> {
    pub fn new(answer: &'a Answer) -> Facts<'a> {
        let mut items = Vec::new();
        let mut by_path = BTreeMap::new();
        for file in &answer.files {
            let shapes = patterns(file.syntax.language);
            let first = items.len();
            for m in &file.syntax.matches {
                let Some(node) = m.captures.iter().find(|c| c.name == "item") else {
                    continue;
                };
                let Some(&(shape, _)) = shapes.get(m.pattern as usize) else {
                    continue;
                };
                items.push(Item {
                    path: &file.path,
                    shape,
                    node,
                    captures: &m.captures,
                });
            }
            items[first..].sort_by_key(|i| (i.node.start_byte, i.shape as u8));
            by_path.insert(file.path.as_str(), (first, items.len()));
        }
        let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            if matches!(item.shape, Shape::Function | Shape::Method | Shape::Binding) {
                by_name.entry(item.text("name")).or_default().push(i);
            }
        }
        Facts {
            items,
            by_path,
            by_name,
        }
    }

    /// The items of one file, in source order.
    pub fn in_file(&self, path: &str) -> &[Item<'a>] {
        self.by_path
            .get(path)
            .map_or(&[], |&(a, b)| &self.items[a..b])
    }

    pub fn paths(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.by_path.keys().copied()
    }

    pub fn of(&self, shape: Shape) -> impl Iterator<Item = &Item<'a>> + '_ {
        self.items.iter().filter(move |i| i.shape == shape)
    }

    /// A function (or method) by name: in `near` first, then anywhere.
    pub fn function(&self, name: &str, near: &str) -> Option<&Item<'a>> {
        let ext = |p: &str| {
            p.rsplit('.')
                .next()
                .unwrap_or("")
                .trim_end_matches('x')
                .to_string()
        };
        let family = ext(near);
        let named = self.by_name.get(name)?.iter().map(|&i| &self.items[i]);
        named
            .clone()
            .find(|i| i.path == near)
            .or_else(|| named.clone().find(|i| ext(i.path) == family))
    }
}

/// The first line of some code, trimmed, at most 160 characters: evidence.
pub fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    line.chars().take(160).collect()
}

/// Top-level comma-separated parts of `(a, b(c, d), "e,f")`, trimmed; the
/// outer parentheses are optional.
pub fn split_args(text: &str) -> Vec<&str> {
    let inner = text.trim();
    let inner = inner
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(inner);
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote): (i32, usize, Option<u8>) = (0, 0, None);
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    parts.push(inner[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        parts.push(last);
    }
    parts
}

/// The value of a plain string literal (`'a'`, `"a"`, a template or
/// f-string without substitutions); `None` for anything computed.
pub fn literal(expr: &str) -> Option<String> {
    let expr = expr.trim();
    let expr = expr.trim_start_matches(['r', 'b', 'u', 'R', 'B', 'U']);
    let (fstring, expr) = match expr.strip_prefix(['f', 'F']) {
        Some(rest) => (true, rest),
        None => (false, expr),
    };
    let quote = expr.chars().next()?;
    if !matches!(quote, '\'' | '"' | '`') || expr.len() < 2 || !expr.ends_with(quote) {
        return None;
    }
    let body = &expr[1..expr.len() - 1];
    if (quote == '`' && body.contains("${")) || (fstring && body.contains('{')) {
        return None;
    }
    if body.contains(quote) {
        return None;
    }
    Some(body.to_string())
}

/// `text` up to the parenthesis that closes its first `(`: a decorator or
/// call without what follows it on the line (a trailing comment).
pub fn through_call(text: &str) -> &str {
    let Some(open) = text.find('(') else {
        return text.trim_end();
    };
    let bytes = text.as_bytes();
    let (mut depth, mut quote) = (0i32, None::<u8>);
    let mut i = open;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' | b'`' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return &text[..=i];
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    text.trim_end()
}

/// Source without its comments (`//`, `/* */`, and `#` in Python), so
/// that a comment mentioning `audit` or `auth()` is not taken for code.
pub fn code_only(text: &str, python: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut start, mut quote) = (0, 0, None::<u8>);
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q || b == b'\n' && q != b'`' {
                quote = None;
            }
            i += 1;
            continue;
        }
        let comment_end = match b {
            b'\'' | b'"' | b'`' => {
                quote = Some(b);
                None
            }
            b'#' if python => Some(text[i..].find('\n').map_or(text.len(), |n| i + n)),
            b'/' if !python && bytes.get(i + 1) == Some(&b'/') => {
                Some(text[i..].find('\n').map_or(text.len(), |n| i + n))
            }
            b'/' if !python && bytes.get(i + 1) == Some(&b'*') => {
                Some(text[i..].find("*/").map_or(text.len(), |n| i + n + 2))
            }
            _ => None,
        };
        match comment_end {
            Some(end) => {
                out.push_str(&text[start..i]);
                i = end;
                start = end;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[start.min(text.len())..]);
    out
}

/// A keyword argument's value (`prefix="/x"`, `prefix: '/x'`).
pub fn keyword<'t>(args: &[&'t str], name: &str) -> Option<&'t str> {
    args.iter().find_map(|a| {
        let rest = a.strip_prefix(name)?.trim_start();
        let rest = rest.strip_prefix('=').or_else(|| rest.strip_prefix(':'))?;
        Some(rest.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_at_top_level_commas_only() {
        assert_eq!(
            split_args("('/a', f(x, y), { a: 1, b: [2, 3] }, 'c,d', async (req, res) => {})"),
            vec![
                "'/a'",
                "f(x, y)",
                "{ a: 1, b: [2, 3] }",
                "'c,d'",
                "async (req, res) => {}"
            ]
        );
        assert!(split_args("()").is_empty());
    }

    #[test]
    fn only_plain_literals_are_literal() {
        assert_eq!(literal("'/a'").as_deref(), Some("/a"));
        assert_eq!(literal("\"/a\"").as_deref(), Some("/a"));
        assert_eq!(literal("`/a`").as_deref(), Some("/a"));
        assert_eq!(literal("`/a/${x}`"), None);
        assert_eq!(literal("f\"/docs/{slug}\""), None);
        assert_eq!(literal("route.path"), None);
        assert_eq!(
            keyword(&["x", "prefix=\"/admin\""], "prefix"),
            Some("\"/admin\"")
        );
    }

    #[test]
    fn comments_are_left_out_of_code() {
        assert_eq!(
            code_only("a(); // audit\nb('//x') /* c */ d", false),
            "a(); \nb('//x')  d"
        );
        assert_eq!(code_only("x = '#1'  # audit\ny", true), "x = '#1'  \ny");
        assert_eq!(
            through_call("@bp.route(\"/a\", methods=[\"POST\"])  # expect: x"),
            "@bp.route(\"/a\", methods=[\"POST\"])"
        );
    }
}
