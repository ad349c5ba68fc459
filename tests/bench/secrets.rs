//! `cargo bench -p shipready --bench secrets`: the secrets check against
//! references measured in the same run.
//!
//! - Working tree: `shipready check --only secrets --no-history` on a
//!   generated tree (50,000 files, about 1 GB of text, secrets planted)
//!   against `rg` running the same detector regexes over the same tree.
//! - History: `shipready check --only secrets` on a generated repository
//!   with a long history (built with `git fast-import`) against
//!   `git cat-file --batch-all-objects --batch`, which only reads every
//!   object; plus the peak memory of both.
//!
//! `SHIPREADY_BENCH_SCALE` (default 1.0) scales the sizes. Needs `rg` and
//! `git` (`apt-get install ripgrep git`). Prints ratios; asserts nothing
//! about time.

use std::io::Write;
use std::process::{Command, Stdio};

mod common;

use std::path::Path;
use std::time::Duration;

use common::{BIN, Rng, best_of, measure, measure_anon, scale, source_file};

fn planted(i: usize) -> String {
    format!(
        "STRIPE_KEY = \"{}{:024}\"\n",
        ["sk_", "live_"].concat(),
        i * 7919 + 1_000_000_000_000_000
    )
}

fn working_tree() {
    let files = (50_000.0 * scale()) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed);
    let mut bytes = 0usize;
    for i in 0..files {
        let path = dir
            .path()
            .join(format!("svc{}/src/m{}/f{i}.rs", i % 100, i % 37));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = source_file(&mut rng, 20_000);
        if i % 500 == 0 {
            text.push_str(&planted(i));
        }
        bytes += text.len();
        std::fs::write(path, text).unwrap();
    }
    let cache = tempfile::tempdir().unwrap();
    let shipready = || {
        measure(
            Command::new(BIN)
                .args([
                    "check",
                    dir.path().to_str().unwrap(),
                    "--only",
                    "secrets",
                    "--no-history",
                    "--format",
                    "json",
                    "--max-file-size",
                    "64M",
                ])
                .env("SHIPREADY_CACHE_DIR", cache.path()),
        )
    };
    shipready();
    let (ours, our_mem) = best_of(3, shipready);
    let mut rg = Command::new("rg");
    rg.args(["-c", "-U", "--hidden", "--no-messages"]);
    for d in shipready_check_secrets::detectors::DETECTORS {
        rg.args(["-e", d.regex]);
    }
    rg.arg(dir.path());
    let rg_available = Command::new("rg").arg("--version").output().is_ok();
    println!("working tree: {files} files, {:.0} MB", bytes as f64 / 1e6);
    if rg_available {
        let (reference, rg_mem) = best_of(3, || measure(&mut rg));
        println!(
            "  shipready --only secrets --no-history {:>8.0} ms ({:>5.0} MB peak)   rg, same {} regexes {:>8.0} ms ({:>5.0} MB)   ratio {:.2}",
            ours.as_secs_f64() * 1e3,
            our_mem as f64 / 1e6,
            shipready_check_secrets::detectors::DETECTORS.len(),
            reference.as_secs_f64() * 1e3,
            rg_mem as f64 / 1e6,
            ours.as_secs_f64() / reference.as_secs_f64()
        );
    } else {
        println!(
            "  shipready {:.0} ms; rg not installed: no ratio (apt-get install ripgrep)",
            ours.as_secs_f64() * 1e3
        );
    }
}

/// A repository with `commits` commits, each rewriting a few files, written
/// with `git fast-import` (one pack, as a real clone has).
fn history_repo(commits: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = std::io::BufWriter::new(import.stdin.take().unwrap());
    let mut rng = Rng(0xbeef);
    for c in 0..commits {
        let message = format!("change {c}");
        writeln!(stdin, "commit refs/heads/main").unwrap();
        writeln!(
            stdin,
            "committer Dana Dev <dana@example.com> {} +0000",
            1_600_000_000 + c * 3600
        )
        .unwrap();
        writeln!(stdin, "data {}\n{message}", message.len()).unwrap();
        for f in 0..4 {
            let mut text = source_file(&mut rng, 4_000);
            if c % 250 == 0 && f == 0 {
                text.push_str(&planted(c));
            }
            writeln!(stdin, "M 100644 inline svc{}/f{}.rs", (c + f) % 200, f).unwrap();
            writeln!(stdin, "data {}\n{text}", text.len()).unwrap();
        }
    }
    drop(stdin);
    assert!(import.wait().unwrap().success());
    git(&["checkout", "-q", "main"]);
    dir
}

