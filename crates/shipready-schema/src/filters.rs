//! Which tables a SQL statement reads or writes without a predicate on a
//! given column: the question behind tenant isolation (`org_id`) and any
//! "every query must filter on X" rule.
//!
//! A table is filtered when a top-level `AND` term of its `WHERE` (or of
//! its join's `ON`) compares the column (`org_id = $1`, `i.org_id IN
//! (...)`, `org_id = ANY($1)`); when it is joined by an equality to a table
//! (or common table expression) that is filtered; when a term restricts one
//! of its columns to a subquery that is itself filtered on an owned table
//! (`invoice_id IN (SELECT id FROM invoices WHERE org_id = $1)`), or a
//! correlated `EXISTS` does; or when the database filters it (row-level
//! security with a policy). The statement's own tables are judged before
//! its subqueries. Placeholders of every driver are parameters.

/// A table whose rows belong to someone, and the column that says whose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedTable {
    /// Lower-case, unqualified.
    pub table: String,
    pub column: String,
    /// The database filters it itself (row-level security with a policy).
    pub filtered_by_database: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// An owned table a statement touches without a predicate on its column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfiltered {
    pub kind: Kind,
    /// `UPDATE`, `DELETE`, `SELECT`.
    pub verb: String,
    pub table: String,
    /// The columns its own filter compares (`id`, `status`), sorted.
    pub filtered_on: Vec<String>,
}

