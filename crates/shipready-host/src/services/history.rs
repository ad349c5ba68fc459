//! The git history as unique blobs with provenance, read with gix (no `git`
//! binary needed).
//!
//! Building the index walks every commit reachable from any ref (and HEAD,
//! for a detached HEAD), oldest first, and records each blob the first time
//! it appears: its path there, the commit, author and time. Subtrees already
//! seen are not walked again, so the cost follows the number of distinct
//! trees and blobs, not commits times files. With `--since REV` only the
//! commits after REV are walked and everything in REV's tree counts as seen,
//! so only content those commits introduce is in scope. The index holds
//! object ids and provenance, never contents: searching reads one blob at a
//! time per thread, so memory does not grow with the history's size.

use std::collections::HashSet;
use std::fmt::Display;
use std::path::Path;

use gix::ObjectId;
use rayon::prelude::*;

use super::repo::{AccessError, compile_globs};
use super::search::{Hit, Matcher, PatternSpec};

/// What was in scope, and what could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub available: bool,
    pub reason: Option<String>,
    pub shallow: bool,
    pub since: Option<String>,
    pub commits: u32,
    pub blobs: u32,
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeta {
    pub id: String,
    pub author: String,
    pub time: i64,
    pub summary: String,
}

struct Blob {
    id: ObjectId,
    path: String,
    commit: u32,
    in_head: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryHit {
    pub hit: Hit,
    pub blob: String,
    pub commit: CommitMeta,
    pub in_head: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("--since {rev}: no such revision in {repo} ({reason})")]
    UnknownRevision {
        rev: String,
        repo: String,
        reason: String,
    },
    #[error("reading the git history of {repo}: {reason}")]
    Git { repo: String, reason: String },
}

pub struct HistoryIndex {
    repo: Option<gix::ThreadSafeRepository>,
    commits: Vec<CommitMeta>,
    blobs: Vec<Blob>,
    scope: Scope,
    /// Blobs a search could not read as text, counted once each.
    skipped: std::sync::Mutex<HashSet<ObjectId>>,
    max_blob_size: u64,
    /// Paths the configuration excludes: never searched.
    exclude: Option<globset::GlobSet>,
}

fn text<E: Display>(e: E) -> String {
    e.to_string()
}

/// Check that `rev` names a commit of the repository at `root`, before any
/// work starts.
pub fn resolve(root: &Path, rev: &str) -> Result<(), HistoryError> {
    let repo = gix::open(root).map_err(|e| HistoryError::Git {
        repo: root.display().to_string(),
        reason: text(e),
    })?;
    repo.rev_parse_single(rev)
        .map_err(|e| HistoryError::UnknownRevision {
            rev: rev.into(),
            repo: root.display().to_string(),
            reason: text(e),
        })?;
    Ok(())
}

