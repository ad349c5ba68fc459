//! SQL the check could not parse, read for what it names.

use crate::tenancy::Tenancy;

/// The tenant-owned tables a text names, as whole words (for SQL the
/// parser could not read).
pub fn tables_named<'t>(text: &str, tenancy: &'t Tenancy) -> Vec<&'t str> {
    let lower = text.to_lowercase();
    let words: std::collections::BTreeSet<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    tenancy
        .tables
        .iter()
        .filter(|(name, t)| words.contains(name.as_str()) && !t.row_level_security)
        .map(|(name, _)| name.as_str())
        .collect()
}
