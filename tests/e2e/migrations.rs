//! The built-in `migrations` check through the real host: the git history
//! (a migration edited after it was committed) and awkward input (huge,
//! non-UTF-8 and templated migrations, an unknown dialect).

use shipready_tests::TempRepo;

use crate::{check_json, item};

fn findings<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn a_migration_edited_after_it_was_committed_is_reported_with_both_commits() {
    let repo = TempRepo::new()
        .file(
            "db/migrations/0001_users.up.sql",
            "CREATE TABLE users (id bigint);\n",
        )
        .file("db/migrations/0001_users.down.sql", "DROP TABLE users;\n")
        .git()
        .file(
            "db/migrations/0001_users.up.sql",
            "CREATE TABLE users (id bigint, email text);\n",
        )
        .commit_all("add email to the first migration");
    let (run, report) = check_json(repo.path(), &["--only", "migrations"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let edited = findings(&report, "migrations/edited-after-commit");
    assert_eq!(edited.len(), 1, "{report:#}");
    assert_eq!(
        edited[0]["location"]["path"],
        "db/migrations/0001_users.up.sql"
    );
    let evidence = edited[0]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("fixture") && evidence.contains("add email"),
        "{evidence}"
    );
    assert_eq!(item(&report, "data.safe-migrations")["status"], "fail");
}

#[test]
fn huge_non_utf8_and_templated_migrations_are_named_and_the_rest_checked() {
    let huge = format!("-- {}\nSELECT 1;\n", "x".repeat(50 << 20));
    let repo = TempRepo::new()
        .file("migrations/0001_huge.up.sql", huge)
        .file("migrations/0001_huge.down.sql", "SELECT 1;\n")
        .file("migrations/0002_latin1.up.sql", b"-- caf\xe9\nSELECT 1;\n")
        .file("migrations/0002_latin1.down.sql", "SELECT 1;\n")
        .file(
            "migrations/0003_templated.up.sql",
            "CREATE TABLE {{ schema }}.events (id bigint);\n",
        )
        .file("migrations/0003_templated.down.sql", "SELECT 1;\n")
        .file("migrations/0004_drop.up.sql", "DROP TABLE legacy;\n")
        .file(
            "migrations/0004_drop.down.sql",
            "CREATE TABLE legacy (id bigint);\n",
        );
    let (run, report) = check_json(repo.path(), &["--only", "migrations"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let unreadable: Vec<(String, String)> = findings(&report, "migrations/unreadable")
        .iter()
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let about = |path: &str, words: &str| {
        unreadable
            .iter()
            .any(|(p, m)| p == path && m.contains(words))
    };
    assert!(
        about("migrations/0001_huge.up.sql", "size limit"),
        "{unreadable:#?}"
    );
    assert!(
        about("migrations/0002_latin1.up.sql", "not UTF-8"),
        "{unreadable:#?}"
    );
    assert!(
        about("migrations/0003_templated.up.sql", "template"),
        "{unreadable:#?}"
    );
    assert_eq!(
        findings(&report, "migrations/drop-table").len(),
        1,
        "the rest is checked"
    );
}

#[test]
fn an_unknown_dialect_is_an_error_that_names_the_choices() {
    let repo = TempRepo::new()
        .file(
            "shipready.toml",
            "[checks.migrations]\nsettings = { dialect = \"oracle\" }\n",
        )
        .file("migrations/0001_a.up.sql", "SELECT 1;\n");
    let (run, report) = check_json(repo.path(), &["--only", "migrations"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let status = &report["checks"][0]["status"];
    let reason = status["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("oracle") && reason.contains("postgres, mysql, sqlite"),
        "{status:#}"
    );
}
