//! Hostile and broken plugins are contained: each becomes an `error` item
//! with a reason, the built-in checks still complete, and the exit code is 2.

use shipready_tests::{TempRepo, plugin};

use crate::{check_json, check_run, fixture_repo, shipready};

/// Run the ready fixture with one plugin and extra flags; return the
/// plugin's error reason after checking that the built-in check completed.
fn contained(plugin_path: &std::path::Path, id: &str, extra: &[&str]) -> String {
    let repo = fixture_repo();
    let mut args = vec!["--plugin", plugin_path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (run, report) = check_json(&repo, &args);
    assert_eq!(
        run.code, 2,
        "a plugin error exits 2; stderr: {}",
        run.stderr
    );
    assert_eq!(
        check_run(&report, "delivery")["status"]["status"],
        "ok",
        "the built-in check still completes"
    );
    let plugin = check_run(&report, id);
    assert_eq!(plugin["status"]["status"], "error", "{plugin:#}");
    assert!(plugin["findings"].as_array().unwrap().is_empty());
    let item = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == format!("custom.{id}"))
        .expect("custom item");
    assert_eq!(item["status"], "error");
    assert_eq!(
        report["verdict"]["ready"], false,
        "an errored check never reads as ready"
    );
    plugin["status"]["reason"].as_str().unwrap().to_string()
}

#[test]
fn a_plugin_that_loops_forever_times_out() {
    let reason = contained(&plugin("spin"), "spin", &["--timeout", "1"]);
    assert!(reason.contains("timed out after 1 s"), "{reason}");
}

#[test]
fn a_plugin_that_allocates_without_bound_hits_the_memory_cap() {
    let reason = contained(&plugin("hog"), "hog", &["--memory-limit", "64"]);
    assert!(
        reason.contains("exceeded the memory cap of 64 MiB"),
        "{reason}"
    );
}

#[test]
fn a_plugin_that_traps_is_reported_with_its_panic_message() {
    let reason = contained(&plugin("panics"), "panics", &[]);
    assert!(reason.contains("panicked"), "{reason}");
    assert!(
        reason.contains("deliberate panic from the test plugin"),
        "{reason}"
    );
}

#[test]
fn a_plugin_cannot_reach_files_sockets_or_the_environment() {
    let reason = contained(&plugin("escape"), "escape", &[]);
    assert!(reason.contains("sandbox held"), "{reason}");
    assert!(
        !reason.contains("opened") && !reason.contains("connected"),
        "{reason}"
    );
}

#[test]
fn a_plugin_that_returns_a_million_findings_is_stopped_at_the_cap() {
    let reason = contained(&plugin("flood"), "flood", &[]);
    assert!(reason.contains("more than 10000 findings"), "{reason}");
}

#[test]
fn a_plugin_calling_a_service_it_did_not_declare_is_refused() {
    let reason = contained(&plugin("undeclared"), "undeclared", &[]);
    assert!(reason.contains("not granted"), "{reason}");
}

#[test]
fn a_plugin_built_against_another_contract_version_is_named() {
    let reason = contained(&plugin("future"), "plugin:plugin_future.wasm", &[]);
    assert!(reason.contains("shipready:check@0.9.0"), "{reason}");
    assert!(
        reason.contains("supports shipready:check@0.1.0"),
        "{reason}"
    );
}

#[test]
fn files_that_are_not_components_are_named() {
    let dir = TempRepo::new()
        .file("core.wasm", b"\0asm\x01\0\0\0")
        .file("text.wasm", "hello");
    let reason = contained(&dir.path().join("core.wasm"), "plugin:core.wasm", &[]);
    assert!(
        reason.contains("core WebAssembly module, not a component"),
        "{reason}"
    );
    let reason = contained(&dir.path().join("text.wasm"), "plugin:text.wasm", &[]);
    assert!(reason.contains("not a WebAssembly file"), "{reason}");
}

