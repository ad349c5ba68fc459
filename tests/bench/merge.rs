//! `cargo bench -p shipready --bench merge`: a merge gate on a large
//! repository with a small change costs what the change costs.
//!
//! A generated repository (30,000 source files, about 240 MB, written as a
//! clone would be: one pack, checked out) gets a branch that changes a few
//! files, some committed and some only in the work tree. Measured in the same
//! run: the full merge run (`--profile merge`: the whole tree and history),
//! then `--profile merge --since main` with 10 and with 100 changed files.
//! Prints each time as a ratio to the full run, and `git status` (which
//! stats every file, as any change detection must) for scale. `SHIPREADY_BENCH_SCALE`
//! scales the repository. Asserts only that the planted secrets are found.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, Rng, best_of, measure, scale, source_file};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Dana Dev")
        .env("GIT_COMMITTER_EMAIL", "dana@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Source files, with a test file in every hundred, as real services have.
fn path_of(i: usize) -> String {
    if i % 100 == 99 {
        format!("svc{}/tests/t{i}.rs", i % 100)
    } else {
        format!("svc{}/src/m{}/f{i}.rs", i % 100, i % 37)
    }
}

/// `files` files committed on `main` in one commit and checked out.
fn base_repo(files: usize) -> (tempfile::TempDir, usize) {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = std::io::BufWriter::new(import.stdin.take().unwrap());
    let message = "the application";
    writeln!(stdin, "commit refs/heads/main").unwrap();
    writeln!(
        stdin,
        "committer Dana Dev <dana@example.com> 1600000000 +0000"
    )
    .unwrap();
    writeln!(stdin, "data {}\n{message}", message.len()).unwrap();
    let mut rng = Rng(0x5eed);
    let mut bytes = 0;
    for i in 0..files {
        let text = source_file(&mut rng, 8_000);
        bytes += text.len();
        writeln!(stdin, "M 100644 inline {}", path_of(i)).unwrap();
        writeln!(stdin, "data {}\n{text}", text.len()).unwrap();
    }
    drop(stdin);
    assert!(import.wait().unwrap().success());
    git(dir.path(), &["checkout", "-q", "main"]);
    (dir, bytes)
}

fn planted(i: usize) -> String {
    format!(
        "\nconst KEY: &str = \"{}{:024}\";\n",
        ["sk_", "live_"].concat(),
        i * 7919 + 1_000_000_000_000_000
    )
}

/// Change `n` more files on the branch: half committed, half left in the
/// work tree; each gets a secret. `first` numbers the files already changed.
fn change(dir: &Path, files: usize, first: usize, n: usize) {
    for k in first..first + n {
        let i = (k * 7919) % files;
        let path = dir.join(path_of(i));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&planted(k));
        std::fs::write(&path, text).unwrap();
        if k < first + n / 2 {
            git(dir, &["add", &path_of(i)]);
        }
    }
    git(dir, &["commit", "-q", "-m", &format!("change {n} files")]);
}

/// `shipready check DIR --profile merge --format json EXTRA`.
fn merge_gate(dir: &Path, cache: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "check",
        dir.to_str().unwrap(),
        "--profile",
        "merge",
        "--format",
        "json",
    ])
    .args(extra)
    .env("SHIPREADY_CACHE_DIR", cache);
    cmd
}

fn run(dir: &Path, cache: &Path, extra: &[&str]) -> (Duration, u64) {
    measure(&mut merge_gate(dir, cache, extra))
}

/// The files with a counted secret finding, to check the gate sees the change.
fn secrets_found(dir: &Path, cache: &Path, extra: &[&str]) -> usize {
    let out = merge_gate(dir, cache, extra).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let paths: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "secrets/stripe-secret-key" && f["outside-diff"] != true)
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    paths.len()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let files = (30_000.0 * scale()) as usize;
    let (repo, bytes) = base_repo(files);
    git(repo.path(), &["checkout", "-q", "-b", "feature"]);
    let cache = tempfile::tempdir().unwrap();
    println!(
        "shipready merge-gate benchmark: {files} files, {:.0} MB, best of 3",
        bytes as f64 / 1e6
    );

    change(repo.path(), files, 0, 10);
    let since = ["--since", "main"];
    // Warm the compiled-check cache, and check the gate sees every change.
    let found = secrets_found(repo.path(), cache.path(), &since);
    assert_eq!(found, 10, "a secret in each of the 10 changed files");
    let (full, full_mem) = best_of(3, || run(repo.path(), cache.path(), &[]));
    let (small, small_mem) = best_of(3, || run(repo.path(), cache.path(), &since));

    change(repo.path(), files, 10, 90);
    let found = secrets_found(repo.path(), cache.path(), &since);
    assert_eq!(found, 100, "a secret in each of the 100 changed files");
    let (larger, _) = best_of(3, || run(repo.path(), cache.path(), &since));

    let (status, _) = best_of(3, || {
        measure(
            Command::new("git")
                .args(["status", "--porcelain"])
                .current_dir(repo.path()),
        )
    });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "  full run   --profile merge                        {:>8.0} ms ({:>4.0} MB peak)",
        ms(full),
        full_mem as f64 / 1e6
    );
    println!(
        "  10 files   --profile merge --since main            {:>8.0} ms ({:>4.0} MB peak)   ratio to full {:.3}",
        ms(small),
        small_mem as f64 / 1e6,
        small.as_secs_f64() / full.as_secs_f64()
    );
    println!(
        "  100 files  --profile merge --since main            {:>8.0} ms                 ratio to full {:.3}",
        ms(larger),
        larger.as_secs_f64() / full.as_secs_f64()
    );
    println!(
        "  reference  git status                              {:>8.0} ms                 ratio to full {:.3}",
        ms(status),
        status.as_secs_f64() / full.as_secs_f64()
    );
}
