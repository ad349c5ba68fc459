//! Support for the end-to-end tests in `tests/e2e/` (declared as the
//! `shipready` package's integration tests, so they can run the real binary):
//! where the test plugins are, fixture repositories, and running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod live;

include!(concat!(env!("OUT_DIR"), "/plugins.rs"));

/// The component built from `tests/plugins/<name>` (package `plugin-<name>`).
pub fn plugin(name: &str) -> PathBuf {
    let package = format!("plugin-{name}");
    PLUGIN_PATHS
        .iter()
        .find(|(p, _)| *p == package)
        .map(|(_, path)| PathBuf::from(path))
        .unwrap_or_else(|| panic!("no test plugin {package}"))
}

/// A committed fixture repository under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A repository written at test time (fixtures with problems are not
/// committed, so shipready's own repository stays clean).
pub struct TempRepo {
    pub dir: tempfile::TempDir,
}

impl TempRepo {
    pub fn new() -> Self {
        TempRepo {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(self, path: &str, content: impl AsRef<[u8]>) -> Self {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write fixture file");
        self
    }

    /// Every file under `src` (a fixture on disk), at the same relative paths.
    pub fn copy_of(src: &Path) -> Self {
        let mut repo = TempRepo::new();
        for file in files_under(src) {
            let rel = file
                .strip_prefix(src)
                .expect("under src")
                .to_string_lossy()
                .into_owned();
            repo = repo.file(&rel, std::fs::read(&file).expect("read fixture file"));
        }
        repo
    }

    /// Turn it into a git work tree (`git init`, one commit).
    pub fn git(self) -> Self {
        self.run_git(&["init", "-q", "-b", "main"]);
        self.commit_all("fixture")
    }

    /// Run git in the repository (a fixed author and dates, no user config).
    pub fn run_git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_AUTHOR_NAME", "Dana Dev")
            .env("GIT_AUTHOR_EMAIL", "dana@example.com")
            .env("GIT_COMMITTER_NAME", "Dana Dev")
            .env("GIT_COMMITTER_EMAIL", "dana@example.com")
            .env("GIT_AUTHOR_DATE", "2024-03-01T12:00:00Z")
            .env("GIT_COMMITTER_DATE", "2024-03-01T12:00:00Z")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stage everything and commit.
    pub fn commit_all(self, message: &str) -> Self {
        self.run_git(&["add", "-A"]);
        self.run_git(&["commit", "-qm", message, "--allow-empty"]);
        self
    }

    /// Delete a file from the work tree.
    pub fn remove(self, path: &str) -> Self {
        std::fs::remove_file(self.dir.path().join(path)).expect("remove fixture file");
        self
    }
}

impl Default for TempRepo {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of one `shipready` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run the binary with `args`, a private cache directory and no colour.
pub fn shipready(bin: &str, args: &[&str], cache: &Path) -> Run {
    let out: Output = Command::new(bin)
        .args(args)
        .env("SHIPREADY_CACHE_DIR", cache)
        .env("NO_COLOR", "1")
        .output()
        .expect("shipready runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
