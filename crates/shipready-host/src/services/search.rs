//! Many regexes at once over the repository's text files.
//!
//! Patterns are compiled once per call. Each pattern may carry literal
//! keywords; one Aho-Corasick automaton over all keywords tells, per file,
//! which patterns can match at all, so most regexes never run on most files.
//! Files are searched in parallel (rayon). Hits are capped per call and
//! sorted, so results are deterministic whatever the scheduling.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use regex::{Regex, RegexBuilder};

use super::repo::{AccessError, RepoIndex};

/// One pattern of a search.
#[derive(Debug, Clone)]
pub struct PatternSpec {
    pub id: u32,
    pub regex: String,
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub pattern: u32,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub matched: String,
    pub line_text: String,
    pub groups: Vec<String>,
}

/// Bytes kept of a matched text or a line.
const MAX_TEXT: usize = 1024;
/// Compiled size allowed per regex: rejects patterns that would explode.
const REGEX_SIZE_LIMIT: usize = 8 << 20;

fn clip(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

struct Compiled {
    regexes: Vec<(u32, Regex)>,
    /// Patterns with no keywords: run on every file.
    always: Vec<usize>,
    /// Keyword automaton and, per keyword, the pattern it unlocks.
    keywords: Option<(AhoCorasick, Vec<usize>)>,
}

fn compile(patterns: &[PatternSpec]) -> Result<Compiled, AccessError> {
    let mut regexes = Vec::with_capacity(patterns.len());
    let mut always = Vec::new();
    let mut words = Vec::new();
    let mut owners = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        let re = RegexBuilder::new(&p.regex)
            .multi_line(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| AccessError::Invalid(format!("pattern {}: {e}", p.id)))?;
        regexes.push((p.id, re));
        let kws: Vec<&String> = p.keywords.iter().filter(|k| !k.is_empty()).collect();
        if kws.is_empty() {
            always.push(i);
        }
        for k in kws {
            words.push(k.clone());
            owners.push(i);
        }
    }
    let keywords = if words.is_empty() {
        None
    } else {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)
            .map_err(|e| AccessError::Invalid(format!("keywords: {e}")))?;
        Some((ac, owners))
    };
    Ok(Compiled {
        regexes,
        always,
        keywords,
    })
}

/// Compiled patterns plus a shared hit budget: scans one text at a time,
/// from any thread. Used over the working tree here and over blobs by the
/// history service.
pub struct Matcher {
    compiled: Compiled,
    count: AtomicUsize,
    truncated: AtomicBool,
    max_hits: usize,
}

impl Matcher {
    pub fn new(patterns: &[PatternSpec], max_hits: usize) -> Result<Self, AccessError> {
        Ok(Matcher {
            compiled: compile(patterns)?,
            count: AtomicUsize::new(0),
            truncated: AtomicBool::new(false),
            max_hits,
        })
    }

    /// The hit budget is spent: stop feeding texts.
    pub fn exhausted(&self) -> bool {
        self.truncated.load(Ordering::Relaxed)
    }

    /// Every hit of every pattern in `text`, reported at `path`.
    pub fn scan(&self, path: &str, text: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        if self.exhausted() {
            return out;
        }
        let compiled = &self.compiled;
        let mut active = vec![false; compiled.regexes.len()];
        for &i in &compiled.always {
            active[i] = true;
        }
        if let Some((ac, owners)) = &compiled.keywords {
            for m in ac.find_overlapping_iter(text) {
                active[owners[m.pattern().as_usize()]] = true;
            }
        }
        let mut line_starts: Option<Vec<usize>> = None;
        for (i, (id, re)) in compiled.regexes.iter().enumerate() {
            if !active[i] {
                continue;
            }
            for caps in re.captures_iter(text) {
                let m = caps.get(0).expect("group 0 always matches");
                if m.is_empty() {
                    continue;
                }
                if self.count.fetch_add(1, Ordering::Relaxed) >= self.max_hits {
                    self.truncated.store(true, Ordering::Relaxed);
                    return out;
                }
                let starts = line_starts.get_or_insert_with(|| {
                    std::iter::once(0)
                        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                        .collect()
                });
                let line = starts.partition_point(|&s| s <= m.start());
                let line_start = starts[line - 1];
                let line_end = text[line_start..]
                    .find('\n')
                    .map_or(text.len(), |e| line_start + e);
                out.push(Hit {
                    pattern: *id,
                    path: path.to_string(),
                    line: line as u32,
                    column: (m.start() - line_start + 1) as u32,
                    matched: clip(m.as_str()),
                    line_text: clip(text[line_start..line_end].trim_end_matches('\r')),
                    groups: caps
                        .iter()
                        .skip(1)
                        .map(|g| g.map_or(String::new(), |g| clip(g.as_str())))
                        .collect(),
                });
            }
        }
        out
    }
}

