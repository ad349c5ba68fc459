//! The `secrets` check: credentials committed to the repository.
//!
//! One detector per credential family ([`detectors`]), run by the host's
//! multi-pattern search in one pass over the repository (literal keywords
//! let it skip files that cannot match). Each candidate is then judged
//! here: documented example keys, placeholders, references, hashes and
//! low-entropy values are dropped ([`filters`]); formats with a checksum
//! (GitHub, npm) must verify; key headers need key material after them.
//! Findings carry the location, a redacted form of the secret and a
//! fingerprint made from a hash of it ([`redact`]). Files that are
//! credentials by nature are a rule of their own ([`files`]).

use base64::Engine as _;
use shipready_sdk::Span;
use shipready_sdk::prelude::*;

pub mod detectors;
pub(crate) mod env_file;
mod files;
pub mod filters;
mod history;
pub mod redact;

use detectors::{DETECTORS, Detector, Validate};
use shipready_sdk::paths::NotProduction;

pub struct Secrets;

impl Check for Secrets {
    fn info() -> CheckInfo {
        let mut rules: Vec<&'static Rule> = Vec::new();
        for d in DETECTORS {
            if !rules.iter().any(|r| std::ptr::eq(*r, d.rule)) {
                rules.push(d.rule);
            }
        }
        rules.push(&files::SECRET_FILE);
        rules.push(&env_file::ENV_FILE_COMMITTED);
        rules.push(&SET_ASIDE);
        CheckInfo::new(
            "secrets",
            env!("CARGO_PKG_VERSION"),
            "Secrets",
            "Credentials committed to the repository: cloud, source hosting, payments, messaging, AI, \
             registries and infrastructure tokens, private keys, passwords in URIs and hard-coded secrets.",
        )
        .capabilities(&[Capability::Repo, Capability::Search, Capability::History])
        .rules(&rules)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let files = cx.paths(&[])?;
        files::check(cx, &files)?;
        let mut set_aside = SetAside::default();
        env_file::check(cx, &files, &mut set_aside)?;
        let in_tree = scan(cx, &mut set_aside)?;
        history::scan(cx, &in_tree, &mut set_aside)?;
        set_aside.report(cx);
        Ok(())
    }
}

shipready_sdk::export!(Secrets);

/// A confirmed secret at one place.
struct Candidate {
    detector: usize,
    path: String,
    line: u32,
    column: u32,
    secret: String,
    /// A local development default: why it is reported low.
    local_default: Option<String>,
}

/// `1 keyword match`, `2 keyword matches`, `2 .env files`.
fn plural(what: &str, n: usize) -> String {
    match (n, what.ends_with("ch")) {
        (1, _) => what.to_string(),
        (_, true) => format!("{what}es"),
        (_, false) => format!("{what}s"),
    }
}

/// Candidates set aside because of where they are: keyword matches (a
/// secret in the tree and in its history counts once) and `.env` files.
#[derive(Default)]
pub(crate) struct SetAside {
    seen: std::collections::HashSet<(&'static str, &'static str, String)>,
}

impl SetAside {
    pub(crate) fn count(&mut self, kind: NotProduction, path: &str, secret: &str) {
        self.seen.insert((
            "keyword match",
            kind.describe(),
            format!("{path}\0{}", redact::key(secret)),
        ));
    }

    /// Whether the file `path` is production; counts it (as `what`) when
    /// it is not.
    pub(crate) fn is_production(&mut self, cx: &Cx<'_>, path: &str, what: &'static str) -> bool {
        match cx.not_production(path) {
            None => true,
            Some(kind) => {
                self.seen.insert((what, kind.describe(), path.to_string()));
                false
            }
        }
    }

