//! What changed since a revision: the files, and the lines in them, that
//! differ between the merge base of REV and HEAD and the work tree. Used by
//! `--since` to limit findings to a branch's changes.
//!
//! A file absent at the base is changed as a whole; a file whose content
//! is the base's blob is unchanged; otherwise a line diff (the `similar`
//! crate) gives the changed line ranges of the current file. Like `git
//! status`, a file whose size and modification time match git's index (and
//! that is not racily clean) is taken to hold the index's blob without
//! being read, so the cost follows the size of the change, not of the
//! repository.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::Path;

use gix::ObjectId;

use super::history::HistoryError;
use super::repo::{Entry, RepoIndex};

/// Changed files: `None` for a whole file (new, or not text), else the
/// changed line ranges (1-based, inclusive) in the current file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub base: String,
    pub files: HashMap<String, Option<Vec<RangeInclusive<u32>>>>,
}

impl Changes {
    /// Whether a location (path, optional line) is part of the changes.
    pub fn touches(&self, path: &str, line: Option<u32>) -> bool {
        match (self.files.get(path), line) {
            (None, _) => false,
            (Some(None), _) | (Some(Some(_)), None) => true,
            (Some(Some(ranges)), Some(line)) => ranges.iter().any(|r| r.contains(&line)),
        }
    }
}

fn git_error(root: &Path, e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Git {
        repo: root.display().to_string(),
        reason: e.to_string(),
    }
}

/// The changes of the work tree at `root` since the merge base of `rev` and HEAD.
pub fn changes_since(root: &Path, rev: &str, index: &RepoIndex) -> Result<Changes, HistoryError> {
    let repo = gix::open(root).map_err(|e| git_error(root, e))?;
    let rev_id = repo
        .rev_parse_single(rev)
        .map_err(|e| HistoryError::UnknownRevision {
            rev: rev.into(),
            repo: root.display().to_string(),
            reason: e.to_string(),
        })?;
    let base = match repo.head_id() {
        Ok(head) => repo
            .merge_base(rev_id, head)
            .ok()
            .flatten()
            .map_or(rev_id.detach(), |b| b.detach()),
        Err(_) => rev_id.detach(),
    };
    let tree = repo
        .find_commit(base)
        .and_then(|c| c.tree_id())
        .map_err(|e| git_error(root, e))?
        .detach();
    let (base_blobs, unreadable) = super::history::tree_blobs(&repo, tree);
    if let Some(e) = unreadable {
        return Err(git_error(root, e));
    }
    let base_blobs: HashMap<String, ObjectId> = base_blobs.into_iter().collect();

    // Without an index (or with a broken one) every file is read and hashed.
    let git_index = repo.index_or_empty().ok();
    let mut files = HashMap::new();
    for entry in index.all() {
        let Some(base_blob) = base_blobs.get(&entry.path) else {
            files.insert(entry.path.clone(), None);
            continue;
        };
        let clean = git_index
            .as_deref()
            .and_then(|gi| unchanged_in_index(gi, entry));
        if clean == Some(*base_blob) {
            continue;
        }
        let Ok(current) = std::fs::read(index.root().join(&entry.path)) else {
            continue;
        };
        if clean.is_none()
            && gix::objs::compute_hash(repo.object_hash(), gix::object::Kind::Blob, &current)
                .is_ok_and(|id| id == *base_blob)
        {
            continue;
        }
        let before = repo
            .find_blob(*base_blob)
            .map(|b| b.detach().data)
            .unwrap_or_default();
        let ranges = match (std::str::from_utf8(&before), std::str::from_utf8(&current)) {
            (Ok(old), Ok(new)) if !new.contains('\0') => Some(changed_lines(old, new)),
            _ => None,
        };
        files.insert(entry.path.clone(), ranges);
    }
    Ok(Changes {
        base: base.to_string(),
        files,
    })
}

/// The blob git's index records for `entry`, if the file's size and
/// modification time still match it and the entry is not racily clean.
pub(crate) fn unchanged_in_index(gi: &gix::index::File, entry: &Entry) -> Option<ObjectId> {
    let recorded = gi.entry_by_path(entry.path.as_bytes().into())?;
    let modified = entry.modified?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let stat = &recorded.stat;
    // Nanoseconds count (as in git on Linux): a checkout writes its files
    // just before the index, in the same second.
    let options = gix::index::entry::stat::Options {
        use_nsec: true,
        ..Default::default()
    };
    let same = u64::from(stat.size) == entry.size
        && u64::from(stat.mtime.secs) == modified.as_secs()
        && stat.mtime.nsecs == modified.subsec_nanos()
        && !stat.is_racy(gi.timestamp(), options);
    same.then_some(recorded.id)
}

/// Line ranges of `new` that are inserted or replaced relative to `old`.
pub fn changed_lines(old: &str, new: &str) -> Vec<RangeInclusive<u32>> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut ranges: Vec<RangeInclusive<u32>> = Vec::new();
    for op in diff.ops() {
        let new_range = op.new_range();
        if matches!(op.tag(), similar::DiffTag::Equal) || new_range.is_empty() {
            continue;
        }
        let range = (new_range.start as u32 + 1)..=(new_range.end as u32);
        match ranges.last_mut() {
            Some(last) if *last.end() + 1 >= *range.start() => *last = *last.start()..=*range.end(),
            _ => ranges.push(range),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_line_ranges() {
        assert_eq!(changed_lines("a\nb\nc\n", "a\nB\nc\n"), vec![2..=2]);
        assert_eq!(changed_lines("a\nb\n", "a\nb\nc\nd\n"), vec![3..=4]);
        assert_eq!(
            changed_lines("a\nb\nc\n", "a\nc\n"),
            Vec::<RangeInclusive<u32>>::new()
        );
    }

    #[test]
    fn touches() {
        let mut c = Changes::default();
        c.files.insert("new.rs".into(), None);
        c.files.insert("edited.rs".into(), Some(vec![10..=12]));
        assert!(c.touches("new.rs", Some(1)));
        assert!(c.touches("edited.rs", Some(11)));
        assert!(!c.touches("edited.rs", Some(3)));
        assert!(c.touches("edited.rs", None));
        assert!(!c.touches("other.rs", Some(1)));
    }
}