impl Unfiltered {
    /// A read that filters on the primary key and nothing else.
    pub fn by_id_alone(&self) -> bool {
        self.kind == Kind::Read && self.filtered_on == ["id"]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterCheck {
    /// The text is not a statement the parser reads.
    Unparsed,
    /// Every owned table it touches is filtered (or it touches none).
    Filtered,
    Unfiltered(Unfiltered),
}

#[cfg(feature = "parser")]
pub use judge::{check, normalize_placeholders};

#[cfg(feature = "parser")]
mod judge {
    use std::collections::BTreeMap;

    use sqlparser::ast::{
        BinaryOperator, Expr, FromTable, JoinConstraint, JoinOperator, ObjectNamePart, Query,
        SetExpr, Statement, TableFactor, TableWithJoins,
    };
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::Parser;

    use super::{FilterCheck, Kind, OwnedTable, Unfiltered};

    /// Parameter styles as `?`: `%s`, `%(name)s`, `:name`, `@name`; `$1` stays.
    pub fn normalize_placeholders(sql: &str) -> String {
        let bytes = sql.as_bytes();
        let mut out = String::with_capacity(sql.len());
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let next = bytes.get(i + 1).copied().unwrap_or(0);
            if c == b'%' && matches!(next, b's' | b'd' | b'v' | b'f') {
                out.push('?');
                i += 2;
            } else if c == b'%' && next == b'(' {
                let end = sql[i..].find(")s").map_or(bytes.len(), |e| i + e + 2);
                out.push('?');
                i = end;
            } else if (c == b':' || c == b'@')
                && next.is_ascii_alphabetic()
                && (i == 0 || !matches!(bytes[i - 1], b':' | b'@'))
                && next != b':'
            {
                let mut j = i + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                out.push('?');
                i = j;
            } else {
                let ch = sql[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }

    /// Check the first statement of `sql` against the owned tables.
    pub fn check(sql: &str, owned: &[OwnedTable]) -> FilterCheck {
        let text = normalize_placeholders(sql);
        let Ok(statements) = Parser::parse_sql(&GenericDialect {}, &text) else {
            return FilterCheck::Unparsed;
        };
        let Some(statement) = statements.into_iter().next() else {
            return FilterCheck::Unparsed;
        };
        let tables: BTreeMap<&str, &OwnedTable> =
            owned.iter().map(|t| (t.table.as_str(), t)).collect();
        let judge = Judge {
            tables,
            scoped_names: Default::default(),
        };
        match judge.statement(&statement) {
            Some(u) => FilterCheck::Unfiltered(u),
            None => FilterCheck::Filtered,
        }
    }

    /// One table of a `FROM`, with the name it is referred to by.
    struct Ref {
        table: String,
        alias: String,
    }

    struct Judge<'a> {
        tables: BTreeMap<&'a str, &'a OwnedTable>,
        /// Common table expressions and derived tables that read tenant data
        /// scoped: joining to them scopes a table too.
        scoped_names: std::cell::RefCell<std::collections::BTreeSet<String>>,
    }

    fn last_ident(name: &sqlparser::ast::ObjectName) -> String {
        match name.0.last() {
            Some(ObjectNamePart::Identifier(i)) => i.value.to_lowercase(),
            _ => String::new(),
        }
    }

    /// The top-level `AND` terms of an expression.
    fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match e {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                conjuncts(left, out);
                conjuncts(right, out);
            }
            Expr::Nested(inner) => conjuncts(inner, out),
            _ => out.push(e),
        }
    }

    /// A column reference: (qualifier, column), lower-case.
    fn column(e: &Expr) -> Option<(Option<String>, String)> {
        match e {
            Expr::Identifier(i) => Some((None, i.value.to_lowercase())),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => Some((
                Some(parts[parts.len() - 2].value.to_lowercase()),
                parts[parts.len() - 1].value.to_lowercase(),
            )),
            Expr::Cast { expr, .. } | Expr::Nested(expr) => column(expr),
            _ => None,
        }
    }

    impl Judge<'_> {
        fn statement(&self, s: &Statement) -> Option<Unfiltered> {
            match s {
                Statement::Query(q) => self.query(q),
                Statement::Update(u) => {
                    let mut refs = Vec::new();
                    let mut ons = Vec::new();
                    self.from(std::slice::from_ref(&u.table), &mut refs, &mut ons);
                    if let Some(
                        sqlparser::ast::UpdateTableFromKind::AfterSet(from)
                        | sqlparser::ast::UpdateTableFromKind::BeforeSet(from),
                    ) = &u.from
                    {
                        self.from(from, &mut refs, &mut ons);
                    }
                    self.select_like(&refs, &ons, u.selection.as_ref(), Kind::Write, "UPDATE")
                }
                Statement::Delete(d) => {
                    let mut refs = Vec::new();
                    let mut ons = Vec::new();
                    let from = match &d.from {
                        FromTable::WithFromKeyword(f) | FromTable::WithoutKeyword(f) => f,
                    };
                    self.from(from, &mut refs, &mut ons);
                    if let Some(using) = &d.using {
                        self.from(using, &mut refs, &mut ons);
                    }
                    self.select_like(&refs, &ons, d.selection.as_ref(), Kind::Write, "DELETE")
                }
                _ => None,
            }
        }

        fn query(&self, q: &Query) -> Option<Unfiltered> {
            if let Some(with) = &q.with {
                for cte in &with.cte_tables {
                    if let Some(u) = self.query(&cte.query) {
                        return Some(u);
                    }
                    if touches_owned_table(&cte.query, &self.tables) {
                        self.scoped_names
                            .borrow_mut()
                            .insert(cte.alias.name.value.to_lowercase());
                    }
                }
            }
            self.set_expr(&q.body)
        }

        fn set_expr(&self, body: &SetExpr) -> Option<Unfiltered> {
            match body {
                SetExpr::Select(select) => {
                    let mut refs = Vec::new();
                    let mut ons = Vec::new();
                    self.from(&select.from, &mut refs, &mut ons);
                    for derived in select.from.iter().flat_map(|t| {
                        std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation))
                    }) {
                        if let TableFactor::Derived { subquery, .. } = derived
                            && let Some(u) = self.query(subquery)
                        {
                            return Some(u);
                        }
                    }
                    self.select_like(&refs, &ons, select.selection.as_ref(), Kind::Read, "SELECT")
                }
                SetExpr::Query(q) => self.query(q),
                SetExpr::SetOperation { left, right, .. } => {
                    self.set_expr(left).or_else(|| self.set_expr(right))
                }
                SetExpr::Update(s) | SetExpr::Delete(s) => self.statement(s),
                _ => None,
            }
        }

        /// The tables of a `FROM` list and the `ON` conditions of its joins.
        fn from<'q>(
            &self,
            from: &'q [TableWithJoins],
            refs: &mut Vec<Ref>,
            ons: &mut Vec<&'q Expr>,
        ) {
            for t in from {
                self.factor(&t.relation, refs);
                for join in &t.joins {
                    self.factor(&join.relation, refs);
                    let constraint = match &join.join_operator {
                        JoinOperator::Join(c)
                        | JoinOperator::Inner(c)
                        | JoinOperator::Left(c)
                        | JoinOperator::LeftOuter(c)
                        | JoinOperator::Right(c)
                        | JoinOperator::RightOuter(c)
                        | JoinOperator::FullOuter(c)
                        | JoinOperator::StraightJoin(c) => Some(c),
                        _ => None,
                    };
                    if let Some(JoinConstraint::On(on)) = constraint {
                        ons.push(on);
                    }
                }
            }
        }

        fn factor(&self, f: &TableFactor, refs: &mut Vec<Ref>) {
            if let TableFactor::Table { name, alias, .. } = f {
                let table = last_ident(name);
                let alias = alias
                    .as_ref()
                    .map_or_else(|| table.clone(), |a| a.name.value.to_lowercase());
                refs.push(Ref { table, alias });
            }
        }

        /// Does a term scope `r` directly: its tenant column compared, or one
        /// of its columns restricted to a scoped subquery?
        fn scopes(&self, term: &Expr, r: &Ref, single: bool) -> bool {
            let Some(tenant) = self.tables.get(r.table.as_str()) else {
                return true;
            };
            let mine = |e: &Expr, want: Option<&str>| {
                column(e).is_some_and(|(q, c)| {
                    want.is_none_or(|w| c == w)
                        && match q {
                            Some(q) => q == r.alias || q == r.table,
                            None => single,
                        }
                })
            };
            match term {
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Eq,
                    right,
                } => mine(left, Some(&tenant.column)) || mine(right, Some(&tenant.column)),
                Expr::InList {
                    expr,
                    negated: false,
                    ..
                } => mine(expr, Some(&tenant.column)),
                Expr::AnyOp { left, .. } => mine(left, Some(&tenant.column)),
                Expr::InSubquery {
                    expr,
                    subquery,
                    negated: false,
                } => {
                    mine(expr, None)
                        && self.query(subquery).is_none()
                        && touches_owned_table(subquery, &self.tables)
                }
                // A correlated `EXISTS (SELECT ... WHERE x.id = r.x_id AND x.org_id = $1)`.
                Expr::Exists {
                    subquery,
                    negated: false,
                } => {
                    self.query(subquery).is_none()
                        && touches_owned_table(subquery, &self.tables)
                        && subquery
                            .to_string()
                            .to_lowercase()
                            .contains(&format!("{}.", r.alias))
                }
                _ => false,
            }
        }

        fn select_like(
            &self,
            refs: &[Ref],
            ons: &[&Expr],
            selection: Option<&Expr>,
            kind: Kind,
            verb: &str,
        ) -> Option<Unfiltered> {
            let mut terms = Vec::new();
            if let Some(s) = selection {
                conjuncts(s, &mut terms);
            }
            for on in ons {
                conjuncts(on, &mut terms);
            }
            let single = refs.len() == 1;
            let tenant_refs: Vec<&Ref> = refs
                .iter()
                .filter(|r| {
                    self.tables
                        .get(r.table.as_str())
                        .is_some_and(|t| !t.filtered_by_database)
                })
                .collect();
            let mut scoped: Vec<bool> = tenant_refs
                .iter()
                .map(|r| terms.iter().any(|t| self.scopes(t, r, single)))
                .collect();
            // Scope spreads along equality joins between tables.
            loop {
                let mut changed = false;
                for i in 0..tenant_refs.len() {
                    if scoped[i] {
                        continue;
                    }
                    let linked = terms.iter().any(|t| {
                        let Expr::BinaryOp {
                            left,
                            op: BinaryOperator::Eq,
                            right,
                        } = t
                        else {
                            return false;
                        };
                        let (Some((Some(ql), _)), Some((Some(qr), _))) =
                            (column(left), column(right))
                        else {
                            return false;
                        };
                        let me = &tenant_refs[i].alias;
                        let other = if &ql == me {
                            qr
                        } else if &qr == me {
                            ql
                        } else {
                            return false;
                        };
                        let anchors = self.scoped_names.borrow();
                        refs.iter().any(|r| {
                            r.alias == other
                                && (anchors.contains(&r.table)
                                    || tenant_refs
                                        .iter()
                                        .position(|t| t.alias == r.alias)
                                        .is_some_and(|j| scoped[j]))
                        })
                    });
                    if linked {
                        scoped[i] = true;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            // The statement's own tables first; then its subqueries (`IN`,
            // `EXISTS`), each a query of its own.
            let Some(i) = scoped.iter().position(|s| !s) else {
                return terms.iter().find_map(|t| self.nested(t));
            };
            let r = tenant_refs[i];
            let mut filtered_on: Vec<String> = terms
                .iter()
                .filter_map(|t| match t {
                    Expr::BinaryOp {
                        op: BinaryOperator::Or,
                        ..
                    } => None,
                    Expr::BinaryOp { left, right, .. } => column(left).or_else(|| column(right)),
                    Expr::InList { expr, .. } | Expr::InSubquery { expr, .. } => column(expr),
                    Expr::IsNull(e) | Expr::IsNotNull(e) => column(e),
                    _ => None,
                })
                .filter(|(q, _)| q.as_ref().is_none_or(|q| *q == r.alias || *q == r.table))
                .map(|(_, c)| c)
                .collect();
            filtered_on.sort();
            filtered_on.dedup();
            Some(Unfiltered {
                kind,
                verb: verb.to_string(),
                table: r.table.clone(),
                filtered_on,
            })
        }

        /// An unscoped query nested in a term (`IN (SELECT ...)`, `EXISTS`).
        fn nested(&self, term: &Expr) -> Option<Unfiltered> {
            match term {
                Expr::InSubquery { subquery, .. } => self.query(subquery),
                Expr::Exists { subquery, .. } => self.query(subquery),
                Expr::Subquery(q) => self.query(q),
                Expr::BinaryOp { left, right, .. } => {
                    self.nested(left).or_else(|| self.nested(right))
                }
                Expr::Nested(e) => self.nested(e),
                _ => None,
            }
        }
    }

    /// Whether a (filtered) subquery reads an owned table: only then does
    /// restricting a column to it filter the outer table.
    fn touches_owned_table(q: &Query, tables: &BTreeMap<&str, &OwnedTable>) -> bool {
        let SetExpr::Select(select) = q.body.as_ref() else {
            return false;
        };
        select.from.iter().any(|t| {
            std::iter::once(&t.relation)
                .chain(t.joins.iter().map(|j| &j.relation))
                .any(|f| matches!(f, TableFactor::Table { name, .. } if tables.contains_key(last_ident(name).as_str())))
        })
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::*;

    fn owned() -> Vec<OwnedTable> {
        [("invoices", false), ("line_items", false), ("audit", true)]
            .into_iter()
            .map(|(table, rls)| OwnedTable {
                table: table.into(),
                column: "org_id".into(),
                filtered_by_database: rls,
            })
            .collect()
    }

    fn verdict(sql: &str) -> Option<(Kind, String, Vec<String>)> {
        match check(sql, &owned()) {
            FilterCheck::Unparsed => panic!("unparsed: {sql}"),
            FilterCheck::Filtered => None,
            FilterCheck::Unfiltered(u) => Some((u.kind, u.table, u.filtered_on)),
        }
    }

    #[test]
    fn scoped_queries_in_every_usual_form() {
        for sql in [
            "SELECT * FROM invoices WHERE org_id = $1",
            "SELECT * FROM invoices WHERE id = %s AND org_id = %s",
            "SELECT * FROM invoices WHERE org_id = %(org)s",
            "SELECT * FROM invoices WHERE org_id = :org AND status = 'x'",
            "SELECT i.* FROM invoices i WHERE i.org_id = ? AND i.id = ?",
            "SELECT li.* FROM line_items li JOIN invoices i ON i.id = li.invoice_id WHERE i.org_id = $1",
            "DELETE FROM line_items WHERE invoice_id IN (SELECT id FROM invoices WHERE org_id = $1)",
            "UPDATE invoices SET status = 'x' WHERE id = $2 AND org_id = $1",
            "SELECT * FROM audit",
            "SELECT * FROM plans WHERE id = 1",
            "SELECT * FROM invoices WHERE org_id = ANY($1)",
            "SELECT * FROM invoices WHERE org_id IN (1, 2)",
            "SELECT * FROM invoices WHERE org_id = current_setting('app.org')::bigint",
            "WITH x AS (SELECT * FROM invoices WHERE org_id = $1) SELECT * FROM x",
            "SELECT li.* FROM line_items li WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.id = li.invoice_id AND i.org_id = $1)",
            "WITH mine AS (SELECT id FROM invoices WHERE org_id = $1) SELECT li.* FROM mine m JOIN line_items li ON li.invoice_id = m.id",
        ] {
            assert_eq!(verdict(sql), None, "{sql}");
        }
    }

    #[test]
    fn unscoped_queries_say_what_they_filter_on() {
        let id = || vec!["id".to_string()];
        assert_eq!(
            verdict("SELECT * FROM invoices WHERE id = $1"),
            Some((Kind::Read, "invoices".into(), id()))
        );
        assert_eq!(
            verdict("UPDATE invoices SET status = 'paid' WHERE id = $1"),
            Some((Kind::Write, "invoices".into(), id()))
        );
        assert_eq!(
            verdict("DELETE FROM line_items WHERE invoice_id = ?"),
            Some((Kind::Write, "line_items".into(), vec!["invoice_id".into()]))
        );
        assert_eq!(
            verdict("SELECT * FROM invoices WHERE org_id = $1 OR public"),
            Some((Kind::Read, "invoices".into(), vec![]))
        );
        assert_eq!(
            verdict("SELECT * FROM invoices"),
            Some((Kind::Read, "invoices".into(), vec![]))
        );
        assert!(
            verdict("SELECT * FROM plans WHERE id IN (SELECT plan_id FROM invoices)").is_some()
        );
        assert!(
            verdict("SELECT li.* FROM line_items li JOIN invoices i ON i.id = li.invoice_id")
                .is_some()
        );
    }

    #[test]
    fn placeholders_of_every_driver_become_parameters() {
        assert_eq!(
            normalize_placeholders(
                "a = %s AND b = %(x)s AND c = :c AND d = @d AND e::int AND f = $1"
            ),
            "a = ? AND b = ? AND c = ? AND d = ? AND e::int AND f = $1"
        );
    }
}
