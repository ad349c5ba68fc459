//! Secrets in the git history: every blob reachable from any ref, each
//! scanned once by the host, judged by the same detectors and filters as
//! the working tree. A finding says which commit introduced the secret, who
//! and when, and whether it is still in HEAD (rotate) or only in the
//! history (rotate, then purge).

use std::collections::HashSet;

use shipready_sdk::prelude::*;
use shipready_sdk::{HistoryHit, Level, Span};

use crate::detectors::DETECTORS;
use crate::{SetAside, keep, pattern_groups, redact, set_aside};

/// `YYYY-MM-DD` for seconds since the Unix epoch (UTC).
pub fn date(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), after Howard Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Scan the history; `in_tree` holds (path, secret hash) of what the
/// working-tree scan already reported (not reported twice).
pub(crate) fn scan(
    cx: &mut Cx<'_>,
    in_tree: &HashSet<(String, String)>,
    aside: &mut SetAside,
) -> Result<()> {
    let scope = match cx.history_scope() {
        Ok(scope) => scope,
        Err(e) => {
            cx.log(Level::Info, &format!("history not scanned: {e}"));
            return Ok(());
        }
    };
    if !scope.available {
        cx.log(
            Level::Info,
            &format!("history not scanned: {}", scope.reason.unwrap_or_default()),
        );
        return Ok(());
    }
    // Candidates first, so generic matches can yield to specific ones on the
    // same line of the same blob, as in the working tree.
    let mut candidates: Vec<(usize, String, HistoryHit)> = Vec::new();
    for (globs, patterns) in pattern_groups() {
        let hits = cx.history_search(&patterns, globs)?;
        if hits.truncated {
            cx.log(
                Level::Warn,
                "history search hit limit reached: some candidates were not examined",
            );
        }
        for h in hits.hits {
            let d = &DETECTORS[h.hit.pattern as usize];
            let secret = h
                .hit
                .groups
                .iter()
                .find(|g| !g.is_empty())
                .cloned()
                .unwrap_or_else(|| h.hit.matched.clone());
            if !keep(d, &secret, &h.hit.path, &h.hit.line_text) {
                continue;
            }
            match set_aside(cx, d, &h.hit.path) {
                Some(kind) => aside.count(kind, &h.hit.path, &secret),
                None => candidates.push((h.hit.pattern as usize, secret, h)),
            }
        }
    }
    let shadowed = |(detector, secret, h): &(usize, String, HistoryHit)| {
        DETECTORS[*detector].generic
            && candidates.iter().any(|(d, s, o)| {
                !DETECTORS[*d].generic
                    && o.blob == h.blob
                    && o.hit.line == h.hit.line
                    && (s.contains(secret.as_str()) || secret.contains(s.as_str()))
            })
    };
    let mut seen: HashSet<(usize, String, String)> = HashSet::new();
    let mut findings = Vec::new();
    for candidate in candidates.iter().filter(|c| !shadowed(c)) {
        let (detector, secret, h) = candidate;
        let d = &DETECTORS[*detector];
        let key = redact::key(secret);
        if in_tree.contains(&(h.hit.path.clone(), key.clone()))
            || !seen.insert((*detector, h.hit.path.clone(), key.clone()))
        {
            continue;
        }
        findings.push(finding(d.rule, secret, h, key));
    }
    if scope.shallow {
        cx.log(
            Level::Warn,
            "shallow clone: history before the shallow boundary was not scanned",
        );
    }
    for f in findings {
        cx.report(f);
    }
    Ok(())
}

/// A history finding: where, which commit, who and when, still in HEAD or not.
fn finding(rule: &'static Rule, secret: &str, h: &HistoryHit, key: String) -> Finding {
    let short = &h.commit.id[..h.commit.id.len().min(12)];
    let (place, fix) = if h.in_head {
        (
            "still in HEAD",
            "Rotate it now, then remove it from the code.",
        )
    } else {
        (
            "no longer in HEAD, but in the history",
            "Rotate it now: it stays valid for anyone with a clone. Then purge it from the history \
             (git filter-repo) if the repository is or will be shared.",
        )
    };
    Finding::new(
        rule,
        format!(
            "{} committed in {short} by {} on {} ({place})",
            rule.title(),
            h.commit.author,
            date(h.commit.time)
        ),
    )
    .at_span(
        &h.hit.path,
        Span {
            start_line: h.hit.line,
            start_column: h.hit.column,
            end_line: h.hit.line,
            end_column: h.hit.column + secret.len() as u32,
        },
    )
    .in_commit(&h.commit.id)
    .evidence(format!(
        "{} in \"{}\"",
        redact::redact(secret),
        h.commit.summary.chars().take(80).collect::<String>()
    ))
    .remediation(fix)
    .fingerprint(key)
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000), "2023-11-14");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
