//! Command-line arguments. The `--help` text is the user's first manual:
//! every option says what it does and its default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use shipready_host::services::http::HttpLimits;

#[derive(Debug, Parser)]
#[command(
    name = "shipready",
    version,
    about = "Is it ready to ship? Checks a repository against a definition of done.",
    long_about = "Is it ready to ship? shipready checks a repository against a definition of done \
(CI and tests, locked dependencies, container hygiene, secrets, migrations, access control, \
observability, ...) and prints every item as pass / fail / warn / not-applicable / not-run / error, \
with evidence and a fix, and a verdict whose exit code gates CI.\n\n\
Every check is a sandboxed WebAssembly component: the built-in ones are embedded in this binary, \
and you can add your own with --plugin.",
    after_help = "Examples:\n  \
shipready check                         check the current directory\n  \
shipready check ../app --format json --output report.json\n  \
shipready check . --only delivery       run one check\n  \
shipready check . --plugin my-check.wasm --deny search\n  \
shipready checks                        list the checks and their rules\n  \
shipready explain delivery/ci-missing   what a rule checks, why, and how to fix it\n\n\
Exit codes: 0 ready, 1 not ready, 2 usage, configuration, plugin or internal error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a repository and print the definition-of-done report.
    Check(CheckArgs),
    /// List the available checks and the rules each one decides.
    Checks(ChecksArgs),
    /// Show a rule's documentation: what it checks, why it matters, an example.
    Explain(ExplainArgs),
    /// Record the current findings so that only new ones count (see `check --baseline`).
    Baseline(BaselineArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table grouped by area, for people.
    Table,
    /// The full report as JSON (schema: reports/report.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// JUnit XML: one test case per definition-of-done item.
    Junit,
    /// Markdown for a pull-request comment or a step summary.
    Markdown,
    /// GitHub Actions annotations.
    Github,
    /// GitLab code quality JSON.
    Gitlab,
    /// A self-contained HTML audit report.
    Html,
}

/// Formats of `shipready checks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Gating a merge: repository items only; with --since, only the change is examined.
    Merge,
    /// Before launch: everything, the live site included.
    Launch,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Merge => "merge",
            Profile::Launch => "launch",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Options shared by every command that loads checks.
#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Configuration file [default: the nearest shipready.toml in the target or a parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Also load this third-party check (a wasm32-wasip2 component). Repeatable.
    #[arg(long = "plugin", value_name = "FILE")]
    pub plugins: Vec<PathBuf>,

    /// Directory for compiled checks [default: $SHIPREADY_CACHE_DIR or the user cache dir].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,

    /// Compile every check afresh and keep nothing on disk.
    #[arg(long)]
    pub no_cache: bool,
}

/// What to check and how: shared by `check` and `baseline`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The repository to check [default: the current directory, unless only --url is given].
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// Which definition-of-done items are required for a "ready" verdict.
    #[arg(long, value_enum, default_value = "launch")]
    pub profile: Profile,

    /// The deployed site's origin (https://app.example.com). Repeatable.
    /// Requests go only to these origins (and, for https, to plain http on
    /// port 80 to see that it redirects).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,

    /// Trust only the certificates in this PEM file for the --url targets
    /// (a private or staging CA) instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Requests one check may send to one --url origin, redirects included.
    #[arg(long, value_name = "N", default_value_t = HttpLimits::default().max_requests_per_origin)]
    pub http_max_requests: u32,

    /// Seconds one request to a --url target may take, from connect to last byte.
    #[arg(long, value_name = "SECONDS", default_value_t = HttpLimits::default().timeout.as_secs_f64())]
    pub http_timeout: f64,

    /// Body bytes kept of one answer from a --url target (the rest is not downloaded): bytes, or with K, M.
    #[arg(long, value_name = "SIZE", default_value = "256K", value_parser = parse_size)]
    pub http_max_body: u64,

    /// Run only these checks (ids, comma-separated or repeated).
    #[arg(long, value_name = "CHECK", value_delimiter = ',')]
    pub only: Vec<String>,

    /// Do not run these checks (ids, comma-separated or repeated).
    #[arg(long, value_name = "CHECK", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Do not read the git history (working tree only: pre-commit speed).
    #[arg(long)]
    pub no_history: bool,

    /// Only what changed since REV counts: files and lines changed since the
    /// merge base, and the commits after REV (for gating a branch:
    /// `--since origin/main`). Findings elsewhere are listed as outside the
    /// diff; with `--profile merge` the checks look only at the changed
    /// files, so the run costs what the diff costs.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Refuse a host service (repo, search, history) to every check, whatever it declares.
    #[arg(long, value_name = "CAPABILITY", value_delimiter = ',')]
    pub deny: Vec<String>,

    /// Deadline for each check, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    pub timeout: f64,

    /// Memory cap for each check, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub memory_limit: usize,

    /// Findings one check may return before it counts as broken.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_findings: usize,

    /// Files larger than this are skipped by every check (and counted): bytes, or with K, M, G.
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Checks run at once [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Print what each check logged, and cache use, to stderr.
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,

    /// Write the report to FILE instead of standard output (the verdict still goes to stderr).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Findings recorded in this baseline (from `shipready baseline`) are listed but do not count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Colour in the table.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// List every finding in the table; by default it shows the first three
    /// of each rule and counts the rest (the other formats always hold all).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Where to write the baseline.
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = ".shipready-baseline.json"
    )]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct ChecksArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: ListFormat,

    #[command(flatten)]
    pub plugins: PluginArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule id, for example delivery/ci-missing.
    pub rule: String,

    #[command(flatten)]
    pub plugins: PluginArgs,
}

/// `1048576`, `512K`, `10M`, `1G` (binary units).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size: use bytes, or a number with K, M or G"))?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}`: use K, M or G")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("1T").is_err());
    }
}
