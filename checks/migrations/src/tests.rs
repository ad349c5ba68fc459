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
    let lock = rules::LOCK_TIMEOUT_MISSING.id();
    let score = Score::ignoring(&repo, &outcome, &[rules::APPLIED_SCOPE.id(), lock]);
    // The statements marked lock-timeout-missing are the ones its single
    // finding lists.
    let marked: Vec<String> = repo
        .expectations()
        .into_iter()
        .filter(|(_, _, rule)| rule == lock)
        .map(|(path, line, _)| format!("{path}:{line}"))
        .collect();
    let listed: Vec<&Finding> = outcome.findings.iter().filter(|f| f.rule == lock).collect();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    let mut listed: Vec<&str> = listed[0]
        .evidence
        .as_deref()
        .unwrap_or_default()
        .lines()
        .collect();
    listed.sort();
    assert_eq!(listed, marked);
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
    assert_eq!(
        rules,
        ["migrations/column-type-change", "migrations/applied-scope"]
    );
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
    let found = judged(&outcome);
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

/// Rules and paths found, the applied-scope item aside.
fn judged(outcome: &shipready_sdk::Outcome) -> Vec<(String, String)> {
    found(outcome)
        .into_iter()
        .filter(|(_, _, rule)| rule != rules::APPLIED_SCOPE.id())
        .map(|(path, _, rule)| (path, rule))
        .collect()
}

fn scope_message(outcome: &shipready_sdk::Outcome) -> String {
    let items: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == rules::APPLIED_SCOPE.id())
        .collect();
    assert_eq!(items.len(), 1, "one applied-scope item: {items:#?}");
    items[0].message.clone()
}

const DROP_A: &str = "DROP TABLE a;";
const DROP_B: &str = "DROP TABLE b;";

fn pair(repo: FakeRepo, version: &str, up: &str) -> FakeRepo {
    repo.file(&format!("migrations/{version}.up.sql"), up)
        .file(&format!("migrations/{version}.down.sql"), "SELECT 1;")
}

#[test]
fn migrations_applied_through_the_setting_are_not_judged_again() {
    let repo = pair(pair(FakeRepo::new(), "0001_a", DROP_A), "0002_b", DROP_B)
        .revision(
            "v1.0.0",
            &[
                ("migrations/0001_a.up.sql", DROP_A),
                ("migrations/0001_a.down.sql", "SELECT 1;"),
            ],
        )
        .setting("applied-through", "\"v1.0.0\"");
    let outcome = repo.run::<Migrations>().unwrap();
    assert_eq!(
        judged(&outcome),
        [
            (
                "migrations/0002_b.up.sql".into(),
                "migrations/drop-table".into()
            ),
            (
                "migrations/0002_b.up.sql".into(),
                "migrations/lock-timeout-missing".into()
            ),
        ]
    );
    let message = scope_message(&outcome);
    assert!(
        message.contains("1 migrations are taken as applied through v1.0.0")
            && message.contains("applied-through")
            && message.contains("1 pending"),
        "{message}"
    );
}

#[test]
fn applied_migrations_edited_or_deleted_since_the_reference_are_history_findings() {
    let repo = pair(FakeRepo::new(), "0001_a", "DROP TABLE a2;")
        .file(
            "migrations/0002_b.up.sql",
            "-- a comment added\nDROP TABLE b;",
        )
        .tag(
            "v2.0.0",
            &[
                ("migrations/0001_a.up.sql", DROP_A),
                ("migrations/0002_b.up.sql", DROP_B),
                ("migrations/0000_gone.up.sql", "CREATE TABLE gone (x int);"),
            ],
        );
    let outcome = repo.run::<Migrations>().unwrap();
    let got = judged(&outcome);
    assert_eq!(
        got,
        [
            (
                "migrations/0000_gone.up.sql".into(),
                "migrations/edited-after-commit".into()
            ),
            (
                "migrations/0001_a.up.sql".into(),
                "migrations/edited-after-commit".into()
            ),
        ],
        "an edited applied migration is not judged by the lock rules, and one whose operations did not change is not reported"
    );
    assert!(
        scope_message(&outcome).contains("newest tag"),
        "{}",
        scope_message(&outcome)
    );
}

#[test]
fn with_no_tag_and_no_setting_everything_is_pending_and_the_report_says_so() {
    let outcome = pair(FakeRepo::new(), "0001_a", DROP_A)
        .run::<Migrations>()
        .unwrap();
    assert!(judged(&outcome).contains(&(
        "migrations/0001_a.up.sql".into(),
        "migrations/drop-table".into()
    )));
    let message = scope_message(&outcome);
    assert!(
        message.contains("all 1 migrations are judged as pending") && message.contains("no tag"),
        "{message}"
    );
}

#[test]
fn applied_through_naming_a_missing_revision_is_a_settings_error_naming_it() {
    let err = pair(FakeRepo::new(), "0001_a", DROP_A)
        .revision("v1.0.0", &[])
        .setting("applied-through", "\"v9.9.9\"")
        .run::<Migrations>()
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("v9.9.9") && message.contains("applied-through"),
        "{message}"
    );
}

