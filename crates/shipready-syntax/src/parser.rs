//! The parser side: grammars, compiled queries and per-thread sessions.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, ParseOptions, Parser, QueryCursor, QueryCursorOptions};

use crate::{Capture, FileSyntax, Language, Match, QuerySpec, SkipReason, Span};

/// Source files larger than this are bundles or generated code: not parsed.
pub const MAX_SOURCE_BYTES: u64 = 2 << 20;

fn grammar(language: Language) -> tree_sitter::Language {
    match language {
        Language::Python => tree_sitter_python::LANGUAGE.into(),
        Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Language::Ruby => tree_sitter_ruby::LANGUAGE.into(),
        Language::Go => tree_sitter_go::LANGUAGE.into(),
        Language::Java => tree_sitter_java::LANGUAGE.into(),
    }
}

/// Queries compiled once, by language; `index` is the query's place in the
/// list the check gave.
pub struct Queries {
    by_language: HashMap<Language, Vec<(u32, tree_sitter::Query)>>,
}

impl Queries {
    /// Compile every query, or say which one is wrong and where.
    pub fn compile(specs: &[QuerySpec]) -> Result<Queries, String> {
        Queries::compile_for(specs, |_| true)
    }

    /// Compile only the queries for the languages `wanted` says are needed
    /// (tree-sitter's query analysis costs milliseconds per pattern: a
    /// repository without Ruby need not pay for the Ruby queries). The
    /// others are neither compiled nor checked.
    pub fn compile_for(
        specs: &[QuerySpec],
        wanted: impl Fn(Language) -> bool,
    ) -> Result<Queries, String> {
        let mut by_language: HashMap<Language, Vec<(u32, tree_sitter::Query)>> = HashMap::new();
        for (i, spec) in specs.iter().enumerate() {
            if !wanted(spec.language) {
                continue;
            }
            let query =
                tree_sitter::Query::new(&grammar(spec.language), &spec.source).map_err(|e| {
                    format!(
                        "query {i} ({}): {:?} error at line {}, column {}: {}",
                        spec.language.name(),
                        e.kind,
                        e.row + 1,
                        e.column + 1,
                        e.message.lines().next().unwrap_or_default()
                    )
                })?;
            by_language
                .entry(spec.language)
                .or_default()
                .push((i as u32, query));
        }
        Ok(Queries { by_language })
    }

    /// True when some query is for `language` (other files need no parse).
    pub fn covers(&self, language: Language) -> bool {
        self.by_language.contains_key(&language)
    }
}

/// What to do with a file, before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Parse(Language),
    Skip(SkipReason),
    /// A language no query is for: neither parsed nor listed.
    Ignore,
}

impl Queries {
    /// The plan for a file whose name gives `language` (as
    /// [`shipready_paths::language_of`] names it) and of `size` bytes.
    pub fn plan(&self, language: Option<&str>, size: u64) -> Plan {
        match language.and_then(Language::from_name) {
            None => Plan::Skip(SkipReason::UnknownLanguage),
            Some(l) if !self.covers(l) => Plan::Ignore,
            Some(_) if size > MAX_SOURCE_BYTES => Plan::Skip(SkipReason::TooLarge),
            Some(l) => Plan::Parse(l),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Parsing and querying one file stops after this.
    pub deadline: Duration,
    pub max_capture_bytes: usize,
    pub max_matches_per_file: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(5),
            max_capture_bytes: 64 << 10,
            max_matches_per_file: 20_000,
        }
    }
}

/// Why a file gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Parsing or querying it took longer than [`Limits::deadline`].
    TimedOut(Duration),
}

/// One parser per language and a query cursor, reused from file to file:
/// keep one per thread.
#[derive(Default)]
pub struct Session {
    parsers: HashMap<Language, Parser>,
    cursor: QueryCursor,
}

