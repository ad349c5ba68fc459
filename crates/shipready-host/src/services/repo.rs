//! The repository index: every file of the target, classified once.
//!
//! The walk (parallel, via `ignore`) applies `.gitignore`, `.ignore` and
//! `.git/info/exclude` whether or not the directory is a git work tree, skips
//! `.git`, and never follows a symbolic link, so link loops and links out of
//! the repository cannot be walked or read. The walk only lists (path, size,
//! modification time); a file's content is classified the first time
//! something asks for it, once: text (UTF-8, under the size limit), binary (a
//! NUL byte in its first 8 KiB), too large, or not UTF-8. So a run that looks
//! at a few files (a `--since` run) reads only those. Only text files are
//! searched; the report counts the rest among the files classified. Reads go
//! through the index, so a check can only read a path the walk listed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use rayon::prelude::*;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use shipready_report::ScanStats;

/// How a file's content was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Text,
    Binary,
    TooLarge,
    NotUtf8,
    /// Could not be read when classified (permissions, a race): never listed.
    Unreadable,
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    /// As the walk saw it: lets `--since` trust git's index for unchanged files.
    pub modified: Option<SystemTime>,
    pub language: Option<&'static str>,
    kind: OnceLock<FileKind>,
}

impl Entry {
    /// The file's classification. Entries handed out by [`RepoIndex::files`]
    /// are classified; others may not be yet (see [`RepoIndex::kind`]).
    pub fn kind(&self) -> Option<FileKind> {
        self.kind.get().copied()
    }
}

#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Files larger than this are listed as too large and never read.
    pub max_file_size: u64,
    /// Globs (anchored as in the contract) of paths no check may see.
    pub exclude: Vec<String>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            max_file_size: 10 << 20,
            exclude: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{path}: no such file or directory")]
    Missing { path: PathBuf },
    #[error("{path}: not a directory (give the repository's root directory)")]
    NotADirectory { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("exclude: {0}")]
    BadExclude(String),
}

/// Why a service call on the index failed (mapped to the contract's `host-error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Io(String),
}

pub struct RepoIndex {
    root: PathBuf,
    files: Vec<Entry>,
    by_path: HashMap<String, usize>,
    /// Symbolic links and entries the walk could not read.
    walk_stats: ScanStats,
    is_git: bool,
    max_file_size: u64,
}

const BINARY_SNIFF: usize = 8 << 10;

/// Too large or binary, if the content is either.
fn size_or_binary(bytes: &[u8], max: u64) -> Option<FileKind> {
    if bytes.len() as u64 > max {
        Some(FileKind::TooLarge)
    } else if bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0) {
        Some(FileKind::Binary)
    } else {
        None
    }
}

/// Classify content already read; `Text` comes with the text.
fn classify(bytes: Vec<u8>, max: u64) -> (FileKind, Option<String>) {
    if let Some(kind) = size_or_binary(&bytes, max) {
        return (kind, None);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (FileKind::Text, Some(text)),
        Err(_) => (FileKind::NotUtf8, None),
    }
}

fn kind_of(bytes: &[u8], max: u64) -> FileKind {
    size_or_binary(bytes, max).unwrap_or(if std::str::from_utf8(bytes).is_ok() {
        FileKind::Text
    } else {
        FileKind::NotUtf8
    })
}

/// Compile the contract's globs: a leading `/` or an inner `/` anchors at the
/// root, a bare name matches in any directory.
pub fn compile_globs(globs: &[String]) -> Result<Option<GlobSet>, AccessError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(&shipready_paths::glob_from_root(g))
            .literal_separator(true)
            .build()
            .map_err(|e| AccessError::Invalid(format!("glob `{g}`: {e}")))?;
        set.add(glob);
    }
    set.build()
        .map(Some)
        .map_err(|e| AccessError::Invalid(e.to_string()))
}

