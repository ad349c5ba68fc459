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

use shipready_schema::frameworks::{self, FieldDef, FrameworkMigration, Reversibility};
use shipready_schema::sql::{self, Dialect, ParseError, ParseSql, ParsedFile};
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
    /// The column types it defines (Django), for [`crate::fields`].
    pub fields: Vec<FieldDef>,
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
    /// Files read and parsed without their text, in order.
    fn parse_files(&self, paths: &[&str], dialect: Dialect) -> Vec<Result<ParsedFile, String>>;
    /// How many statements each file holds, in order.
    fn count_statements(&self, paths: &[&str]) -> Vec<Result<u32, String>>;
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

/// The path is a migration (its up part) of a system this check reads.
pub fn is_migration_path(path: &str) -> bool {
    match classify(path) {
        // Without its text, only a numbered file is surely a migration.
        Some(System::Django) => leading_digits(name_of(path)).is_some(),
        system => system.is_some(),
    }
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
    if name.ends_with(".py") && parent == "migrations" && name != "__init__.py" {
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
    let mut sql_files = Vec::new();
    for file in files {
        let Some(system) = classify(&file.path) else {
            continue;
        };
        if system.is_sql() {
            if in_scope(&file.path) {
                sql_files.push((file.path.as_str(), system));
            } else {
                out.push(unread_sql(&file.path, system));
            }
            continue;
        }
        // Framework files are read whatever the scope: their graph
        // (Alembic, Django) decides whether a change adds a second head.
        match source.text(&file.path) {
            Ok(text) => out.extend(read_framework(&file.path, system, &text, &repo, dialect)),
            Err(why) => unread.push(Unread {
                path: file.path.clone(),
                why,
            }),
        }
    }
    read_sql(&sql_files, &repo, dialect, &mut out, &mut unread);
    out.sort_by(|a, b| {
        (&a.dir, version_key(&a.version), &a.path).cmp(&(&b.dir, version_key(&b.version), &b.path))
    });
    (out, unread)
}

/// SQL migrations and their down files, read and parsed by the host in one
/// call (natively, across cores); dbmate files, whose sections need their
/// text, are read here and parsed in a second call.
fn read_sql(
    sql_files: &[(&str, System)],
    repo: &Repo<'_>,
    dialect: Dialect,
    out: &mut Vec<Migration>,
    unread: &mut Vec<Unread>,
) {
    let downs: Vec<Option<String>> = sql_files
        .iter()
        .map(|(path, system)| down_path(path, *system))
        .collect();
    let ups: Vec<&str> = sql_files.iter().map(|(p, _)| *p).collect();
    let parsed = repo.source.parse_files(&ups, dialect);
    // Down files are never judged: their statement count is all they need.
    let listed_downs: Vec<&str> = downs
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|d| repo.listed.contains(d))
        .collect();
    let counts = repo.source.count_statements(&listed_downs);
    let mut down_counts: std::collections::HashMap<&str, Result<u32, String>> =
        listed_downs.into_iter().zip(counts).collect();
    let mut dbmate_files = Vec::new();
    for (((path, system), up), down) in sql_files.iter().zip(parsed).zip(&downs) {
        let file = match up {
            Ok(file) => file,
            Err(why) => {
                unread.push(Unread {
                    path: path.to_string(),
                    why,
                });
                continue;
            }
        };
        if matches!(system, System::PlainSql | System::Dbmate) && is_dbmate(&file.header) {
            match repo.source.text(path) {
                Ok(text) => dbmate_files.push(dbmate(path, &text)),
                Err(why) => unread.push(Unread {
                    path: path.to_string(),
                    why,
                }),
            }
            continue;
        }
        let down = down
            .as_deref()
            .map(|d| down_of(d.to_string(), down_counts.remove(d)));
        out.push(sql_migration(path, *system, file, down, repo));
    }
    let sections: Vec<(&str, u32)> = dbmate_files
        .iter()
        .map(|(_, up, line)| (up.as_str(), *line))
        .collect();
    let parsed = repo.source.parse_sql(&sections, dialect);
    for ((mut m, _, _), p) in dbmate_files.into_iter().zip(parsed) {
        m.up = p.ops;
        m.errors = p.errors;
        out.push(m);
    }
}

/// Versions compare as numbers where they are numbers (`9` before `10`).
fn version_key(v: &Option<String>) -> (usize, &str) {
    match v {
        Some(v) => (v.len(), v.as_str()),
        None => (usize::MAX, ""),
    }
}

/// dbmate: `-- migrate:up` among the comments the file starts with.
fn is_dbmate(header: &[String]) -> bool {
    header.iter().any(|l| l.starts_with("-- migrate:up"))
}

/// sqlx: a first line `-- no-transaction` runs the migration outside a transaction.
fn no_transaction(header: &[String]) -> bool {
    header
        .first()
        .is_some_and(|l| l.starts_with("-- no-transaction"))
}

/// A migration known by its path, nothing read yet.
fn migration(path: &str, system: System) -> Migration {
    let (dir, version) = placement(path, system);
    Migration {
        path: path.to_string(),
        system,
        dir,
        version,
        in_transaction: false,
        up: Vec::new(),
        errors: Vec::new(),
        down: Down::NotUsed,
        id: None,
        depends_on: Vec::new(),
        fields: Vec::new(),
    }
}

