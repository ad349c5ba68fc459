//! What the check asks the host's `syntax` service for, per language, and
//! how the captures become candidates: SQL text (static, or built at run
//! time), ORM call chains, scoping-helper calls, model classes and Prisma
//! clients.

use shipready_sdk::syntax::{Answer, Capture, Language, QuerySpec};

/// What a query is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A string literal that starts like SQL.
    SqlString,
    /// An expression that builds a string at run time and holds SQL:
    /// concatenation, `%` and `.format`, `fmt.Sprintf`.
    Built,
    /// A tagged template literal (`sql\`...\``, `prisma.$queryRaw\`...\``):
    /// its substitutions are parameters.
    Tagged,
    /// A call chain that may be an ORM query.
    Chain,
    /// A call of a configured scoping helper.
    Helper,
    /// A class declaration (models, managers).
    Class,
    /// A variable holding an extended Prisma client.
    Client,
    /// A TypeORM repository held in a field or parameter.
    Repository,
    /// A block that turns a tenant default scope off
    /// (`ActsAsTenant.without_tenant { ... }`).
    Unscoping,
}

/// Case-insensitive: a literal whose text starts with a statement verb.
const SQL_START: &str = r#"(?is)^[a-z]{0,2}["'`]{1,3}\s*(select|update|delete|with)\s"#;
/// A literal somewhere in the expression starts with a statement verb.
const SQL_INSIDE: &str = r#"(?is)["'`]\s*(select|update|delete)\s"#;

fn q(language: Language, source: String) -> QuerySpec {
    QuerySpec { language, source }
}

/// The check's patterns as the host runs them: one query per language
/// holding all of that language's patterns, so each file's tree is walked
/// once; a match's pattern index says what it is for.
pub struct Queries {
    pub specs: Vec<QuerySpec>,
    /// By query, then by pattern.
    purposes: Vec<Vec<Purpose>>,
}

pub fn queries(helpers: &[String]) -> Queries {
    let mut specs: Vec<QuerySpec> = Vec::new();
    let mut purposes: Vec<Vec<Purpose>> = Vec::new();
    for (pattern, purpose) in patterns(helpers) {
        match specs.iter().position(|s| s.language == pattern.language) {
            Some(i) => {
                specs[i].source.push('\n');
                specs[i].source.push_str(&pattern.source);
                purposes[i].push(purpose);
            }
            None => {
                specs.push(pattern);
                purposes.push(vec![purpose]);
            }
        }
    }
    Queries { specs, purposes }
}

