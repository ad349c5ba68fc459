//! Finding the migrations: which files belong to which migration system,
//! read into operations in the order the system applies them.
//!
//! Systems are recognised by their layout: `.up.sql` / `.down.sql` pairs
//! (golang-migrate, sqlx), diesel `up.sql` / `down.sql` directories, Prisma
//! `migration.sql`, Flyway `V<version>__name.sql`, dbmate `-- migrate:up`
//! files, other numbered `.sql` files in a migrations directory, Rails
//! `db/migrate/*.rb`, Django `migrations/NNNN_*.py`, Alembic
//! `versions/*.py`, and Knex, Sequelize and TypeORM files in a migrations
//! directory (told apart by content).

use shipready_schema::frameworks::{self, FrameworkMigration, Reversibility};
use shipready_schema::sql::{self, Dialect, ParseError, ParseSql};
use shipready_schema::{Located, Op};
use shipready_sdk::ListedFile;

/// Paths that can hold migrations (the rest is never read).
pub const GLOBS: &[&str] = &[
    "*.sql",
    "Cargo.toml",
    "db/migrate/*.rb",
    "**/db/migrate/*.rb",
    "**/migrations/**/*.py",
    "**/versions/*.py",
    "**/migrations/**/*.js",
    "**/migrations/**/*.cjs",
    "**/migrations/**/*.mjs",
    "**/migrations/**/*.ts",
    "**/migration/**/*.ts",
    "**/migrations/**/metadata.toml",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    /// `.up.sql` / `.down.sql` pairs: golang-migrate, sqlx reversible.
    UpDownSql,
    Diesel,
    Prisma,
    Flyway,
    Dbmate,
    /// Numbered `.sql` files in a migrations directory.
    PlainSql,
    Rails,
    Django,
    Alembic,
    Knex,
    Sequelize,
    TypeOrm,
}

impl System {
    fn is_sql(self) -> bool {
        matches!(
            self,
            System::UpDownSql
                | System::Diesel
                | System::Prisma
                | System::Flyway
                | System::Dbmate
                | System::PlainSql
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            System::UpDownSql => "golang-migrate/sqlx",
            System::Diesel => "diesel",
            System::Prisma => "Prisma",
            System::Flyway => "Flyway",
            System::Dbmate => "dbmate",
            System::PlainSql => "SQL",
            System::Rails => "Rails",
            System::Django => "Django",
            System::Alembic => "Alembic",
            System::Knex => "Knex",
            System::Sequelize => "Sequelize",
            System::TypeOrm => "TypeORM",
        }
    }
}

/// How a migration can be undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Down {
    /// The system has no down migrations (Flyway community, Prisma, plain SQL).
    NotUsed,
    Missing {
        expected: String,
    },
    Empty {
        path: String,
    },
    Present,
    Irreversible {
        line: u32,
        why: String,
    },
}

/// One migration, read.
#[derive(Debug, Clone)]
pub struct Migration {
    pub path: String,
    pub system: System,
    /// Where its siblings live: versions are unique per directory.
    pub dir: String,
    pub version: Option<String>,
    pub up: Vec<Located>,
    pub errors: Vec<ParseError>,
    /// The tool runs it inside a transaction.
    pub in_transaction: bool,
    pub down: Down,
    /// Alembic revision id, or Django `app/name`.
    pub id: Option<String>,
    pub depends_on: Vec<String>,
    /// SQL still to parse into `up` (its text and first line).
    pending_sql: Option<(String, u32)>,
    /// Run as one script: a transaction once it holds two statements or more
    /// (Postgres wraps a multi-statement query in an implicit one).
    multi_statement_tx: bool,
}

/// A file that could not be read as text, and why.
#[derive(Debug, Clone)]
pub struct Unread {
    pub path: String,
    pub why: String,
}

/// Reads a file's text, or says why it cannot; parses SQL.
pub trait Source {
    fn text(&self, path: &str) -> Result<String, String>;
    /// `(text, first line)` of each source, parsed, in order.
    fn parse_sql(&self, sources: &[(&str, u32)], dialect: Dialect) -> Vec<sql::Parsed>;
}

/// Framework migrations parse their embedded SQL through the source.
struct EmbeddedSql<'a> {
    source: &'a dyn Source,
    dialect: Dialect,
}

