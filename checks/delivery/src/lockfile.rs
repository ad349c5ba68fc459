//! A lockfile committed for every package manifest.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// That every package manifest with dependencies has its lockfile in the
    /// repository, in the manifest's directory or a parent (workspaces):
    ///
    /// | manifest | lockfile |
    /// |---|---|
    /// | `Cargo.toml` | `Cargo.lock` |
    /// | `package.json` | `package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`, `pnpm-lock.yaml`, `bun.lock(b)` |
    /// | `pyproject.toml` | `poetry.lock`, `uv.lock`, `pdm.lock`, `pylock.toml`, `Pipfile.lock` |
    /// | `Pipfile` | `Pipfile.lock` |
    /// | `requirements*.txt` | every requirement pinned with `==` (not `requirements-dev.txt`, `-test`, `-lint`, `-docs`: not shipped) |
    /// | `Gemfile` | `Gemfile.lock` |
    /// | `go.mod` | `go.sum` |
    /// | `composer.json` | `composer.lock` |
    /// | `build.gradle(.kts)` | `gradle.lockfile` |
    /// | `pom.xml` | no version ranges, `LATEST` or `RELEASE` |
    ///
    /// ## Why it matters
    /// Without a lockfile each build resolves dependencies anew: production
    /// runs code nobody tested, a compromised release gets pulled in, and a
    /// rollback does not restore the previous build.
    ///
    /// ## Example
    /// `package.json` with dependencies and no lockfile. Run `npm install`
    /// and commit `package-lock.json`; install in CI with `npm ci`.
    pub static LOCKFILE_MISSING: Rule =
        ("delivery/lockfile-missing", "Dependencies are not locked", Severity::Medium);
}

const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "Pipfile",
    "requirements*.txt",
    "Gemfile",
    "go.mod",
    "composer.json",
    "build.gradle",
    "build.gradle.kts",
    "pom.xml",
];

const NPM_LOCKS: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
];
const PYTHON_LOCKS: &[&str] = &[
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "pylock.toml",
    "Pipfile.lock",
];

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile]) -> Result<()> {
    let manifests = cx.files(MANIFESTS)?;
    if manifests.is_empty() {
        cx.not_applicable(&LOCKFILE_MISSING, "no package manifest found");
        return Ok(());
    }
    for manifest in manifests.iter().filter(|m| m.kind == FileKind::Text) {
        let text = cx.read_text(&manifest.path)?;
        if let Some((message, fix)) = problem(manifest, &text, files) {
            cx.report(
                Finding::new(&LOCKFILE_MISSING, message)
                    .at_file(&manifest.path)
                    .remediation(fix),
            );
        }
    }
    Ok(())
}

/// Whether a file named one of `names` sits in `dir` or one of its parents.
fn lock_near(files: &[ListedFile], dir: &str, names: &[&str]) -> bool {
    let mut dir = dir.to_string();
    loop {
        if files
            .iter()
            .any(|f| f.dir() == dir && names.contains(&f.name()))
        {
            return true;
        }
        match dir.rsplit_once('/') {
            Some((parent, _)) => dir = parent.to_string(),
            None if !dir.is_empty() => dir.clear(),
            None => return false,
        }
    }
}

fn json_has_entries(text: &str, keys: &[&str]) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return true;
    };
    keys.iter().any(|k| {
        value
            .get(k)
            .and_then(|d| d.as_object())
            .is_some_and(|d| !d.is_empty())
    })
}

