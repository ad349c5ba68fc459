//! What is not a secret even though it looks like one: documented example
//! keys, placeholders, template and environment references, hashes, UUIDs,
//! low-entropy strings, and files (lockfiles, minified bundles) whose
//! strings are integrity hashes or machine output.

/// Keys that vendors publish in their documentation.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ASIAIOSFODNN7EXAMPLE",
];

/// Words that mark a value as a stand-in.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "sample",
    "fake",
    "redacted",
    "notreal",
    "not_a_real",
    "replace",
    "insert",
    "todo",
    "xxxx",
    "<",
    ">",
    "****",
    "....",
    "secret_here",
    "key_here",
    "token_here",
    "password_here",
];

/// The value is a reference to something else, not a value.
const REFERENCE_MARKERS: &[&str] = &[
    "${",
    "{{",
    "}}",
    "$(",
    "%(",
    "process.env",
    "os.environ",
    "os.getenv",
    "getenv(",
    "env(",
    "ENV[",
    "env.",
    "secrets.",
    "vault:",
    "ssm:",
    "arn:aws",
    "@Value(",
    "System.getenv",
    "config.",
    "settings.",
    "#{",
];

pub fn is_documented_example(secret: &str) -> bool {
    DOCUMENTED_EXAMPLES.contains(&secret)
}

/// Values people type when they mean "some password".
const DUMMY_VALUES: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "admin",
    "root",
    "test",
    "testing",
    "user",
    "username",
    "foo",
    "bar",
    "foobar",
    "qwerty",
    "letmein",
    "guest",
    "default",
    "mysecret",
    "mypassword",
    "token",
    "apikey",
];

pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if DUMMY_VALUES.contains(&lower.as_str()) {
        return true;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // One character repeated (xxxxxxxx, 00000000, ********).
    let mut chars = value.chars();
    let first = chars.next();
    if first.is_some() && chars.all(|c| Some(c) == first) {
        return true;
    }
    // A run of the alphabet or of digits (abcdef..., 123456...).
    let ascending = value
        .as_bytes()
        .windows(2)
        .filter(|w| w[1] == w[0] + 1)
        .count();
    value.len() >= 8 && ascending * 10 >= value.len() * 7
}

pub fn is_reference(value: &str) -> bool {
    REFERENCE_MARKERS.iter().any(|m| value.contains(m))
        || (value.starts_with('$') && value.len() > 1)
        || has_placeholder_braces(value)
}

/// `{USER}`, `{password}`, `{0}`, `{{.Values.x}}`: a template or format
/// string's slot (`f"amqp://{USER}:{PASSWORD}@host"`).
fn has_placeholder_braces(value: &str) -> bool {
    let mut rest = value;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return false;
        };
        let inside = &after[..close];
        if !inside.is_empty()
            && inside
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ' ' | '[' | ']'))
        {
            return true;
        }
        rest = &after[close + 1..];
    }
    false
}

/// The hard-coded default of a shell or compose interpolation,
/// `${SECRET_KEY:-60gp0b...}` or `${SECRET_KEY-...}`: a value after all.
pub fn interpolation_default(value: &str) -> Option<&str> {
    let inner = value.strip_prefix("${")?.strip_suffix('}')?;
    let name_end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    let default = inner[name_end..]
        .strip_prefix(":-")
        .or_else(|| inner[name_end..].strip_prefix('-'))?;
    (!default.is_empty() && !default.contains('$')).then_some(default)
}

/// The value names something instead of hiding it: an identifier or
/// constant's value (`"password_reset_link_sent"`, `"INVALID_TOKEN"`), a
/// header name (`"X-Api-Key"`), a dotted module path
/// (`"django.contrib.auth.tokens.PasswordResetTokenGenerator"`), a
/// camelCase field name, a route (`"/login/forgot_password"`), a secret
/// manager's path or name (`projects/p/secrets/db-password`).
pub fn is_name(value: &str) -> bool {
    if is_secret_manager_path(value) {
        return true;
    }
    if value.starts_with('/')
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '.' | ':' | '{' | '}')
        })
        && value.split('/').filter(|p| !p.is_empty()).all(is_word)
    {
        return true;
    }
    let parts: Vec<&str> = value
        .split(['_', '-', '.', ':', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() >= 2 {
        let all = |f: fn(&str) -> bool| parts.iter().all(|p| f(p));
        if all(|p| shape(p, |c| c.is_ascii_lowercase()))
            || all(|p| shape(p, |c| c.is_ascii_uppercase()))
            || all(is_title_word)
        {
            return true;
        }
        let dotted = value.split('.').count() >= 3
            && value.split('.').all(|p| {
                p.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
        if dotted {
            return true;
        }
    }
    // camelCase and PascalCase words: `refreshToken`, `PasswordResetForm`
    // (random mixed case splits into one- and two-letter pieces).
    value.chars().all(|c| c.is_ascii_alphabetic())
        && value.chars().any(|c| c.is_ascii_uppercase())
        && {
            let words = split_camel(value);
            words.len() >= 2 && words.iter().all(|w| w.len() >= 3)
        }
}

/// `word` made of ASCII letters of one kind, maybe followed by digits.
fn shape(word: &str, letter: fn(char) -> bool) -> bool {
    let letters = word.trim_end_matches(|c: char| c.is_ascii_digit());
    !letters.is_empty() && letters.chars().all(letter)
}

/// `Api`, `X`, `Key`: a capital then lower-case letters.
fn is_title_word(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_lowercase())
}

fn is_word(part: &str) -> bool {
    part.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '{' | '}'))
        && part.chars().filter(|c| c.is_ascii_digit()).count() * 3 <= part.len()
}

