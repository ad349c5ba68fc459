//! Which files changed since a revision a check names (a setting such as
//! the migrations check's `applied-through`), or, when it names none, since
//! the newest tag reachable from HEAD: what production has not seen yet.
//!
//! Compared by blob id with the tree of the merge base of the revision and
//! HEAD, the work tree included, over only the files matching the check's
//! globs, so the cost follows the number of those files, not the
//! repository's size or the revision's age. Unlike `--since`, no line diff:
//! a file is added, modified or deleted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use gix::ObjectId;
use globset::GlobSet;

use super::diff::unchanged_in_index;
use super::history::tree_blobs;
use super::repo::RepoIndex;

/// The files matching the globs that differ between the revision and the
/// work tree, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathsSince {
    /// The revision as named, or the newest tag's name.
    pub rev: String,
    /// The commit compared with: the merge base of the revision and HEAD.
    pub commit: String,
    /// No revision was named: `rev` is the newest tag reachable from HEAD.
    pub newest_tag: bool,
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub deleted: Vec<String>,
}

/// What a revision lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    Changes(PathsSince),
    /// No revision was named and no tag is reachable from HEAD (or the
    /// repository has no commit).
    NoTag,
    /// The named revision is not in the repository.
    Unknown {
        rev: String,
        /// The clone is shallow: the revision may be in the missing history.
        shallow: bool,
        reason: String,
    },
}

/// The files of the work tree at `root` matching `globs` that changed since
/// `rev` (or the newest reachable tag when `None`).
pub fn paths_since(
    root: &Path,
    rev: Option<&str>,
    index: &RepoIndex,
    globs: Option<&GlobSet>,
) -> Result<Since, String> {
    if !root.join(".git").exists() {
        return Ok(match rev {
            None => Since::NoTag,
            Some(rev) => Since::Unknown {
                rev: rev.to_string(),
                shallow: false,
                reason: "the target is not a git repository".into(),
            },
        });
    }
    let repo = gix::open(root)
        .map_err(|e| format!("reading the git repository {}: {e}", root.display()))?;
    let Ok(head) = repo.head_id() else {
        return Ok(match rev {
            None => Since::NoTag,
            Some(rev) => Since::Unknown {
                rev: rev.to_string(),
                shallow: false,
                reason: "the repository has no commits".into(),
            },
        });
    };
    let head = head.detach();
    let (name, target, newest_tag) = match rev {
        Some(rev) => match repo
            .rev_parse_single(rev)
            .map(|id| id.object().and_then(|o| o.peel_to_commit()))
        {
            Ok(Ok(commit)) => (rev.to_string(), commit.id, false),
            Ok(Err(e)) => {
                return Ok(Since::Unknown {
                    rev: rev.to_string(),
                    shallow: repo.is_shallow().unwrap_or(false),
                    reason: format!("it does not name a commit ({e})"),
                });
            }
            Err(e) => {
                return Ok(Since::Unknown {
                    rev: rev.to_string(),
                    shallow: repo.is_shallow().unwrap_or(false),
                    reason: e.to_string(),
                });
            }
        },
        None => match newest_reachable_tag(&repo, head)? {
            Some((name, commit)) => (name, commit, true),
            None => return Ok(Since::NoTag),
        },
    };
    let base = repo
        .merge_base(target, head)
        .ok()
        .flatten()
        .map_or(target, |b| b.detach());
    let tree = repo
        .find_commit(base)
        .and_then(|c| c.tree_id())
        .map_err(|e| format!("reading commit {base}: {e}"))?
        .detach();
    let (blobs, unreadable) = tree_blobs(&repo, tree);
    if let Some(e) = unreadable {
        return Err(format!("reading the tree of {base}: {e}"));
    }
    let matches = |path: &str| globs.is_none_or(|g| g.is_match(path));
    let base_blobs: HashMap<String, ObjectId> = blobs
        .into_iter()
        .filter(|(path, _)| matches(path))
        .collect();

    let git_index = repo.index_or_empty().ok();
    let (mut added, mut modified) = (Vec::new(), Vec::new());
    let mut present: HashSet<&str> = HashSet::new();
    for entry in index.all().iter().filter(|e| matches(&e.path)) {
        present.insert(&entry.path);
        let Some(base_blob) = base_blobs.get(&entry.path) else {
            added.push(entry.path.clone());
            continue;
        };
        let same = match git_index
            .as_deref()
            .and_then(|gi| unchanged_in_index(gi, entry))
        {
            Some(id) => id == *base_blob,
            None => std::fs::read(index.root().join(&entry.path)).is_ok_and(|bytes| {
                gix::objs::compute_hash(repo.object_hash(), gix::object::Kind::Blob, &bytes)
                    .is_ok_and(|id| id == *base_blob)
            }),
        };
        if !same {
            modified.push(entry.path.clone());
        }
    }
    let mut deleted: Vec<String> = base_blobs
        .into_keys()
        .filter(|path| !present.contains(path.as_str()))
        .collect();
    added.sort();
    modified.sort();
    deleted.sort();
    Ok(Since::Changes(PathsSince {
        rev: name,
        commit: base.to_string(),
        newest_tag,
        added,
        modified,
        deleted,
    }))
}