/// Peak memory of a full secrets scan: (resident, anonymous) bytes.
fn history_memory(repo: &Path, cache: &Path) -> (u64, u64) {
    let runs: Vec<(Duration, u64, u64)> = (0..3)
        .map(|_| {
            measure_anon(
                Command::new(BIN)
                    .args([
                        "check",
                        repo.to_str().unwrap(),
                        "--only",
                        "secrets",
                        "--format",
                        "json",
                    ])
                    .env("SHIPREADY_CACHE_DIR", cache),
            )
        })
        .collect();
    let rss = runs.iter().map(|r| r.1).min().unwrap();
    let anon = runs.iter().map(|r| r.2).min().unwrap();
    (rss, anon)
}

/// Memory against history length: the same scan on a history five times
/// shorter. Anonymous memory (heap, stacks) is what the scan holds; the
/// rest of the resident set is the packs, mapped read-only.
fn memory_by_length(long: &Path, long_commits: usize, cache: &Path) {
    let short_commits = long_commits / 5;
    let short = history_repo(short_commits);
    let (short_rss, short_anon) = history_memory(short.path(), cache);
    let (long_rss, long_anon) = history_memory(long, cache);
    let pack_bytes = |dir: &Path| -> u64 {
        std::fs::read_dir(dir.join(".git/objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.metadata().unwrap().len())
            .sum()
    };
    println!("memory by history length (peak, best of 3):");
    for (commits, rss, anon, dir) in [
        (short_commits, short_rss, short_anon, short.path()),
        (long_commits, long_rss, long_anon, long),
    ] {
        println!(
            "  {commits:>6} commits, {:>6} blobs: anonymous {:>5.1} MB   resident {:>5.1} MB   packs on disk {:>5.1} MB",
            commits * 4,
            anon as f64 / 1e6,
            rss as f64 / 1e6,
            pack_bytes(dir) as f64 / 1e6
        );
    }
    println!(
        "  anonymous growth per added blob: {:.0} bytes (the index's ids and provenance); ratio long/short {:.2}",
        (long_anon as f64 - short_anon as f64) / ((long_commits - short_commits) * 4) as f64,
        long_anon as f64 / short_anon as f64
    );
}

fn history() {
    let commits = (10_000.0 * scale()) as usize;
    let repo = history_repo(commits);
    let cache = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        measure(
            Command::new(BIN)
                .args([
                    "check",
                    repo.path().to_str().unwrap(),
                    "--only",
                    "secrets",
                    "--format",
                    "json",
                ])
                .args(extra)
                .env("SHIPREADY_CACHE_DIR", cache.path()),
        )
    };
    // One run to warm the cache and check the scan is real: every planted
    // secret found, every blob in scope.
    let out = Command::new(BIN)
        .args([
            "check",
            repo.path().to_str().unwrap(),
            "--only",
            "secrets",
            "--format",
            "json",
        ])
        .env("SHIPREADY_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let found = report["findings"].as_array().map_or(0, |f| f.len());
    let planted = commits.div_ceil(250);
    assert!(
        found >= planted,
        "found {found} of {planted} planted secrets"
    );
    println!(
        "  scanned {} blobs of {} commits; {found} findings for {planted} planted secrets",
        report["target"]["history"]["blobs"], report["target"]["history"]["commits"]
    );
    let (with_history, mem_history) = best_of(3, || run(&[]));
    let (tree_only, mem_tree_only) = best_of(3, || run(&["--no-history"]));
    let (reference, ref_mem) = best_of(3, || {
        measure(
            Command::new("git")
                .args(["cat-file", "--batch-all-objects", "--batch"])
                .current_dir(repo.path()),
        )
    });
    let history_part = with_history.saturating_sub(tree_only);
    println!("history: {commits} commits, {} blobs", commits * 4);
    println!(
        "  shipready --only secrets {:>8.0} ms ({:>5.0} MB peak; {:.0} MB without history); of which history {:>8.0} ms   git cat-file --batch-all-objects {:>8.0} ms ({:>5.0} MB)   ratio (history / cat-file) {:.2}",
        with_history.as_secs_f64() * 1e3,
        mem_history as f64 / 1e6,
        mem_tree_only as f64 / 1e6,
        history_part.as_secs_f64() * 1e3,
        reference.as_secs_f64() * 1e3,
        ref_mem as f64 / 1e6,
        history_part.as_secs_f64() / reference.as_secs_f64()
    );
    memory_by_length(repo.path(), commits, cache.path());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("shipready secrets benchmark (best of 3; compare the ratios)");
    working_tree();
    history();
}
