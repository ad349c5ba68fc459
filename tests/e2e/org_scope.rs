//! The built-in `org-scope` check through the real host: a fixture app's
//! findings are the ones its markers expect, and the host's `syntax`
//! service skips and counts what it cannot parse.

use shipready_tests::TempRepo;

use crate::{check_json, fixture_apps, found, item, marked};

/// A fixture app copied into a fresh directory, with the helper setting.
fn app(stack: &str) -> TempRepo {
    TempRepo::copy_of(&shipready_tests::fixture("org-scope").join(stack)).file(
        "shipready.toml",
        "[checks.org-scope]\nsettings = { scope_helpers = [\"for_org\", \"forOrg\", \"ForOrg\"] }\n",
    )
}

#[test]
fn every_marked_query_of_every_fixture_app_is_found_through_the_host() {
    let stacks = fixture_apps("org-scope");
    assert!(stacks.len() >= 9, "{stacks:?}");
    for stack in &stacks {
        let repo = app(stack);
        let (run, report) = check_json(repo.path(), &["--only", "org-scope"]);
        assert_eq!(run.code, 1, "{stack}: {}", run.stderr);
        let found = found(&report, "");
        assert_eq!(found, marked(repo.path()), "{stack}");
        assert_eq!(item(&report, "data.tenant-isolation")["status"], "fail");
    }
}

#[test]
fn broken_huge_and_foreign_source_is_named_skipped_and_counted() {
    let bundle = format!(
        "var q = 'SELECT * FROM invoices';\n{}",
        "x = 1;\n".repeat(400_000)
    );
    let repo = TempRepo::new()
        .file(
            "db/1.sql",
            "CREATE TABLE invoices (id bigint, org_id bigint);\n",
        )
        .file(
            "app/broken.py",
            "def f(:\n    pass\n\ndb.execute(\"SELECT * FROM invoices WHERE id = %s\", [i])\n",
        )
        .file("public/bundle.js", bundle)
        .file(
            "src/index.php",
            "<?php $db->query('SELECT * FROM invoices');\n",
        )
        .file("src/bin.js", b"\0\0\0\x01binary")
        .file("src/latin1.py", b"q = 'caf\xe9'\n");
    let (run, report) = check_json(repo.path(), &["--only", "org-scope"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let by_rule = |rule: &str| -> Vec<&serde_json::Value> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == rule)
            .collect()
    };
    let lookup = by_rule("org-scope/lookup-by-id");
    assert_eq!(lookup.len(), 1, "{report:#}");
    assert_eq!(lookup[0]["location"]["span"]["start-line"], 4);
    let partial = by_rule("org-scope/partial-parse");
    assert_eq!(
        partial[0]["location"]["path"], "app/broken.py",
        "{report:#}"
    );
    let skipped = by_rule("org-scope/not-analysed");
    let message = skipped[0]["message"].as_str().unwrap();
    for part in [
        "4 source files not analysed",
        "1 php (language not parsed)",
        "1 too large, e.g. public/bundle.js",
        "1 binary",
        "1 not UTF-8",
    ] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn denying_the_syntax_service_fails_closed() {
    let repo = TempRepo::new()
        .file(
            "db/1.sql",
            "CREATE TABLE invoices (id bigint, org_id bigint);\n",
        )
        .file("app.py", "db.execute('SELECT * FROM invoices')\n");
    let (run, report) = check_json(repo.path(), &["--only", "org-scope", "--deny", "syntax"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let reason = crate::check_run(&report, "org-scope")["status"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("not granted"), "{reason}");
    assert_eq!(item(&report, "data.tenant-isolation")["status"], "error");
}
