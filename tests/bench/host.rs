//! `cargo bench -p shipready --bench host`: what a check run costs.
//!
//! Prints, for a small repository (the ready fixture) and a large generated
//! one (5,000 files), the wall time of `shipready check` cold (empty
//! compiled-component cache) and warm (cached), the ratio warm/cold, and
//! the ratio against `grep -rIl` over the same tree (a reference for the cost
//! of just reading every file, measured in the same run). Then the host's
//! cost per check: instantiate + describe + run of a check that does
//! nothing. Medians; no absolute-time assertions (these machines are noisy).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shipready_host::{Engine, IndexOptions, Limits, RepoIndex, RunOptions, Runner, Source};

const BIN: &str = env!("CARGO_BIN_EXE_shipready");

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(f: impl Fn()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn shipready(repo: &Path, cache: &Path) {
    let out = Command::new(BIN)
        .args(["check", repo.to_str().unwrap(), "--format", "json"])
        .env("SHIPREADY_CACHE_DIR", cache)
        .output()
        .expect("shipready runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn grep(repo: &Path) {
    let _ = Command::new("grep")
        .args(["-rIlE", "FROM|USER|dependencies"])
        .arg(repo)
        .output()
        .expect("grep runs");
}

/// A repository of `n` files across services, with manifests and Dockerfiles.
fn large_repo(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let service = format!("services/svc{}", i % 50);
        let (name, body) = match i % 10 {
            0 => (
                format!("{service}/src/mod{i}.py"),
                format!("def f{i}(x):\n    return x + {i}\n").repeat(20),
            ),
            1 => (
                format!("{service}/web/c{i}.tsx"),
                format!("export const C{i} = () => <div>{i}</div>;\n").repeat(20),
            ),
            2 => (
                format!("{service}/pkg/p{i}.go"),
                format!("package p\nfunc F{i}() int {{ return {i} }}\n").repeat(20),
            ),
            3 => (
                format!("{service}/tests/test_{i}.py"),
                "def test_x():\n    assert True\n".repeat(10),
            ),
            4 => (
                format!("{service}/docs/d{i}.md"),
                "Some documentation text.\n".repeat(40),
            ),
            _ => (
                format!("{service}/lib/l{i}.js"),
                format!("module.exports = {{ v{i}: {i} }};\n").repeat(30),
            ),
        };
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    for s in 0..50 {
        let service = dir.path().join(format!("services/svc{s}"));
        std::fs::write(
            service.join("Dockerfile"),
            "FROM node:20-slim\nUSER node\nHEALTHCHECK CMD true\n",
        )
        .unwrap();
        std::fs::write(
            service.join("package.json"),
            r#"{"dependencies":{"express":"4"}}"#,
        )
        .unwrap();
    }
    dir
}

fn bench_repo(label: &str, repo: &Path) {
    let cold: Vec<Duration> = (0..3)
        .map(|_| {
            let cache = tempfile::tempdir().unwrap();
            time(|| shipready(repo, cache.path()))
        })
        .collect();
    let cache = tempfile::tempdir().unwrap();
    shipready(repo, cache.path());
    let warm: Vec<Duration> = (0..7)
        .map(|_| time(|| shipready(repo, cache.path())))
        .collect();
    let reference: Vec<Duration> = (0..7).map(|_| time(|| grep(repo))).collect();
    let (cold, warm, reference) = (median(cold), median(warm), median(reference));
    println!(
        "{label:<28} cold {:>8.1} ms   warm {:>8.1} ms   warm/cold {:.3}   warm/grep {:.2}",
        cold.as_secs_f64() * 1e3,
        warm.as_secs_f64() * 1e3,
        warm.as_secs_f64() / cold.as_secs_f64(),
        warm.as_secs_f64() / reference.as_secs_f64(),
    );
}

fn host_cost_per_check() {
    let cache = tempfile::tempdir().unwrap();
    let runner = Runner::new(Engine::new(Some(cache.path().to_path_buf())).unwrap()).unwrap();
    let repo = shipready_tests::fixture("ready-app");
    let index = Arc::new(RepoIndex::build(&repo, &IndexOptions::default()).unwrap());
    let sources = vec![Source::Plugin {
        path: shipready_tests::plugin("empty"),
        granted: None,
        settings: Vec::new(),
    }];
    let opts = RunOptions {
        jobs: 1,
        limits: Limits::default(),
        ..RunOptions::default()
    };
    // Warm the cache, then measure runs of the empty check.
    runner.run(&sources, Some(index.clone()), &opts, &|_| {});
    let n = 50;
    let runs: Vec<Duration> = (0..n)
        .map(|_| {
            time(|| {
                let out = runner.run(&sources, Some(index.clone()), &opts, &|_| {});
                assert_eq!(out[0].run.status, shipready_report::RunStatus::Ok);
            })
        })
        .collect();
    let med = median(runs);
    let per_check_reported: Vec<u64> = (0..n)
        .map(|_| {
            runner.run(&sources, Some(index.clone()), &opts, &|_| {})[0]
                .run
                .duration_ms
        })
        .collect();
    println!(
        "host cost per check (empty check: load cached + instantiate + describe + run): median {:.2} ms over {n} runs (max reported {} ms)",
        med.as_secs_f64() * 1e3,
        per_check_reported.iter().max().unwrap()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("shipready host benchmark (medians; ratios are what to compare across runs)");
    bench_repo(
        "small repo (ready fixture)",
        &shipready_tests::fixture("ready-app"),
    );
    let large = large_repo(5_000);
    bench_repo("large repo (5,050 files)", large.path());
    host_cost_per_check();
}
