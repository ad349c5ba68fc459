//! The built-in `delivery` check through the real host, on fixture
//! repositories, and every kind of awkward input a repository can hold.

use shipready_tests::TempRepo;

use crate::{check_json, fixture_repo, item, rules, shipready};

/// A repository that gets every delivery item wrong.
fn careless() -> TempRepo {
    TempRepo::new()
        .file("src/app.py", "print('hello')\n")
        .file("requirements.txt", "flask\nrequests>=2\n")
        .file(
            "Dockerfile",
            "FROM python\nCOPY . /app\nCMD python /app/src/app.py\n",
        )
        .file(".env", "DATABASE_URL=postgres://app:hunter2@db/app\n") // shipready:allow test value
        .file(".gitlab-ci.yml", "deploy:\n  script:\n    - ./deploy.sh\n")
}

#[test]
fn the_ready_fixture_is_ready() {
    let (run, report) = check_json(&fixture_repo(), &["--profile", "merge"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(report["verdict"]["ready"], true);
    for id in [
        "delivery.ci",
        "delivery.locked-dependencies",
        "delivery.container",
        "quality.tests",
        "quality.readme",
    ] {
        assert_eq!(
            item(&report, id)["status"],
            "pass",
            "{id}: {:#}",
            item(&report, id)
        );
    }
    assert_eq!(
        item(&report, "secrets.env-files")["status"],
        "not-applicable"
    );
    // Only notes: the route inventory (its health check).
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] == "info"),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["message"] == "GET /healthz (Express): public by design; no guard"),
        "{findings:#?}"
    );
    assert_eq!(
        item(&report, "access.routes-authenticated")["status"],
        "pass"
    );
}

#[test]
fn a_careless_repository_fails_every_delivery_item_with_evidence() {
    let repo = careless();
    let (run, report) = check_json(repo.path(), &[]);
    assert_eq!(run.code, 1, "not ready exits 1; stderr: {}", run.stderr);
    let mut found = rules(&report);
    found.sort();
    found.dedup();
    assert_eq!(
        found,
        [
            "delivery/ci-runs-no-tests",
            "delivery/dockerfile-no-healthcheck",
            "delivery/dockerfile-runs-as-root",
            "delivery/dockerfile-unpinned-base",
            "delivery/lockfile-missing",
            "delivery/readme-missing",
            "delivery/tests-missing",
            "secrets/database-uri-password",
            "secrets/env-file-committed",
        ]
    );
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["fingerprint"].as_str().unwrap().len(), 32);
    }
    let docker = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "delivery/dockerfile-unpinned-base")
        .unwrap();
    assert_eq!(docker["location"]["path"], "Dockerfile");
    assert_eq!(docker["location"]["span"]["start-line"], 1);
    assert!(
        !run.stdout.contains("hunter2"),
        "secret values never appear in the report"
    );
    assert_eq!(item(&report, "delivery.ci")["status"], "fail");
    assert_eq!(item(&report, "quality.readme")["status"], "warn");
}

#[test]
fn fingerprints_survive_moving_lines() {
    let before = careless();
    let after = careless().file(
        "Dockerfile",
        "# base image\n\nFROM python\nCOPY . /app\nCMD python /app/src/app.py\n",
    );
    let print = |r: &TempRepo| {
        let (_, report) = check_json(r.path(), &[]);
        let f = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "delivery/dockerfile-unpinned-base")
            .unwrap()
            .clone();
        (
            f["fingerprint"].clone(),
            f["location"]["span"]["start-line"].clone(),
        )
    };
    let (fp1, line1) = print(&before);
    let (fp2, line2) = print(&after);
    assert_ne!(line1, line2);
    assert_eq!(fp1, fp2);
}

#[test]
fn history_items_are_not_run_outside_git_and_say_why() {
    let (_, report) = check_json(careless().path(), &[]);
    let history = item(&report, "secrets.history");
    assert_eq!(history["status"], "not-run");
    assert!(
        history["reason"]
            .as_str()
            .unwrap()
            .contains("not a git repository")
    );
    assert_eq!(report["target"]["is-git"], false);

    let repo = careless().git();
    let (_, report) = check_json(repo.path(), &[]);
    assert_eq!(report["target"]["is-git"], true);
    assert_eq!(report["target"]["history"]["commits"], 1);
    // The one secret is still in HEAD: reported once, from the working tree.
    let history = item(&report, "secrets.history");
    assert_eq!(history["status"], "pass", "{history}");
}

#[test]
fn a_missing_path_is_named_and_exits_2() {
    let run = shipready(&["check", "/definitely/not/here"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/definitely/not/here") && run.stderr.contains("no such file"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn a_file_instead_of_a_directory_is_named() {
    let repo = TempRepo::new().file("notes.txt", "x");
    let run = shipready(&["check", repo.path().join("notes.txt").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a directory"), "{}", run.stderr);
}

#[test]
fn binary_huge_and_non_utf8_files_are_skipped_and_counted() {
    let repo = careless()
        .file("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
        .file("dump.sql", vec![b'x'; 4096])
        .file("legacy.txt", b"caf\xe9 cr\xe8me\n")
        .file("Dockerfile.big", vec![b'#'; 4096]);
    let (run, report) = check_json(repo.path(), &["--max-file-size", "1K"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let stats = &report["stats"];
    assert_eq!(stats["binary"], 1);
    assert_eq!(stats["too-large"], 2);
    assert_eq!(stats["not-utf8"], 1);
    // The huge Dockerfile is not read, so it cannot break or fool the check.
    assert_eq!(
        crate::check_run(&report, "delivery")["status"]["status"],
        "ok"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_links_out_of_the_repository_are_never_followed() {
    let outside = TempRepo::new().file("secret.env", "TOKEN=outside-the-repo\n");
    let repo = careless();
    std::os::unix::fs::symlink(repo.path(), repo.path().join("loop")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.env"),
        repo.path().join(".env.production"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("outside")).unwrap();
    let (run, report) = check_json(repo.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report["stats"]["symlinks"], 3);
    assert!(!run.stdout.contains("outside-the-repo"));
    assert!(!run.stdout.contains("secret.env"));
}
