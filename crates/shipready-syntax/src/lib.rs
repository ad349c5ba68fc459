//! Source code parsed with tree-sitter and queried natively.
//!
//! A check asks for what it wants in tree-sitter's query language ("every
//! string literal", "every call whose callee is `X.objects.filter`"); this
//! crate compiles each query once per language, parses a file with the
//! grammar its name implies, runs the queries for that language and returns
//! the captures with their spans and text. A file with syntax errors still
//! answers: tree-sitter recovers, so the captures of the parts that parsed
//! are kept, and the errors are counted with the first one's place.
//!
//! The host's `syntax` service runs this across cores over repository
//! files; the SDK's test double runs it on in-memory files, so native tests
//! of a check see exactly what the sandbox sees.
//!
//! Without the `parser` feature, only the types: what the SDK needs inside
//! a check's sandbox.

#[cfg(feature = "parser")]
mod parser;
#[cfg(feature = "parser")]
pub use parser::{Failure, Limits, MAX_SOURCE_BYTES, Plan, Queries, Session};

/// A language the host parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Ruby,
    Go,
    Java,
}

impl Language {
    pub const ALL: [Language; 7] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Ruby,
        Language::Go,
        Language::Java,
    ];

    /// The name [`shipready_paths::language_of`] gives files of this
    /// language.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Ruby => "ruby",
            Language::Go => "go",
            Language::Java => "java",
        }
    }

    pub fn from_name(name: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The language a repository path is parsed as (JSX goes with
    /// JavaScript, whose grammar includes it).
    pub fn of_path(path: &str) -> Option<Language> {
        shipready_paths::language_of(path).and_then(Language::from_name)
    }
}

/// A query as a check writes it: tree-sitter's S-expression patterns with
/// `@captures` and the predicates `#eq?`, `#match?`, `#any-of?` (and their
/// `not-` forms), for one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySpec {
    pub language: Language,
    pub source: String,
}

/// 1-based lines and columns (columns count bytes); the end is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Without the `@`.
    pub name: String,
    /// The node's kind in the grammar (`string`, `call_expression`).
    pub kind: String,
    pub span: Span,
    pub start_byte: u32,
    pub end_byte: u32,
    /// The node's source text, at most [`Limits::max_capture_bytes`].
    pub text: String,
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The query's place in the list given to [`Queries::compile`].
    pub query: u32,
    /// The pattern's place within that query.
    pub pattern: u32,
    pub captures: Vec<Capture>,
}

/// One file parsed and queried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSyntax {
    pub language: Language,
    /// Syntax errors (error and missing nodes): where they are, the tree
    /// is partial, and the rest is still queried.
    pub errors: u32,
    pub first_error: Option<Span>,
    /// In source order within each query.
    pub matches: Vec<Match>,
    /// More matches than [`Limits::max_matches_per_file`]: the rest dropped.
    pub truncated: bool,
}

/// Why a file matched by a check's globs was not parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not a language the host parses.
    UnknownLanguage,
    /// Over 2 MiB (bundles and generated code), or over the repository's
    /// file size limit.
    TooLarge,
    Binary,
    NotUtf8,
    /// Parsing and querying it took longer than the deadline.
    TimedOut,
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: String,
    pub reason: SkipReason,
    /// The file's language by its name (`php`, `rust`), when known.
    pub language: Option<String>,
}

/// A file parsed and queried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFile {
    pub path: String,
    pub syntax: FileSyntax,
}

/// The answer to one query over repository files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Sorted by path.
    pub files: Vec<ParsedFile>,
    pub skipped: Vec<SkippedFile>,
    /// The host's cap on matches was reached: later files keep none.
    pub truncated: bool,
}