/// The bytes of `path` in the tree of `commit`, `None` when it was not
/// there. Only files of the work tree as the run lists them (so its
/// exclusions hold for the past too), under its size limit.
pub fn read_at(
    root: &Path,
    commit: &str,
    path: &str,
    index: &RepoIndex,
) -> Result<Option<Vec<u8>>, String> {
    if index.entry(path).is_none() {
        return Err(format!(
            "`{path}` is not a file of the repository as this run lists it; only those can be read at a past commit"
        ));
    }
    let repo = gix::open(root)
        .map_err(|e| format!("reading the git repository {}: {e}", root.display()))?;
    let id = ObjectId::from_hex(commit.as_bytes())
        .map_err(|e| format!("`{commit}` is not a commit id: {e}"))?;
    let tree = repo
        .find_commit(id)
        .and_then(|c| c.tree())
        .map_err(|e| format!("reading commit {commit}: {e}"))?;
    let Some(entry) = tree
        .lookup_entry_by_path(path)
        .map_err(|e| format!("looking up `{path}` in {commit}: {e}"))?
    else {
        return Ok(None);
    };
    if !entry.mode().is_blob() {
        return Ok(None);
    }
    let header = repo
        .find_header(entry.oid())
        .map_err(|e| format!("reading `{path}` in {commit}: {e}"))?;
    if header.size() > index.max_file_size() {
        return Err(format!(
            "`{path}` in {commit} is {} bytes, over the {}-byte file size limit",
            header.size(),
            index.max_file_size()
        ));
    }
    let blob = repo
        .find_object(entry.oid())
        .map_err(|e| format!("reading `{path}` in {commit}: {e}"))?;
    Ok(Some(blob.detach().data))
}