    fn report(self, cx: &mut Cx<'_>) {
        if self.seen.is_empty() {
            return;
        }
        let mut counts: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
        for (what, kind, _) in &self.seen {
            *counts.entry((what, kind)).or_default() += 1;
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|((what, kind), n)| format!("{n} {} in {kind}", plural(what, *n)))
            .collect();
        cx.report(
            Finding::new(
                &SET_ASIDE,
                format!(
                    "{} set aside as not production code: {} (no verifiable format)",
                    self.seen.len(),
                    parts.join(", ")
                ),
            )
            .remediation("Nothing to do; formats that verify (cloud, payment, source-hosting tokens, private keys) are reported wherever they are."),
        );
    }
}

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing is wrong: this item counts the `secrets/generic-secret`
    /// and `secrets/bearer-token` matches (a keyword such as `password =`
    /// before a random-looking value) and the `.env` files found in code
    /// that is not production: tests, specs, e2e suites, fixtures, recorded
    /// cassettes and mocks; `*.md`, `*.mdx`, `*.rst`, `docs/`; `examples/`,
    /// `samples/`, `demo/`, `seeds/`; dev containers and local development
    /// files (`.devcontainer/`, `.env.development`).
    ///
    /// ## Why it matters
    /// A test's password is a stand-in, and reporting each of them buries
    /// the leaks that matter. Tokens with a strict, verifiable format (AWS,
    /// GitHub, Stripe live keys, private keys) are reported wherever they
    /// are: they work the same from a test file.
    ///
    /// ## Example
    /// `12 set aside as not production code: 10 keyword matches in test code, 2 .env files in a local development set-up`.
    ///
    /// ## How to fix
    /// Nothing to fix.
    pub static SET_ASIDE: Rule = ("secrets/set-aside", "Keyword matches outside production code", Severity::Info);
}

/// Detectors grouped by the files they apply to, as search patterns.
pub(crate) fn pattern_groups() -> Vec<(&'static [&'static str], Vec<Pattern>)> {
    let mut groups: Vec<(&'static [&'static str], Vec<Pattern>)> = Vec::new();
    for (i, d) in DETECTORS.iter().enumerate() {
        let pattern = Pattern::new(i as u32, d.regex).keywords(d.keywords);
        match groups.iter_mut().find(|(g, _)| *g == d.globs) {
            Some((_, patterns)) => patterns.push(pattern),
            None => groups.push((d.globs, vec![pattern])),
        }
    }
    groups
}

/// Search the working tree; returns (path, secret hash) of what it reported.
fn scan(
    cx: &mut Cx<'_>,
    set_aside: &mut SetAside,
) -> Result<std::collections::HashSet<(String, String)>> {
    let mut candidates = Vec::new();
    for (globs, patterns) in pattern_groups() {
        let hits = cx.search_in_scope(&patterns, globs)?;
        if hits.truncated {
            cx.log(
                shipready_sdk::Level::Warn,
                "search hit limit reached: some candidates were not examined",
            );
        }
        for hit in hits.hits {
            let d = &DETECTORS[hit.pattern as usize];
            let secret = hit
                .groups
                .iter()
                .find(|g| !g.is_empty())
                .cloned()
                .unwrap_or_else(|| hit.matched.clone());
            if !keep(d, &secret, &hit.path, &hit.line_text) {
                continue;
            }
            if let Some(kind) = self::set_aside(cx, d, &hit.path) {
                set_aside.count(kind, &hit.path, &secret);
                continue;
            }
            candidates.push(Candidate {
                detector: hit.pattern as usize,
                local_default: local_default(d, &hit.matched, &hit.line_text, &secret),
                path: hit.path,
                line: hit.line,
                column: hit.column,
                secret,
            });
        }
    }
    let reported = candidates
        .iter()
        .map(|c| (c.path.clone(), redact::key(&c.secret)))
        .collect();
    report(cx, candidates);
    Ok(reported)
}

/// Whether a candidate survives the precision filters.
pub fn keep(d: &Detector, secret: &str, path: &str, line: &str) -> bool {
    if filters::is_allowed(line) || filters::is_documented_example(secret) {
        return false;
    }
    if d.generic
        && (filters::is_machine_file(path)
            || filters::is_machine_line(line)
            || filters::is_locale_file(path))
    {
        return false;
    }
    // `${SECRET_KEY:-60gp0b...}`: the default is hard-coded.
    let secret = filters::interpolation_default(secret).unwrap_or(secret);
    match d.validate {
        Validate::Format => !filters::is_placeholder(secret),
        Validate::Checksum => checksum_ok(secret),
        Validate::Password => {
            !filters::is_placeholder(secret) && !filters::is_reference(secret) && secret.len() >= 4
        }
        Validate::Entropy(min) => {
            !filters::is_placeholder(secret)
                && !filters::is_reference(secret)
                && !filters::is_hash_or_uuid(secret)
                && !filters::is_name(secret)
                && filters::entropy(secret) >= min
                && !secret.contains("://")
        }
        Validate::Jwt => jwt_ok(secret),
        Validate::KeyBody => !filters::is_placeholder(secret) && filters::entropy(secret) > 3.5,
    }
}