impl ParseSql for EmbeddedSql<'_> {
    fn parse_sql(&self, sql: &str, first_line: u32) -> sql::Parsed {
        self.source
            .parse_sql(&[(sql, first_line)], self.dialect)
            .pop()
            .unwrap_or_default()
    }
}

/// The listed files and a way to read them.
struct Repo<'a> {
    source: &'a dyn Source,
    listed: std::collections::HashSet<&'a str>,
}

impl Repo<'_> {
    /// A migration of a Rust crate (a `Cargo.toml` beside its migrations
    /// directory): sqlx, which wraps each migration in a transaction.
    fn is_sqlx(&self, path: &str) -> bool {
        let project = dir_of(dir_of(path));
        let manifest = if project.is_empty() {
            "Cargo.toml".to_string()
        } else {
            format!("{project}/Cargo.toml")
        };
        self.listed.contains(manifest.as_str())
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn leading_digits(s: &str) -> Option<String> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    (!digits.is_empty()).then_some(digits)
}

fn in_migrations_dir(path: &str) -> bool {
    dir_of(path)
        .split('/')
        .any(|part| part.to_ascii_lowercase().starts_with("migrat"))
}

/// Which system a path belongs to, before reading it (`None`: not a
/// migration, or a down file read with its up).
fn classify(path: &str) -> Option<System> {
    let name = name_of(path);
    let dir = dir_of(path);
    let parent = name_of(dir);
    let flyway_undo = name.starts_with('U')
        && name[1..].starts_with(|c: char| c.is_ascii_digit())
        && name.contains("__");
    if name.ends_with(".down.sql") || name == "down.sql" || flyway_undo {
        return None;
    }
    if name.ends_with(".up.sql") {
        return Some(System::UpDownSql);
    }
    if name == "up.sql" && in_migrations_dir(path) {
        return Some(System::Diesel);
    }
    if name == "migration.sql" && in_migrations_dir(path) {
        return Some(System::Prisma);
    }
    if name.ends_with(".sql")
        && (name.starts_with('V') || name.starts_with("R__"))
        && name.contains("__")
        && (name[1..].starts_with(|c: char| c.is_ascii_digit()) || name.starts_with("R__"))
    {
        return Some(System::Flyway);
    }
    if name.ends_with(".sql") && in_migrations_dir(path) && leading_digits(name).is_some() {
        // dbmate is told apart by content; sqlx's simple files look like plain SQL.
        return Some(System::PlainSql);
    }
    if name.ends_with(".rb") && dir.ends_with("db/migrate") {
        return Some(System::Rails);
    }
    if name.ends_with(".py") && parent == "migrations" && leading_digits(name).is_some() {
        return Some(System::Django);
    }
    if name.ends_with(".py") && parent == "versions" {
        return Some(System::Alembic);
    }
    let script = [".js", ".cjs", ".mjs", ".ts"]
        .iter()
        .any(|e| name.ends_with(e) && !name.ends_with(".d.ts"));
    if script && in_migrations_dir(path) {
        return Some(System::Knex); // refined by content
    }
    None
}

/// Read every migration of the repository, in each system's order.
pub fn migrations(
    files: &[ListedFile],
    source: &dyn Source,
    dialect: Dialect,
    in_scope: &dyn Fn(&str) -> bool,
) -> (Vec<Migration>, Vec<Unread>) {
    let repo = Repo {
        source,
        listed: files.iter().map(|f| f.path.as_str()).collect(),
    };
    let mut out = Vec::new();
    let mut unread = Vec::new();
    for file in files {
        let Some(system) = classify(&file.path) else {
            continue;
        };
        // Framework files are read whatever the scope: their graph
        // (Alembic, Django) decides whether a change adds a second head.
        if !in_scope(&file.path) && system.is_sql() {
            out.push(unread_sql(&file.path, system));
            continue;
        }
        let text = match source.text(&file.path) {
            Ok(t) => t,
            Err(why) => {
                unread.push(Unread {
                    path: file.path.clone(),
                    why,
                });
                continue;
            }
        };
        if let Some(m) = read(&file.path, system, &text, &repo, dialect) {
            out.push(m);
        }
    }
    // All SQL in one call: the host parses it natively, across cores.
    let pending: Vec<(usize, &str, u32)> = out
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.pending_sql.as_ref().map(|(t, l)| (i, t.as_str(), *l)))
        .collect();
    let sources: Vec<(&str, u32)> = pending.iter().map(|(_, t, l)| (*t, *l)).collect();
    let parsed = source.parse_sql(&sources, dialect);
    let targets: Vec<usize> = pending.iter().map(|(i, _, _)| *i).collect();
    for (i, p) in targets.into_iter().zip(parsed) {
        let m = &mut out[i];
        m.in_transaction |= m.multi_statement_tx && p.statements > 1;
        m.up = p.ops;
        m.errors = p.errors;
        m.pending_sql = None;
    }
    out.sort_by(|a, b| {
        (&a.dir, version_key(&a.version), &a.path).cmp(&(&b.dir, version_key(&b.version), &b.path))
    });
    (out, unread)
}