/// Sort hits by path, line, column and pattern.
pub fn sort_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.pattern).cmp(&(&b.path, b.line, b.column, b.pattern))
    });
}

/// Run `patterns` over the text files matching `globs` (and in `changed`,
/// when the run is limited to a change). Returns the hits (at most
/// `max_hits`, sorted by path, line, column, pattern) and whether the cap
/// cut them short.
pub fn search(
    index: &RepoIndex,
    changed: Option<&BTreeSet<String>>,
    patterns: &[PatternSpec],
    globs: &[String],
    max_hits: usize,
) -> Result<(Vec<Hit>, bool), AccessError> {
    let matcher = Matcher::new(patterns, max_hits)?;
    let mut files = index.list(globs)?;
    if let Some(changed) = changed {
        files.retain(|e| changed.contains(&e.path));
    }
    let mut hits: Vec<Hit> = files
        .par_iter()
        .flat_map_iter(|entry| match index.read_classified(entry) {
            Some(text) => matcher.scan(&entry.path, &text),
            None => Vec::new(),
        })
        .collect();
    sort_hits(&mut hits);
    hits.truncate(max_hits);
    Ok((hits, matcher.exhausted()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::repo::IndexOptions;

    fn index(files: &[(&str, &str)]) -> (tempfile::TempDir, RepoIndex) {
        let dir = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        let index = RepoIndex::build(dir.path(), &IndexOptions::default()).unwrap();
        (dir, index)
    }

    fn pat(id: u32, regex: &str, keywords: &[&str]) -> PatternSpec {
        PatternSpec {
            id,
            regex: regex.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn positions_groups_and_order() {
        let (_d, idx) = index(&[
            ("b.txt", "x\n  key=AKIA1234\n"),
            ("a.txt", "AKIA9999 and AKIA0000\n"),
        ]);
        let (hits, truncated) =
            search(&idx, None, &[pat(7, r"AKIA(\d{4})", &["akia"])], &[], 100).unwrap();
        assert!(!truncated);
        let got: Vec<(&str, u32, u32, &str)> = hits
            .iter()
            .map(|h| (h.path.as_str(), h.line, h.column, h.groups[0].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a.txt", 1, 1, "9999"),
                ("a.txt", 1, 14, "0000"),
                ("b.txt", 2, 7, "1234")
            ]
        );
        assert_eq!(hits[2].line_text, "  key=AKIA1234");
    }

    #[test]
    fn keywords_prefilter_and_globs_restrict() {
        let (_d, idx) = index(&[("a.py", "password = 1\n"), ("b.js", "password = 2\n")]);
        let (hits, _) = search(&idx, None, &[pat(0, "password", &["nothere"])], &[], 100).unwrap();
        assert!(hits.is_empty(), "regex must not run without its keyword");
        let (hits, _) = search(
            &idx,
            None,
            &[pat(0, "password", &[])],
            &["*.py".into()],
            100,
        )
        .unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].path, "a.py");
    }

    #[test]
    fn binary_files_are_skipped_and_hits_capped() {
        let (_d, idx) = index(&[("bin", "secret\0secret"), ("t.txt", "aaaaaaaaaa")]);
        let (hits, _) = search(&idx, None, &[pat(0, "secret", &[])], &[], 100).unwrap();
        assert!(hits.is_empty());
        let (hits, truncated) = search(&idx, None, &[pat(0, "a", &[])], &[], 3).unwrap();
        assert_eq!(hits.len(), 3);
        assert!(truncated);
    }

    #[test]
    fn bad_regex_names_the_pattern() {
        let (_d, idx) = index(&[("a", "x")]);
        let err = search(&idx, None, &[pat(42, "(", &[])], &[], 10).unwrap_err();
        assert!(err.to_string().contains("pattern 42"), "{err}");
    }
}
