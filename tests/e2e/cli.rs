//! The command line: subcommands, formats, usage errors, exit codes, the
//! compiled-component cache, and the table output's snapshot.

use shipready_tests::TempRepo;

use crate::{fixture_repo, shipready};

#[test]
fn checks_lists_the_builtin_check_and_its_rules() {
    let run = shipready(&["checks"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for text in [
        "delivery",
        "delivery/ci-missing",
        "delivery/lockfile-missing",
        "capabilities: repo, search",
    ] {
        assert!(
            run.stdout.contains(text),
            "{text} missing from:\n{}",
            run.stdout
        );
    }
    let run = shipready(&["checks", "--format", "json"]);
    let checks: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(checks[0]["info"]["id"], "delivery");
    assert!(checks[0]["info"]["rules"].as_array().unwrap().len() >= 8);
}

#[test]
fn explain_prints_the_rule_documentation() {
    let run = shipready(&["explain", "delivery/ci-missing"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for heading in ["## What it checks", "## Why it matters", "## Example"] {
        assert!(run.stdout.contains(heading), "{}", run.stdout);
    }
    assert!(
        run.stdout
            .starts_with("delivery/ci-missing: No CI configuration")
    );
}

#[test]
fn explain_an_unknown_rule_suggests_close_ones() {
    let run = shipready(&["explain", "delivery/ci"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no rule `delivery/ci`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("delivery/ci-missing"), "{}", run.stderr);
}

#[test]
fn unknown_check_names_and_capabilities_are_usage_errors() {
    let run = shipready(&["check", ".", "--only", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "--only nope: no such check (available: delivery, http, migrations, org-scope, rbac, secrets, tls)"
        ),
        "{}",
        run.stderr
    );
    let run = shipready(&["check", ".", "--deny", "network"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown capability (known: repo, search, history, http, tls, syntax)"),
        "{}",
        run.stderr
    );
    let run = shipready(&["check", ".", "--format", "yaml"]);
    assert_eq!(run.code, 2);
}

#[test]
fn only_and_skip_select_checks() {
    let repo = fixture_repo();
    let (_, report) = crate::check_json(
        &repo,
        &[
            "--skip",
            "delivery,http,migrations,org-scope,rbac,secrets,tls",
        ],
    );
    assert!(report["checks"].as_array().unwrap().is_empty());
    assert_eq!(crate::item(&report, "delivery.ci")["status"], "not-run");
    let (_, report) = crate::check_json(&repo, &["--only", "delivery"]);
    assert_eq!(report["checks"].as_array().unwrap().len(), 1);
}

#[test]
fn json_to_a_file_with_the_verdict_on_stderr() {
    let out = TempRepo::new();
    let path = out.path().join("report.json");
    let repo = fixture_repo();
    let run = shipready(&[
        "check",
        repo.to_str().unwrap(),
        "--format",
        "json",
        "--output",
        path.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("READY") && run.stderr.contains("report.json"),
        "{}",
        run.stderr
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(report["schema-version"], 1);
}

#[test]
fn a_warm_run_loads_compiled_checks_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let repo = fixture_repo();
    let run = |c: &std::path::Path| {
        shipready_tests::shipready(crate::BIN, &["check", repo.to_str().unwrap(), "-v"], c)
    };
    let cold = run(cache.path());
    assert!(
        cold.stderr.contains("compiled: Some(Fresh)"),
        "{}",
        cold.stderr
    );
    let warm = run(cache.path());
    assert!(
        warm.stderr.contains("compiled: Some(Cached)"),
        "{}",
        warm.stderr
    );
    // A damaged cache entry is rebuilt, not fatal.
    for entry in shipready_tests::files_under(cache.path()) {
        std::fs::write(&entry, b"garbage").unwrap();
    }
    let repaired = run(cache.path());
    assert_eq!(repaired.code, cold.code);
    assert!(
        repaired.stderr.contains("compiled: Some(Fresh)"),
        "{}",
        repaired.stderr
    );
}

#[test]
fn help_teaches() {
    let run = shipready(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("Examples:") && run.stdout.contains("Exit codes: 0 ready, 1 not ready")
    );
    let run = shipready(&["check", "--help"]);
    for flag in [
        "--plugin",
        "--timeout",
        "--memory-limit",
        "--deny",
        "--jobs",
        "--format",
    ] {
        assert!(run.stdout.contains(flag), "{flag}");
    }
}

#[test]
fn table_output_snapshot() {
    let repo = TempRepo::new()
        .file("src/main.go", "package main\n")
        .file("go.mod", "module x\nrequire github.com/a/b v1.0.0\n")
        .file(
            "Dockerfile",
            "FROM golang:latest\nUSER 1000\nHEALTHCHECK CMD true\n",
        );
    let out = std::process::Command::new(crate::BIN)
        .args(["check", ".", "--no-cache"])
        .current_dir(repo.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let text = regex::Regex::new(r"\d+ ms\)")
        .unwrap()
        .replace_all(&text, "N ms)");
    insta::assert_snapshot!(text);
}

/// Registry invariants over the built-in checks, as the binary describes them.
#[test]
fn every_builtin_rule_is_unique_documented_and_in_the_definition_of_done() {
    let run = shipready(&["checks", "--format", "json"]);
    let checks: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let definition = shipready_report::Definition::builtin();
    let mut seen = std::collections::BTreeSet::new();
    for check in checks.as_array().unwrap() {
        let info = &check["info"];
        let id = info["id"].as_str().unwrap();
        for rule in info["rules"].as_array().unwrap() {
            let rule_id = rule["id"].as_str().unwrap();
            assert!(seen.insert(rule_id.to_string()), "{rule_id} declared twice");
            let name = rule_id
                .strip_prefix(&format!("{id}/"))
                .expect("namespaced by its check");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{rule_id}"
            );
            let docs = rule["docs"].as_str().unwrap();
            for heading in ["## What it checks", "## Why it matters", "## Example"] {
                assert!(docs.contains(heading), "{rule_id} lacks {heading}");
            }
            let decided = definition.items.iter().any(|item| {
                item.rules
                    .iter()
                    .any(|r| r == rule_id || r.strip_suffix("/*") == Some(id))
            });
            assert!(
                decided,
                "{rule_id} decides no item of reports/definition-of-done.toml"
            );
        }
    }
    assert!(seen.len() >= 8);
}

#[test]
fn an_unreadable_path_is_named_and_exits_2() {
    let repo = TempRepo::new().file("notes.txt", "x");
    let bad = repo.path().join("notes.txt").join("sub");
    let run = shipready(&["check", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("notes.txt/sub"), "{}", run.stderr);
}

#[test]
fn a_url_only_run_needs_no_repository_and_claims_nothing() {
    // A port nothing listens on: no request leaves the machine.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let (run, report) = {
        let run = shipready(&["check", "--url", &url, "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        (run, report)
    };
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(report["target"]["path"].is_null());
    assert_eq!(report["target"]["urls"][0], url.as_str());
    assert_eq!(crate::item(&report, "delivery.ci")["status"], "not-run");
    assert_eq!(report["verdict"]["ready"], false);
}

#[test]
fn a_url_without_a_scheme_is_a_failing_item_that_says_how_to_fix_it() {
    let run = shipready(&["check", "--url", "app.example.com", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "http/unreachable");
    assert!(
        finding["message"].as_str().unwrap().contains("not a URL"),
        "{finding}"
    );
    assert!(
        finding["remediation"]
            .as_str()
            .unwrap()
            .contains("--url https://"),
        "{finding}"
    );
}
