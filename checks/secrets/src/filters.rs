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