#[test]
fn in_a_shallow_clone_a_missing_revision_means_everything_pending_said_so() {
    let outcome = pair(FakeRepo::new(), "0001_a", DROP_A)
        .revision("v1.0.0", &[])
        .shallow()
        .setting("applied-through", "\"v0.1.0\"")
        .run::<Migrations>()
        .unwrap();
    assert!(judged(&outcome).contains(&(
        "migrations/0001_a.up.sql".into(),
        "migrations/drop-table".into()
    )));
    let message = scope_message(&outcome);
    assert!(
        message.contains("v0.1.0") && message.contains("shallow"),
        "{message}"
    );
}

#[test]
fn a_missing_lock_timeout_is_one_finding_at_the_database_configuration() {
    let settings = "import os\n\nDATABASES = {\n    'default': {'ENGINE': 'django.db.backends.postgresql'},\n}\n";
    let repo = pair(
        pair(pair(FakeRepo::new(), "0001_a", DROP_A), "0002_b", DROP_B),
        "0003_c",
        "ALTER TABLE c ADD COLUMN x int;",
    )
    .file("app/settings.py", settings);
    let outcome = repo.run::<Migrations>().unwrap();
    let lock: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == rules::LOCK_TIMEOUT_MISSING.id())
        .collect();
    assert_eq!(lock.len(), 1, "{lock:#?}");
    assert!(
        lock[0].message.starts_with("3 pending migrations"),
        "{}",
        lock[0].message
    );
    assert_eq!(
        found(&outcome)
            .into_iter()
            .find(|(_, _, r)| r == rules::LOCK_TIMEOUT_MISSING.id())
            .map(|(p, l, _)| (p, l)),
        Some(("app/settings.py".to_string(), 3))
    );
    let evidence = lock[0].evidence.as_deref().unwrap_or_default();
    assert!(
        evidence.contains("migrations/0003_c.up.sql:1"),
        "{evidence}"
    );
}

#[test]
fn a_lock_timeout_set_for_the_connection_counts() {
    let settings = "DATABASES = {\n    'default': {\n        'OPTIONS': {'options': '-c lock_timeout=5s'},\n    },\n}\n";
    let outcome = pair(FakeRepo::new(), "0001_a", DROP_A)
        .file("config/settings.py", settings)
        .run::<Migrations>()
        .unwrap();
    assert!(
        !judged(&outcome)
            .iter()
            .any(|(_, r)| r == rules::LOCK_TIMEOUT_MISSING.id()),
        "{:#?}",
        outcome.findings
    );
    // A comment mentioning it does not.
    let outcome = pair(FakeRepo::new(), "0001_a", DROP_A)
        .file(
            "config/settings.py",
            "# TODO: lock_timeout\nDATABASES = {}\n",
        )
        .run::<Migrations>()
        .unwrap();
    assert!(
        judged(&outcome)
            .iter()
            .any(|(_, r)| r == rules::LOCK_TIMEOUT_MISSING.id())
    );
}

const DJANGO_0002_A: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n    operations = []\n";
const DJANGO_0002_B: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0001_initial')]\n    operations = []\n";
const DJANGO_MERGE: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', '0002_a'), ('shop', '0002_b')]\n    operations = []\n";

#[test]
fn django_merge_migrations_with_the_same_number_are_not_duplicates() {
    let outcome = FakeRepo::new()
        .file(
            "shop/migrations/0001_initial.py",
            DJANGO_0002_A.replace("[('shop', '0001_initial')]", "[]"),
        )
        .file("shop/migrations/0002_a.py", DJANGO_0002_A)
        .file("shop/migrations/0002_b.py", DJANGO_0002_B)
        .file("shop/migrations/0003_merge.py", DJANGO_MERGE)
        .run::<Migrations>()
        .unwrap();
    assert_eq!(judged(&outcome), Vec::<(String, String)>::new());
    // Without the merge, the two leaves are heads: the graph rule says so.
    let outcome = FakeRepo::new()
        .file(
            "shop/migrations/0001_initial.py",
            DJANGO_0002_A.replace("[('shop', '0001_initial')]", "[]"),
        )
        .file("shop/migrations/0002_a.py", DJANGO_0002_A)
        .file("shop/migrations/0002_b.py", DJANGO_0002_B)
        .run::<Migrations>()
        .unwrap();
    let rules: Vec<String> = judged(&outcome).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        rules,
        ["migrations/multiple-heads", "migrations/multiple-heads"]
    );
}