/// How many statements a SQL text holds.
fn statements(text: &str) -> usize {
    sql::split(text, 1).len()
}

/// A SQL migration from its parsed file; `down`, how the system undoes it.
fn sql_migration(
    path: &str,
    system: System,
    file: ParsedFile,
    down: Option<Down>,
    repo: &Repo<'_>,
) -> Migration {
    let mut m = migration(path, system);
    let no_tx = no_transaction(&file.header);
    // Run as one script: a transaction once it holds two statements or
    // more (Postgres wraps a multi-statement query in an implicit one).
    let mut multi_statement_tx = false;
    match system {
        System::UpDownSql | System::PlainSql | System::Dbmate => {
            m.in_transaction = !no_tx && repo.is_sqlx(path);
            multi_statement_tx = !no_tx;
        }
        System::Diesel => {
            let metadata = repo
                .source
                .text(&format!("{}/metadata.toml", dir_of(path)))
                .unwrap_or_default();
            m.in_transaction = !metadata
                .replace(' ', "")
                .contains("run_in_transaction=false");
        }
        // Prisma runs a migration as one script.
        System::Prisma => multi_statement_tx = true,
        // Flyway runs a script with non-transactional statements
        // (CONCURRENTLY) outside a transaction by itself.
        _ => {}
    }
    m.in_transaction |= multi_statement_tx && file.parsed.statements > 1;
    m.up = file.parsed.ops;
    m.errors = file.parsed.errors;
    if let Some(down) = down {
        m.down = down;
    }
    m
}

/// Where a system keeps a migration's down file.
fn down_path(path: &str, system: System) -> Option<String> {
    match system {
        System::UpDownSql => Some(format!("{}.down.sql", path.trim_end_matches(".up.sql"))),
        System::Diesel => Some(format!("{}/down.sql", dir_of(path))),
        _ => None,
    }
}

/// A framework migration (Rails, Django, Alembic, Knex, Sequelize, TypeORM)
/// read from its text; `None` when the file turns out not to be one.
fn read_framework(
    path: &str,
    system: System,
    text: &str,
    repo: &Repo<'_>,
    dialect: Dialect,
) -> Option<Migration> {
    let embedded = EmbeddedSql {
        source: repo.source,
        dialect,
    };
    let (system, read) = match system {
        System::Rails => (system, frameworks::rails(text, &embedded)),
        // Named migrations (`fix_empty_data_in_lines.py`) are migrations
        // too; helper modules beside them are not.
        System::Django
            if leading_digits(name_of(path)).is_some() || text.contains("class Migration") =>
        {
            (system, frameworks::django(text, &embedded))
        }
        System::Alembic if text.contains("revision") => {
            (system, frameworks::alembic(text, &embedded))
        }
        System::Knex if text.contains("MigrationInterface") => {
            (System::TypeOrm, frameworks::typeorm(text, &embedded))
        }
        System::Knex if text.contains("queryInterface") => {
            (System::Sequelize, frameworks::sequelize(text, &embedded))
        }
        System::Knex
            if text.contains("knex")
                || text.contains("exports.up")
                || text.contains("function up") =>
        {
            (System::Knex, frameworks::knex(text, &embedded))
        }
        _ => return None,
    };
    let mut m = framework(path, system, read);
    if system == System::Django {
        let app = name_of(dir_of(dir_of(path)));
        m.id = Some(format!("{app}/{}", name_of(path).trim_end_matches(".py")));
    }
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
    migration(path, system)
}

/// How a migration is undone, from its down file's statement count
/// (`None`: not in the repository).
fn down_of(expected: String, statements: Option<Result<u32, String>>) -> Down {
    match statements {
        None => Down::Missing { expected },
        Some(Ok(0)) => Down::Empty { path: expected },
        Some(_) => Down::Present,
    }
}

/// dbmate: one file, `-- migrate:up` then `-- migrate:down`; each runs in a
/// transaction unless its marker line says `transaction:false`. The up
/// section's text and first line come back for parsing.
fn dbmate(path: &str, text: &str) -> (Migration, String, u32) {
    let up_at = text.find("-- migrate:up").unwrap_or(0);
    let down_at = text.find("-- migrate:down");
    let up_text = &text[up_at..down_at.unwrap_or(text.len()).max(up_at)];
    let first_line = text[..up_at].matches('\n').count() as u32 + 1;
    let mut m = migration(path, System::Dbmate);
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
    (m, up_text.to_string(), first_line)
}

fn framework(path: &str, system: System, read: FrameworkMigration) -> Migration {
    Migration {
        up: read.up,
        errors: read.errors,
        in_transaction: read.in_transaction,
        down: match read.reversibility {
            Reversibility::Reversible => Down::Present,
            Reversibility::Irreversible { line, why } => Down::Irreversible { line, why },
        },
        id: read.id,
        depends_on: read.depends_on,
        fields: read.fields,
        ..migration(path, system)
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
