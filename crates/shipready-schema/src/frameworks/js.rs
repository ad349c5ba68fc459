//! Where `up` and `down` are in a JavaScript or TypeScript migration
//! module, whichever way it exports them: `exports.up = ...`,
//! `export async function up(...)`, `export const up = ...`, a property
//! `up: async (...) => {...}`, or a method `public async up(...) {...}`
//! (Knex, Sequelize and TypeORM all use some of these).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{Collected, FrameworkMigration, Reversibility};
use crate::calls::{Call, Source, Syntax};
use crate::sql::ParseSql;

/// A migration function: the line it is declared on and its body (inside
/// the braces, or an arrow function's expression).
pub(super) struct Function {
    pub line: u32,
    pub body: Range<usize>,
}

/// The `up` function.
/// Read a JavaScript migration: `read_up` turns the body of `up` into
/// operations; `in_transaction` says whether the framework wraps it in one.
pub(super) fn read(
    text: &str,
    sql: &dyn ParseSql,
    read_up: fn(&Source, Range<usize>, &mut Collected),
    in_transaction: fn(&Source) -> bool,
) -> FrameworkMigration {
    let source = Source::new(text, Syntax::JavaScript);
    let up = up(&source);
    let down = down(&source);
    let mut collected = Collected::new(sql);
    if let Some(up) = &up {
        read_up(&source, up.body.clone(), &mut collected);
    }
    let (ops, errors) = collected.finish();
    FrameworkMigration {
        up: ops,
        errors,
        reversibility: reversibility(&source, up.as_ref(), down.as_ref()),
        in_transaction: in_transaction(&source),
        id: None,
        depends_on: Vec::new(),
        fields: Vec::new(),
    }
}

/// The calls of `up` on a query object: every `.method(...)` of `methods`
/// through `read_call`, and the SQL that `sql_call(...)` runs.
pub(super) fn read_methods(
    source: &Source,
    body: Range<usize>,
    collected: &mut Collected,
    methods: &[&str],
    read_call: fn(&str, &Call, &mut Collected),
    sql_call: &str,
) {
    for method in methods {
        for call in source.calls_in(&format!(".{method}"), body.clone()) {
            read_call(method, &call, collected);
        }
    }
    for call in source.calls_in(sql_call, body) {
        collected.sql(&call, call.nth(0));
    }
}

pub(super) fn up(source: &Source) -> Option<Function> {
    static UP: LazyLock<Regex> = LazyLock::new(|| header("up"));
    function(source, &UP)
}

/// The `down` function.
pub(super) fn down(source: &Source) -> Option<Function> {
    static DOWN: LazyLock<Regex> = LazyLock::new(|| header("down"));
    function(source, &DOWN)
}

/// What comes before the function named `name`, in each way of writing
/// it.
fn header(name: &str) -> Regex {
    Regex::new(&format!(
        r"(?m)\b(?:module\.)?exports\.{name}\s*=\s*|\bfunction\s+{name}\s*|\b(?:const|let|var)\s+{name}\s*=\s*|\b{name}\s*:\s*|^[ \t]*(?:(?:public|private|protected|static|async)\s+)*{name}[ \t]*\("
    ))
    .expect("valid")
}

/// The first function whose header `header` finds.
fn function(source: &Source, header: &Regex) -> Option<Function> {
    source
        .code_matches(header, 0..source.len())
        .iter()
        .filter_map(|caps| caps.get(0))
        .find_map(|header| {
            // A method header ends with its parameters' `(`.
            let after = header.end() - usize::from(header.as_str().ends_with('('));
            let body = body_of_function_at(source, after)?;
            Some(Function {
                line: source.line_of(header.start()),
                body,
            })
        })
}

/// The body of the function expression (or method parameters and body)
/// starting at `at`; none if no function starts there.
fn body_of_function_at(source: &Source, at: usize) -> Option<Range<usize>> {
    let mut at = skip_word(source, source.skip_blank(at), "async");
    let after_function = skip_word(source, at, "function");
    if after_function != at {
        at = source.ident_end(after_function);
        at = source.skip_blank(at);
    }
    at = if source.slice(at..at + 1) == "(" {
        source.matching_close(at)? + 1
    } else {
        let end = source.ident_end(at);
        (end > at).then_some(end)?
    };
    at = source.skip_blank(at);
    if source.slice(at..at + 1) == ":" {
        // A TypeScript return type: skip to the body.
        at = (at..source.len()).find(|&i| {
            source.is_code(i) && (source.slice(i..i + 1) == "{" || source.slice(i..i + 2) == "=>")
        })?;
    }
    let arrow = source.slice(at..at + 2) == "=>";
    if arrow {
        at = source.skip_blank(at + 2);
    }
    if source.slice(at..at + 1) == "{" {
        let close = source.matching_close(at).unwrap_or(source.len());
        Some(at + 1..close)
    } else if arrow {
        Some(at..expression_end(source, at))
    } else {
        None
    }
}