/// Versions compare as numbers where they are numbers (`9` before `10`).
fn version_key(v: &Option<String>) -> (usize, String) {
    match v {
        Some(v) => (v.len(), v.clone()),
        None => (usize::MAX, String::new()),
    }
}

/// dbmate: `-- migrate:up` among the comments the file starts with.
fn is_dbmate(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with("--"))
        .any(|l| l.starts_with("-- migrate:up"))
}

/// sqlx: a first line `-- no-transaction` runs the migration outside a transaction.
fn no_transaction(text: &str) -> bool {
    text.trim_start().starts_with("-- no-transaction")
}

/// A SQL migration whose text is parsed later, with all the others.
fn sql_migration(path: &str, system: System, sql_text: &str, first_line: u32) -> Migration {
    Migration {
        path: path.to_string(),
        system,
        dir: dir_of(path).to_string(),
        version: None,
        in_transaction: false,
        up: Vec::new(),
        errors: Vec::new(),
        down: Down::NotUsed,
        id: None,
        depends_on: Vec::new(),
        pending_sql: Some((sql_text.to_string(), first_line)),
        multi_statement_tx: false,
    }
}

/// How many statements a SQL text holds.
fn statements(text: &str) -> usize {
    sql::split(text, 1).len()
}

fn read(
    path: &str,
    system: System,
    text: &str,
    repo: &Repo<'_>,
    dialect: Dialect,
) -> Option<Migration> {
    let name = name_of(path);
    let rust_project = repo.is_sqlx(path);
    let embedded = EmbeddedSql {
        source: repo.source,
        dialect,
    };
    let mut m = match system {
        System::UpDownSql => {
            let mut m = sql_migration(path, system, text, 1);
            let no_tx = no_transaction(text);
            m.in_transaction = !no_tx && rust_project;
            m.multi_statement_tx = !no_tx;
            let down = format!("{}.down.sql", path.trim_end_matches(".up.sql"));
            m.down = down_of(repo, &down);
            m
        }
        System::Diesel => {
            let dir = dir_of(path);
            let mut m = sql_migration(path, system, text, 1);
            let metadata = repo
                .source
                .text(&format!("{dir}/metadata.toml"))
                .unwrap_or_default();
            m.in_transaction = !metadata
                .replace(' ', "")
                .contains("run_in_transaction=false");
            m.down = down_of(repo, &format!("{dir}/down.sql"));
            m
        }
        System::Prisma => {
            let mut m = sql_migration(path, system, text, 1);
            m.multi_statement_tx = true;
            m
        }
        System::Flyway => {
            let mut m = sql_migration(path, system, text, 1);
            // Flyway runs a script with non-transactional statements
            // (CONCURRENTLY) outside a transaction by itself.
            m.in_transaction = false;
            m
        }
        System::PlainSql | System::Dbmate if is_dbmate(text) => dbmate(path, text),
        System::PlainSql | System::Dbmate => {
            let mut m = sql_migration(path, System::PlainSql, text, 1);
            let no_tx = no_transaction(text);
            m.in_transaction = !no_tx && rust_project;
            m.multi_statement_tx = !no_tx;
            m
        }
        System::Rails => framework(path, system, frameworks::rails(text, &embedded)),
        System::Django => {
            let mut m = framework(path, system, frameworks::django(text, &embedded));
            let app = name_of(dir_of(dir_of(path)));
            m.id = Some(format!("{app}/{}", name.trim_end_matches(".py")));
            m
        }
        System::Alembic => {
            if !text.contains("revision") {
                return None;
            }
            framework(path, system, frameworks::alembic(text, &embedded))
        }
        System::Knex | System::Sequelize | System::TypeOrm => {
            let (system, read) = if text.contains("MigrationInterface") {
                (System::TypeOrm, frameworks::typeorm(text, &embedded))
            } else if text.contains("queryInterface") {
                (System::Sequelize, frameworks::sequelize(text, &embedded))
            } else if text.contains("knex")
                || text.contains("exports.up")
                || text.contains("function up")
            {
                (System::Knex, frameworks::knex(text, &embedded))
            } else {
                return None;
            };
            framework(path, system, read)
        }
    };
    (m.dir, m.version) = placement(path, system);
    Some(m)
}