#[test]
fn a_pending_migration_ordered_before_an_applied_one_is_out_of_order() {
    let applied = "CREATE TABLE orders (id int);";
    let repo = pair(
        pair(FakeRepo::new(), "20240301000000_orders", applied),
        "20240101000000_late",
        "CREATE TABLE late (id int);",
    )
    .tag(
        "v1",
        &[
            ("migrations/20240301000000_orders.up.sql", applied),
            ("migrations/20240301000000_orders.down.sql", "SELECT 1;"),
        ],
    );
    let outcome = repo.run::<Migrations>().unwrap();
    assert_eq!(
        judged(&outcome),
        [(
            "migrations/20240101000000_late.up.sql".into(),
            "migrations/out-of-order".into()
        )]
    );
    // Applied duplicates are history; a pending one is reported.
    let repo = pair(pair(FakeRepo::new(), "0001_a", applied), "0001_b", applied).tag(
        "v1",
        &[
            ("migrations/0001_a.up.sql", applied),
            ("migrations/0001_a.down.sql", "SELECT 1;"),
            ("migrations/0001_b.up.sql", applied),
            ("migrations/0001_b.down.sql", "SELECT 1;"),
        ],
    );
    assert_eq!(
        judged(&repo.run::<Migrations>().unwrap()),
        Vec::<(String, String)>::new()
    );
}

#[test]
fn ten_thousand_migrations_are_all_read() {
    let mut repo = FakeRepo::new();
    for i in 0..10_000 {
        repo = pair(
            repo,
            &format!("{i:05}_t{i}"),
            &format!("CREATE TABLE t{i} (id int);\nCREATE INDEX t{i}_id ON t{i} (id);"),
        );
    }
    let outcome = repo.run::<Migrations>().unwrap();
    assert!(judged(&outcome).is_empty(), "{:#?}", &outcome.findings[..3]);
    assert!(scope_message(&outcome).contains("all 10000 migrations"));
}

fn django(deps: &str, operations: &str) -> String {
    format!(
        "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    dependencies = [{deps}]\n    operations = [\n{operations}\n    ]\n"
    )
}

#[test]
fn alter_field_is_a_type_change_only_when_the_apps_history_says_the_storage_changes() {
    let outcome = FakeRepo::new()
        .file(
            "shop/migrations/0001_initial.py",
            django("", "        migrations.CreateModel(name='Item', fields=[('id', models.AutoField(primary_key=True)), ('name', models.CharField(max_length=100))]),"),
        )
        .file(
            "shop/migrations/0002_widen.py",
            django("('shop', '0001_initial')", "        migrations.AlterField(model_name='item', name='name', field=models.CharField(max_length=250, help_text='Shown to buyers')),"),
        )
        .file(
            "shop/migrations/0003_retype.py",
            django("('shop', '0002_widen')", "        migrations.AlterField(model_name='item', name='name', field=models.IntegerField(default=0)),"),
        )
        .run::<Migrations>()
        .unwrap();
    let types: Vec<String> = judged(&outcome)
        .into_iter()
        .filter(|(_, rule)| rule == rules::COLUMN_TYPE_CHANGE.id())
        .map(|(path, _)| path)
        .collect();
    assert_eq!(types, ["shop/migrations/0003_retype.py"]);
}

#[test]
fn named_django_migrations_are_in_the_graph_and_helper_modules_are_not() {
    let outcome = FakeRepo::new()
        .file("shop/migrations/0001_initial.py", django("", ""))
        .file(
            "shop/migrations/fix_empty_lines.py",
            django("('shop', '0001_initial')", ""),
        )
        .file(
            "shop/migrations/0002_next.py",
            django("('shop', 'fix_empty_lines')", ""),
        )
        .file("shop/migrations/utils.py", "def helper():\n    return 1\n")
        .run::<Migrations>()
        .unwrap();
    assert_eq!(judged(&outcome), Vec::<(String, String)>::new());
}

#[test]
fn an_applied_django_migration_edited_without_changing_its_schema_operations_is_not_reported() {
    let initial = django(
        "",
        "        migrations.CreateModel(name='Item', fields=[('id', models.AutoField(primary_key=True)), ('name', models.CharField(max_length=100))]),",
    );
    let widen = |comment: &str| {
        django(
            "('shop', '0001_initial')",
            &format!(
                "        # {comment}\n        migrations.AlterField(model_name='item', name='name', field=models.CharField(max_length=250)),\n        migrations.RunPython(backfill_{comment}, migrations.RunPython.noop),"
            ),
        )
    };
    let outcome = FakeRepo::new()
        .file("shop/migrations/0001_initial.py", initial.as_str())
        .file("shop/migrations/0002_widen.py", widen("after").as_str())
        .tag(
            "v1",
            &[
                ("shop/migrations/0001_initial.py", initial.as_str()),
                ("shop/migrations/0002_widen.py", widen("before").as_str()),
            ],
        )
        .run::<Migrations>()
        .unwrap();
    assert_eq!(judged(&outcome), Vec::<(String, String)>::new());
}

#[test]
fn a_directory_named_for_another_database_is_judged_by_its_rules() {
    let index = "CREATE INDEX memo_uid ON memo (uid);";
    let outcome = FakeRepo::new()
        .file("store/migration/sqlite/0.2/00__index.sql", index)
        .file("store/migration/postgres/0.2/00__index.sql", index)
        .run::<Migrations>()
        .unwrap();
    let concurrent: Vec<String> = judged(&outcome)
        .into_iter()
        .filter(|(_, rule)| rule == rules::INDEX_NOT_CONCURRENT.id())
        .map(|(path, _)| path)
        .collect();
    assert_eq!(concurrent, ["store/migration/postgres/0.2/00__index.sql"]);
}