/// Every pattern, one top-level tree-sitter pattern each, with what it is for.
fn patterns(helpers: &[String]) -> Vec<(QuerySpec, Purpose)> {
    let helpers = if helpers.is_empty() {
        "a^".to_string() // matches nothing
    } else {
        format!("(^|\\.)({})$", helpers.join("|"))
    };
    let mut out = vec![
        (
            q(
                Language::Python,
                format!("([(string) (concatenated_string)] @s (#match? @s \"{}\"))", esc(SQL_START)),
            ),
            Purpose::SqlString,
        ),
        (
            q(
                Language::Python,
                format!(
                    "([(binary_operator) (call function: (attribute object: (string) attribute: (identifier) @f) (#eq? @f \"format\"))] @b (#match? @b \"{}\"))",
                    esc(SQL_INSIDE)
                ),
            ),
            Purpose::Built,
        ),
        (
            q(
                Language::Python,
                r#"((call) @c (#match? @c "^([A-Z]\\w*\\.objects(\\s|#[^\\n]*)*\\.|(select|update|delete)\\(\\s*\\w|\\w+\\.(query|get)\\(\\s*[A-Z]|\\w+\\.(select|update|delete)\\()"))"#.to_string(),
            ),
            Purpose::Chain,
        ),
        (
            q(Language::Python, format!("((call function: (_) @f) @h (#match? @f \"{}\"))", esc(&helpers))),
            Purpose::Helper,
        ),
        (
            q(
                Language::Python,
                r#"((class_definition name: (identifier) @name superclasses: (argument_list) @bases) @class (#match? @bases "Model|Base|Manager|QuerySet"))"#.to_string(),
            ),
            Purpose::Class,
        ),
        (
            q(
                Language::Python,
                // SQLAlchemy Core: `invoices = Table("invoices", metadata, ...)`.
                r#"((assignment left: (identifier) @name right: (call function: [(identifier) (attribute)] @bases)) @class (#match? @bases "(^|\\.)Table$"))"#.to_string(),
            ),
            Purpose::Class,
        ),
        (q(Language::Ruby, format!("((string) @s (#match? @s \"{}\"))", esc(SQL_START))), Purpose::SqlString),
        (q(Language::Ruby, format!("((binary) @b (#match? @b \"{}\"))", esc(SQL_INSIDE))), Purpose::Built),
        (
            q(
                Language::Ruby,
                r#"((call method: (identifier) @m) @u (#any-of? @m "without_tenant" "unscoped"))"#.to_string(),
            ),
            Purpose::Unscoping,
        ),
        (
            q(
                Language::Ruby,
                r#"((call) @c (#match? @c "^[A-Z]\\w*(::\\w+)*(\\s|#[^\\n]*)*\\.(where|find|find_by|find_by!|all|first|last|take|order|joins|includes|update_all|delete_all|destroy_all|pluck|count|exists\\?|find_each|limit|unscoped|group|select|distinct|sum|maximum|minimum|average|ids|in_batches|find_in_batches|preload|eager_load|left_joins|reorder|offset|sole|find_sole_by|destroy|delete|update|update!|destroy_by|delete_by|for_org)\\b"))"#.to_string(),
            ),
            Purpose::Chain,
        ),
        (
            q(Language::Ruby, "((class name: (constant) @name superclass: (superclass) @bases) @class)".to_string()),
            Purpose::Class,
        ),
        (
            q(
                Language::Go,
                format!(
                    "([(interpreted_string_literal) (raw_string_literal)] @s (#match? @s \"{}\"))",
                    esc(SQL_START)
                ),
            ),
            Purpose::SqlString,
        ),
        (
            q(
                Language::Go,
                format!(
                    "([(binary_expression) (call_expression function: (selector_expression field: (field_identifier) @f) (#eq? @f \"Sprintf\"))] @b (#match? @b \"{}\"))",
                    esc(SQL_INSIDE)
                ),
            ),
            Purpose::Built,
        ),
        (
            q(
                Language::Go,
                r#"((call_expression) @c (#match? @c "^\\w+(\\.\\w+)*\\.(Where|First|Find|Take|Last|Delete|Update|Updates|UpdateColumn|UpdateColumns|Model|Scopes|Table|Preload|Joins|Order|Limit)\\("))"#.to_string(),
            ),
            Purpose::Chain,
        ),
        (
            q(Language::Go, "((type_spec name: (type_identifier) @name type: (struct_type) @bases) @class)".to_string()),
            Purpose::Class,
        ),
        (q(Language::Java, format!("((string_literal) @s (#match? @s \"{}\"))", esc(SQL_START))), Purpose::SqlString),
        (q(Language::Java, format!("((binary_expression) @b (#match? @b \"{}\"))", esc(SQL_INSIDE))), Purpose::Built),
    ];
    for language in [Language::JavaScript, Language::TypeScript, Language::Tsx] {
        out.extend([
            (
                q(language, format!("([(string) (template_string)] @s (#match? @s \"{}\"))", esc(SQL_START))),
                Purpose::SqlString,
            ),
            (q(language, format!("((binary_expression) @b (#match? @b \"{}\"))", esc(SQL_INSIDE))), Purpose::Built),
            (
                q(language, format!("(call_expression arguments: (template_string) @t (#match? @t \"{}\"))", esc(SQL_START))),
                Purpose::Tagged,
            ),
            (
                q(
                    language,
                    r#"((call_expression) @c (#match? @c "^\\w+\\.\\w+\\.(findMany|findFirst|findFirstOrThrow|findUnique|findUniqueOrThrow|update|updateMany|delete|deleteMany|upsert|count|aggregate|groupBy)\\("))"#.to_string(),
                ),
                Purpose::Chain,
            ),
            (
                q(language, format!("((call_expression function: (_) @f) @h (#match? @f \"{}\"))", esc(&helpers))),
                Purpose::Helper,
            ),
            (
                q(
                    language,
                    r#"((variable_declarator name: (identifier) @name value: (_) @value) (#match? @value "\\$(extends|use)\\("))"#.to_string(),
                ),
                Purpose::Client,
            ),
            (
                q(
                    language,
                    // TypeORM repositories, Sequelize models, Knex tables.
                    r#"((call_expression) @c (#match? @c "^((this\\.)?\\w+(\\.getRepository\\(\\s*\\w+\\s*\\))?(\\s|//[^\\n]*)*\\.(find|findBy|findOne|findOneBy|findOneOrFail|findOneByOrFail|findAndCount|findAndCountBy|count|countBy|exist|exists|existsBy|update|delete|softDelete|createQueryBuilder)\\(|[A-Z]\\w*\\.(findAll|findOne|findByPk|findAndCountAll|count|update|destroy)\\(|\\w+(\\.(table|from))?\\(\\s*['\"]\\w+['\"]\\s*\\)(\\s|//[^\\n]*)*\\.)"))"#.to_string(),
                ),
                Purpose::Chain,
            ),
            (
                q(
                    language,
                    r#"((call_expression function: (member_expression object: (identifier) @name property: (property_identifier) @bases) arguments: (arguments)) @class (#eq? @bases "init"))"#.to_string(),
                ),
                Purpose::Class,
            ),
        ]);
        if language != Language::JavaScript {
            out.extend([
                (
                    q(
                        language,
                        r#"((export_statement decorator: (decorator) @bases declaration: (class_declaration name: (type_identifier) @name)) @class (#match? @bases "^@Entity"))"#.to_string(),
                    ),
                    Purpose::Class,
                ),
                (
                    q(
                        language,
                        r#"((class_declaration decorator: (decorator) @bases name: (type_identifier) @name) @class (#match? @bases "^@Entity"))"#.to_string(),
                    ),
                    Purpose::Class,
                ),
                (
                    q(
                        language,
                        r#"([(public_field_definition) (required_parameter)] @r (#match? @r "Repository<\\s*\\w+\\s*>"))"#.to_string(),
                    ),
                    Purpose::Repository,
                ),
            ]);
        }
    }
    out
}

