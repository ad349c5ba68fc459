//! Redaction: what a finding may say about a secret. The evidence keeps a
//! short, non-secret prefix (the vendor's marker, like `ghp_` or `AKIA`) and
//! the length; the fingerprint is a hash. The secret itself never leaves the
//! check.

use sha2::{Digest, Sha256};

/// `ghp_…(40 chars)`: at most the first 4 characters (fewer for short
/// values), then the length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 16 {
        4
    } else if n >= 8 {
        2
    } else {
        0
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}…({n} chars)")
}

/// A stable key for the finding's fingerprint: a hash of the secret, so the
/// same secret is one finding wherever its line moves.
pub fn key(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_a_prefix() {
        let secret = "ghp_R4nd0mR4nd0mR4nd0mR4nd0mR4nd0mR4nd0m";
        let r = redact(secret);
        assert_eq!(r, "ghp_…(40 chars)");
        assert!(!r.contains(&secret[4..10]));
        assert_eq!(redact("hunter2"), "…(7 chars)");
        assert_ne!(key(secret), key("other"));
    }
}
