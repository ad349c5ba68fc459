//! Secrets in the git history, through the real host and gix, on
//! repositories built with git at test time. Every token is assembled at
//! run time, so no secret-shaped literal sits in this file.

use shipready_tests::TempRepo;

use crate::{check_json, item, shipready};

fn stripe() -> String {
    ["sk_live_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"].concat()
}

fn slack() -> String {
    [
        "xoxb-",
        "123456789012-1234567890123-",
        "Zp4rT9qLm2XvB7nKw8Yc3Hd6",
    ]
    .concat()
}

/// A repository whose history holds a deleted secret, a secret still in
/// HEAD, and a secret on an unmerged branch.
fn leaky() -> TempRepo {
    let repo = TempRepo::new().file("README.md", "# app\n").git();
    let repo = repo
        .file("config/billing.py", format!("STRIPE = \"{}\"\n", stripe()))
        .commit_all("add billing");
    let repo = repo
        .remove("config/billing.py")
        .commit_all("remove the key");
    repo.run_git(&["checkout", "-q", "-b", "feature"]);
    let repo = repo
        .file("bot/slack.js", format!("const t = '{}';\n", slack()))
        .commit_all("slack bot");
    repo.run_git(&["checkout", "-q", "main"]);
    repo.file(
        "app/db.yml",
        ["url: postgres://app:", "Zp4rT9qLm2", "@db/app\n"].concat(),
    )
    .commit_all("db config")
}

fn findings_of<'a>(report: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

#[test]
fn deleted_and_unmerged_secrets_are_found_with_their_commit() {
    let repo = leaky();
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let stripe = findings_of(&report, "secrets/stripe-secret-key");
    assert_eq!(stripe.len(), 1, "{stripe:?}");
    let f = stripe[0];
    assert_eq!(f["location"]["path"], "config/billing.py");
    assert_eq!(f["location"]["commit"].as_str().unwrap().len(), 40);
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("by Dana Dev on 2024-03-01") && message.contains("no longer in HEAD"),
        "{message}"
    );
    assert!(f["evidence"].as_str().unwrap().contains("add billing"));

    let slack = findings_of(&report, "secrets/slack-token");
    assert_eq!(
        slack.len(),
        1,
        "secrets on other branches count: {:#}",
        report["findings"]
    );

    // The one still in HEAD is reported once, from the working tree.
    let db = findings_of(&report, "secrets/database-uri-password");
    assert_eq!(db.len(), 1);
    assert!(db[0]["location"]["commit"].is_null());

    assert_eq!(item(&report, "secrets.history")["status"], "fail");
    assert_eq!(item(&report, "secrets.working-tree")["status"], "fail");
    assert!(
        !run.stdout.contains(&stripe_secret_tail()),
        "the secret never appears"
    );
    assert_eq!(report["target"]["history"]["commits"], 5);
}

fn stripe_secret_tail() -> String {
    stripe()[10..].to_string()
}

#[test]
fn since_limits_the_history_to_what_the_branch_introduced() {
    let repo = leaky();
    let base = repo.run_git(&["rev-parse", "HEAD~1"]);
    let (_, report) = check_json(repo.path(), &["--only", "secrets", "--since", &base]);
    assert!(
        findings_of(&report, "secrets/stripe-secret-key").is_empty(),
        "introduced before the base"
    );
    assert_eq!(report["target"]["history"]["since"], base.as_str());

    let run = shipready(&[
        "check",
        repo.path().to_str().unwrap(),
        "--since",
        "no-such-branch",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--since no-such-branch: no such revision"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_history_and_non_git_directories_say_why_the_history_item_is_not_run() {
    let repo = leaky();
    let (_, report) = check_json(repo.path(), &["--only", "secrets", "--no-history"]);
    let history = item(&report, "secrets.history");
    assert_eq!(history["status"], "not-run");
    assert!(
        history["reason"].as_str().unwrap().contains("--no-history"),
        "{history}"
    );
    assert!(findings_of(&report, "secrets/stripe-secret-key").is_empty());

    let plain = TempRepo::new().file("a.txt", "x\n");
    let (_, report) = check_json(plain.path(), &["--only", "secrets"]);
    assert!(
        item(&report, "secrets.history")["reason"]
            .as_str()
            .unwrap()
            .contains("not a git repository")
    );
}

#[test]
fn an_empty_repository_has_no_history_to_scan() {
    let repo = TempRepo::new().file("a.txt", "x\n");
    repo.run_git(&["init", "-q"]);
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let history = item(&report, "secrets.history");
    assert_eq!(history["status"], "not-run");
    assert!(
        history["reason"].as_str().unwrap().contains("no commits"),
        "{history}"
    );
}

#[test]
fn a_shallow_clone_warns_that_the_history_is_incomplete() {
    let origin = leaky();
    let clone = TempRepo::new();
    let url = format!("file://{}", origin.path().display());
    let target = clone.path().join("shallow");
    clone.run_git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        target.to_str().unwrap(),
    ]);
    let (_, report) = check_json(&target, &["--only", "secrets"]);
    assert_eq!(report["target"]["history"]["shallow"], true);
    let history = item(&report, "secrets.history");
    assert_eq!(history["status"], "warn", "{history}");
    assert!(
        history["reason"]
            .as_str()
            .unwrap()
            .contains("shallow clone"),
        "{history}"
    );
}

