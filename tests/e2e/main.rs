//! End-to-end tests: the real `shipready` binary, the real built-in
//! components and hostile test plugins, on fixture repositories.
//!
//! Every run gets a cache directory shared by this test process, so the
//! first run compiles the components and the others load them from disk.

mod cli;
mod gating;
mod history;
mod live;
mod migrations;
mod org_scope;
mod rbac;
mod repos;
mod sandbox;
mod tls;

use std::path::Path;
use std::sync::OnceLock;

use shipready_tests::Run;

pub const BIN: &str = env!("CARGO_BIN_EXE_shipready");

fn cache() -> &'static Path {
    static CACHE: OnceLock<tempfile::TempDir> = OnceLock::new();
    CACHE
        .get_or_init(|| tempfile::tempdir().expect("cache dir"))
        .path()
}

/// Run `shipready` with `args`.
pub fn shipready(args: &[&str]) -> Run {
    shipready_tests::shipready(BIN, args, cache())
}

/// Run `shipready check <repo> --format json` (plus `extra`) and parse the report.
pub fn check_json(repo: &Path, extra: &[&str]) -> (Run, serde_json::Value) {
    let repo = repo.to_str().expect("utf-8 path");
    let mut args = vec!["check", repo, "--format", "json"];
    args.extend_from_slice(extra);
    let run = shipready(&args);
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stdout: {}\nstderr: {}",
            run.stdout, run.stderr
        )
    });
    (run, report)
}

/// The apps of a fixture set (`tests/fixtures/<set>/*/`), sorted.
pub fn fixture_apps(set: &str) -> Vec<String> {
    let mut apps: Vec<String> = std::fs::read_dir(shipready_tests::fixture(set))
        .expect("fixture set")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    apps.sort();
    apps
}

/// What a fixture repository's `expect: rule[, rule]` markers name:
/// path, line and rule, sorted.
pub fn marked(root: &Path) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for entry in shipready_tests::files_under(root) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        let rel = entry
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, rules)) = line.split_once("expect: ") {
                for rule in rules.split(',') {
                    out.push((rel.clone(), i as u64 + 1, rule.trim().to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

/// A JSON report's findings as path, line (0 for none) and rule, sorted
/// and without repeats, those of rule `skip` left out.
pub fn found(report: &serde_json::Value, skip: &str) -> Vec<(String, u64, String)> {
    let mut out: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] != skip)
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["location"]["span"]["start-line"].as_u64().unwrap_or(0),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The item with `id` in a JSON report.
pub fn item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id}"))
}

/// The check run with `id` in a JSON report.
pub fn check_run<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {:#}", report["checks"]))
}

/// The rules of every finding in a JSON report.
pub fn rules(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// The committed fixture that passes every delivery item.
pub fn fixture_repo() -> std::path::PathBuf {
    shipready_tests::fixture("ready-app")
}
