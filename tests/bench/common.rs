//! What the benchmarks share: the binary under test, timing and peak
//! memory of a child process, and deterministic generated source text.

#![allow(dead_code)] // each benchmark uses its own part

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_shipready");

pub fn scale() -> f64 {
    std::env::var("SHIPREADY_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// Run a command to completion; its wall time and peak resident memory.
// The child is reaped by `wait4`, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
pub fn measure(cmd: &mut Command) -> (Duration, u64) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child; `usage` is a valid out-pointer.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(pid > 0, "wait4 failed");
    (started.elapsed(), usage.ru_maxrss as u64 * 1024)
}

/// Like [`measure`], also sampling the child's anonymous resident memory
/// (`RssAnon`: heap and stacks, without the file pages it maps, such as git
/// packs) every 2 ms; returns (time, peak resident, peak anonymous).
#[allow(clippy::zombie_processes)]
pub fn measure_anon(cmd: &mut Command) -> (Duration, u64, u64) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let pid = child.id() as libc::pid_t;
    let status_file = format!("/proc/{pid}/status");
    let mut peak_anon = 0u64;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            let anon = text
                .lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_anon = peak_anon.max(anon.unwrap_or(0) * 1024);
        }
        // SAFETY: polling our own child; `usage` is a valid out-pointer.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(done >= 0, "wait4 failed");
        if done > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (started.elapsed(), usage.ru_maxrss as u64 * 1024, peak_anon)
}

pub fn best_of(n: usize, mut f: impl FnMut() -> (Duration, u64)) -> (Duration, u64) {
    (0..n).map(|_| f()).min_by_key(|(d, _)| *d).unwrap()
}

/// The best of `n` rounds of two commands, run in turns so that a noisy
/// moment of the machine falls on both alike.
pub fn best_of_interleaved(
    n: usize,
    mut a: impl FnMut() -> (Duration, u64),
    mut b: impl FnMut() -> (Duration, u64),
) -> ((Duration, u64), (Duration, u64)) {
    let mut best_a = a();
    let mut best_b = b();
    for _ in 1..n {
        let run = a();
        if run.0 < best_a.0 {
            best_a = run;
        }
        let run = b();
        if run.0 < best_b.0 {
            best_b = run;
        }
    }
    (best_a, best_b)
}

/// Deterministic pseudo-random text.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "let", "value", "config", "user", "request", "compute", "result", "handler", "order",
            "item", "return", "async", "await", "query", "render",
        ];
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }
}

pub fn source_file(rng: &mut Rng, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 100);
    while out.len() < bytes {
        let (a, b, c) = (rng.word(), rng.word(), rng.word());
        out.push_str(&format!(
            "    let {a}_{} = {b}({c}, {});\n",
            rng.next() % 1000,
            rng.next() % 97
        ));
    }
    out
}

/// The reference for the source-reading checks: read and parse every file
/// with tree-sitter, natively, on every core, no queries. Asserts that the
/// generated files parse cleanly.
pub fn parse_natively(
    files: &[(std::path::PathBuf, shipready_syntax::Language)],
) -> (Duration, u64) {
    use rayon::prelude::*;
    use shipready_syntax::{Limits, Queries, Session};
    let nothing = Queries::compile(&[]).expect("no queries compile");
    let started = Instant::now();
    let errors: u32 = files
        .par_iter()
        .map_init(Session::default, |session, (path, language)| {
            let text = std::fs::read_to_string(path).expect("generated file");
            session
                .query(&nothing, *language, &text, &Limits::default())
                .expect("parses")
                .errors
        })
        .sum();
    assert_eq!(errors, 0, "the generated files parse");
    (started.elapsed(), 0)
}

/// `shipready check ROOT --format json --only CHECK` with its own cache.
pub fn check_only(root: &std::path::Path, check: &str, cache: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "check",
        root.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--only",
        check,
    ])
    .env("SHIPREADY_CACHE_DIR", cache);
    cmd
}

/// A generated tree: in a temporary directory, or in
/// `SHIPREADY_BENCH_KEEP=DIR`, kept there (to profile).
pub struct Tree {
    _temp: tempfile::TempDir,
    pub root: std::path::PathBuf,
}

impl Tree {
    pub fn new() -> Tree {
        let temp = tempfile::tempdir().expect("temporary directory");
        let root = std::env::var_os("SHIPREADY_BENCH_KEEP")
            .map_or_else(|| temp.path().to_path_buf(), std::path::PathBuf::from);
        Tree { _temp: temp, root }
    }

    /// Write `text` at `rel`, making its directories; its full path.
    pub fn write(&self, rel: &str, text: &str) -> std::path::PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("directories");
        std::fs::write(&path, text).expect("written");
        path
    }
}