#[test]
fn all_hostile_plugins_at_once_are_each_contained() {
    let repo = fixture_repo();
    let mut args = vec!["--timeout", "2", "--memory-limit", "64"];
    let paths: Vec<String> = [
        "spin",
        "hog",
        "panics",
        "escape",
        "flood",
        "undeclared",
        "empty",
    ]
    .iter()
    .map(|p| plugin(p).display().to_string())
    .collect();
    for p in &paths {
        args.push("--plugin");
        args.push(p);
    }
    let (run, report) = check_json(&repo, &args);
    assert_eq!(run.code, 2);
    for id in ["spin", "hog", "panics", "escape", "flood", "undeclared"] {
        assert_eq!(check_run(&report, id)["status"]["status"], "error", "{id}");
    }
    assert_eq!(check_run(&report, "empty")["status"]["status"], "ok");
    assert_eq!(check_run(&report, "delivery")["status"]["status"], "ok");
}

#[test]
fn denying_a_capability_fails_closed() {
    let repo = fixture_repo();
    let (run, report) = check_json(&repo, &["--deny", "repo"]);
    assert_eq!(run.code, 2);
    let reason = check_run(&report, "delivery")["status"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("not granted"), "{reason}");
    assert_eq!(crate::item(&report, "delivery.ci")["status"], "error");
}

#[test]
fn a_missing_plugin_file_is_a_usage_error_before_anything_runs() {
    let run = shipready(&["check", ".", "--plugin", "/nonexistent/check.wasm"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/nonexistent/check.wasm") && run.stderr.contains("no such file"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_plugin_built_against_the_released_0_2_contract_still_loads() {
    let repo = TempRepo::new()
        .file("a.txt", "a\n")
        .file("b.txt", "b\n")
        .git();
    let plugin = plugin("legacy02");
    let (run, report) = check_json(
        repo.path(),
        &["--only", "legacy02", "--plugin", plugin.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let legacy = check_run(&report, "legacy02");
    assert_eq!(legacy["status"]["status"], "ok", "{legacy:#}");
    assert_eq!(legacy["findings"][0]["message"], "2 files, 1 commits");
}

#[test]
fn a_plugin_built_against_the_released_0_3_contract_still_loads() {
    let repo = TempRepo::new()
        .file("db/1.sql", "CREATE TABLE a (id int);\nDROP TABLE b;\n")
        .file("db/2.sql", "ALTER TABLE a ADD COLUMN x text;\n")
        .file("README.md", "hi\n")
        .git();
    let plugin = plugin("legacy03");
    let (run, report) = check_json(
        repo.path(),
        &["--only", "legacy03", "--plugin", plugin.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let legacy = check_run(&report, "legacy03");
    assert_eq!(legacy["status"]["status"], "ok", "{legacy:#}");
    assert_eq!(
        legacy["findings"][0]["message"],
        "2 SQL files, 3 statements"
    );
}

#[test]
fn a_plugin_built_against_the_released_0_4_contract_still_loads() {
    let repo = TempRepo::new()
        .file("db/1.sql", "CREATE TABLE a (id int);\nDROP TABLE b;\n")
        .file("db/2.sql", "ALTER TABLE a ADD COLUMN x text;\n")
        .file("README.md", "hi\n")
        .git();
    let plugin = plugin("legacy04");
    let (run, report) = check_json(
        repo.path(),
        &["--only", "legacy04", "--plugin", plugin.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let legacy = check_run(&report, "legacy04");
    assert_eq!(legacy["status"]["status"], "ok", "{legacy:#}");
    assert_eq!(
        legacy["findings"][0]["message"],
        "2 SQL files, 3 statements"
    );
}

#[test]
fn a_plugin_built_against_the_released_0_1_contract_still_loads() {
    let repo = fixture_repo();
    let legacy = plugin("legacy");
    let (run, report) = check_json(&repo, &["--plugin", legacy.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let legacy = check_run(&report, "legacy");
    assert_eq!(legacy["status"]["status"], "ok", "{legacy:#}");
    let message = legacy["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.ends_with(" files") && !message.starts_with("0 "),
        "{message}"
    );
}