/// A regex as a tree-sitter query string literal.
fn esc(regex: &str) -> String {
    regex.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The file globs the check asks for: every source file, so languages the
/// host does not parse are counted.
pub const GLOBS: &[&str] = &[
    "*.py", "*.js", "*.mjs", "*.cjs", "*.jsx", "*.ts", "*.mts", "*.cts", "*.tsx", "*.rb", "*.go",
    "*.java", "*.php", "*.cs", "*.kt", "*.scala", "*.ex", "*.exs", "*.rs", "*.swift",
];

/// Paths that are never the application's own queries.
pub fn ignored(path: &str) -> bool {
    path.split('/').any(|part| {
        matches!(
            part,
            "node_modules" | "vendor" | "dist" | "build" | ".venv" | "venv" | "site-packages"
        )
    }) || path.ends_with(".min.js")
        || path.ends_with(".d.ts")
}

/// One capture with the file it is in.
pub struct Found<'a> {
    pub path: &'a str,
    pub purpose: Purpose,
    pub capture: &'a Capture,
    /// The match's other captures (`@name`, `@bases`, `@value`).
    pub others: Vec<&'a Capture>,
}

/// Every capture of the answer, with what it is for.
pub fn found<'a>(answer: &'a Answer, queries: &Queries) -> Vec<Found<'a>> {
    let mut out = Vec::new();
    for file in &answer.files {
        if ignored(&file.path) {
            continue;
        }
        for m in &file.syntax.matches {
            let Some(&purpose) = queries
                .purposes
                .get(m.query as usize)
                .and_then(|p| p.get(m.pattern as usize))
            else {
                continue;
            };
            let main = match purpose {
                Purpose::SqlString => "s",
                Purpose::Built => "b",
                Purpose::Tagged => "t",
                Purpose::Chain => "c",
                Purpose::Helper => "h",
                Purpose::Class => "class",
                Purpose::Client => "name",
                Purpose::Repository => "r",
                Purpose::Unscoping => "u",
            };
            let Some(capture) = m.captures.iter().find(|c| c.name == main) else {
                continue;
            };
            out.push(Found {
                path: &file.path,
                purpose,
                capture,
                others: m.captures.iter().filter(|c| c.name != main).collect(),
            });
        }
    }
    out
}

/// SQL as written in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlText {
    pub sql: String,
    /// Built at run time from pieces the check cannot see.
    pub dynamic: bool,
}

