//! Detector tests. Every credential here is assembled at run time from
//! pieces, so this source file itself holds no secret-shaped literal.

use shipready_sdk::testing::FakeRepo;

use super::*;
use crate::corpus::{R30, checksummed, decoys, planted};

fn run(files: &[(String, String)]) -> Vec<(String, String, Option<String>)> {
    let mut repo = FakeRepo::new();
    for (path, content) in files {
        repo = repo.file(path, content);
    }
    let outcome = repo.run::<Secrets>().unwrap();
    outcome
        .findings
        .into_iter()
        // Inventories and the `.env` file rule (tested on its own) aside.
        .filter(|f| f.rule != SET_ASIDE.id() && f.rule != env_file::ENV_FILE_COMMITTED.id())
        .map(|f| {
            let path = match f.location {
                Some(shipready_sdk::Location::File { path, .. }) => path,
                _ => String::new(),
            };
            (f.rule, path, f.evidence)
        })
        .collect()
}

#[test]
fn at_least_forty_documented_rules() {
    let info = Secrets::info();
    assert!(info.rules.len() >= 40, "{}", info.rules.len());
    for rule in info.rules {
        let docs = rule.docs();
        for h in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(docs.contains(h), "{} lacks {h}", rule.id());
        }
    }
}

#[test]
fn every_planted_secret_is_found_by_its_rule_and_redacted() {
    for (rule, path, content) in planted() {
        let found = run(&[(path.clone(), content.clone())]);
        assert!(
            found.iter().any(|(r, p, _)| r == rule && *p == path),
            "{rule} missed in {path}: {found:?}"
        );
        for (_, _, evidence) in &found {
            let evidence = evidence.as_deref().unwrap_or("");
            for word in content
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-')
                .filter(|w| w.len() >= 12)
            {
                assert!(
                    !evidence.contains(&word[4..]),
                    "{rule}: evidence `{evidence}` leaks `{word}`"
                );
            }
        }
    }
}

#[test]
fn every_decoy_is_ignored() {
    for (path, content) in decoys() {
        let found = run(&[(path.clone(), content)]);
        assert!(found.is_empty(), "false positive in {path}: {found:?}");
    }
}

#[test]
fn precision_and_recall_on_the_corpus() {
    let planted = planted();
    let mut files: Vec<(String, String)> = planted
        .iter()
        .map(|(_, p, c)| (p.clone(), c.clone()))
        .collect();
    files.extend(decoys());
    let found = run(&files);
    let expected: Vec<(&str, &str)> = planted.iter().map(|(r, p, _)| (*r, p.as_str())).collect();
    let true_positives = found
        .iter()
        .filter(|(r, p, _)| expected.contains(&(r.as_str(), p.as_str())))
        .count();
    let precision = true_positives as f64 / found.len().max(1) as f64;
    let recall = expected
        .iter()
        .filter(|(r, p)| found.iter().any(|(fr, fp, _)| fr == r && fp == p))
        .count() as f64
        / expected.len() as f64;
    println!(
        "working tree corpus: {} planted, {} decoy files; precision {precision:.3}, recall {recall:.3}",
        planted.len(),
        decoys().len()
    );
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision}, recall {recall}: {found:?}"
    );
}

#[test]
fn checksums() {
    assert!(checksum_ok(&checksummed("ghp_", R30)));
    let mut bad = checksummed("ghp_", R30);
    bad.replace_range(10..11, "Q");
    assert!(!checksum_ok(&bad));
}

#[test]
fn the_same_secret_moved_keeps_its_fingerprint() {
    let token = checksummed("ghp_", R30);
    let a = FakeRepo::new()
        .file("a.sh", format!("T={token}\n"))
        .run::<Secrets>()
        .unwrap();
    let b = FakeRepo::new()
        .file("a.sh", format!("\n\n# moved\nT={token}\n"))
        .run::<Secrets>()
        .unwrap();
    assert_eq!(a.findings[0].fingerprint, b.findings[0].fingerprint);
}