impl RepoIndex {
    /// Walk the directory `root` (nothing is read yet).
    pub fn build(root: &Path, options: &IndexOptions) -> Result<Self, RepoError> {
        let meta = std::fs::metadata(root).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => RepoError::Missing {
                path: root.to_path_buf(),
            },
            _ => RepoError::Unreadable {
                path: root.to_path_buf(),
                source,
            },
        })?;
        if !meta.is_dir() {
            return Err(RepoError::NotADirectory {
                path: root.to_path_buf(),
            });
        }
        std::fs::read_dir(root).map_err(|source| RepoError::Unreadable {
            path: root.to_path_buf(),
            source,
        })?;
        let root = root.to_path_buf();
        let is_git = root.join(".git").exists();

        let exclude =
            compile_globs(&options.exclude).map_err(|e| RepoError::BadExclude(e.to_string()))?;
        let found: Mutex<(Vec<Entry>, ScanStats)> = Mutex::new((Vec::new(), ScanStats::default()));
        let max = options.max_file_size;
        ignore::WalkBuilder::new(&root)
            .hidden(false)
            .parents(false)
            .git_global(false)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel()
            .run(|| {
                let found = &found;
                let root = &root;
                let exclude = &exclude;
                Box::new(move |result| {
                    let mut entry_out = None;
                    let mut stat = ScanStats::default();
                    match result {
                        Err(_) => stat.unreadable += 1,
                        Ok(entry) => match entry.file_type() {
                            Some(ft) if ft.is_symlink() => stat.symlinks += 1,
                            Some(ft) if ft.is_file() => {
                                let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
                                let path = rel.to_string_lossy().replace('\\', "/");
                                if exclude.as_ref().is_some_and(|x| x.is_match(&path)) {
                                    return ignore::WalkState::Continue;
                                }
                                match entry.metadata() {
                                    Ok(meta) => {
                                        let kind = OnceLock::new();
                                        if meta.len() > max {
                                            let _ = kind.set(FileKind::TooLarge);
                                        }
                                        entry_out = Some(Entry {
                                            language: shipready_paths::language_of(&path),
                                            path,
                                            size: meta.len(),
                                            modified: meta.modified().ok(),
                                            kind,
                                        });
                                    }
                                    Err(_) => stat.unreadable += 1,
                                }
                            }
                            _ => {}
                        },
                    }
                    let mut guard = found.lock().expect("walker lock");
                    guard.0.extend(entry_out);
                    guard.1.symlinks += stat.symlinks;
                    guard.1.unreadable += stat.unreadable;
                    ignore::WalkState::Continue
                })
            });
        let (mut files, walk_stats) = found.into_inner().expect("walker lock");
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let by_path = files
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.clone(), i))
            .collect();
        Ok(RepoIndex {
            root,
            files,
            by_path,
            walk_stats,
            is_git,
            max_file_size: max,
        })
    }

    /// Files larger than this are not read.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn is_git(&self) -> bool {
        self.is_git
    }

    /// What the walk found, and how the files classified so far turned out.
    pub fn stats(&self) -> ScanStats {
        let mut s = self.walk_stats;
        for e in &self.files {
            match e.kind() {
                Some(FileKind::Unreadable) => {
                    s.unreadable += 1;
                    continue;
                }
                Some(FileKind::Binary) => s.binary += 1,
                Some(FileKind::TooLarge) => s.too_large += 1,
                Some(FileKind::NotUtf8) => s.not_utf8 += 1,
                Some(FileKind::Text) | None => {}
            }
            s.files += 1;
            s.bytes += e.size;
        }
        s
    }

    /// Every file the walk listed, sorted by path, classified or not.
    pub fn all(&self) -> &[Entry] {
        &self.files
    }

    /// Files matching any glob (all when empty), sorted by path, without
    /// reading them.
    pub fn list(&self, globs: &[String]) -> Result<Vec<&Entry>, AccessError> {
        let set = compile_globs(globs)?;
        Ok(self
            .files
            .iter()
            .filter(|e| set.as_ref().is_none_or(|s| s.is_match(&e.path)))
            .collect())
    }

    /// Files matching any glob (all when empty), sorted by path, each
    /// classified (in parallel, the first time); unreadable ones left out.
    pub fn files(&self, globs: &[String]) -> Result<Vec<&Entry>, AccessError> {
        let listed = self.list(globs)?;
        listed.par_iter().for_each(|e| {
            self.kind(e);
        });
        Ok(listed
            .into_iter()
            .filter(|e| e.kind() != Some(FileKind::Unreadable))
            .collect())
    }

    /// Classify a listed file (reading it, the first time only).
    pub fn kind(&self, entry: &Entry) -> FileKind {
        if let Some(kind) = entry.kind() {
            return kind;
        }
        self.read_classified(entry);
        entry.kind().unwrap_or(FileKind::Unreadable)
    }

    pub fn entry(&self, path: &str) -> Option<&Entry> {
        self.by_path.get(path).map(|&i| &self.files[i])
    }

    /// The bytes of a listed file under the size limit.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, AccessError> {
        let entry = self.entry(path).ok_or_else(|| {
            AccessError::Invalid(format!("`{path}` is not a file of the repository"))
        })?;
        if entry.kind() == Some(FileKind::TooLarge) {
            return Err(AccessError::Io(format!(
                "`{path}` is {} bytes, over the {}-byte file size limit",
                entry.size, self.max_file_size
            )));
        }
        let bytes = std::fs::read(self.root.join(&entry.path))
            .map_err(|e| AccessError::Io(format!("`{path}`: {e}")))?;
        if bytes.len() as u64 > self.max_file_size {
            return Err(AccessError::Io(format!(
                "`{path}` grew over the file size limit"
            )));
        }
        entry
            .kind
            .get_or_init(|| kind_of(&bytes, self.max_file_size));
        Ok(bytes)
    }

    /// The text of a listed file, or `None` if it is not text. Classifies
    /// the file from this one read if nothing did before.
    pub fn read_classified(&self, entry: &Entry) -> Option<String> {
        if matches!(entry.kind(), Some(k) if k != FileKind::Text) {
            return None;
        }
        let (kind, text) = match std::fs::read(self.root.join(&entry.path)) {
            Ok(bytes) => classify(bytes, self.max_file_size),
            Err(_) => (FileKind::Unreadable, None),
        };
        // The first classification stands: a file changing under the run
        // does not change what was already reported about it.
        let first = *entry.kind.get_or_init(|| kind);
        text.filter(|_| first == FileKind::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, bytes: &[u8]) {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn classifies_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "src/a.py", b"print('hi')\n");
        write(root, "img.png", b"\x89PNG\0\0\0");
        write(root, "latin1.txt", b"caf\xe9\n");
        write(root, "big.log", &vec![b'a'; 2000]);
        write(root, ".gitignore", b"ignored/\n");
        write(root, "ignored/secret.txt", b"x");
        write(root, ".git/config", b"[core]");
        write(root, "vendor/lib.py", b"x = 1\n");
        let index = RepoIndex::build(
            root,
            &IndexOptions {
                max_file_size: 1000,
                exclude: vec!["vendor/**".into()],
            },
        )
        .unwrap();
        let kinds: Vec<(&str, FileKind)> = index
            .all()
            .iter()
            .map(|e| (e.path.as_str(), index.kind(e)))
            .collect();
        assert_eq!(
            kinds,
            [
                (".gitignore", FileKind::Text),
                ("big.log", FileKind::TooLarge),
                ("img.png", FileKind::Binary),
                ("latin1.txt", FileKind::NotUtf8),
                ("src/a.py", FileKind::Text),
            ]
        );
        let s = index.stats();
        assert_eq!((s.files, s.binary, s.too_large, s.not_utf8), (5, 1, 1, 1));
        assert!(index.is_git());
        assert_eq!(index.entry("src/a.py").unwrap().language, Some("python"));
        assert!(
            index
                .read("big.log")
                .unwrap_err()
                .to_string()
                .contains("size limit")
        );
        assert!(
            index.read("ignored/secret.txt").is_err(),
            "ignored files cannot be read"
        );
        assert!(index.read("../etc/passwd").is_err());
    }

    #[test]
    fn files_are_read_only_when_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.bin", b"\0\0");
        write(dir.path(), "b.txt", b"text\n");
        write(dir.path(), "c.txt", b"caf\xe9\n");
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        assert!(
            index.all().iter().all(|e| e.kind().is_none()),
            "the walk reads nothing"
        );
        assert_eq!(index.list(&[]).unwrap().len(), 3);
        assert!(
            index.all().iter().all(|e| e.kind().is_none()),
            "listing reads nothing"
        );
        assert_eq!(index.stats().files, 3);
        assert_eq!(index.stats().binary, 0, "not classified yet");

        let b = index.entry("b.txt").unwrap();
        assert_eq!(index.read_classified(b).as_deref(), Some("text\n"));
        assert_eq!(b.kind(), Some(FileKind::Text), "classified by the read");
        assert_eq!(index.entry("a.bin").unwrap().kind(), None);

        let files = index.files(&["*.bin".into()]).unwrap();
        assert_eq!(files[0].kind(), Some(FileKind::Binary));
        assert_eq!(index.stats().binary, 1);
        assert_eq!(index.entry("c.txt").unwrap().kind(), None);
        assert_eq!(index.kind(index.entry("c.txt").unwrap()), FileKind::NotUtf8);
    }

    #[test]
    fn globs_anchor_like_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "Dockerfile", b"FROM x");
        write(dir.path(), "api/Dockerfile", b"FROM x");
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let paths = |g: &str| {
            index
                .files(&[g.to_string()])
                .unwrap()
                .iter()
                .map(|e| e.path.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(paths("Dockerfile"), ["Dockerfile", "api/Dockerfile"]);
        assert_eq!(paths("/Dockerfile"), ["Dockerfile"]);
        assert_eq!(paths("api/*"), ["api/Dockerfile"]);
        assert!(index.files(&["[".to_string()]).is_err());
    }

    #[test]
    fn missing_and_non_directory_roots_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = RepoIndex::build(&missing, &IndexOptions::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("nope"), "{err}");
        write(dir.path(), "file", b"x");
        let err = RepoIndex::build(&dir.path().join("file"), &IndexOptions::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_followed() {
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret", b"outside");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/file.txt", b"x");
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/loop")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("out")).unwrap();
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let paths: Vec<&str> = index.all().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a/file.txt"]);
        assert_eq!(index.stats().symlinks, 2);
        assert!(index.read("out").is_err());
    }
}
