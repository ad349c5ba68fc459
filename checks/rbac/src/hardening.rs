//! The authentication mistakes production checklists name, found line by
//! line with one native multi-pattern search over source and config:
//! weak password hashing, CSRF protection turned off, CORS that lets any
//! origin send credentials, JWTs decoded without verification, session
//! cookies without `Secure` or `HttpOnly`.
//!
//! Each pattern is narrow on purpose, and a hit is confirmed in context:
//! a fast hash only counts when the line hashes a password (a SHA-256 of
//! a random reset token is fine), a CSRF exemption is fine on a handler
//! that verifies a webhook signature, an any-origin CORS setting only
//! counts when credentials are allowed in the same file, a cookie flag
//! only when a cookie or session is configured there.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use shipready_sdk::prelude::*;

use crate::facts::{Facts, Shape};
use crate::judge::VERIFIES_SIGNATURE;
use crate::rules;

pub const GLOBS: &[&str] = &[
    "*.py",
    "*.js",
    "*.jsx",
    "*.mjs",
    "*.cjs",
    "*.ts",
    "*.tsx",
    "*.rb",
    "*.go",
    "*.java",
    "*.kt",
    "*.yml",
    "*.yaml",
    "*.properties",
    "*.env.example",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    WeakHash,
    PlainPassword,
    Csrf,
    CorsAnyOrigin,
    CorsCredentials,
    Jwt,
    ScriptJwtDecode,
    Cookie,
}

const PATTERNS: &[(Kind, &str)] = &[
    (
        Kind::WeakHash,
        r#"(?i)\b(md5|sha-?1|sha-?256|sha-?512|Sum256|Sum512|Sum224)\b.*pass(word|wd|phrase)?\b|pass(word|wd)\w*\s*=\s*\w*[.:]*(md5|sha1|sha256)\b"#,
    ),
    (
        Kind::PlainPassword,
        r#"(?i)\.password\s*=\s*(req\.body\.password|body\.password|request\.(form|POST|json|data)\[\s*["']password["']\s*\]|request\.get_json\(\)\[\s*["']password["']\s*\])\s*;?\s*(#.*|//.*)?$|\.objects\.create\([^)]*\bpassword\s*=\s*request\."#,
    ),
    (
        Kind::Csrf,
        r#"WTF_CSRF_ENABLED\s*=\s*False|CSRF_ENABLED\s*=\s*False|csrf\(\s*\w+\s*->\s*\w+\.disable\(\)\s*\)|csrf\(\)\s*\.disable\(\)|csrf\(AbstractHttpConfigurer::disable\)|skip_forgery_protection|skip_before_action\s+:verify_authenticity_token|protect_from_forgery\s+with:\s*:null_session|@csrf_exempt|@csrf\.exempt|\bcsrf_exempt\(|csrfProtection:\s*false"#,
    ),
    (
        Kind::CorsAnyOrigin,
        r#"(?i)\borigin["']?\s*:\s*(true|["']\*["'])|allow_origins\s*=\s*\[\s*["']\*["']|CORS_(ALLOW_ALL_ORIGINS|ORIGIN_ALLOW_ALL)\s*=\s*True|setAllowedOrigin(Pattern)?s\(.*["']\*["']|addAllowedOrigin(Pattern)?\(\s*["']\*["']|allowedOrigin(Pattern)?s\(\s*["']\*["']|AllowOriginFunc:\s*func\([^)]*\)\s*bool\s*\{\s*return\s+true|AllowAllOrigins:\s*true|AllowOrigins:\s*\[\]string\{\s*"\*"|origin:\s*\(\s*\w*\s*,\s*(callback|cb)\s*\)\s*=>\s*(callback|cb)\(null,\s*true\)|allowed-origin(-pattern)?s:\s*["']?\*"#,
    ),
    (
        Kind::CorsCredentials,
        r#"(?i)credentials["']?\s*:\s*true|allow_credentials\s*=\s*True|CORS_ALLOW_CREDENTIALS\s*=\s*True|AllowCredentials:\s*true|setAllowCredentials\(\s*true\s*\)|allowCredentials\s*(=\s*"?true|\(\s*true)|allow-credentials:\s*true|supports_credentials\s*=\s*True"#,
    ),
    (
        Kind::Jwt,
        r#"(?i)["']?verify_signature["']?\s*:\s*False|\bjwt\.decode\([^)]*verify\s*=\s*False|algorithms\s*[=:]\s*\[\s*["']none["']|ParseUnverified\(|UnsafeAllowNoneSignatureType|parseUnsecuredClaims|\.parseClaimsJwt\(|JWT\.decode\([^)]*,\s*(nil|false)\s*,\s*false|ignoreExpiration\s*:\s*true"#,
    ),
    (
        Kind::ScriptJwtDecode,
        r#"\b(jwt|jwtService|jsonwebtoken)\.decode\(|\bdecodeJwt\("#,
    ),
    (
        Kind::Cookie,
        r#"(?i)\b(secure|http_?only)["']?\s*[:=]\s*["']?false\b|SESSION_COOKIE_(SECURE|HTTPONLY)\s*=\s*False|setSecure\(\s*false\s*\)|setHttpOnly\(\s*false\s*\)"#,
    ),
];

