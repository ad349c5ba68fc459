//! The schema migrations leave behind: tables, their columns, and where
//! each was created. Built by replaying operations in migration order.

use std::collections::BTreeMap;

use crate::ops::{Located, Op};

/// A table as the migrations define it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    /// The migration file and line that created it.
    pub created_at: Option<(String, u32)>,
    /// Row-level security enabled, and whether a policy exists.
    pub row_level_security: bool,
    pub has_policy: bool,
}

/// Tables by normalized name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

impl Schema {
    /// Apply one migration's operations (`path` names it).
    pub fn apply(&mut self, path: &str, ops: &[Located]) {
        for located in ops {
            match &located.op {
                Op::CreateTable { table, columns } => {
                    self.tables.insert(
                        table.clone(),
                        Table {
                            name: table.clone(),
                            columns: columns.clone(),
                            created_at: Some((path.to_string(), located.line)),
                            ..Table::default()
                        },
                    );
                }
                Op::DropTable { table } => {
                    self.tables.remove(table);
                }
                Op::RenameTable { from, to } => {
                    if let Some(mut t) = self.tables.remove(from) {
                        t.name = to.clone();
                        self.tables.insert(to.clone(), t);
                    }
                }
                Op::AddColumn { table, column, .. } => {
                    let t = self.table_mut(table);
                    if !t.columns.contains(column) {
                        t.columns.push(column.clone());
                    }
                }
                Op::DropColumn { table, column } => {
                    let dropped: Vec<&str> = column.split(", ").collect();
                    self.table_mut(table)
                        .columns
                        .retain(|c| !dropped.contains(&c.as_str()));
                }
                Op::RenameColumn { table, from, to } => {
                    for c in &mut self.table_mut(table).columns {
                        if c == from {
                            *c = to.clone();
                        }
                    }
                }
                Op::EnableRowLevelSecurity { table } => {
                    self.table_mut(table).row_level_security = true;
                }
                Op::CreatePolicy { table } => self.table_mut(table).has_policy = true,
                _ => {}
            }
        }
    }

    /// A table altered before any migration created it (created outside
    /// the migrations, or by a system not read) is known from then on.
    fn table_mut(&mut self, table: &str) -> &mut Table {
        self.tables
            .entry(table.to_string())
            .or_insert_with(|| Table {
                name: table.to_string(),
                ..Table::default()
            })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&crate::ops::normalize(name))
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;
    use crate::sql::{Dialect, parse};

    #[test]
    fn replays_migrations_in_order() {
        let mut schema = Schema::default();
        let first = parse(
            "CREATE TABLE projects (id int, name text);",
            1,
            Dialect::Postgres,
        );
        schema.apply("001.sql", &first.ops);
        let second = parse(
            "ALTER TABLE projects ADD COLUMN org_id bigint;\nALTER TABLE projects RENAME COLUMN name TO title;\nALTER TABLE projects ENABLE ROW LEVEL SECURITY;",
            1,
            Dialect::Postgres,
        );
        schema.apply("002.sql", &second.ops);
        let t = schema.table("public.Projects").unwrap();
        assert_eq!(t.columns, ["id", "title", "org_id"]);
        assert_eq!(t.created_at, Some(("001.sql".into(), 1)));
        assert!(t.row_level_security);
    }
}
