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