impl HistoryIndex {
    /// An index with nothing in scope, and why.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        HistoryIndex {
            repo: None,
            commits: Vec::new(),
            blobs: Vec::new(),
            scope: Scope {
                reason: Some(reason.into()),
                ..Scope::default()
            },
            skipped: Default::default(),
            max_blob_size: 0,
            exclude: None,
        }
    }

    /// Index the history of the work tree at `root`.
    pub fn build(
        root: &Path,
        since: Option<&str>,
        max_blob_size: u64,
    ) -> Result<Self, HistoryError> {
        if !root.join(".git").exists() {
            return Ok(Self::unavailable("not a git repository"));
        }
        let git = |e: String| HistoryError::Git {
            repo: root.display().to_string(),
            reason: e,
        };
        let repo = gix::open(root).map_err(|e| git(text(e)))?;
        let Ok(head) = repo.head_id() else {
            return Ok(Self::unavailable("the repository has no commits"));
        };
        let shallow = repo.is_shallow().map_err(|e| git(text(e)))?;

        let mut tips: Vec<ObjectId> = vec![head.detach()];
        let refs = repo.references().map_err(|e| git(text(e)))?;
        for reference in refs.all().map_err(|e| git(text(e)))?.flatten() {
            if let Ok(id) = reference.into_fully_peeled_id()
                && let Ok(object) = repo.find_header(id)
                && object.kind() == gix::object::Kind::Commit
            {
                tips.push(id.detach());
            }
        }
        tips.sort();
        tips.dedup();

        let mut seen_trees: HashSet<ObjectId> = HashSet::new();
        let mut seen_blobs: HashSet<ObjectId> = HashSet::new();
        let mut hidden = Vec::new();
        if let Some(rev) = since {
            let base = repo
                .rev_parse_single(rev)
                .map_err(|e| HistoryError::UnknownRevision {
                    rev: rev.into(),
                    repo: root.display().to_string(),
                    reason: text(e),
                })?;
            let base_commit = repo.find_commit(base).map_err(|e| git(text(e)))?;
            let tree = base_commit.tree_id().map_err(|e| git(text(e)))?.detach();
            let mut sink = Vec::new();
            walk_tree(&repo, tree, "", &mut seen_trees, &mut seen_blobs, &mut sink).map_err(git)?;
            hidden.push(base.detach());
        }

        let walk = repo
            .rev_walk(tips)
            .with_hidden(hidden)
            .all()
            .map_err(|e| git(text(e)))?;
        let mut ids: Vec<ObjectId> = Vec::new();
        for info in walk {
            // A missing commit (shallow boundary, corruption) ends that line of
            // history; the rest is still scanned.
            match info {
                Ok(info) => ids.push(info.id),
                Err(_) => continue,
            }
        }
        ids.reverse();

        let head_tree = repo
            .find_commit(head)
            .and_then(|c| c.tree_id())
            .map_err(|e| git(text(e)))?
            .detach();
        // What HEAD's tree holds, as far as it can be read.
        let in_head: HashSet<ObjectId> = tree_blobs(&repo, head_tree)
            .0
            .into_iter()
            .map(|(_, id)| id)
            .collect();

        let mut commits = Vec::with_capacity(ids.len());
        let mut blobs = Vec::new();
        let mut unreadable = 0u32;
        for id in ids {
            let Ok(commit) = repo.find_commit(id) else {
                unreadable += 1;
                continue;
            };
            let meta = CommitMeta {
                id: id.to_string(),
                author: commit
                    .author()
                    .map(|a| a.name.to_string())
                    .unwrap_or_default(),
                time: commit.time().map(|t| t.seconds).unwrap_or(0),
                summary: commit
                    .message()
                    .map(|m| m.summary().to_string())
                    .unwrap_or_default(),
            };
            let Ok(tree) = commit.tree_id() else {
                unreadable += 1;
                continue;
            };
            let index = commits.len() as u32;
            commits.push(meta);
            let mut found = Vec::new();
            if walk_tree(
                &repo,
                tree.detach(),
                "",
                &mut seen_trees,
                &mut seen_blobs,
                &mut found,
            )
            .is_err()
            {
                unreadable += 1;
            }
            blobs.extend(found.into_iter().map(|(id, path)| Blob {
                id,
                path,
                commit: index,
                in_head: in_head.contains(&id),
            }));
        }
        sort_in_pack_order(&repo, &mut blobs);
        let scope = Scope {
            available: true,
            reason: None,
            shallow,
            since: since.map(str::to_string),
            commits: commits.len() as u32,
            blobs: blobs.len() as u32,
            skipped: unreadable,
        };
        Ok(HistoryIndex {
            repo: Some(repo.into_sync()),
            commits,
            blobs,
            scope,
            skipped: Default::default(),
            max_blob_size,
            exclude: None,
        })
    }

    /// The scope, with blobs skipped by searches so far.
    pub fn scope(&self) -> Scope {
        Scope {
            skipped: self.scope.skipped + self.skipped.lock().expect("skipped lock").len() as u32,
            ..self.scope.clone()
        }
    }

    /// Run `patterns` over every blob in scope whose path matches `globs`.
    pub fn search(
        &self,
        patterns: &[PatternSpec],
        globs: &[String],
        max_hits: usize,
    ) -> Result<(Vec<HistoryHit>, bool), AccessError> {
        let Some(repo) = &self.repo else {
            return Ok((Vec::new(), false));
        };
        let matcher = Matcher::new(patterns, max_hits)?;
        let globs = compile_globs(globs)?;
        let blobs: Vec<&Blob> = self
            .blobs
            .iter()
            .filter(|b| globs.as_ref().is_none_or(|g| g.is_match(&b.path)))
            .filter(|b| self.exclude.as_ref().is_none_or(|x| !x.is_match(&b.path)))
            .collect();
        let mut hits: Vec<HistoryHit> = blobs
            .par_iter()
            .with_min_len(64)
            .map_init(
                || repo.to_thread_local(),
                |local, blob| {
                    if matcher.exhausted() {
                        return Vec::new();
                    }
                    let Some(text) = self.read_text(local, blob) else {
                        self.skipped.lock().expect("skipped lock").insert(blob.id);
                        return Vec::new();
                    };
                    matcher
                        .scan(&blob.path, &text)
                        .into_iter()
                        .map(|hit| HistoryHit {
                            hit,
                            blob: blob.id.to_string(),
                            commit: self.commits[blob.commit as usize].clone(),
                            in_head: blob.in_head,
                        })
                        .collect()
                },
            )
            .flatten()
            .collect();
        hits.sort_by(|a, b| {
            (
                &a.hit.path,
                a.hit.line,
                a.hit.column,
                a.hit.pattern,
                &a.blob,
            )
                .cmp(&(
                    &b.hit.path,
                    b.hit.line,
                    b.hit.column,
                    b.hit.pattern,
                    &b.blob,
                ))
        });
        hits.truncate(max_hits);
        Ok((hits, matcher.exhausted()))
    }

    /// A blob's text, or `None` when it is over the size limit, binary, not
    /// UTF-8 or unreadable.
    fn read_text(&self, repo: &gix::Repository, blob: &Blob) -> Option<String> {
        let header = repo.find_header(blob.id).ok()?;
        if header.size() > self.max_blob_size {
            return None;
        }
        let data = repo.find_blob(blob.id).ok()?.detach().data;
        if data[..data.len().min(8192)].contains(&0) {
            return None;
        }
        String::from_utf8(data).ok()
    }
}