/// The tag on the most recent (by commit time) ancestor of `head` that has
/// one, with that commit.
fn newest_reachable_tag(
    repo: &gix::Repository,
    head: ObjectId,
) -> Result<Option<(String, ObjectId)>, String> {
    let mut tagged: HashMap<ObjectId, Vec<String>> = HashMap::new();
    let refs = repo.references().map_err(|e| e.to_string())?;
    for mut tag in refs.tags().map_err(|e| e.to_string())?.flatten() {
        let name = tag.name().shorten().to_string();
        if let Ok(id) = tag.peel_to_id()
            && let Ok(object) = repo.find_header(id)
            && object.kind() == gix::object::Kind::Commit
        {
            tagged.entry(id.detach()).or_default().push(name);
        }
    }
    if tagged.is_empty() {
        return Ok(None);
    }
    let walk = repo.rev_walk([head]).all().map_err(|e| e.to_string())?;
    let mut best: Option<(i64, String, ObjectId)> = None;
    // A missing commit (shallow boundary) ends that line of history.
    for info in walk.flatten() {
        let Some(names) = tagged.get(&info.id) else {
            continue;
        };
        let time = repo
            .find_commit(info.id)
            .ok()
            .and_then(|c| c.time().ok())
            .map_or(0, |t| t.seconds);
        // Several tags on one commit: the greatest name (v2.0.0 over v2.0.0-rc1).
        let name = names.iter().max().cloned().unwrap_or_default();
        if best.as_ref().is_none_or(|(t, _, _)| time > *t) {
            best = Some((time, name, info.id));
        }
    }
    Ok(best.map(|(_, name, id)| (name, id)))
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::services::repo::{IndexOptions, compile_globs};

    fn git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn write(dir: &Path, path: &str, content: &str) {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// v1 (0001, 0002), then 0003 and an edit of 0002 and a deletion of
    /// 0001 committed, then 0004 only in the work tree.
    fn repository() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        write(root, "db/0001_a.sql", "CREATE TABLE a (x int);\n");
        write(root, "db/0002_b.sql", "CREATE TABLE b (x int);\n");
        write(root, "README.md", "readme\n");
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "first"]);
        git(root, &["tag", "v1"]);
        write(root, "db/0002_b.sql", "CREATE TABLE b (y int);\n");
        write(root, "db/0003_c.sql", "CREATE TABLE c (x int);\n");
        std::fs::remove_file(root.join("db/0001_a.sql")).unwrap();
        write(root, "README.md", "changed\n");
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "second"]);
        write(root, "db/0004_d.sql", "CREATE TABLE d (x int);\n");
        dir
    }

    fn since(root: &Path, rev: Option<&str>) -> Since {
        let index = RepoIndex::build(root, &IndexOptions::default()).unwrap();
        let globs = compile_globs(&["db/*.sql".to_string()]).unwrap();
        paths_since(root, rev, &index, globs.as_ref()).unwrap()
    }

    #[test]
    fn a_named_revision_gives_added_modified_and_deleted_files_work_tree_included() {
        let dir = repository();
        let Since::Changes(c) = since(dir.path(), Some("v1")) else {
            panic!("v1 exists");
        };
        assert_eq!(c.rev, "v1");
        assert!(!c.newest_tag);
        assert_eq!(c.added, ["db/0003_c.sql", "db/0004_d.sql"]);
        assert_eq!(c.modified, ["db/0002_b.sql"]);
        assert_eq!(
            c.deleted,
            ["db/0001_a.sql"],
            "README.md is outside the globs"
        );
    }

    #[test]
    fn with_no_revision_the_newest_reachable_tag_is_used() {
        let dir = repository();
        let Since::Changes(c) = since(dir.path(), None) else {
            panic!("v1 is reachable");
        };
        assert_eq!((c.rev.as_str(), c.newest_tag), ("v1", true));
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "third"]);
        git(dir.path(), &["tag", "-a", "v2", "-m", "annotated"]);
        let Since::Changes(c) = since(dir.path(), None) else {
            panic!("v2 is reachable");
        };
        assert_eq!(c.rev, "v2");
        assert!(c.added.is_empty() && c.modified.is_empty() && c.deleted.is_empty());
    }

    #[test]
    fn no_tag_unknown_revisions_and_non_git_directories_are_said_apart() {
        let dir = repository();
        git(dir.path(), &["tag", "-d", "v1"]);
        assert_eq!(since(dir.path(), None), Since::NoTag);
        let Since::Unknown { rev, shallow, .. } = since(dir.path(), Some("v9.9.9")) else {
            panic!("v9.9.9 does not exist");
        };
        assert_eq!((rev.as_str(), shallow), ("v9.9.9", false));

        let plain = tempfile::tempdir().unwrap();
        write(plain.path(), "db/0001_a.sql", "SELECT 1;\n");
        assert_eq!(since(plain.path(), None), Since::NoTag);
        assert!(matches!(
            since(plain.path(), Some("v1")),
            Since::Unknown { .. }
        ));
    }

    #[test]
    fn a_file_is_read_as_it_was_at_the_compared_commit() {
        let dir = repository();
        let Since::Changes(c) = since(dir.path(), Some("v1")) else {
            panic!("v1 exists");
        };
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        let old = read_at(dir.path(), &c.commit, "db/0002_b.sql", &index).unwrap();
        assert_eq!(old.as_deref(), Some(&b"CREATE TABLE b (x int);\n"[..]));
        assert_eq!(
            read_at(dir.path(), &c.commit, "db/0003_c.sql", &index).unwrap(),
            None
        );
        let err = read_at(dir.path(), &c.commit, "db/0001_a.sql", &index).unwrap_err();
        assert!(err.contains("not a file of the repository"), "{err}");
        let err = read_at(dir.path(), "not-a-commit", "db/0002_b.sql", &index).unwrap_err();
        assert!(err.contains("not a commit id"), "{err}");
    }

    #[test]
    fn a_revision_missing_from_a_shallow_clone_says_shallow() {
        let dir = repository();
        let clone = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        git(
            clone.path(),
            &["clone", "-q", "--depth", "1", "--no-tags", &url, "shallow"],
        );
        let shallow = clone.path().join("shallow");
        let Since::Unknown {
            shallow: is_shallow,
            ..
        } = since(&shallow, Some("v1"))
        else {
            panic!("v1 is not in the shallow clone");
        };
        assert!(is_shallow);
        assert_eq!(since(&shallow, None), Since::NoTag);
    }
}
