//! Built-in check `migrations`: every migration of every migration system
//! in the repository, judged for what it would do to a live production
//! database (locks, rewrites, breaking running code), whether it can be
//! rolled back, and whether the migrations are in order.
//!
//! Statements are read by `shipready-schema` (a real SQL parser for SQL,
//! framework calls for Rails, Django, Alembic, Knex, Sequelize and TypeORM,
//! whose raw SQL goes through the same parser). Settings:
//! `dialect = "postgres" | "mysql" | "sqlite"` (default `postgres`).

mod applied;
mod connection;
mod detect;
mod fields;
mod judge;
mod order;
pub mod rules;

use shipready_schema::sql::Dialect;
use shipready_sdk::Level;
use shipready_sdk::prelude::*;

use applied::Applied;
use connection::Connection;
use detect::{Migration, Source, Unread};
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
        .capabilities(&[Capability::Repo, Capability::Search, Capability::History])
        .rules(rules::ALL)
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let dialect = dialect(cx.context())?;
        let files = cx.paths(detect::GLOBS)?;
        let (mut migrations, unread) = {
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
        let applied = Applied::decide(cx)?;
        // Compared with their applied versions as read, before the field
        // history settles either.
        let history = if applied.has_reference() {
            applied.history_findings(cx, &migrations, dialect)
        } else {
            order::edited(cx, &migrations)?
        };
        fields::settle_type_changes(&mut migrations);
        let pending: Vec<&Migration> = migrations
            .iter()
            .filter(|m| applied.is_pending(&m.path) && cx.in_scope(&m.path))
            .collect();
        let mut unguarded: Vec<(&str, Verdict)> = Vec::new();
        for m in &pending {
            for verdict in judge::judge(m, dialect_of_directory(&m.path).unwrap_or(dialect)) {
                if std::ptr::eq(verdict.rule, &rules::LOCK_TIMEOUT_MISSING) {
                    unguarded.push((&m.path, verdict));
                } else {
                    report(cx, &m.path, verdict);
                }
            }
        }
        if !unguarded.is_empty() {
            lock_timeout_missing(cx, unguarded)?;
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
        let placed = order::duplicates(&migrations, &applied)
            .into_iter()
            .chain(order::heads(&migrations))
            .chain(order::out_of_order(&migrations, &applied))
            .chain(history);
        for p in placed.collect::<Vec<_>>() {
            report(cx, &p.path, p.verdict);
        }
        let summary = applied.summary(&migrations);
        cx.report(summary);
        Ok(())
    }
}

shipready_sdk::export!(Migrations);

/// The database a migration directory names (`store/migration/sqlite/`,
/// `db/mysql/`): projects that support several keep one tree each, and the
/// PostgreSQL lock rules do not hold on the others.
fn dialect_of_directory(path: &str) -> Option<Dialect> {
    let dirs = path
        .rsplit_once('/')
        .map_or("", |(d, _)| d)
        .to_ascii_lowercase();
    dirs.split('/').find_map(|part| match part {
        "sqlite" | "sqlite3" => Some(Dialect::Sqlite),
        "mysql" | "mariadb" => Some(Dialect::MySql),
        "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
        _ => None,
    })
}

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

/// One finding for every pending migration that locks a table with no
/// lock timeout, at the database configuration, unless the connection sets
/// one for every session.
fn lock_timeout_missing(cx: &mut Cx<'_>, unguarded: Vec<(&str, Verdict)>) -> Result<()> {
    let connection = Connection::read(cx)?;
    if let Some((path, line)) = &connection.lock_timeout {
        cx.log(
            Level::Info,
            &format!("lock_timeout set for the connection at {path}:{line}"),
        );
        return Ok(());
    }
    let listed: Vec<String> = unguarded
        .iter()
        .take(20)
        .map(|(path, v)| format!("{path}:{}", v.line.unwrap_or(1)))
        .collect();
    let more = unguarded.len().saturating_sub(listed.len());
    let mut evidence = listed.join("\n");
    if more > 0 {
        evidence.push_str(&format!("\n... and {more} more"));
    }
    let message = format!(
        "{} pending migration{} lock a table with no lock_timeout, and the database connection sets none: a statement can queue every query on the table behind a long one",
        unguarded.len(),
        if unguarded.len() == 1 { "" } else { "s" },
    );
    let (path, line) = match connection.config {
        Some(config) => config,
        None => {
            let (path, v) = &unguarded[0];
            (path.to_string(), v.line.unwrap_or(1))
        }
    };
    cx.report(
        Finding::new(&rules::LOCK_TIMEOUT_MISSING, message)
            .at_line(path, line)
            .evidence(evidence)
            .remediation("Set lock_timeout for the migration connection (Django OPTIONS \"-c lock_timeout=5s\", Rails database.yml variables: { lock_timeout: 5s }, Alembic SET lock_timeout in env.py), or start each migration with SET lock_timeout = '5s'."),
    );
    Ok(())
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
