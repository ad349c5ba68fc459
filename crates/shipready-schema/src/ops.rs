//! Schema operations: what a migration statement does, whatever wrote it.

/// The default a new column gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultKind {
    None,
    /// A constant (or a stable function such as `now()`): Postgres 11+
    /// adds the column without rewriting the table.
    Constant,
    /// A volatile function (`random()`, `gen_random_uuid()`, …): every row
    /// is rewritten under an exclusive lock.
    Volatile(String),
}

/// Functions whose value differs per row: a default using one rewrites the table.
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v4",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "uuid",
    "rand",
];

impl DefaultKind {
    /// The default a column gets from a default expression (SQL, or a
    /// framework's `-> { "gen_random_uuid()" }`, `sa.text(...)`,
    /// `knex.raw(...)`): volatile when it calls a volatile function,
    /// constant otherwise.
    pub fn of_expression(expression: &str) -> DefaultKind {
        let expression = expression.to_ascii_lowercase();
        match VOLATILE
            .iter()
            .find(|f| expression.contains(&format!("{f}(")))
        {
            Some(f) => DefaultKind::Volatile(format!("{f}()")),
            None => DefaultKind::Constant,
        }
    }
}

/// One schema operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateTable {
        table: String,
        columns: Vec<String>,
    },
    DropTable {
        table: String,
    },
    RenameTable {
        from: String,
        to: String,
    },
    AddColumn {
        table: String,
        column: String,
        not_null: bool,
        default: DefaultKind,
    },
    DropColumn {
        table: String,
        column: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    ChangeType {
        table: String,
        column: String,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    CreateIndex {
        table: String,
        unique: bool,
        concurrently: bool,
    },
    AddForeignKey {
        table: String,
        not_valid: bool,
    },
    AddCheck {
        table: String,
        not_valid: bool,
    },
    /// `ADD CONSTRAINT … UNIQUE`; `using_index` when built from an index
    /// created beforehand (`UNIQUE USING INDEX`).
    AddUnique {
        table: String,
        using_index: bool,
    },
    /// `SET lock_timeout` (or a framework's equivalent).
    SetLockTimeout,
    /// An explicit transaction in the migration itself.
    Begin,
    Commit,
    /// Rows written: `INSERT`, `UPDATE`, `DELETE` (a backfill).
    DataChange {
        table: Option<String>,
        kind: &'static str,
    },
    EnableRowLevelSecurity {
        table: String,
    },
    CreatePolicy {
        table: String,
    },
    /// Anything else: parsed, nothing to judge.
    Other,
}

impl Op {
    /// The table a statement locks, when it takes a lock that blocks reads
    /// or writes on an existing table.
    pub fn locked_table(&self) -> Option<&str> {
        match self {
            Op::DropTable { table }
            | Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::ChangeType { table, .. }
            | Op::SetNotNull { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::AddUnique { table, .. }
            | Op::EnableRowLevelSecurity { table } => Some(table),
            Op::RenameTable { from, .. } => Some(from),
            Op::CreateIndex {
                table,
                concurrently: false,
                ..
            } => Some(table),
            _ => None,
        }
    }

    /// Changes the schema (as opposed to data or session settings).
    pub fn is_schema_change(&self) -> bool {
        !matches!(
            self,
            Op::SetLockTimeout | Op::Begin | Op::Commit | Op::DataChange { .. } | Op::Other
        )
    }
}

/// An operation and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// 1-based line in the migration file.
    pub line: u32,
    /// The statement or call, shortened for evidence.
    pub text: String,
    pub op: Op,
}

/// Table names compare without schema qualification, quotes or case.
pub fn normalize(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_ascii_lowercase()
}

/// At most 200 characters of a statement, on one line.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars > MAX {
            let cut = out
                .char_indices()
                .nth(MAX - 1)
                .map_or(out.len(), |(at, _)| at);
            out.truncate(cut);
            out.push('…');
            return out;
        }
    }
    out
}
