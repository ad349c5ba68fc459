//! The check on fixture apps in six stacks (`tests/fixtures/org-scope`),
//! scored against the `expect:` markers written in them, and on the bad
//! inputs: source that does not parse, SQL built by concatenation, huge
//! generated files, languages the host does not parse, bad settings.

use std::path::Path;

use shipready_sdk::Location;
use shipready_sdk::testing::{FakeRepo, Score, assert_apps_exact};

use super::*;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/org-scope"
);
/// Every fixture app, exactly as its markers say.
#[test]
fn precision_and_recall_on_every_fixture_app() {
    assert_apps_exact::<OrgScope>(
        "org-scope",
        Path::new(FIXTURES),
        |repo| repo.setting("scope_helpers", r#"["for_org", "forOrg", "ForOrg"]"#),
        &[rules::SET_ASIDE.id()],
    );
}

#[test]
fn every_rule_is_documented_with_examples() {
    shipready_sdk::testing::assert_documented(rules::ALL);
}

const INVOICES: &str = "CREATE TABLE invoices (id bigint, org_id bigint, status text);\n";

#[test]
fn a_repository_without_tenant_tables_is_not_applicable() {
    let outcome = FakeRepo::new()
        .file("db/1.sql", "CREATE TABLE plans (id bigint);\n")
        .file(
            "app.py",
            "db.execute('SELECT * FROM plans WHERE id = %s', [1])\n",
        )
        .run::<OrgScope>()
        .unwrap();
    assert!(outcome.findings.is_empty());
    assert_eq!(outcome.not_applicable.len(), rules::ALL.len());
    assert!(outcome.not_applicable[0].reason.contains("org_id"));
}

#[test]
fn source_that_does_not_parse_is_still_read_and_named() {
    let outcome = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file(
            "app/broken.py",
            "def f(:\n    pass\n\nrows = db.execute(\"DELETE FROM invoices WHERE id = %s\", [i])\n",
        )
        .run::<OrgScope>()
        .unwrap();
    let rules: Vec<(&str, &str)> = outcome
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.message.as_str()))
        .collect();
    assert!(
        rules.iter().any(|(r, _)| *r == "org-scope/unscoped-write"),
        "{rules:#?}"
    );
    assert!(
        rules
            .iter()
            .any(|(r, m)| *r == "org-scope/partial-parse" && m.contains("line 1")),
        "{rules:#?}"
    );
}

#[test]
fn sql_built_by_concatenation_cannot_be_verified_unless_its_text_is_scoped() {
    let outcome = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file(
            "src/a.js",
            "q('SELECT * FROM invoices WHERE ' + where);\nq('SELECT * FROM invoices WHERE org_id = $1 ORDER BY ' + col);\nq(`DELETE FROM invoices WHERE id = ${id}`);\n",
        )
        .file("app/b.py", "cur.execute(f\"SELECT * FROM invoices WHERE status = '{s}'\")\n")
        .file("c.go", "package c\nvar q = fmt.Sprintf(\"SELECT * FROM invoices ORDER BY %s\", col)\n")
        .run::<OrgScope>()
        .unwrap();
    let got: Vec<(String, u32, String)> = outcome
        .findings
        .iter()
        .map(|f| match &f.location {
            Some(Location::File { path, span, .. }) => {
                (path.clone(), span.unwrap().start_line, f.rule.clone())
            }
            _ => panic!("{f:?}"),
        })
        .collect();
    let want = |p: &str, l: u32| (p.to_string(), l, "org-scope/unverifiable".to_string());
    assert_eq!(
        got,
        [
            want("app/b.py", 1),
            want("c.go", 2),
            want("src/a.js", 1),
            want("src/a.js", 3)
        ]
    );
    assert!(outcome.findings.iter().all(|f| f.severity.is_none()));
}

#[test]
fn enormous_files_and_unknown_languages_are_skipped_and_counted() {
    let bundle = format!(
        "var q = 'SELECT * FROM invoices';\n{}",
        "x = 1;\n".repeat(400_000)
    );
    let outcome = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file("dist/app.js", &bundle)
        .file("public/big.js", &bundle)
        .file(
            "src/index.php",
            "<?php $db->query('SELECT * FROM invoices');\n",
        )
        .file("src/other.php", "<?php\n")
        .file("README.md", "# hello\n")
        .run::<OrgScope>()
        .unwrap();
    assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
    let f = &outcome.findings[0];
    assert_eq!(f.rule, "org-scope/not-analysed");
    assert!(
        f.message.starts_with("3 source files not analysed")
            && f.message.contains("2 php (language not parsed)")
            && f.message.contains("1 too large, e.g. public/big.js"),
        "{}",
        f.message
    );
}

#[test]
fn bad_settings_say_what_is_wrong() {
    let err = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .setting("scope_helpers", "\"for_org\"")
        .run::<OrgScope>()
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("scope_helpers must be a list of names"),
        "{err:?}"
    );
}