/// What is wrong with one manifest, and the fix; `None` when it is locked.
fn problem(manifest: &FileInfo, text: &str, files: &[ListedFile]) -> Option<(String, String)> {
    let dir = manifest.dir();
    let name = manifest.name();
    let missing =
        |lock: &str, fix: &str| Some((format!("{} has no {lock}", manifest.path), fix.to_string()));
    match name {
        "Cargo.toml" if text.contains("[package]") && !lock_near(files, dir, &["Cargo.lock"]) => {
            missing(
                "Cargo.lock",
                "Run `cargo generate-lockfile` and commit Cargo.lock; build with `--locked`.",
            )
        }
        "package.json"
            if json_has_entries(
                text,
                &["dependencies", "devDependencies", "optionalDependencies"],
            ) && !lock_near(files, dir, NPM_LOCKS) =>
        {
            missing(
                "lockfile (package-lock.json, yarn.lock, pnpm-lock.yaml or bun.lock)",
                "Run your package manager's install, commit its lockfile, and install with `npm ci` \
                 (or `yarn --frozen-lockfile`, `pnpm install --frozen-lockfile`) in CI.",
            )
        }
        "pyproject.toml"
            if (text.contains("[tool.poetry.dependencies]") || has_pep621_dependencies(text))
                && !lock_near(files, dir, PYTHON_LOCKS)
                && !files
                    .iter()
                    .any(|f| f.dir() == dir && f.name().starts_with("requirements")) =>
        {
            missing(
                "lockfile (poetry.lock, uv.lock, pdm.lock or pylock.toml)",
                "Lock dependencies (`uv lock`, `poetry lock` or `pdm lock`) and commit the lockfile.",
            )
        }
        "Pipfile" if !lock_near(files, dir, &["Pipfile.lock"]) => missing(
            "Pipfile.lock",
            "Run `pipenv lock` and commit Pipfile.lock; deploy with `pipenv sync`.",
        ),
        "Gemfile" if !lock_near(files, dir, &["Gemfile.lock"]) => {
            missing("Gemfile.lock", "Run `bundle lock` and commit Gemfile.lock.")
        }
        "go.mod" if text.contains("require") && !lock_near(files, dir, &["go.sum"]) => {
            missing("go.sum", "Run `go mod tidy` and commit go.sum.")
        }
        "composer.json"
            if json_has_entries(text, &["require", "require-dev"])
                && !lock_near(files, dir, &["composer.lock"]) =>
        {
            missing(
                "composer.lock",
                "Run `composer update --lock` and commit composer.lock; deploy with `composer install`.",
            )
        }
        "build.gradle" | "build.gradle.kts"
            if text.contains("dependencies")
                && !lock_near(files, dir, &["gradle.lockfile"])
                && !files
                    .iter()
                    .any(|f| f.path.contains("gradle/dependency-locks/")) =>
        {
            missing(
                "gradle.lockfile",
                "Enable `dependencyLocking { lockAllConfigurations() }`, run `gradle dependencies --write-locks` \
                 and commit gradle.lockfile.",
            )
        }
        "pom.xml" => {
            let floating: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| {
                    l.starts_with("<version>")
                        && (l.contains("<version>[")
                            || l.contains("<version>(")
                            || l.contains(">LATEST<")
                            || l.contains(">RELEASE<"))
                })
                .collect();
            (!floating.is_empty()).then(|| {
                (
                    format!(
                        "{} uses floating dependency versions: {}",
                        manifest.path,
                        floating.join(" ")
                    ),
                    "Pin every dependency to an exact version.".to_string(),
                )
            })
        }
        _ if name.starts_with("requirements") && name.ends_with(".txt") => {
            // Development and test requirements are not shipped.
            let stem = name.trim_end_matches(".txt");
            let not_shipped = ["dev", "test", "lint", "docs", "typing", "ci"]
                .iter()
                .any(|w| stem.split(['-', '_', '.']).any(|part| part == *w));
            if not_shipped || lock_near(files, dir, PYTHON_LOCKS) {
                return None;
            }
            let unpinned: Vec<&str> = text
                .lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| {
                    !l.is_empty() && !l.starts_with('-') && !l.contains("==") && !l.contains(" @ ")
                })
                .collect();
            (!unpinned.is_empty()).then(|| {
                let shown: Vec<&str> = unpinned.iter().take(5).copied().collect();
                (format!("{} has {} unpinned requirement(s): {}", manifest.path, unpinned.len(), shown.join(", ")),
                 "Pin every requirement with `==` (for example with `pip-compile` or `uv pip compile`), \
                  or lock with uv or poetry.".to_string())
            })
        }
        _ => None,
    }
}

fn has_pep621_dependencies(text: &str) -> bool {
    let Some(start) = text
        .find("\ndependencies")
        .or_else(|| text.starts_with("dependencies").then_some(0))
    else {
        return false;
    };
    let rest = &text[start..];
    let Some(open) = rest.find('[') else {
        return false;
    };
    let body = &rest[open + 1..];
    body.trim_start().chars().next().is_some_and(|c| c != ']')
}