#[test]
fn a_detached_head_is_scanned_like_a_branch() {
    let repo = leaky();
    let commit = repo.run_git(&["rev-parse", "HEAD~1"]);
    repo.run_git(&["checkout", "-q", &commit]);
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(findings_of(&report, "secrets/stripe-secret-key").len(), 1);
}

/// Scan facts of the history, as the report gives them.
fn history_of(report: &serde_json::Value) -> &serde_json::Value {
    &report["target"]["history"]
}

#[test]
fn huge_binary_and_non_utf8_blobs_are_skipped_and_counted() {
    let secret = stripe();
    let repo = TempRepo::new()
        .file(
            "huge.txt",
            format!("{}\nKEY = \"{secret}\"\n", "x".repeat(4096)),
        )
        .file(
            "blob.bin",
            [
                b"\0\0\0 ".as_slice(),
                format!("KEY = \"{secret}\"").as_bytes(),
            ]
            .concat(),
        )
        .file(
            "latin1.txt",
            [
                b"caf\xe9 ".as_slice(),
                format!("KEY = \"{secret}\"").as_bytes(),
            ]
            .concat(),
        )
        .git();
    for f in ["huge.txt", "blob.bin", "latin1.txt"] {
        std::fs::remove_file(repo.path().join(f)).unwrap();
    }
    let repo = repo.commit_all("remove them");
    let (run, report) = check_json(repo.path(), &["--only", "secrets", "--max-file-size", "1K"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(findings_of(&report, "secrets/stripe-secret-key").is_empty());
    assert_eq!(
        history_of(&report)["skipped"],
        3,
        "{:#}",
        history_of(&report)
    );
}

#[test]
fn lfs_pointers_and_submodules_are_not_content() {
    let repo = TempRepo::new()
        .file(
            "assets/model.bin",
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
        )
        .git();
    let head = repo.run_git(&["rev-parse", "HEAD"]);
    repo.run_git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    let repo = repo.commit_all("add a submodule");
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{:#}",
        report["findings"]
    );
    assert_eq!(
        crate::check_run(&report, "secrets")["status"]["status"],
        "ok"
    );
}

#[test]
fn a_missing_object_is_counted_and_the_rest_still_scanned() {
    let repo = TempRepo::new()
        .file("a.py", format!("KEY = \"{}\"\n", stripe()))
        .git();
    let repo = repo
        .file("b.js", format!("const t = '{}';\n", slack()))
        .commit_all("b");
    let repo = repo.remove("a.py").remove("b.js").commit_all("clean up");
    let blob = repo.run_git(&["rev-parse", "HEAD~2:a.py"]);
    std::fs::remove_file(
        repo.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();
    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(
        crate::check_run(&report, "secrets")["status"]["status"],
        "ok",
        "{}",
        run.stderr
    );
    assert_eq!(
        findings_of(&report, "secrets/slack-token").len(),
        1,
        "the readable blob is still scanned"
    );
    assert!(findings_of(&report, "secrets/stripe-secret-key").is_empty());
    assert_eq!(history_of(&report)["skipped"], 1);
}

#[test]
fn a_million_long_lines_are_scanned_to_the_end() {
    let line = format!("let value_{} = compute(\"{}\");\n", "n", "z".repeat(40));
    let mut text = line.repeat(1_000_000);
    text.push_str(&format!("KEY = \"{}\"\n", stripe()));
    let repo = TempRepo::new().file("big/generated.rs", text);
    let (run, report) = check_json(
        repo.path(),
        &[
            "--only",
            "secrets",
            "--no-history",
            "--max-file-size",
            "512M",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = findings_of(&report, "secrets/stripe-secret-key");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["location"]["span"]["start-line"], 1_000_001);
}

/// The labeled corpus in a real git history: a third of the planted secrets
/// stay in HEAD, a third are deleted, a third come in on a merged branch and
/// are deleted after; every decoy stays. Precision and recall are printed
/// separately for HEAD (working tree) and the history.
#[test]
fn precision_and_recall_on_a_git_history() {
    use shipready_check_secrets::corpus::{decoys, planted};
    let planted = planted();
    let (mut head, mut deleted, mut merged) = (Vec::new(), Vec::new(), Vec::new());
    for (i, p) in planted.iter().enumerate() {
        // File rules judge the working tree only.
        if p.0 == "secrets/secret-file-committed" || i % 3 == 0 {
            head.push(p);
        } else if i % 3 == 1 {
            deleted.push(p);
        } else {
            merged.push(p);
        }
    }
    let mut repo = TempRepo::new();
    for (_, path, content) in head.iter().chain(&deleted) {
        repo = repo.file(path, content);
    }
    for (path, content) in decoys() {
        repo = repo.file(&path, content);
    }
    let repo = repo.git();
    let mut repo = deleted
        .iter()
        .fold(repo, |r, (_, path, _)| r.remove(path))
        .commit_all("remove leaked files");
    repo.run_git(&["checkout", "-q", "-b", "feature"]);
    for (_, path, content) in &merged {
        repo = repo.file(path, content);
    }
    let repo = repo.commit_all("feature work");
    repo.run_git(&["checkout", "-q", "main"]);
    repo.run_git(&["merge", "-q", "--no-ff", "feature", "-m", "merge feature"]);
    let repo = merged
        .iter()
        .fold(repo, |r, (_, path, _)| r.remove(path))
        .commit_all("remove merged leaks");

    let (run, report) = check_json(repo.path(), &["--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found: Vec<(String, String, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] != "secrets/set-aside")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["commit"].is_string(),
            )
        })
        .collect();
    let score = |expected: &[&(&str, String, String)], in_history: bool| {
        let got: Vec<&(String, String, bool)> =
            found.iter().filter(|f| f.2 == in_history).collect();
        let true_positives = got
            .iter()
            .filter(|f| expected.iter().any(|(r, p, _)| *r == f.0 && *p == f.1))
            .count();
        let precision = true_positives as f64 / got.len().max(1) as f64;
        let recall = expected
            .iter()
            .filter(|(r, p, _)| got.iter().any(|f| f.0 == *r && f.1 == *p))
            .count() as f64
            / expected.len().max(1) as f64;
        (precision, recall, got.len())
    };
    let history_expected: Vec<_> = deleted.iter().chain(&merged).copied().collect();
    let missed: Vec<&str> = head
        .iter()
        .map(|p| (p, false))
        .chain(history_expected.iter().map(|p| (p, true)))
        .filter(|((r, path, _), h)| !found.iter().any(|f| f.0 == *r && f.1 == *path && f.2 == *h))
        .map(|((r, _, _), _)| *r)
        .collect();
    let (hp, hr, hn) = score(&head, false);
    let (sp, sr, sn) = score(&history_expected, true);
    println!(
        "secrets corpus in git: HEAD {} planted, {hn} reported, precision {hp:.3}, recall {hr:.3}; \
         history {} planted (deleted or merged), {sn} reported, precision {sp:.3}, recall {sr:.3}; {} decoys; missed: {missed:?}",
        head.len(),
        history_expected.len(),
        decoys().len()
    );
    assert!(
        hp >= 0.95 && hr >= 0.95,
        "HEAD precision {hp}, recall {hr}: {found:?}"
    );
    assert!(
        sp >= 0.95 && sr >= 0.95,
        "history precision {sp}, recall {sr}: {found:?}"
    );
}

/// Where the secrets findings of a report are: (path, in a commit?, outside the diff?).
fn secret_places(report: &serde_json::Value) -> Vec<(String, bool, bool)> {
    let mut places: Vec<(String, bool, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "secrets")
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                f["location"]["commit"].is_string(),
                f["outside-diff"] == true,
            )
        })
        .collect();
    places.sort();
    places
}

