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
