//! How shipready reads repository paths: which language a file is written in
//! (judged from its name alone), where it stands (production code, or test
//! code, docs and examples, by convention), and how a glob given to the host
//! services is anchored.
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

/// What a path is when it is not production code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotProduction {
    /// Tests, specs, end-to-end suites, fixtures, recorded HTTP cassettes, mocks.
    Test,
    /// Documentation: Markdown, reStructuredText, AsciiDoc, `docs/`.
    Docs,
    /// Examples, samples, demos and seeds.
    Example,
    /// Local development set-ups: dev containers, `Dockerfile.dev`,
    /// `docker-compose.local.yml`, `.env.development`.
    Development,
}

impl NotProduction {
    pub fn describe(self) -> &'static str {
        match self {
            NotProduction::Test => "test code",
            NotProduction::Docs => "documentation",
            NotProduction::Example => "an example",
            NotProduction::Development => "a local development set-up",
        }
    }
}

/// Where a repository-relative path stands, by the conventions of the
/// ecosystems shipready reads; `None`: production code (or unknown).
///
/// ```
/// use shipready_paths::{NotProduction, not_production};
/// assert_eq!(not_production("saleor/account/tests/test_views.py"), Some(NotProduction::Test));
/// assert_eq!(not_production("src/users.service.spec.ts"), Some(NotProduction::Test));
/// assert_eq!(not_production("docs/setup.md"), Some(NotProduction::Docs));
/// assert_eq!(not_production("examples/basic/app.py"), Some(NotProduction::Example));
/// assert_eq!(not_production("src/main/java/OwnerControllerTest.java"), Some(NotProduction::Test));
/// assert_eq!(not_production(".devcontainer/Dockerfile"), Some(NotProduction::Development));
/// assert_eq!(not_production("apps/api/Dockerfile.dev"), Some(NotProduction::Development));
/// assert_eq!(not_production("server/.env.testing"), Some(NotProduction::Test));
/// assert_eq!(not_production("src/main/java/com/example/tracker/Api.java"), None);
/// assert_eq!(not_production("src/main/java/org/springframework/samples/petclinic/Owner.java"), None);
/// assert_eq!(not_production("Dockerfile"), None);
/// assert_eq!(not_production("src/contest.py"), None);
/// ```
pub fn not_production(path: &str) -> Option<NotProduction> {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    const TEST_DIRS: &[&str] = &[
        "test",
        "tests",
        "__tests__",
        "spec",
        "specs",
        "e2e",
        "e2e-tests",
        "testing",
        "fixtures",
        "__fixtures__",
        "testdata",
        "test-data",
        "test_data",
        "cassettes",
        "__mocks__",
        "mocks",
        "integration-tests",
        "playwright",
        "cypress",
    ];
    const EXAMPLE_DIRS: &[&str] = &[
        "examples", "example", "samples", "sample", "demo", "demos", "seeds",
    ];
    const DOC_DIRS: &[&str] = &["docs", "doc", "documentation"];
    let stem = name.split('.').next().unwrap_or(name);
    let test_name = stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        // Java and C#: `UserServiceTest.java`, `OrderTests.cs`.
        || path.rsplit('/').next().is_some_and(|n| n.contains("Test.") || n.contains("Tests."))
        || name == "conftest.py"
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains(".e2e.")
        || name.contains(".cy.");
    // `.env.test`, `.env.testing`, `Dockerfile.test`, `Dockerfile.playwright`.
    let suffix = name.rsplit('.').next().unwrap_or_default();
    let test_suffix = name != suffix
        && matches!(
            suffix,
            "test" | "testing" | "e2e" | "ci" | "playwright" | "cypress"
        );
    if test_name || test_suffix || parts.iter().any(|p| TEST_DIRS.contains(p)) {
        return Some(NotProduction::Test);
    }
    const DEV_DIRS: &[&str] = &[".devcontainer", "devcontainer", ".vscode", ".idea"];
    // Not `.env.local`: by convention it holds a developer's real keys.
    let dev_name = name != suffix
        && (matches!(suffix, "dev" | "development")
            || suffix == "local" && !name.starts_with(".env"))
        || [
            "docker-compose-local.",
            "docker-compose.local.",
            "docker-compose.dev.",
            "docker-compose-dev.",
            "compose.dev.",
            "compose.local.",
        ]
        .iter()
        .any(|p| name.starts_with(p))
        || name.ends_with(".dev.dockerfile")
        || name.starts_with("dev.dockerfile");
    if dev_name || parts.iter().any(|p| DEV_DIRS.contains(p)) || parts.first() == Some(&"dev") {
        return Some(NotProduction::Development);
    }
    if [".md", ".mdx", ".rst", ".adoc"]
        .iter()
        .any(|e| name.ends_with(e))
        || parts.iter().any(|p| DOC_DIRS.contains(p))
    {
        return Some(NotProduction::Docs);
    }
    // Below a JVM source root the directories are a package name
    // (`com/example/app`, `org/springframework/samples/petclinic`), not
    // an examples folder.
    let package_root = parts
        .iter()
        .position(|p| matches!(*p, "java" | "kotlin" | "scala" | "groovy"))
        .map_or(parts.len(), |i| i + 1);
    if parts[..package_root]
        .iter()
        .any(|p| EXAMPLE_DIRS.contains(p))
    {
        return Some(NotProduction::Example);
    }
    None
}