#[test]
fn merge_since_examines_only_the_change() {
    // main holds an old secret; the branch commits a new one, and the work
    // tree has an uncommitted edit and an untracked file with more.
    let repo = TempRepo::new()
        .file("README.md", "# app\n")
        .file("config/old.py", format!("STRIPE = \"{}\"\n", stripe()))
        .file("app/edited.py", "x = 1\n")
        .git();
    repo.run_git(&["checkout", "-q", "-b", "feature"]);
    let repo = repo
        .file("app/new.js", format!("const t = '{}';\n", slack()))
        .commit_all("slack bot")
        .file("app/edited.py", format!("x = 1\nKEY = \"{}\"\n", stripe()))
        .file("app/untracked.py", format!("KEY = \"{}\"\n", stripe()));

    let (run, report) = check_json(
        repo.path(),
        &["--only", "secrets", "--profile", "merge", "--since", "main"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let p = |path: &str, commit: bool| (path.to_string(), commit, false);
    assert_eq!(
        secret_places(&report),
        [
            p("app/edited.py", false),
            p("app/new.js", false),
            p("app/untracked.py", false),
        ],
        "only the change is examined: the old secret on main is not even read"
    );

    // The launch profile examines everything and lists the old one as outside the diff.
    let (_, report) = check_json(
        repo.path(),
        &[
            "--only",
            "secrets",
            "--profile",
            "launch",
            "--since",
            "main",
        ],
    );
    assert!(
        secret_places(&report).contains(&("config/old.py".to_string(), false, true)),
        "{:?}",
        secret_places(&report)
    );
}
