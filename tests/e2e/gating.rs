//! Gating merges and writing audits: every output format from the real
//! binary, the configuration file, inline suppressions, baselines, and
//! output files that are written whole or not at all.

use shipready_tests::{TempRepo, plugin};

use crate::{check_json, item, shipready};

/// Fails `delivery.container` (root user, unpinned base) and passes most else.
fn repo() -> TempRepo {
    TempRepo::new()
        .file("README.md", "# app\n")
        .file(
            ".github/workflows/ci.yml",
            "steps:\n  - run: go test ./...\n",
        )
        .file("main.go", "package main\n")
        .file("main_test.go", "package main\n")
        .file("Dockerfile", "FROM golang\nHEALTHCHECK CMD true\n")
}

fn run_format(repo: &TempRepo, format: &str) -> (i32, String) {
    let run = shipready(&["check", repo.path().to_str().unwrap(), "--format", format]);
    assert!(
        run.stderr.is_empty() || !run.stderr.contains("error:"),
        "{}",
        run.stderr
    );
    (run.code, run.stdout)
}

#[test]
fn every_format_renders_the_same_run() {
    let repo = repo();
    let (code, sarif) = run_format(&repo, "sarif");
    assert_eq!(code, 1);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "delivery/dockerfile-unpinned-base"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "Dockerfile")
    );
    assert!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it checks")
    );

    let (_, junit) = run_format(&repo, "junit");
    assert!(junit.starts_with("<?xml"));
    assert_eq!(
        junit.matches("<testcase ").count(),
        junit.matches("</testcase>").count()
    );
    assert!(junit.contains("<failure message=\"2 findings"), "{junit}");

    let (_, markdown) = run_format(&repo, "markdown");
    assert!(
        markdown.starts_with("## shipready: ❌ **Not ready to ship**"),
        "{markdown}"
    );

    let (_, github) = run_format(&repo, "github");
    assert!(github.contains("::warning file=Dockerfile,"), "{github}");

    let (_, gitlab) = run_format(&repo, "gitlab");
    let gitlab: serde_json::Value = serde_json::from_str(&gitlab).unwrap();
    assert_eq!(gitlab[0]["location"]["path"], "Dockerfile");

    let (_, html) = run_format(&repo, "html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Not ready to ship"));
}