#[test]
fn settings_add_tenant_columns_and_global_tables() {
    let repo = FakeRepo::new()
        .file("db/1.sql", "CREATE TABLE notes (id bigint, company_id bigint);\nCREATE TABLE tags (id bigint, org_id bigint);\n")
        .file("a.py", "db.execute('SELECT * FROM notes')\ndb.execute('SELECT * FROM tags')\n")
        .setting("tenant_columns", "[\"company_id\"]")
        .setting("global_tables", "[\"tags\"]");
    let outcome = repo.run::<OrgScope>().unwrap();
    assert_eq!(outcome.findings.len(), 1, "{:#?}", outcome.findings);
    assert!(
        outcome.findings[0]
            .message
            .contains("tenant column `company_id`")
    );
}

#[test]
fn sqlalchemy_core_tables_and_statements() {
    let repo = FakeRepo::new()
        .file(
            "app/tables.py",
            "from sqlalchemy import Table, Column, Integer, ForeignKey, MetaData\nmetadata = MetaData()\ninvoices = Table(\n    \"invoices\", metadata,\n    Column(\"id\", Integer, primary_key=True),\n    Column(\"org_id\", ForeignKey(\"organizations.id\")),\n    Column(\"status\", Integer),\n)\nplans = Table(\"plans\", metadata, Column(\"id\", Integer))\n",
        )
        .file(
            "app/queries.py",
            "def a(conn, org_id):\n    return conn.execute(select(invoices).where(invoices.c.org_id == org_id))\n\ndef b(conn):\n    return conn.execute(select(invoices).where(invoices.c.status == 1))  # expect: org-scope/unscoped-read\n\ndef c(conn, i):\n    conn.execute(invoices.delete().where(invoices.c.id == i))  # expect: org-scope/unscoped-write\n\ndef d(conn, o):\n    conn.execute(invoices.update().where(invoices.c.org_id.in_(o)).values(status=2))\n\ndef e(conn):\n    return conn.execute(select(plans))\n",
        );
    let outcome = repo.run::<OrgScope>().unwrap();
    let score = Score::of(&repo, &outcome);
    assert!(
        score.missed.is_empty() && score.unexpected.is_empty(),
        "{score:#?}"
    );
}

/// A set written without the implementation in view, by a reviewer
/// trying to break it (`tests/fixtures/org-scope-holdout`). Its first,
/// blind score was precision 0.903, recall 0.700; the gaps it showed were
/// fixed in general (adjacent literals, `exclude` and OR-ed `Q`, `where.not`,
/// `unscoped`, CTEs, statements before their subqueries), and it is now held
/// exactly like the other fixtures.
#[test]
fn precision_and_recall_on_the_holdout_set() {
    let root = Path::new(FIXTURES).with_file_name("org-scope-holdout");
    assert_apps_exact::<OrgScope>(
        "org-scope holdout",
        &root,
        |repo| repo,
        &[rules::SET_ASIDE.id()],
    );
}

#[test]
fn a_change_without_source_files_parses_nothing() {
    let repo = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file("a.py", "db.execute('SELECT * FROM invoices')\n")
        .file("README.md", "# hi\n");
    let outcome = repo.changed(&["README.md"]).run::<OrgScope>().unwrap();
    assert!(outcome.findings.is_empty());
    let repo = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file("a.py", "db.execute('SELECT * FROM invoices')\n")
        .changed(&["a.py"]);
    assert_eq!(repo.run::<OrgScope>().unwrap().findings.len(), 1);
}

#[test]
fn queries_outside_any_request_path_are_counted_not_reported() {
    let delete = "rows = db.execute(\"DELETE FROM invoices WHERE status = %s\", ['void'])\n";
    let outcome = FakeRepo::new()
        .file("db/1.sql", INVOICES)
        .file("app/views.py", delete)
        .file("tests/test_views.py", delete)
        .file("app/migrations/0007_backfill.py", delete)
        .file("billing/management/commands/purge.py", delete)
        .file("scripts/cleanup.py", delete)
        .run::<OrgScope>()
        .unwrap();
    let located: Vec<(&str, String)> = outcome
        .findings
        .iter()
        .map(|f| {
            let path = match &f.location {
                Some(shipready_sdk::Location::File { path, .. }) => path.clone(),
                _ => String::new(),
            };
            (f.rule.as_str(), path)
        })
        .collect();
    assert_eq!(
        located,
        [
            ("org-scope/unscoped-write", "app/views.py".to_string()),
            ("org-scope/set-aside", String::new()),
        ]
    );
    assert_eq!(
        outcome.findings[1].message,
        "4 unscoped queries set aside as outside any request path: 1 in data migrations, 1 in management commands, 1 in scripts, 1 in test code"
    );
}
