//! SQL parsed natively for checks (`sql` interface): the sources of one
//! call, or the repository files it names, are read and parsed in
//! parallel, each into schema operations with `shipready-schema`, or
//! checked for the tables they touch without a required filter.

use rayon::prelude::*;
use shipready_schema::filters::{self, FilterCheck, OwnedTable};
use shipready_schema::sql::{self, Dialect, Parsed, ParsedFile};

use crate::services::repo::{AccessError, RepoIndex};

/// Parse every `(text, first line)`; the answers keep the sources' order.
pub fn parse_all(sources: &[(String, u32)], dialect: Dialect) -> Vec<Parsed> {
    sources
        .par_iter()
        .with_min_len(8)
        .map(|(text, first_line)| sql::parse(text, *first_line, dialect))
        .collect()
}

/// Check every source's first statement against the owned tables, across
/// cores; the answers keep the sources' order.
pub fn check_filters(sources: &[String], owned: &[OwnedTable]) -> Vec<FilterCheck> {
    sources
        .par_iter()
        .with_min_len(16)
        .map(|sql| filters::check(sql, owned))
        .collect()
}

/// Read and parse repository files across cores; the answers keep the
/// order of `paths`. A file that is not SQL text is an error saying why.
pub fn parse_files(
    index: &RepoIndex,
    paths: &[String],
    dialect: Dialect,
) -> Vec<Result<ParsedFile, AccessError>> {
    paths
        .par_iter()
        .map(|path| {
            let text = text_of(index, path)?;
            Ok(ParsedFile {
                header: sql::header(&text),
                parsed: sql::parse(&text, 1, dialect),
            })
        })
        .collect()
}

/// How many statements each file holds (split, not parsed), across cores.
pub fn count_statements(index: &RepoIndex, paths: &[String]) -> Vec<Result<u32, AccessError>> {
    paths
        .par_iter()
        .map(|path| Ok(sql::split(&text_of(index, path)?, 1).len() as u32))
        .collect()
}

fn text_of(index: &RepoIndex, path: &str) -> Result<String, AccessError> {
    sql::file_text(index.read(path)?).map_err(|why| AccessError::Io(format!("`{path}`: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipready_schema::Op;

    #[test]
    fn answers_keep_the_order_of_the_sources() {
        let sources: Vec<(String, u32)> = (0..100)
            .map(|i| (format!("DROP TABLE t{i};"), i + 1))
            .collect();
        let parsed = parse_all(&sources, Dialect::Postgres);
        for (i, p) in parsed.iter().enumerate() {
            assert_eq!(p.ops[0].line, i as u32 + 1);
            assert_eq!(
                p.ops[0].op,
                Op::DropTable {
                    table: format!("t{i}")
                }
            );
        }
    }

    #[test]
    fn files_are_read_and_parsed_in_order_and_the_unreadable_say_why() {
        use crate::services::repo::IndexOptions;
        let dir = tempfile::tempdir().unwrap();
        let files: [(&str, &[u8]); 4] = [
            (
                "a.sql",
                b"-- no-transaction\n\n-- second\nDROP TABLE a;\nSELECT 1;\n",
            ),
            ("b.sql", b"CREATE INDEX i ON t (x);\n"),
            ("latin1.sql", b"-- caf\xe9\nDROP TABLE c;\n"),
            ("bin.sql", b"DROP\0TABLE d;\n"),
        ];
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let paths: Vec<String> = ["b.sql", "a.sql", "latin1.sql", "bin.sql", "gone.sql"]
            .map(String::from)
            .to_vec();
        let counts = count_statements(&index, &paths);
        assert_eq!(counts[1].as_ref().unwrap(), &2);
        assert!(counts[4].is_err());
        let got = parse_files(&index, &paths, Dialect::Postgres);
        let b = got[0].as_ref().unwrap();
        assert!(b.header.is_empty());
        assert!(matches!(b.parsed.ops[0].op, Op::CreateIndex { .. }));
        let a = got[1].as_ref().unwrap();
        assert_eq!(a.header, ["-- no-transaction", "-- second"]);
        assert_eq!(a.parsed.statements, 2);
        assert_eq!(a.parsed.ops[0].line, 4);
        let why = |i: usize| match &got[i] {
            Err(AccessError::Io(m) | AccessError::Invalid(m)) => m.clone(),
            Ok(_) => panic!("{} read", paths[i]),
        };
        assert!(
            why(2).contains("not UTF-8 (invalid byte at offset 6)"),
            "{}",
            why(2)
        );
        assert!(why(3).contains("a binary file"), "{}", why(3));
        assert!(
            why(4).contains("not a file of the repository"),
            "{}",
            why(4)
        );
    }
}