/// Why a kept candidate is not a production finding: a keyword match (no
/// verifiable format) in test code, docs or an example. Tokens with a
/// strict format are leaks wherever they are.
pub fn set_aside(cx: &Cx<'_>, d: &Detector, path: &str) -> Option<NotProduction> {
    if d.generic {
        cx.not_production(path)
    } else {
        None
    }
}

/// A password in a URI that is a local development default: the host is
/// this machine or a compose service (`db`, `postgres`), and the password
/// is the user's name or a stand-in word (`postgres:postgres@localhost`).
/// Reported, at low severity, with that reason.
pub fn local_default(d: &Detector, matched: &str, line: &str, secret: &str) -> Option<String> {
    if !std::ptr::eq(d.rule, &detectors::DATABASE_URI_PASSWORD)
        && !std::ptr::eq(d.rule, &detectors::URL_BASIC_AUTH)
    {
        return None;
    }
    let user = matched.split("://").nth(1)?.split(':').next()?;
    let after = &line[line.find(matched)? + matched.len()..];
    let host: String = after
        .chars()
        .take_while(|c| !matches!(c, ':' | '/' | '?' | '"' | '\'' | ' ' | '@'))
        .collect();
    let local = matches!(
        host.as_str(),
        "localhost" | "127.0.0.1" | "0.0.0.0" | "[::1]" | "host.docker.internal"
    ) || !host.is_empty()
        && !host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let stand_in = secret.eq_ignore_ascii_case(user)
        || filters::is_placeholder(secret)
        || secret.len() <= 12
            && secret
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && filters::entropy(secret) < 3.0;
    (local && stand_in).then(|| format!("a local development default (`{user}` on `{host}`)"))
}

/// GitHub (`ghp_…`) and npm (`npm_…`) tokens: 4-character prefix, 30
/// random characters, then the CRC32 of those 30 in 6 base62 digits.
pub fn checksum_ok(token: &str) -> bool {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if token.len() != 40 || !token.is_ascii() {
        return false;
    }
    let (random, check) = (&token[4..34], &token[34..]);
    let mut value: u64 = 0;
    for b in check.bytes() {
        let Some(digit) = BASE62.iter().position(|&c| c == b) else {
            return false;
        };
        value = value * 62 + digit as u64;
    }
    value == u64::from(crc32fast::hash(random.as_bytes()))
}

/// The header of a JWT decodes to a JSON object naming its algorithm.
pub fn jwt_ok(token: &str) -> bool {
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(bytes) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('='))
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    text.trim_start().starts_with('{') && text.contains("\"alg\"")
}

/// Drop generic candidates that a specific detector already explains, and
/// duplicates; then report.
fn report(cx: &mut Cx<'_>, candidates: Vec<Candidate>) {
    let specific: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| !DETECTORS[c.detector].generic)
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut findings = Vec::new();
    for c in &candidates {
        let d = &DETECTORS[c.detector];
        if d.generic
            && specific.iter().any(|s| {
                s.path == c.path
                    && s.line == c.line
                    && (s.secret.contains(&c.secret) || c.secret.contains(&s.secret))
            })
        {
            continue;
        }
        if !seen.insert((c.detector, c.path.clone(), c.line, c.secret.clone())) {
            continue;
        }
        let end = c.column + c.secret.len() as u32;
        let mut message = format!("{} in the working tree", d.rule.title());
        if let Some(why) = &c.local_default {
            message.push_str(&format!(": {why}"));
        }
        let mut finding = Finding::new(d.rule, message);
        if c.local_default.is_some() {
            finding = finding.severity(Severity::Low);
        }
        findings.push(
            finding
                .at_span(
                    &c.path,
                    Span {
                        start_line: c.line,
                        start_column: c.column,
                        end_line: c.line,
                        end_column: end,
                    },
                )
                .evidence(redact::redact(&c.secret))
                .remediation(detectors::fix_of(d.rule))
                .fingerprint(redact::key(&c.secret)),
        );
    }
    for f in findings {
        cx.report(f);
    }
}

#[cfg(any(test, feature = "corpus"))]
pub mod corpus;
#[cfg(test)]
mod tests;
