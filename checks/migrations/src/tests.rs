//! The check on the fixtures of every migration system
//! (`tests/fixtures/migrations`), scored against the expectations written
//! in them: `expect: <rule>[, <rule>]` in a comment on a statement's line,
//! `expect-file: <rule>[, ...]` for findings about a whole file.

use std::path::Path;

use shipready_sdk::testing::{FakeRepo, Score, found};

use super::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/migrations"
);

#[test]
fn precision_and_recall_on_every_migration_system() {
    let repo = FakeRepo::from_dir(Path::new(FIXTURES));
    let outcome = repo.run::<Migrations>().unwrap();
    let score = Score::of(&repo, &outcome);
    println!(
        "migrations fixtures: {} expected, {} found, precision {:.3}, recall {:.3}",
        score.expected, score.found, score.precision, score.recall
    );
    assert!(
        score.missed.is_empty() && score.unexpected.is_empty(),
        "missed: {:#?}\nnot expected: {:#?}",
        score.missed,
        score.unexpected
    );
}

#[test]
fn every_rule_is_documented_with_a_safe_recipe() {
    shipready_sdk::testing::assert_documented(rules::ALL);
}

#[test]
fn no_migrations_means_not_applicable() {
    let outcome = FakeRepo::new()
        .file("src/main.rs", "fn main() {}\n")
        .run::<Migrations>()
        .unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.not_applicable.len(), rules::ALL.len());
}

#[test]
fn an_unknown_dialect_is_a_settings_error_naming_the_choices() {
    let ctx = Context {
        settings: vec![("dialect".into(), "\"oracle\"".into())],
        ..Context::default()
    };
    let err = FakeRepo::new()
        .file("migrations/0001_x.up.sql", "SELECT 1;")
        .context(ctx)
        .run::<Migrations>()
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("oracle") && message.contains("postgres, mysql, sqlite"),
        "{message}"
    );
}

#[test]
fn mysql_does_not_get_postgres_lock_rules() {
    let ctx = Context {
        settings: vec![("dialect".into(), "\"mysql\"".into())],
        ..Context::default()
    };
    let outcome = FakeRepo::new()
        .file(
            "migrations/0002_x.up.sql",
            "CREATE INDEX users_email ON users (email);\nALTER TABLE users MODIFY COLUMN name VARCHAR(300);\n",
        )
        .file("migrations/0002_x.down.sql", "DROP INDEX users_email ON users;\n")
        .context(ctx)
        .run::<Migrations>()
        .unwrap();
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["migrations/column-type-change"]);
}

#[test]
fn unreadable_files_are_findings_and_the_rest_is_checked() {
    let outcome = FakeRepo::new()
        .file("migrations/0001_a.up.sql", b"CREATE TABLE caf\xe9 (x int);")
        .file("migrations/0001_a.down.sql", "DROP TABLE x;")
        .file("migrations/0002_b.up.sql", "DROP TABLE legacy;")
        .file("migrations/0002_b.down.sql", "CREATE TABLE legacy (x int);")
        .run::<Migrations>()
        .unwrap();
    let got: Vec<(&str, String)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.message.clone()))
        .collect();
    assert!(
        got.iter()
            .any(|(r, m)| *r == "migrations/unreadable" && m.contains("not UTF-8")),
        "{got:?}"
    );
    assert!(
        got.iter().any(|(r, _)| *r == "migrations/drop-table"),
        "{got:?}"
    );
}

#[test]
fn a_change_limited_run_reads_only_the_changed_sql_migrations() {
    let outcome = FakeRepo::new()
        .file("migrations/0001_a.up.sql", "DROP TABLE a;")
        .file("migrations/0001_a.down.sql", "CREATE TABLE a (x int);")
        .file("migrations/0002_b.up.sql", "DROP TABLE b;")
        .file("migrations/0002_b.down.sql", "CREATE TABLE b (x int);")
        // Unchanged and unreadable: not read, but its version still counts.
        .file("migrations/0002_c.up.sql", "THIS IS NOT SQL;")
        .changed(&["migrations/0002_b.up.sql"])
        .run::<Migrations>()
        .unwrap();
    let found: Vec<(String, String)> = found(&outcome)
        .into_iter()
        .map(|(path, _, rule)| (path, rule))
        .collect();
    let key = |p: &str, r: &str| (p.to_string(), r.to_string());
    assert_eq!(
        found,
        [
            key("migrations/0002_b.up.sql", "migrations/duplicate-version"),
            key("migrations/0002_b.up.sql", "migrations/drop-table"),
            key(
                "migrations/0002_b.up.sql",
                "migrations/lock-timeout-missing"
            ),
            key("migrations/0002_c.up.sql", "migrations/duplicate-version"),
        ]
    );
}