#[cfg(test)]
mod tests {
    use crate::Delivery;
    use shipready_sdk::testing::FakeRepo;

    fn lock_findings(repo: FakeRepo) -> Vec<String> {
        let outcome = repo.run::<Delivery>().unwrap();
        outcome
            .findings
            .into_iter()
            .filter(|f| f.rule == "delivery/lockfile-missing")
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn package_json_with_dependencies_needs_a_lockfile() {
        let repo = FakeRepo::new().file("web/package.json", r#"{"dependencies":{"react":"^18"}}"#);
        assert_eq!(lock_findings(repo).len(), 1);
        let repo = FakeRepo::new()
            .file("web/package.json", r#"{"dependencies":{"react":"^18"}}"#)
            .file("pnpm-lock.yaml", "lockfileVersion: 9\n");
        assert!(lock_findings(repo).is_empty(), "workspace root lock counts");
        let repo = FakeRepo::new().file("package.json", r#"{"name":"x","scripts":{}}"#);
        assert!(
            lock_findings(repo).is_empty(),
            "no dependencies, nothing to lock"
        );
    }

    #[test]
    fn cargo_workspace_member_uses_the_root_lock() {
        let repo = FakeRepo::new()
            .file("Cargo.toml", "[workspace]\nmembers=[\"a\"]\n")
            .file("a/Cargo.toml", "[package]\nname=\"a\"\n")
            .file("Cargo.lock", "");
        assert!(lock_findings(repo).is_empty());
        let repo = FakeRepo::new().file("a/Cargo.toml", "[package]\nname=\"a\"\n");
        assert_eq!(lock_findings(repo), ["a/Cargo.toml has no Cargo.lock"]);
    }

    #[test]
    fn requirements_must_be_pinned() {
        let repo = FakeRepo::new().file(
            "requirements.txt",
            "flask==3.0.0\nrequests>=2\n# comment\n-r base.txt\n",
        );
        assert_eq!(
            lock_findings(repo),
            ["requirements.txt has 1 unpinned requirement(s): requests>=2"]
        );
        let dev = FakeRepo::new()
            .file("requirements-dev.txt", "mypy\ntypes-requests\n")
            .file("requirements/test.txt", "pytest\n");
        assert_eq!(lock_findings(dev), Vec::<String>::new());
    }

    #[test]
    fn pyproject_poetry_gemfile_go_and_composer() {
        let pyproject = "[project]\nname='x'\ndependencies = [\n  'fastapi',\n]\n";
        assert_eq!(
            lock_findings(FakeRepo::new().file("pyproject.toml", pyproject)).len(),
            1
        );
        assert!(
            lock_findings(
                FakeRepo::new()
                    .file("pyproject.toml", pyproject)
                    .file("uv.lock", "")
            )
            .is_empty()
        );
        assert!(
            lock_findings(
                FakeRepo::new().file("pyproject.toml", "[project]\nname='x'\ndependencies = []\n")
            )
            .is_empty()
        );
        assert_eq!(
            lock_findings(FakeRepo::new().file("Gemfile", "gem 'rails'\n")).len(),
            1
        );
        assert_eq!(
            lock_findings(FakeRepo::new().file("go.mod", "module x\nrequire y v1\n")).len(),
            1
        );
        assert!(
            lock_findings(
                FakeRepo::new()
                    .file("go.mod", "module x\nrequire y v1\n")
                    .file("go.sum", "")
            )
            .is_empty()
        );
        assert_eq!(
            lock_findings(FakeRepo::new().file("composer.json", r#"{"require":{"a/b":"^1"}}"#))
                .len(),
            1
        );
    }

    #[test]
    fn maven_floating_versions() {
        let pom = "<dependency>\n  <version>[1.0,2.0)</version>\n</dependency>\n";
        assert_eq!(lock_findings(FakeRepo::new().file("pom.xml", pom)).len(), 1);
        let pom = "<dependency>\n  <version>1.2.3</version>\n</dependency>\n";
        assert!(lock_findings(FakeRepo::new().file("pom.xml", pom)).is_empty());
    }
}
