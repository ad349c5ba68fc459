//! SQL parsed natively for checks (`sql` interface): the sources of one
//! call are parsed in parallel, each into schema operations with
//! `shipready-schema`.

use rayon::prelude::*;
use shipready_schema::sql::{self, Dialect, Parsed};

/// Parse every `(text, first line)`; the answers keep the sources' order.
pub fn parse_all(sources: &[(String, u32)], dialect: Dialect) -> Vec<Parsed> {
    sources
        .par_iter()
        .with_min_len(8)
        .map(|(text, first_line)| sql::parse(text, *first_line, dialect))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipready_schema::Op;

    #[test]
    fn answers_keep_the_order_of_the_sources() {
        let sources: Vec<(String, u32)> = (0..100)
            .map(|i| (format!("DROP TABLE t{i};"), i + 1))
            .collect();
        let parsed = parse_all(&sources, Dialect::Postgres);
        for (i, p) in parsed.iter().enumerate() {
            assert_eq!(p.ops[0].line, i as u32 + 1);
            assert_eq!(
                p.ops[0].op,
                Op::DropTable {
                    table: format!("t{i}")
                }
            );
        }
    }
}