/// Sort `blobs` by where they sit in the packs (loose objects last), once,
/// when the index is built: each search then hands the threads contiguous
/// runs that walk the packs forwards and find a blob's delta bases in gix's
/// delta-base cache, among those just decoded, so a deep delta chain is
/// decoded about once, not once per blob.
fn sort_in_pack_order(repo: &gix::Repository, blobs: &mut [Blob]) {
    use gix::odb::pack::Find as _;
    let mut local = repo.clone();
    local.objects.prevent_pack_unload();
    let mut buf = Vec::new();
    blobs.sort_by_cached_key(|b| match local.objects.location_by_oid(&b.id, &mut buf) {
        Ok(Some(l)) => (l.pack_id, l.pack_offset),
        _ => (u32::MAX, 0),
    });
}

/// Every blob of `tree` not seen before, with its path; subtrees seen
/// before are skipped (their blobs were recorded when first seen).
fn walk_tree(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: &str,
    seen_trees: &mut HashSet<ObjectId>,
    seen_blobs: &mut HashSet<ObjectId>,
    out: &mut Vec<(ObjectId, String)>,
) -> Result<(), String> {
    if !seen_trees.insert(tree) {
        return Ok(());
    }
    let tree = repo.find_tree(tree).map_err(text)?;
    let decoded = tree.decode().map_err(text)?;
    let mut subtrees = Vec::new();
    for entry in &decoded.entries {
        let path = if prefix.is_empty() {
            entry.filename.to_string()
        } else {
            format!("{prefix}/{}", entry.filename)
        };
        let id = entry.oid.to_owned();
        if entry.mode.is_tree() {
            subtrees.push((id, path));
        } else if entry.mode.is_blob() && seen_blobs.insert(id) {
            out.push((id, path));
        }
        // Symbolic links and submodule commits carry no file content.
    }
    let mut first_error = Ok(());
    for (id, path) in subtrees {
        if let Err(e) = walk_tree(repo, id, &path, seen_trees, seen_blobs, out) {
            first_error = first_error.and(Err(e));
        }
    }
    first_error
}

/// Every file blob of `tree`, recursively, as far as it can be read: path
/// and id, and what stopped the walk early (a missing or corrupt object).
pub(crate) fn tree_blobs(
    repo: &gix::Repository,
    tree: ObjectId,
) -> (Vec<(String, ObjectId)>, Option<String>) {
    let mut recorder = gix::traverse::tree::Recorder::default();
    let walked = repo
        .find_tree(tree)
        .map_err(text)
        .and_then(|t| t.traverse().breadthfirst(&mut recorder).map_err(text));
    let blobs = recorder
        .records
        .into_iter()
        .filter(|e| e.mode.is_blob())
        .map(|e| (e.filepath.to_string(), e.oid))
        .collect();
    (blobs, walked.err())
}

impl std::fmt::Debug for HistorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistorySource")
            .field("root", &self.root)
            .field("since", &self.since)
            .finish_non_exhaustive()
    }
}

/// The history of one run, built on first use (only checks that declare
/// `history` pay for it) and shared by all of them.
pub struct HistorySource {
    root: std::path::PathBuf,
    since: Option<String>,
    max_blob_size: u64,
    disabled: Option<String>,
    exclude: Vec<String>,
    index: std::sync::OnceLock<Result<HistoryIndex, String>>,
}

impl HistorySource {
    pub fn new(root: &Path, since: Option<&str>, max_blob_size: u64) -> Self {
        HistorySource {
            root: root.to_path_buf(),
            since: since.map(str::to_string),
            max_blob_size,
            disabled: None,
            exclude: Vec::new(),
            index: std::sync::OnceLock::new(),
        }
    }

    /// The work tree's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Never search paths matching these globs (the configuration's `exclude`).
    pub fn excluding(mut self, globs: &[String]) -> Self {
        self.exclude = globs.to_vec();
        self
    }

    /// A history that is out of scope for this run, and why (`--no-history`).
    pub fn disabled(root: &Path, reason: &str) -> Self {
        HistorySource {
            disabled: Some(reason.to_string()),
            ..HistorySource::new(root, None, 0)
        }
    }

    /// The index, built on first call.
    pub fn index(&self) -> Result<&HistoryIndex, String> {
        self.index
            .get_or_init(|| match &self.disabled {
                Some(reason) => Ok(HistoryIndex::unavailable(reason.clone())),
                None => {
                    let mut index =
                        HistoryIndex::build(&self.root, self.since.as_deref(), self.max_blob_size)
                            .map_err(|e| e.to_string())?;
                    index.exclude = compile_globs(&self.exclude).map_err(|e| e.to_string())?;
                    Ok(index)
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// What was scanned, if any check asked for the history.
    pub fn scanned(&self) -> Option<Scope> {
        self.index
            .get()
            .and_then(|r| r.as_ref().ok())
            .map(HistoryIndex::scope)
    }
}
