//! Support for the end-to-end tests in `tests/e2e/` (declared as the
//! `shipready` package's integration tests, so they can run the real binary):
//! where the test plugins are, fixture repositories, and running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

    /// Turn it into a git work tree (`git init`, one commit).
    pub fn git(self) -> Self {
        let run = |args: &[&str]| {
            let ok = Command::new("git")
                .args(args)
                .current_dir(self.dir.path())
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .output()
                .expect("git runs")
                .status
                .success();
            assert!(ok, "git {args:?} failed");
        };
        run(&["init", "-q"]);
        run(&["add", "-A"]);
        run(&["commit", "-qm", "fixture"]);
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
