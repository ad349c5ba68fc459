//! The database connection's configuration, as far as the lock rules care:
//! whether it sets a `lock_timeout` for every session (so each migration
//! need not), and where it lives (where a missing timeout is reported,
//! once).
//!
//! A timeout set for the connection: Django `DATABASES[...]["OPTIONS"]`
//! with `-c lock_timeout=...`, Rails `database.yml` `variables:
//! lock_timeout`, Alembic `env.py` running `SET lock_timeout`, a Knex,
//! TypeORM or Prisma connection setup or URL carrying it.

use shipready_sdk::Pattern;
use shipready_sdk::prelude::*;

/// Files that configure the database connection.
const CONFIG_GLOBS: &[&str] = &[
    "**/settings.py",
    "**/settings_*.py",
    "**/*_settings.py",
    "**/settings/**/*.py",
    "**/database.yml",
    "**/env.py",
    "**/alembic.ini",
    "**/knexfile.*",
    "**/ormconfig.*",
    "**/data-source.*",
    "**/datasource.*",
    "**/schema.prisma",
    "**/database.{ts,js,py,rb}",
    "**/db.{ts,js,py}",
    "**/config/**/*.{rb,yml,yaml,ts,js,py,exs}",
    "**/.env",
    "**/.env.*",
];

const LOCK_TIMEOUT: u32 = 0;
const DATABASE_CONFIG: u32 = 1;

/// What the connection configuration says.
pub struct Connection {
    /// Where a connection-wide lock timeout is set.
    pub lock_timeout: Option<(String, u32)>,
    /// Where the database connection is configured.
    pub config: Option<(String, u32)>,
}

impl Connection {
    pub fn read(cx: &Cx<'_>) -> Result<Connection> {
        let patterns = [
            Pattern::new(LOCK_TIMEOUT, r"(?i)lock_timeout").keywords(&["lock_timeout"]),
            Pattern::new(
                DATABASE_CONFIG,
                r#"^[ \t]*(DATABASES\s*=|production:|development:|datasource\s+\w+\s*\{|def run_migrations_online|(module\.exports|export default)\s*=?\s*\{?.*\b(client|type)\s*:)"#,
            ),
        ];
        let hits = cx.search(&patterns, CONFIG_GLOBS)?;
        let first = |id: u32| {
            hits.hits
                .iter()
                .filter(|h| h.pattern == id && !crate::detect::is_migration_path(&h.path))
                .find(|h| id != LOCK_TIMEOUT || !h.line_text.trim_start().starts_with('#'))
                .map(|h| (h.path.clone(), h.line))
        };
        Ok(Connection {
            lock_timeout: first(LOCK_TIMEOUT),
            config: first(DATABASE_CONFIG),
        })
    }
}