/// `refreshTokenValue` as `refresh`, `Token`, `Value`.
fn split_camel(value: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices().skip(1) {
        if c.is_ascii_uppercase() {
            words.push(&value[start..i]);
            start = i;
        }
    }
    words.push(&value[start..]);
    words
}

/// A path or name in a secret manager: what to fetch, not the secret.
fn is_secret_manager_path(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.starts_with("projects/") && lower.contains("/secrets/")
        || lower.starts_with("secret/data/")
        || lower.starts_with("kv/data/")
        || lower.starts_with("arn:")
        || lower.starts_with("sm://")
        || lower.starts_with("gcp:secretmanager")
}

/// Translation files: their values are UI text in some language.
pub fn is_locale_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name.ends_with(".po")
        || name.ends_with(".pot")
        || name.ends_with(".xlf")
        || name.ends_with(".arb")
    {
        return true;
    }
    let data = [".json", ".yml", ".yaml", ".properties", ".ts", ".js"]
        .iter()
        .any(|e| name.ends_with(e));
    data && lower.split('/').any(|part| {
        matches!(
            part,
            "locale" | "locales" | "i18n" | "l10n" | "lang" | "langs" | "translations" | "messages"
        )
    })
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Hex digests (MD5, SHA-1, SHA-256, ...) and UUIDs: identifiers, not secrets,
/// when found by the generic rules.
pub fn is_hash_or_uuid(value: &str) -> bool {
    let hex = value.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && matches!(value.len(), 32 | 40 | 56 | 64 | 96 | 128) {
        return true;
    }
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Files whose contents are machine output full of hashes: lockfiles,
/// minified bundles, source maps, snapshots. Only the generic rules skip them.
pub fn is_machine_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lock"
            | "Cargo.lock"
            | "go.sum"
            | "poetry.lock"
            | "uv.lock"
            | "Pipfile.lock"
            | "composer.lock"
            | "Gemfile.lock"
            | "pdm.lock"
            | "gradle.lockfile"
            | "packages.lock.json"
            | "flake.lock"
    ) || name.ends_with(".min.js")
        || name.ends_with(".min.css")
        || name.ends_with(".map")
        || name.ends_with(".snap")
        || name.ends_with(".svg")
}

/// A line of minified code or embedded data: too long to be hand-written.
pub fn is_machine_line(line: &str) -> bool {
    line.len() > 1000 || line.contains("data:") && line.contains(";base64,")
}

/// The line says to allow it: `shipready:allow`.
pub fn is_allowed(line: &str) -> bool {
    line.contains("shipready:allow")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "YOUR_API_KEY",
            "<token>",
            "xxxxxxxxxxxx",
            "changeme",
            "example-secret",
            "********",
            "abcdefghijkl",
            "12345678",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for real in ["Zp4rT9qLm2XvB7nK", "hunter2hunter3"] {
            assert!(!is_placeholder(real), "{real}");
        }
    }

    #[test]
    fn references() {
        for r in [
            "${DB_PASSWORD}",
            "{{ vault_token }}",
            "process.env.TOKEN",
            "os.environ['X']",
            "$SECRET",
        ] {
            assert!(is_reference(r), "{r}");
        }
        assert!(!is_reference("s3cr3t-V4lue"));
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("password") < 3.0);
        assert!(entropy("Zp4rT9qLm2XvB7nKw8") > 3.5);
    }

    #[test]
    fn hashes_and_uuids() {
        assert!(is_hash_or_uuid("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(is_hash_or_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_hash_or_uuid("Zp4rT9qLm2XvB7nK"));
    }
}
