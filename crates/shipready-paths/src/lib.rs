//! How shipready reads repository paths: which language a file is written in
//! (judged from its name alone) and how a glob given to the host services is
//! anchored.
//!
//! The host uses both in `repo.files` and `search.files`; the SDK's test
//! harness uses the same functions so native tests see what the sandbox sees.

/// The lower-case language name for a repository-relative path, if known.
///
/// ```
/// assert_eq!(shipready_paths::language_of("src/app.py"), Some("python"));
/// assert_eq!(shipready_paths::language_of("deploy/Dockerfile.prod"), Some("dockerfile"));
/// assert_eq!(shipready_paths::language_of("LICENSE"), None);
/// ```
pub fn language_of(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.ends_with(".dockerfile")
    {
        return Some("dockerfile");
    }
    match lower.as_str() {
        "makefile" | "gnumakefile" => return Some("make"),
        "jenkinsfile" => return Some("groovy"),
        "gemfile" | "rakefile" => return Some("ruby"),
        _ => {}
    }
    let ext = lower.rsplit_once('.')?.1;
    Some(match ext {
        "rs" => "rust",
        "py" | "pyi" => "python",
        "js" | "mjs" | "cjs" | "jsx" => "javascript",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "tsx",
        "rb" | "rake" | "gemspec" => "ruby",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "php" => "php",
        "cs" => "csharp",
        "ex" | "exs" => "elixir",
        "scala" => "scala",
        "swift" => "swift",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "sql" => "sql",
        "sh" | "bash" | "zsh" => "shell",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "toml" => "toml",
        "md" | "markdown" => "markdown",
        "html" | "htm" => "html",
        "css" | "scss" => "css",
        "tf" | "hcl" => "hcl",
        "groovy" | "gradle" => "groovy",
        "xml" => "xml",
        _ => return None,
    })
}

/// How a glob given to the host services reads: a leading `/` or any inner
/// `/` anchors it at the repository root; a bare name (`*.py`) matches in any
/// directory, like `.gitignore`.
///
/// ```
/// assert_eq!(shipready_paths::glob_from_root("*.py"), "**/*.py");
/// assert_eq!(shipready_paths::glob_from_root("/Jenkinsfile"), "Jenkinsfile");
/// ```
pub fn glob_from_root(glob: &str) -> String {
    if let Some(anchored) = glob.strip_prefix('/') {
        anchored.to_string()
    } else if glob.contains('/') {
        glob.to_string()
    } else {
        format!("**/{glob}")
    }
}