/// Vendored code, and tests (which set `secure: false` on purpose).
fn ignored(path: &str) -> bool {
    crate::ignored(path)
        || path
            .split('/')
            .any(|part| matches!(part, "test" | "tests" | "spec" | "__tests__" | "e2e"))
        || path.contains(".test.")
        || path.contains(".spec.")
        || path.contains("_test.")
        || path.ends_with(".min.js")
}

fn script(path: &str) -> bool {
    [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx"]
        .iter()
        .any(|e| path.ends_with(e))
}

static SESSION_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)cookie|session").expect("valid"));
static STRONG_HASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)bcrypt|scrypt|argon|pbkdf|hmac").expect("valid"));
static FAST_HASH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(md5|sha-?1|sha-?256|sha-?512|sum256|sum512|sum224)\b").expect("valid")
});
static EXEMPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"csrf_exempt|csrf\.exempt|skip_forgery_protection|verify_authenticity_token")
        .expect("valid")
});

pub fn run(cx: &mut Cx<'_>, facts: &Facts<'_>) -> Result<()> {
    let patterns: Vec<Pattern> = PATTERNS
        .iter()
        .enumerate()
        .map(|(i, (_, p))| Pattern::new(i as u32, *p))
        .collect();
    let hits = cx.search_in_scope(&patterns, GLOBS)?;
    let mut by_file: BTreeMap<&str, Vec<(Kind, &Hit)>> = BTreeMap::new();
    for hit in &hits.hits {
        if ignored(&hit.path) {
            continue;
        }
        let kind = PATTERNS[hit.pattern as usize].0;
        by_file.entry(&hit.path).or_default().push((kind, hit));
    }
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut text_of = |cx: &Cx<'_>, path: &str| -> String {
        texts
            .entry(path.to_string())
            .or_insert_with(|| cx.read_utf8(path).unwrap_or_default())
            .clone()
    };
    for (path, hits) in &by_file {
        let credentials = hits.iter().any(|(k, _)| *k == Kind::CorsCredentials);
        let mut reported_cookie = false;
        for &(kind, hit) in hits {
            let line = hit.line_text.trim();
            let evidence: String = line.chars().take(200).collect();
            let finding = match kind {
                Kind::WeakHash if !STRONG_HASH.is_match(line) && !comment(line) => {
                    let algorithm = FAST_HASH.find(line).map_or("a fast hash", |m| m.as_str());
                    Finding::new(
                        &rules::WEAK_HASH,
                        format!(
                            "a password is hashed with {algorithm}, a fast hash with no work factor"
                        ),
                    )
                }
                // Ruby's `password=` is `has_secure_password`'s or
                // Devise's: it hashes.
                Kind::PlainPassword if !path.ends_with(".rb") && !comment(line) => Finding::new(
                    &rules::WEAK_HASH,
                    "a password from the request is stored as it came, in plain text",
                ),
                Kind::Csrf if !comment(line) => {
                    if EXEMPTION.is_match(line)
                        && exempts_verified_handler(cx, facts, path, hit.line, &mut text_of)
                    {
                        continue;
                    }
                    Finding::new(&rules::CSRF, "CSRF protection is turned off")
                }
                Kind::CorsAnyOrigin if credentials && !comment(line) => Finding::new(
                    &rules::CORS,
                    "CORS accepts any origin and allows credentials: any website can make signed-in requests and read the answers",
                ),
                Kind::Jwt if !comment(line) => Finding::new(
                    &rules::JWT,
                    "a JWT is accepted without verifying its signature (or with `alg: none`)",
                ),
                Kind::ScriptJwtDecode if script(path) && !comment(line) => Finding::new(
                    &rules::JWT,
                    "`decode` reads a JWT without verifying its signature: use `verify`",
                ),
                Kind::Cookie if !reported_cookie && !comment(line) => {
                    let text = text_of(cx, path);
                    let lines: Vec<&str> = text.lines().collect();
                    let at = hit.line as usize;
                    let from = at.saturating_sub(6);
                    let context = lines
                        .get(from..at.min(lines.len()))
                        .unwrap_or(&[])
                        .join("\n");
                    if !SESSION_CONTEXT.is_match(&context) {
                        continue;
                    }
                    reported_cookie = true;
                    Finding::new(
                        &rules::SESSION_COOKIE,
                        "the session cookie is configured without `Secure` or `HttpOnly`",
                    )
                }
                _ => continue,
            };
            cx.report(
                finding
                    .at_line(path.to_string(), hit.line)
                    .evidence(evidence.clone())
                    .fingerprint(evidence),
            );
        }
    }
    Ok(())
}

fn comment(line: &str) -> bool {
    line.starts_with("//")
        || line.starts_with('#')
        || line.starts_with("/*")
        || line.starts_with('*')
}

/// A CSRF exemption on a handler (or controller) that verifies a webhook
/// signature: the signature is the protection.
fn exempts_verified_handler(
    cx: &Cx<'_>,
    facts: &Facts<'_>,
    path: &str,
    line: u32,
    text_of: &mut impl FnMut(&Cx<'_>, &str) -> String,
) -> bool {
    if path.ends_with(".py") {
        return facts.in_file(path).iter().any(|i| {
            i.shape == Shape::Decorated
                && i.node.span.start_line <= line
                && i.node.span.end_line >= line
                && VERIFIES_SIGNATURE.is_match(&i.node.text)
        });
    }
    // A Rails controller: the class is the handler.
    VERIFIES_SIGNATURE.is_match(&text_of(cx, path))
}
