//! Built-in check `migrations`: every migration of every migration system
//! in the repository, judged for what it would do to a live production
//! database (locks, rewrites, breaking running code), whether it can be
//! rolled back, and whether the migrations are in order.
//!
//! Statements are read by `shipready-schema` (a real SQL parser for SQL,
//! framework calls for Rails, Django, Alembic, Knex, Sequelize and TypeORM,
//! whose raw SQL goes through the same parser). Settings:
//! `dialect = "postgres" | "mysql" | "sqlite"` (default `postgres`).

mod detect;
mod judge;
mod order;
pub mod rules;

use shipready_schema::sql::Dialect;
use shipready_sdk::Level;
use shipready_sdk::prelude::*;

use detect::{Source, Unread};
use judge::Verdict;

/// The check; `export!` makes it the component's `check` export.
pub struct Migrations;

impl Check for Migrations {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "migrations",
            env!("CARGO_PKG_VERSION"),
            "Database migrations",
            "Migrations that would lock or break a live database, cannot be rolled back, or are out of order.",
        )
        .capabilities(&[Capability::Repo, Capability::History])
        .rules(rules::ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let dialect = dialect(cx.context())?;
        let files = cx.paths(detect::GLOBS)?;
        let (migrations, unread) = {
            let source = HostSource { cx };
            detect::migrations(&files, &source, dialect, &|path| cx.in_scope(path))
        };
        if migrations.is_empty() && unread.is_empty() {
            for rule in rules::ALL {
                cx.not_applicable(rule, "no migrations found");
            }
            return Ok(());
        }
        let mut systems: Vec<&str> = migrations.iter().map(|m| m.system.name()).collect();
        systems.sort();
        systems.dedup();
        cx.log(
            Level::Info,
            &format!("{} migrations ({})", migrations.len(), systems.join(", ")),
        );
        for m in &migrations {
            if !cx.in_scope(&m.path) {
                continue;
            }
            for verdict in judge::judge(m, dialect) {
                report(cx, &m.path, verdict);
            }
        }
        for Unread { path, why } in unread {
            report(
                cx,
                &path,
                Verdict {
                    rule: &rules::UNREADABLE,
                    line: None,
                    message: format!("migration not checked: {why}"),
                    evidence: None,
                    fix: "Check it by hand; keep migrations small, UTF-8 text.",
                },
            );
        }
        let placed = order::duplicates(&migrations)
            .into_iter()
            .chain(order::heads(&migrations))
            .chain(order::edited(cx, &migrations)?);
        for p in placed.collect::<Vec<_>>() {
            report(cx, &p.path, p.verdict);
        }
        Ok(())
    }
}

shipready_sdk::export!(Migrations);

fn dialect(ctx: &Context) -> Result<Dialect> {
    let Some(raw) = ctx.setting("dialect") else {
        return Ok(Dialect::Postgres);
    };
    let name = raw.trim().trim_matches('"');
    Dialect::parse(name).ok_or_else(|| {
        CheckError::BadSettings(format!(
            "dialect {raw} is not one this check reads; use one of: {}",
            Dialect::NAMES.join(", ")
        ))
    })
}

fn report(cx: &mut Cx<'_>, path: &str, v: Verdict) {
    let mut finding = Finding::new(v.rule, v.message).remediation(v.fix);
    finding = match v.line {
        Some(line) => finding.at_line(path, line),
        None => finding.at_file(path),
    };
    if let Some(evidence) = v.evidence {
        finding = finding.evidence(evidence);
    }
    cx.report(finding);
}

/// Migration files read through the host.
struct HostSource<'a, 'b> {
    cx: &'a Cx<'b>,
}

impl Source for HostSource<'_, '_> {
    fn text(&self, path: &str) -> std::result::Result<String, String> {
        let bytes = self.cx.read(path).map_err(|e| e.to_string())?;
        shipready_schema::sql::file_text(bytes).map_err(|why| format!("`{path}`: {why}"))
    }

    fn parse_files(
        &self,
        paths: &[&str],
        dialect: Dialect,
    ) -> Vec<std::result::Result<shipready_schema::sql::ParsedFile, String>> {
        self.cx
            .parse_sql_files(paths, dialect)
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }

    fn count_statements(&self, paths: &[&str]) -> Vec<std::result::Result<u32, String>> {
        self.cx
            .count_statements(paths)
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }

    fn parse_sql(
        &self,
        sources: &[(&str, u32)],
        dialect: Dialect,
    ) -> Vec<shipready_schema::sql::Parsed> {
        self.cx.parse_sql(sources, dialect)
    }
}

#[cfg(test)]
mod tests;
