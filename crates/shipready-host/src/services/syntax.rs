//! Source files parsed with tree-sitter and queried, for checks (`syntax`
//! interface): the queries are compiled once, then the files matching the
//! check's globs are read, parsed and queried across cores, one parser per
//! worker thread. Files the host does not parse, or will not (too large,
//! binary, too slow), are listed with the reason, so a check can count
//! what it could not see.

use std::cell::RefCell;
use std::collections::BTreeSet;

use rayon::prelude::*;
use shipready_syntax::{
    Answer, Failure, Language, Limits, ParsedFile, Plan, Queries, QuerySpec, Session, SkipReason,
    SkippedFile,
};

use crate::services::repo::{AccessError, Entry, FileKind, RepoIndex};

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session::default());
}

/// Parse and query the files matching `globs` (only those in `changed`,
/// when given). At most `max_matches` matches in all; past it the answer is
/// marked truncated and later files keep no matches.
pub fn query_files(
    index: &RepoIndex,
    changed: Option<&BTreeSet<String>>,
    globs: &[String],
    specs: &[QuerySpec],
    max_matches: usize,
) -> Result<Answer, AccessError> {
    let listed: Vec<&Entry> = index
        .list(globs)?
        .into_iter()
        .filter(|e| changed.is_none_or(|c| c.contains(&e.path)))
        .collect();
    // Only the languages present are compiled for.
    let present: BTreeSet<Language> = listed
        .iter()
        .filter_map(|e| e.language.and_then(Language::from_name))
        .collect();
    let queries =
        Queries::compile_for(specs, |l| present.contains(&l)).map_err(AccessError::Invalid)?;
    let limits = Limits::default();
    let outcomes: Vec<Option<Result<shipready_syntax::FileSyntax, SkipReason>>> = listed
        .par_iter()
        .map(|entry| examine(index, entry, &queries, &limits))
        .collect();
    let mut answer = Answer::default();
    let mut matches = 0usize;
    for (entry, outcome) in listed.into_iter().zip(outcomes) {
        match outcome {
            Some(Ok(mut syntax)) => {
                matches += syntax.matches.len();
                if matches > max_matches {
                    answer.truncated = true;
                    syntax.matches.clear();
                }
                answer.files.push(ParsedFile {
                    path: entry.path.clone(),
                    syntax,
                });
            }
            Some(Err(reason)) => answer.skipped.push(SkippedFile {
                path: entry.path.clone(),
                reason,
                language: entry.language.map(str::to_string),
            }),
            None => {}
        }
    }
    Ok(answer)
}

/// A file parsed and queried, skipped with the reason, or `None` when no
/// query is for its language.
fn examine(
    index: &RepoIndex,
    entry: &Entry,
    queries: &Queries,
    limits: &Limits,
) -> Option<Result<shipready_syntax::FileSyntax, SkipReason>> {
    let language = match queries.plan(entry.language, entry.size) {
        Plan::Parse(language) => language,
        Plan::Skip(reason) => return Some(Err(reason)),
        Plan::Ignore => return None,
    };
    let Some(text) = index.read_classified(entry) else {
        return Some(Err(match entry.kind() {
            Some(FileKind::TooLarge) => SkipReason::TooLarge,
            Some(FileKind::Binary) => SkipReason::Binary,
            Some(FileKind::NotUtf8) => SkipReason::NotUtf8,
            _ => SkipReason::Unreadable,
        }));
    };
    Some(SESSION.with_borrow_mut(|session| {
        session
            .query(queries, language, &text, limits)
            .map_err(|Failure::TimedOut(_)| SkipReason::TimedOut)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::repo::IndexOptions;

    fn spec(language: Language, source: &str) -> QuerySpec {
        QuerySpec {
            language,
            source: source.into(),
        }
    }

    #[test]
    fn files_are_parsed_in_path_order_and_the_rest_are_skipped_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let files: [(&str, &[u8]); 7] = [
            ("b.py", b"q = 'SELECT 1'\n"),
            ("a.py", b"def f(:\n  x = 'SELECT 2'\n"),
            ("c.go", b"package c\nvar q = \"SELECT 3\"\n"),
            ("d.php", b"<?php echo 'x';\n"),
            ("e.py", b"q = '\xff\xfe'\n"),
            ("f.js", b"\0\0\0binary"),
            ("g.rb", b"q = 'not queried'\n"),
        ];
        for (path, bytes) in files {
            std::fs::write(dir.path().join(path), bytes).unwrap();
        }
        std::fs::write(dir.path().join("big.js"), "x;\n".repeat(1 << 20)).unwrap();
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let specs = [
            spec(Language::Python, "(string) @s"),
            spec(Language::Go, "(interpreted_string_literal) @s"),
            spec(Language::JavaScript, "(string) @s"),
        ];
        let answer = query_files(&index, None, &[], &specs, 100).unwrap();
        let parsed: Vec<(&str, u32, usize)> = answer
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.syntax.errors, f.syntax.matches.len()))
            .collect();
        assert_eq!(parsed[0].0, "a.py");
        assert!(parsed[0].1 >= 1, "the broken file counts its errors");
        assert_eq!(parsed[0].2, 1, "and still answers");
        assert_eq!(&parsed[1..], [("b.py", 0, 1), ("c.go", 0, 1)]);
        assert!(answer.files.iter().all(|f| f.syntax.matches[0].query != 2));
        let skipped: Vec<(&str, SkipReason)> = answer
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason))
            .collect();
        assert_eq!(
            skipped,
            [
                ("big.js", SkipReason::TooLarge),
                ("d.php", SkipReason::UnknownLanguage),
                ("e.py", SkipReason::NotUtf8),
                ("f.js", SkipReason::Binary),
            ]
        );
        assert_eq!(answer.skipped[1].language.as_deref(), Some("php"));
    }

    #[test]
    fn the_match_cap_and_the_change_limit_hold() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..4 {
            std::fs::write(dir.path().join(format!("{i}.py")), "a = 'x'\nb = 'y'\n").unwrap();
        }
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let specs = [spec(Language::Python, "(string) @s")];
        let answer = query_files(&index, None, &[], &specs, 5).unwrap();
        assert!(answer.truncated);
        assert_eq!(answer.files.len(), 4);
        assert!(answer.files[3].syntax.matches.is_empty());
        let changed: BTreeSet<String> = ["2.py".to_string()].into();
        let answer = query_files(&index, Some(&changed), &[], &specs, 5).unwrap();
        assert_eq!(answer.files.len(), 1);
        assert!(!answer.truncated);
    }

    #[test]
    fn a_query_that_does_not_compile_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.go"), "package a\n").unwrap();
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let err = query_files(&index, None, &[], &[spec(Language::Go, "(oops")], 5).unwrap_err();
        assert!(matches!(err, AccessError::Invalid(m) if m.starts_with("query 0 (go)")));
    }
}