#[test]
fn a_change_limited_run_reports_only_the_changed_files() {
    let key = ["sk_live_", "Zp4rT9qLm2XvB7nKw8Yc3Hd6"].concat();
    let repo = || {
        FakeRepo::new()
            .file("old/billing.py", format!("STRIPE = \"{key}\"\n"))
            .file("new/billing.py", format!("STRIPE = \"{key}\"\n"))
            .file("old/id_rsa", "not read")
            .file("new/id_ed25519", "not read")
    };
    let paths = |outcome: shipready_sdk::Outcome| -> Vec<String> {
        outcome
            .findings
            .into_iter()
            .filter_map(|f| match f.location {
                Some(shipready_sdk::Location::File { path, .. }) => Some(path),
                _ => None,
            })
            .collect()
    };
    let all = paths(repo().run::<Secrets>().unwrap());
    assert_eq!(all.len(), 4, "{all:?}");
    let changed = paths(
        repo()
            .changed(&["new/billing.py", "new/id_ed25519"])
            .run::<Secrets>()
            .unwrap(),
    );
    assert_eq!(changed, ["new/id_ed25519", "new/billing.py"]);
}

#[test]
fn keyword_matches_in_tests_docs_and_examples_are_set_aside_and_counted() {
    let value = "Zp4rT9qLm2XvB7nKw8Yc";
    let github = checksummed("ghp_", R30);
    let outcome = FakeRepo::new()
        .file("tests/test_login.py", format!("password = \"{value}\"\n"))
        .file("src/users.spec.ts", format!("const token = '{value}x';\n"))
        .file("docs/setup.md", format!("api_key: \"{value}y\"\n"))
        .file("examples/app.py", format!("SECRET = \"{value}z\"\n"))
        .file("tests/ci.sh", format!("GH={github}\n"))
        .run::<Secrets>()
        .unwrap();
    let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["secrets/github-token", "secrets/set-aside"],
        "a verifiable token is a leak anywhere; keyword matches are counted"
    );
    let message = &outcome.findings[1].message;
    assert!(
        message.starts_with("4 set aside as not production code")
            && message.contains("2 keyword matches in test code")
            && message.contains("1 keyword match in documentation")
            && message.contains("1 keyword match in an example"),
        "{message}"
    );
}

#[test]
fn local_development_defaults_in_uris_are_low_with_the_reason() {
    let outcome = FakeRepo::new()
        .file(
            ".github/workflows/test.yml",
            "env:\n  DATABASE_URL: postgres://postgres:postgres@localhost:5432/test\n",
        )
        .file(
            "deploy/prod.env",
            format!(
                "DATABASE_URL=postgres://app:{}@db.internal.example.com/app\n",
                "Zp4rT9qLm2XvB7nK"
            ),
        )
        .run::<Secrets>()
        .unwrap();
    let got: Vec<(&str, Option<Severity>, &str)> = outcome
        .findings
        .iter()
        .filter(|f| f.rule != env_file::ENV_FILE_COMMITTED.id())
        .map(|f| (f.rule.as_str(), f.severity, f.message.as_str()))
        .collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    let local = got
        .iter()
        .find(|(_, s, _)| *s == Some(Severity::Low))
        .expect("one low");
    assert!(local.2.contains("local development default"), "{local:?}");
    assert!(
        got.iter()
            .any(|(r, s, _)| *r == "secrets/database-uri-password" && s.is_none())
    );
}

#[test]
fn names_are_not_secrets_and_random_values_are() {
    for name in [
        "password_reset_link_sent",
        "INVALID_TOKEN_ERROR",
        "X-Api-Key",
        "django.contrib.auth.tokens.PasswordResetTokenGenerator",
        "refreshTokenValue",
        "PasswordResetForm",
        "/login/forgot_password",
        "projects/acme/secrets/db-password",
    ] {
        assert!(filters::is_name(name), "{name}");
    }
    for secret in [
        "Zp4rT9qLm2XvB7nKw8Yc",
        "aB3dE5fG7hJ9kL1m",
        "qWeRtYuIoPaSdFgH",
        "s3cr3t-V4lue-9xQ",
    ] {
        assert!(!filters::is_name(secret), "{secret}");
    }
    assert_eq!(
        filters::interpolation_default("${SECRET_KEY:-60gp0bYx}"),
        Some("60gp0bYx")
    );
    assert_eq!(filters::interpolation_default("${SECRET_KEY}"), None);
}