#[test]
fn a_malformed_config_names_file_and_line() {
    let repo = repo().file(
        "shipready.toml",
        "exclude = []\n[checks.delivery]\nenabeld = false\n",
    );
    let run = shipready(&["check", repo.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("shipready.toml:3:"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown field `enabeld`, expected `enabled` or `settings`"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_config_excludes_paths_overrides_severity_and_disables_checks() {
    let repo = repo().file(
        "shipready.toml",
        "exclude = [\"Dockerfile\"]\n[severity]\n\"delivery/readme-missing\" = \"critical\"\n",
    );
    let (run, report) = check_json(repo.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        item(&report, "delivery.container")["status"],
        "not-applicable"
    );

    let repo = repo.file("README.md", "").file(
        "shipready.toml",
        "[severity]\n\"delivery/readme-missing\" = \"critical\"\n",
    );
    std::fs::remove_file(repo.path().join("README.md")).unwrap();
    let (_, report) = check_json(repo.path(), &[]);
    let readme = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "delivery/readme-missing")
        .unwrap();
    assert_eq!(readme["severity"], "critical");
    assert_eq!(item(&report, "quality.readme")["status"], "fail");

    let repo = repo.file("shipready.toml", "[checks.delivery]\nenabled = false\n");
    let (_, report) = check_json(repo.path(), &[]);
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["http", "migrations", "org-scope", "rbac", "secrets", "tls"]
    );
}

#[test]
fn plugins_in_the_config_are_pinned_and_granted_only_what_is_listed() {
    let wasm = plugin("undeclared");
    let bytes = std::fs::read(&wasm).unwrap();
    let repo = repo().file("tools/check.wasm", &bytes);
    let wrong = "0".repeat(64);
    let repo = repo.file(
        "shipready.toml",
        format!("[[plugin]]\npath = \"tools/check.wasm\"\nsha256 = \"{wrong}\"\n"),
    );
    let run = shipready(&["check", repo.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("sha256 is") && run.stderr.contains("pins 0000"),
        "{}",
        run.stderr
    );

    let sha = {
        use std::process::Command;
        let out = Command::new("sha256sum")
            .arg(repo.path().join("tools/check.wasm"))
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string()
    };
    let repo = repo.file(
        "shipready.toml",
        format!("[[plugin]]\npath = \"tools/check.wasm\"\nsha256 = \"{sha}\"\n"),
    );
    let (run, report) = check_json(repo.path(), &[]);
    assert_eq!(
        run.code, 2,
        "it uses `repo` without declaring it, and the config grants nothing"
    );
    let reason = crate::check_run(&report, "undeclared")["status"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("not granted"), "{reason}");
}

#[test]
fn inline_suppressions_need_a_reason_and_show_it() {
    let suppressed = repo().file(
        "Dockerfile",
        "# shipready:ignore delivery/dockerfile-unpinned-base -- rebuilt nightly from our mirror\nFROM golang\nUSER app\nHEALTHCHECK CMD true\n",
    );
    let (run, report) = check_json(suppressed.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = &report["findings"][0];
    assert_eq!(f["suppressed"], "rebuilt nightly from our mirror");
    assert_eq!(item(&report, "delivery.container")["status"], "pass");

    let no_reason = repo().file(
        "Dockerfile",
        "FROM golang # shipready:ignore delivery/dockerfile-unpinned-base\nUSER app\nHEALTHCHECK CMD true\n",
    );
    let (run, report) = check_json(no_reason.path(), &[]);
    assert_eq!(run.code, 1);
    let f = &report["findings"][0];
    assert!(f["suppressed"].is_null());
    assert!(
        f["message"].as_str().unwrap().contains("gives no reason"),
        "{f}"
    );
}

#[test]
fn a_baseline_lets_only_new_findings_count_even_after_code_moves() {
    let repo = repo();
    let baseline = repo.path().join("baseline.json");
    let run = shipready(&[
        "baseline",
        repo.path().to_str().unwrap(),
        "--output",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let b = baseline.to_str().unwrap();

    let moved = repo.file(
        "Dockerfile",
        "# comment\n\nFROM golang\nHEALTHCHECK CMD true\n",
    );
    let (run, report) = check_json(moved.path(), &["--baseline", b]);
    assert_eq!(run.code, 0, "moved findings stay baselined: {}", run.stderr);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["baselined"] == true)
    );

    let worse = moved.file("package.json", r#"{"dependencies":{"x":"1"}}"#);
    let (run, report) = check_json(worse.path(), &["--baseline", b]);
    assert_eq!(run.code, 1, "a new finding counts");
    assert_eq!(
        item(&report, "delivery.locked-dependencies")["status"],
        "fail"
    );
}

#[test]
fn a_corrupt_or_foreign_baseline_is_refused() {
    let repo = repo().file("corrupt.json", "{ nope").file(
        "future.json",
        r#"{"shipready-baseline": 9, "tool-version": "9.0.0", "findings": []}"#,
    );
    for (file, expected) in [
        ("corrupt.json", "not a shipready baseline"),
        ("future.json", "version 9"),
        ("missing.json", "cannot read baseline"),
    ] {
        let path = repo.path().join(file);
        let run = shipready(&[
            "check",
            repo.path().to_str().unwrap(),
            "--baseline",
            path.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 2, "{file}");
        assert!(
            run.stderr.contains(expected) && run.stderr.contains(file),
            "{file}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_output_path_that_cannot_be_written_leaves_nothing_behind() {
    let repo = repo();
    let dir = repo.path().join("no/such/dir");
    let out = dir.join("report.html");
    let run = shipready(&[
        "check",
        repo.path().to_str().unwrap(),
        "--format",
        "html",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("report.html"), "{}", run.stderr);
    assert!(!dir.exists());

    // Over an existing directory: refused, and the directory is untouched.
    let target = repo.path().join("existing");
    std::fs::create_dir(&target).unwrap();
    let run = shipready(&[
        "check",
        repo.path().to_str().unwrap(),
        "--output",
        target.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(target.is_dir());
    let leftovers: Vec<_> = std::fs::read_dir(repo.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Headless Chromium (Debian's `chromium`; `.ci/run` installs it) with the
/// flags this sandboxed machine needs, on a fresh profile.
fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let bin = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("the HTML report test needs Chromium: install it (`apt-get install chromium`); .ci/run does");
    std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("chromium runs")
}

#[test]
fn the_html_report_renders_in_a_real_browser() {
    let repo = repo().file(".env", "API_TOKEN=abc123secretvalue\n");
    let html = repo.path().join("audit.html");
    let run = shipready(&[
        "check",
        repo.path().to_str().unwrap(),
        "--format",
        "html",
        "--output",
        html.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let url = format!("file://{}", html.display());

    let dom = chromium(&["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("Not ready to ship"),
        "the browser did not render the report: {dom}"
    );
    assert!(dom.contains("secrets/env-file-committed"));
    assert!(
        !dom.contains("abc123secretvalue"),
        "secrets never reach the report"
    );

    let shot = repo.path().join("audit.png");
    let out = chromium(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1280,2200",
        &url,
    ]);
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "screenshot of {} bytes",
        png.len()
    );
    if let Some(dir) = std::env::var_os("SHIPREADY_SCREENSHOT_DIR") {
        std::fs::copy(&shot, std::path::Path::new(&dir).join("audit.png")).unwrap();
    }
}

#[test]
fn since_counts_only_findings_in_what_the_branch_changed() {
    // main: a Dockerfile with an unpinned base (an old, known problem).
    let repo = repo().git();
    repo.run_git(&["checkout", "-q", "-b", "feature"]);
    // The branch adds a new unpinned Dockerfile and edits main.go.
    let repo = repo
        .file(
            "api/Dockerfile",
            "FROM node\nUSER node\nHEALTHCHECK CMD true\n",
        )
        .file("main.go", "package main\n\nfunc main() {}\n")
        .commit_all("add the api");
    let (run, report) = check_json(repo.path(), &["--profile", "merge", "--since", "main"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = report["findings"].as_array().unwrap();
    let counted: Vec<&str> = findings
        .iter()
        .filter(|f| f["outside-diff"] != true)
        .map(|f| f["location"]["path"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        counted,
        ["api/Dockerfile"],
        "only the branch's new problem counts: {findings:#?}"
    );
    let old = findings
        .iter()
        .find(|f| f["location"]["path"] == "Dockerfile")
        .unwrap();
    assert_eq!(old["outside-diff"], true);

    // Nothing new on the branch: ready, whatever main already had.
    let clean = repo
        .file(
            "api/Dockerfile",
            "FROM node:20\nUSER node\nHEALTHCHECK CMD true\n",
        )
        .commit_all("pin");
    let (run, _) = check_json(clean.path(), &["--profile", "merge", "--since", "main"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn the_configs_paths_say_what_is_test_code() {
    let value = ["Zp4rT9qLm2", "XvB7nKw8Yc"].concat();
    let repo = TempRepo::new().file("qa/login_data.py", format!("password = \"{value}\"\n"));
    let (_, report) = check_json(repo.path(), &["--only", "secrets"]);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["secrets/generic-secret"],
        "qa/ is production by convention"
    );

    let repo = repo.file("shipready.toml", "[paths]\ntests = [\"qa/**\"]\n");
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["rule"], "secrets/set-aside");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .contains("1 keyword match in test code"),
        "{findings:#?}"
    );
}