/// `at` moved past `word` if the code there is that word.
fn skip_word(source: &Source, at: usize, word: &str) -> usize {
    let end = at + word.len();
    if source.slice(at..end) == word && source.ident_end(at) == end {
        source.skip_blank(end)
    } else {
        at
    }
}

/// The end of an arrow function's expression body: a `;` or `,` outside
/// brackets, the bracket closing an enclosing one, or the end of a line
/// the next line does not continue with `.`.
fn expression_end(source: &Source, start: usize) -> usize {
    let mut depth = 0i32;
    for i in start..source.len() {
        if !source.is_code(i) {
            continue;
        }
        match source.slice(i..i + 1) {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" if depth == 0 => return i,
            ")" | "]" | "}" => depth -= 1,
            ";" | "," if depth == 0 => return i,
            "\n" if depth == 0 => {
                let next = source.skip_blank(i);
                if source.slice(next..next + 1) != "." {
                    return i;
                }
            }
            _ => {}
        }
    }
    source.len()
}

/// Reversible when a `down` exists and does something.
pub(super) fn reversibility(
    source: &Source,
    up: Option<&Function>,
    down: Option<&Function>,
) -> Reversibility {
    let Some(down) = down else {
        return Reversibility::Irreversible {
            line: up.map_or(1, |up| up.line),
            why: "no down migration".into(),
        };
    };
    let code: String = source
        .code_only(down.body.clone())
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ';')
        .collect();
    let statement = code.strip_prefix("return").unwrap_or(&code);
    let does_nothing = ["", "Promise.resolve()", "null", "undefined"].contains(&statement);
    let why = if does_nothing {
        "down does nothing"
    } else if code.starts_with("throw") {
        "down throws"
    } else {
        return Reversibility::Reversible;
    };
    Reversibility::Irreversible {
        line: down.line,
        why: why.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Syntax;

    fn body<'a>(text: &'a str, name: &str) -> Option<&'a str> {
        let source = Source::new(text, Syntax::JavaScript);
        let function = if name == "up" {
            up(&source)
        } else {
            down(&source)
        }?;
        Some(text[function.body].trim())
    }

    #[test]
    fn finds_functions_however_they_are_exported() {
        let cases = [
            "exports.up = function (knex) { return knex.schema.dropTable('a'); };",
            "module.exports.up = async (knex) => { await knex.schema.dropTable('a'); };",
            "export async function up(knex: Knex): Promise<void> { await knex.schema.dropTable('a'); }",
            "export const up = knex => knex.schema.dropTable('a');",
            "module.exports = {\n  up: async (queryInterface, Sequelize) => { await queryInterface.dropTable('a'); },\n  down: async () => {},\n};",
            "module.exports = {\n  async up(queryInterface, Sequelize) { await queryInterface.dropTable('a'); }\n};",
            "export class A1 implements MigrationInterface {\n    public async up(queryRunner: QueryRunner): Promise<void> {\n        await queryRunner.dropTable('a');\n    }\n}",
        ];
        for text in cases {
            let found = body(text, "up").unwrap_or_default();
            assert!(found.contains("dropTable('a')"), "{text}: {found:?}");
            assert!(!found.contains("down"), "{text}: {found:?}");
        }
    }

    #[test]
    fn references_and_calls_are_not_functions() {
        assert_eq!(
            body("exports.up = up;\nfunction up(knex) { return 1 }", "up"),
            Some("return 1")
        );
        assert_eq!(body("// exports.up = () => {}\nconst x = 1;", "up"), None);
        assert_eq!(body("up(knex);", "up"), None);
    }

    #[test]
    fn expression_bodies_end_with_the_statement() {
        let text = "exports.up = (knex) =>\n  knex.schema\n    .dropTable('a')\n    .dropTable('b')\nexports.down = () => Promise.resolve()";
        assert_eq!(
            body(text, "up"),
            Some("knex.schema\n    .dropTable('a')\n    .dropTable('b')")
        );
        assert_eq!(body(text, "down"), Some("Promise.resolve()"));
    }

    #[test]
    fn reversibility_of_down() {
        let read = |text: &str| {
            let source = Source::new(text, Syntax::JavaScript);
            reversibility(&source, up(&source).as_ref(), down(&source).as_ref())
        };
        let up = "exports.up = async (knex) => { await knex.raw('x'); };\n";
        assert_eq!(
            read(up),
            Reversibility::Irreversible {
                line: 1,
                why: "no down migration".into()
            }
        );
        for down in [
            "exports.down = async () => {};",
            "exports.down = function () {\n  // nothing\n  return Promise.resolve();\n};",
            "exports.down = () => Promise.resolve();",
        ] {
            assert_eq!(
                read(&format!("{up}{down}")),
                Reversibility::Irreversible {
                    line: 2,
                    why: "down does nothing".into()
                },
                "{down}"
            );
        }
        assert!(matches!(
            read(&format!("{up}exports.down = () => {{ throw new Error('no'); }};")),
            Reversibility::Irreversible { why, .. } if why == "down throws"
        ));
        assert_eq!(
            read(&format!(
                "{up}exports.down = (knex) => knex.schema.dropTable('a');"
            )),
            Reversibility::Reversible
        );
    }
}