/// The quotes and prefix of a literal, removed; substitutions (`{x}`,
/// `${x}`, `#{x}`) become parameters. `tagged`: substitutions are bound
/// parameters, not text.
/// Whether text that starts with a statement verb has a statement's shape:
/// `SELECT ... FROM`, `UPDATE t ... SET`, `DELETE [t] FROM`, `WITH t AS (`.
/// Labels, docstrings and route descriptions ("Delete envelope", "Update a
/// discount. **Scopes**: ...", "DELETE /users/me") do not.
pub fn reads_as_sql(sql: &str) -> bool {
    static SHAPE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let shape = SHAPE.get_or_init(|| {
        regex::Regex::new(
            r"(?is)^\s*(?:\(\s*)*(?:select\s.*\bfrom\s+[\w`\x22\[(]|select\s+[\w*?$%:(]|update\s+[\w`\x22.\[]+\s+(?:(?:as\s+)?\w+\s+)?set\s|delete\s+(?:[\w.]+\s+)?from\s+[\w`\x22\[]|with\s+(?:recursive\s+)?[\w`\x22]+\s*(?:\([^)]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s*)?\()",
        )
        .expect("a valid pattern")
    });
    if !shape.is_match(sql) {
        return false;
    }
    // Sentence case with nothing of SQL in it is prose ("Select the
    // users from the list.").
    let sentence = sql
        .trim_start()
        .chars()
        .take(2)
        .collect::<String>()
        .chars()
        .enumerate()
        .all(|(i, c)| (i == 0) == c.is_ascii_uppercase());
    !sentence || sql.contains(['=', '*', '?', '$', '%', '(', ',', ';'])
}

pub fn literal(text: &str, tagged: bool) -> SqlText {
    let prefix_len = text.find(['"', '\'', '`']).filter(|&i| i <= 2).unwrap_or(0);
    let prefix = text[..prefix_len].to_ascii_lowercase();
    let rest = &text[prefix_len..];
    let quote = ["\"\"\"", "'''", "\"", "'", "`"]
        .into_iter()
        .find(|q| rest.starts_with(q))
        .unwrap_or("");
    let body = rest
        .strip_prefix(quote)
        .and_then(|r| r.strip_suffix(quote))
        .unwrap_or(rest);
    let f_string = prefix.contains('f');
    let mut sql = String::with_capacity(body.len());
    let mut dynamic = false;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let opener = match bytes[i] {
            b'$' | b'#' if bytes.get(i + 1) == Some(&b'{') && quote != "'" => 2,
            b'{' if f_string && bytes.get(i + 1) != Some(&b'{') => 1,
            _ => 0,
        };
        if opener > 0 {
            let mut depth = 0;
            let mut j = i + opener - 1;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            sql.push('?');
            dynamic |= !tagged;
            i = j + 1;
            continue;
        }
        let ch = body[i..].chars().next().unwrap_or(' ');
        sql.push(ch);
        i += ch.len_utf8();
    }
    SqlText { sql, dynamic }
}