/// Where a migration sits among its siblings: the directory its versions
/// are unique in, and its version.
fn placement(path: &str, system: System) -> (String, Option<String>) {
    let name = name_of(path);
    let dir = dir_of(path);
    match system {
        System::Diesel => (
            dir_of(dir).to_string(),
            name_of(dir).split('_').next().map(str::to_string),
        ),
        System::Prisma => (dir_of(dir).to_string(), leading_digits(name_of(dir))),
        System::Flyway => (
            dir.to_string(),
            name.strip_prefix('V')
                .and_then(|rest| rest.split_once("__"))
                .map(|(v, _)| v.replace('_', ".")),
        ),
        System::Alembic | System::Knex | System::Sequelize | System::TypeOrm => {
            (dir.to_string(), None)
        }
        System::UpDownSql | System::PlainSql | System::Dbmate | System::Rails | System::Django => {
            (dir.to_string(), leading_digits(name))
        }
    }
}

/// A SQL migration outside a change-limited run's files: not read, known
/// by its place only (for duplicate versions).
fn unread_sql(path: &str, system: System) -> Migration {
    let mut m = sql_migration(path, system, "", 1);
    m.pending_sql = None;
    (m.dir, m.version) = placement(path, system);
    m
}

fn down_of(repo: &Repo<'_>, down: &str) -> Down {
    if !repo.listed.contains(down) {
        return Down::Missing {
            expected: down.to_string(),
        };
    }
    match repo.source.text(down) {
        Ok(text) if statements(&text) == 0 => Down::Empty {
            path: down.to_string(),
        },
        _ => Down::Present,
    }
}

/// dbmate: one file, `-- migrate:up` then `-- migrate:down`; each runs in a
/// transaction unless its marker line says `transaction:false`.
fn dbmate(path: &str, text: &str) -> Migration {
    let up_at = text.find("-- migrate:up").unwrap_or(0);
    let down_at = text.find("-- migrate:down");
    let up_text = &text[up_at..down_at.unwrap_or(text.len()).max(up_at)];
    let first_line = text[..up_at].matches('\n').count() as u32 + 1;
    let mut m = sql_migration(path, System::Dbmate, up_text, first_line);
    let marker = up_text.lines().next().unwrap_or_default();
    m.in_transaction = !marker.replace(' ', "").contains("transaction:false");
    m.down = match down_at {
        None => Down::Missing {
            expected: "a `-- migrate:down` section".into(),
        },
        Some(at) if statements(&text[at..]) == 0 => Down::Empty {
            path: path.to_string(),
        },
        Some(_) => Down::Present,
    };
    m
}

fn framework(path: &str, system: System, read: FrameworkMigration) -> Migration {
    Migration {
        path: path.to_string(),
        system,
        dir: dir_of(path).to_string(),
        version: None,
        up: read.up,
        errors: read.errors,
        in_transaction: read.in_transaction,
        down: match read.reversibility {
            Reversibility::Reversible => Down::Present,
            Reversibility::Irreversible { line, why } => Down::Irreversible { line, why },
        },
        id: read.id,
        depends_on: read.depends_on,
        pending_sql: None,
        multi_statement_tx: false,
    }
}

/// The tables a migration creates: statements on them cannot hurt a live database.
pub fn created_tables(m: &Migration) -> Vec<&str> {
    m.up.iter()
        .filter_map(|l| match &l.op {
            Op::CreateTable { table, .. } => Some(table.as_str()),
            _ => None,
        })
        .collect()
}