impl Session {
    /// Parse `text` as `language` and run that language's queries on it.
    pub fn query(
        &mut self,
        queries: &Queries,
        language: Language,
        text: &str,
        limits: &Limits,
    ) -> Result<FileSyntax, Failure> {
        let started = Instant::now();
        let deadline = started + limits.deadline;
        let timed_out = || Failure::TimedOut(limits.deadline);
        let parser = self.parsers.entry(language).or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&grammar(language))
                .expect("the grammars are built with the tree-sitter version they link");
            p
        });
        let bytes = text.as_bytes();
        let mut over_time = |_: &tree_sitter::ParseState| {
            if Instant::now() > deadline {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let tree = parser
            .parse_with_options(
                &mut |offset, _| bytes.get(offset..).unwrap_or_default(),
                None,
                Some(ParseOptions::new().progress_callback(&mut over_time)),
            )
            .ok_or_else(timed_out)?;
        let root = tree.root_node();
        let (errors, first_error) = syntax_errors(root);
        let mut answer = FileSyntax {
            language,
            errors,
            first_error,
            matches: Vec::new(),
            truncated: false,
        };
        let mut stopped = false;
        for (index, query) in queries.by_language.get(&language).into_iter().flatten() {
            let names = query.capture_names();
            let mut over_time = |_: &tree_sitter::QueryCursorState| {
                if Instant::now() > deadline {
                    stopped = true;
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let mut matches = self.cursor.matches_with_options(
                query,
                root,
                bytes,
                QueryCursorOptions::new().progress_callback(&mut over_time),
            );
            while let Some(m) = matches.next() {
                if answer.matches.len() >= limits.max_matches_per_file {
                    answer.truncated = true;
                    break;
                }
                answer.matches.push(Match {
                    query: *index,
                    pattern: m.pattern_index as u32,
                    captures: m
                        .captures
                        .iter()
                        .map(|c| capture(names[c.index as usize], c.node, text, limits))
                        .collect(),
                });
            }
            drop(matches);
            if stopped {
                return Err(timed_out());
            }
        }
        Ok(answer)
    }
}

fn span(node: Node<'_>) -> Span {
    let (s, e) = (node.start_position(), node.end_position());
    Span {
        start_line: s.row as u32 + 1,
        start_column: s.column as u32 + 1,
        end_line: e.row as u32 + 1,
        end_column: e.column as u32 + 1,
    }
}

fn capture(name: &str, node: Node<'_>, text: &str, limits: &Limits) -> Capture {
    let range = node.byte_range();
    let full = &text[range.clone()];
    let mut end = full.len().min(limits.max_capture_bytes);
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    Capture {
        name: name.to_string(),
        kind: node.kind().to_string(),
        span: span(node),
        start_byte: range.start as u32,
        end_byte: range.end as u32,
        text: full[..end].to_string(),
        truncated: end < full.len(),
    }
}

/// How many error and missing nodes the tree holds, and where the first
/// is; only subtrees that contain an error are walked.
fn syntax_errors(root: Node<'_>) -> (u32, Option<Span>) {
    if !root.has_error() {
        return (0, None);
    }
    let mut count = 0;
    let mut first = None;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
            let at = span(node);
            if first.is_none_or(|f: Span| {
                (at.start_line, at.start_column) < (f.start_line, f.start_column)
            }) {
                first = Some(at);
            }
            if node.is_missing() {
                continue;
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor).filter(|c| c.has_error()));
    }
    (count, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(language: Language, query: &str, text: &str) -> FileSyntax {
        let queries = Queries::compile(&[QuerySpec {
            language,
            source: query.to_string(),
        }])
        .unwrap();
        Session::default()
            .query(&queries, language, text, &Limits::default())
            .unwrap()
    }

    #[test]
    fn captures_carry_their_text_and_place_in_every_language() {
        let cases = [
            (Language::Python, "(string) @s", "x = 1\ny = \"SELECT 1\"\n"),
            (
                Language::JavaScript,
                "(string) @s",
                "const a = 1;\nq('SELECT 1');\n",
            ),
            (
                Language::TypeScript,
                "(string) @s",
                "let a: number = 1;\nq('SELECT 1');\n",
            ),
            (
                Language::Tsx,
                "(string) @s",
                "const A = () => <div/>;\nq('SELECT 1');\n",
            ),
            (Language::Ruby, "(string) @s", "a = 1\nq('SELECT 1')\n"),
            (
                Language::Go,
                "(interpreted_string_literal) @s",
                "package m\nvar q = \"SELECT 1\"\n",
            ),
            (
                Language::Java,
                "(string_literal) @s",
                "class A {\n String q = \"SELECT 1\"; }\n",
            ),
        ];
        for (language, query, text) in cases {
            let answer = run(language, query, text);
            assert_eq!(answer.errors, 0, "{language:?}");
            assert_eq!(answer.matches.len(), 1, "{language:?}");
            let c = &answer.matches[0].captures[0];
            assert!(c.text.contains("SELECT 1"), "{language:?}: {}", c.text);
            assert_eq!(c.span.start_line, 2, "{language:?}");
            assert_eq!(c.name, "s");
        }
    }

    #[test]
    fn text_predicates_filter_natively() {
        let answer = run(
            Language::Python,
            r#"((string) @s (#match? @s "(?i)select"))"#,
            "a = 'hello'\nb = 'select 1'\n",
        );
        assert_eq!(answer.matches.len(), 1);
        assert_eq!(answer.matches[0].captures[0].text, "'select 1'");
    }

    #[test]
    fn a_broken_file_still_answers_with_its_errors_counted() {
        let answer = run(
            Language::Python,
            "(string) @s",
            "def f(:\n    pass\nq = 'SELECT 1'\n",
        );
        assert!(answer.errors >= 1);
        assert_eq!(answer.first_error.unwrap().start_line, 1);
        assert!(
            answer
                .matches
                .iter()
                .any(|m| m.captures[0].text == "'SELECT 1'")
        );
    }

    #[test]
    fn a_wrong_query_says_which_and_where() {
        let err = Queries::compile(&[
            QuerySpec {
                language: Language::Go,
                source: "(identifier) @i".into(),
            },
            QuerySpec {
                language: Language::Ruby,
                source: "(no_such_node) @x".into(),
            },
        ])
        .err()
        .unwrap();
        assert!(err.starts_with("query 1 (ruby): NodeType"), "{err}");
    }

    #[test]
    fn captures_are_cut_at_the_limit_on_a_character_boundary() {
        let queries = Queries::compile(&[QuerySpec {
            language: Language::Python,
            source: "(string) @s".into(),
        }])
        .unwrap();
        let limits = Limits {
            max_capture_bytes: 4,
            ..Limits::default()
        };
        let answer = Session::default()
            .query(&queries, Language::Python, "q = 'éééé'\n", &limits)
            .unwrap();
        let c = &answer.matches[0].captures[0];
        assert!(c.truncated);
        assert_eq!(c.text, "'é");
    }

    #[test]
    fn a_deadline_stops_an_enormous_file() {
        let queries = Queries::compile(&[QuerySpec {
            language: Language::JavaScript,
            source: "(string) @s".into(),
        }])
        .unwrap();
        let text = "f('a', [1, 2, {b: 'c'}]);\n".repeat(200_000);
        let limits = Limits {
            deadline: Duration::from_millis(1),
            ..Limits::default()
        };
        let got = Session::default().query(&queries, Language::JavaScript, &text, &limits);
        assert_eq!(got, Err(Failure::TimedOut(Duration::from_millis(1))));
    }

    #[test]
    fn languages_come_from_file_names() {
        assert_eq!(Language::of_path("a/b.tsx"), Some(Language::Tsx));
        assert_eq!(Language::of_path("a/b.jsx"), Some(Language::JavaScript));
        assert_eq!(Language::of_path("Rakefile"), Some(Language::Ruby));
        assert_eq!(Language::of_path("a.php"), None);
    }
}