/// An expression that builds SQL at run time, read as SQL: its literals in
/// order, what lies between two of them (a variable, a call) as a
/// parameter, and what it appends after its last with `+` as one more.
pub fn built(text: &str) -> SqlText {
    let bytes = text.as_bytes();
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'"' | b'\'' | b'`') {
            let triple = text[i..].starts_with("\"\"\"") || text[i..].starts_with("'''");
            let quote = if triple {
                &text[i..i + 3]
            } else {
                &text[i..i + 1]
            };
            let mut j = i + quote.len();
            while j < bytes.len() && !text[j..].starts_with(quote) {
                if bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            let end = (j + quote.len()).min(bytes.len());
            // A prefix (`f`, `r`) belongs to the literal.
            let mut start = i;
            while start > 0 && bytes[start - 1].is_ascii_alphabetic() && start + 2 > i {
                start -= 1;
            }
            pieces.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    let mut sql = String::new();
    // Anything around the literals (`fmt.Sprintf(`, `.format(x)`, `% x`)
    // fills them in at run time.
    let leading = pieces.first().map_or("", |&(start, _)| &text[..start]);
    let mut dynamic = !without_line_comments(leading).trim().is_empty();
    for (n, &(start, end)) in pieces.iter().enumerate() {
        let piece = literal(&text[start..end], false);
        sql.push_str(&piece.sql);
        dynamic |= piece.dynamic;
        let gap = match pieces.get(n + 1) {
            Some(&(next, _)) => &text[end..next],
            None => &text[end..],
        };
        let gap = without_line_comments(gap);
        let gap = gap.trim();
        let last = pieces.get(n + 1).is_none();
        let between = !last && !gap.is_empty() && gap != "+";
        let appended = last && gap.starts_with('+');
        if between || appended {
            sql.push_str(" ? ");
        } else {
            sql.push(' ');
        }
        dynamic |= between || (last && !gap.is_empty());
    }
    // Literals joined by `+` or written side by side are one fixed text.
    SqlText { sql, dynamic }
}

/// `#` and `//` comments between the pieces of an expression, removed.
fn without_line_comments(gap: &str) -> String {
    gap.lines()
        .map(|l| {
            let cut = [l.find("//"), l.find('#')].into_iter().flatten().min();
            cut.map_or(l, |i| &l[..i])
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_that_starts_with_a_verb_is_not_sql() {
        for sql in [
            "SELECT * FROM t",
            "select id from invoices where id = $1",
            "SELECT 1",
            "UPDATE invoices SET status = 'paid' WHERE id = ?",
            "DELETE FROM invoices WHERE id = ?",
            "DELETE i FROM invoices i WHERE i.id = ?",
            "WITH RECURSIVE d AS (SELECT id FROM pages) SELECT * FROM d",
            "Select id, name From users Where id = ?",
        ] {
            assert!(reads_as_sql(sql), "{sql}");
        }
        for prose in [
            "Delete envelope",
            "Delete Discounts",
            "Update a discount. **Scopes**: `discounts:write` Args: id: The discount ID.",
            "DELETE /users/me",
            "Update link format",
            "Select a folder to move the selected template to.",
            "Select the users from the list",
            "With great power comes responsibility",
        ] {
            assert!(!reads_as_sql(prose), "{prose}");
        }
    }

    #[test]
    fn literals_lose_their_quotes_and_substitutions_become_parameters() {
        assert_eq!(literal("'SELECT 1'", false).sql, "SELECT 1");
        assert_eq!(literal("\"\"\"SELECT 1\"\"\"", false).sql, "SELECT 1");
        let f = literal("f\"SELECT * FROM t WHERE id = {x.id}\"", false);
        assert_eq!(f.sql, "SELECT * FROM t WHERE id = ?");
        assert!(f.dynamic);
        let t = literal("`SELECT * FROM t WHERE org_id = ${orgId}`", true);
        assert_eq!(t.sql, "SELECT * FROM t WHERE org_id = ?");
        assert!(!t.dynamic);
        assert!(literal("\"SELECT #{x} FROM t\"", false).dynamic);
        assert!(!literal("'SELECT #{x} FROM t'", false).dynamic);
    }

    #[test]
    fn built_sql_keeps_its_literals_in_order() {
        let b = |t: &str| {
            let got = built(t);
            (
                got.sql.split_whitespace().collect::<Vec<_>>().join(" "),
                got.dynamic,
            )
        };
        assert_eq!(
            b("'SELECT * FROM t WHERE ' + clause"),
            ("SELECT * FROM t WHERE ?".into(), true)
        );
        assert_eq!(
            b("\"SELECT * FROM t WHERE id = \" + id + \" AND x = 1\""),
            ("SELECT * FROM t WHERE id = ? AND x = 1".into(), true)
        );
        assert_eq!(
            b("fmt.Sprintf(\"SELECT * FROM t ORDER BY %s\", col)"),
            ("SELECT * FROM t ORDER BY %s".into(), true)
        );
        assert_eq!(
            b("\"SELECT * FROM t WHERE id = %s\" % (x,)"),
            ("SELECT * FROM t WHERE id = %s".into(), true)
        );
        // Fixed pieces: side by side (Python), or joined with `+`.
        assert_eq!(
            b("(\"SELECT * \"  # why\n \"FROM t\")"),
            ("SELECT * FROM t".into(), true)
        );
        assert_eq!(
            b("\"SELECT * \"\n    \"FROM t\""),
            ("SELECT * FROM t".into(), false)
        );
        assert_eq!(
            b("'SELECT * ' +\n  'FROM t'"),
            ("SELECT * FROM t".into(), false)
        );
    }
}
