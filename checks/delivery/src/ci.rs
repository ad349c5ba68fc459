//! CI configuration present, and running the tests.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// That the repository has a CI configuration: GitHub Actions
    /// (`.github/workflows/*.yml`), GitLab CI (`.gitlab-ci.yml`), CircleCI
    /// (`.circleci/config.yml`), Jenkins (`Jenkinsfile`), Buildkite
    /// (`.buildkite/`), Azure Pipelines (`azure-pipelines.yml`), Bitbucket
    /// Pipelines, Travis, Drone or Woodpecker.
    ///
    /// ## Why it matters
    /// Without CI nothing checks a change before it reaches users: a broken
    /// build or a failing test ships as soon as someone deploys.
    ///
    /// ## Example
    /// A repository with code and no `.github/workflows/`, `.gitlab-ci.yml` or
    /// equivalent. Add, for example, `.github/workflows/ci.yml`:
    /// ```yaml
    /// on: [push, pull_request]
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-latest
    ///     steps:
    ///       - uses: actions/checkout@v4
    ///       - run: npm ci && npm test
    /// ```
    pub static CI_MISSING: Rule = ("delivery/ci-missing", "No CI configuration", Severity::High);
}

shipready_sdk::rule! {
    /// ## What it checks
    /// That at least one CI configuration runs a test command (`cargo test`,
    /// `npm test`, `pytest`, `manage.py test`, `go test`, `rspec`, `mvn verify`, `gradle test`,
    /// `phpunit`, `dotnet test`, `make test`, ...).
    ///
    /// ## Why it matters
    /// CI that only builds or deploys gives a green tick to changes that break
    /// behaviour. The tests have to run on every change to gate it.
    ///
    /// ## Example
    /// ```yaml
    /// steps:
    ///   - run: npm ci && npm run build
    /// ```
    /// Use instead:
    /// ```yaml
    /// steps:
    ///   - run: npm ci && npm run build && npm test
    /// ```
    pub static CI_RUNS_NO_TESTS: Rule =
        ("delivery/ci-runs-no-tests", "CI does not run the tests", Severity::High);
}

/// Where each CI system keeps its configuration (globs from the root).
const CI_GLOBS: &[&str] = &[
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "/.gitlab-ci.yml",
    ".circleci/config.yml",
    "/Jenkinsfile",
    ".buildkite/*.yml",
    ".buildkite/*.yaml",
    "/azure-pipelines.yml",
    ".azure-pipelines/*.yml",
    "/bitbucket-pipelines.yml",
    "/.travis.yml",
    "/.drone.yml",
    "/.woodpecker.yml",
    ".woodpecker/*.yml",
];

/// A command that runs a test suite, as CI scripts spell it.
const TEST_COMMAND: &str = r"(?i)(\bcargo\s+(\+\S+\s+)?(test|nextest)\b|\b(npm|yarn|pnpm|bun)\s+(run\s+)?test\b|\b(npx\s+)?(jest|vitest|mocha|playwright\s+test|cypress\s+run)\b|\bpytest\b|\bpython[0-9.]*\s+-m\s+(pytest|unittest)\b|\bmanage\.py\s+test\b|\b(tox|nox)\b|\bgo\s+test\b|\bgotestsum\b|\brspec\b|\brake\s+(test|spec)\b|\brails\s+test\b|\bmvnw?\s+.*\b(test|verify|install)\b|\bgradlew?\s+.*\b(test|check|build)\b|\bphpunit\b|\bpest\b|\bdotnet\s+test\b|\bmix\s+test\b|\bmake\s+(test|check)\b|\bctest\b|\bswift\s+test\b|\bdeno\s+test\b|[\w/.-]*\btests?\.sh\b)";

pub fn check(cx: &mut Cx<'_>, _files: &[ListedFile]) -> Result<()> {
    let configs = cx.files(CI_GLOBS)?;
    let Some(first) = configs.first() else {
        cx.report(
            Finding::new(&CI_MISSING, "No CI configuration found")
                .evidence(
                    "looked for GitHub Actions, GitLab CI, CircleCI, Jenkins, Buildkite, Azure Pipelines, \
                     Bitbucket Pipelines, Travis, Drone and Woodpecker configuration",
                )
                .remediation(
                    "Add a CI pipeline that builds and tests every push and pull request, \
                     for example .github/workflows/ci.yml.",
                ),
        );
        cx.not_applicable(&CI_RUNS_NO_TESTS, "no CI configuration");
        return Ok(());
    };
    let paths: Vec<&str> = configs.iter().map(|f| f.path.as_str()).collect();
    let hits = cx.search(&[Pattern::new(0, TEST_COMMAND)], &paths)?;
    if hits.hits.is_empty() {
        cx.report(
            Finding::new(
                &CI_RUNS_NO_TESTS,
                "CI is configured but no step runs a test command",
            )
            .at_file(&first.path)
            .evidence(format!("CI files: {}", paths.join(", ")))
            .remediation(
                "Add a step that runs the test suite (for example `npm test`, `pytest`, \
                     `cargo test`) and fails the pipeline when a test fails.",
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Delivery;
    use shipready_sdk::testing::FakeRepo;

    fn rules(repo: FakeRepo) -> Vec<String> {
        let outcome = repo.run::<Delivery>().unwrap();
        outcome
            .findings
            .into_iter()
            .map(|f| f.rule)
            .filter(|r| r.starts_with("delivery/ci"))
            .collect()
    }

    #[test]
    fn workflow_running_tests_passes() {
        let repo = FakeRepo::new().file(
            ".github/workflows/ci.yml",
            "jobs:\n  t:\n    steps:\n      - run: cargo test --all\n",
        );
        assert!(rules(repo).is_empty());
    }

    #[test]
    fn gitlab_pipeline_that_only_deploys_fails() {
        let repo =
            FakeRepo::new().file(".gitlab-ci.yml", "deploy:\n  script:\n    - ./deploy.sh\n");
        assert_eq!(rules(repo), ["delivery/ci-runs-no-tests"]);
    }

    #[test]
    fn test_commands_of_many_ecosystems_are_recognised() {
        for cmd in [
            "npm test",
            "yarn run test",
            "python -m pytest -q",
            "coverage run --omit=*/tests/* --source=hc manage.py test",
            "go test ./...",
            "bundle exec rspec",
            "./mvnw -B verify",
            "./gradlew check",
            "vendor/bin/phpunit",
            "dotnet test",
            "make test",
            "scripts/run-tests.sh",
            "cargo nextest run",
        ] {
            let repo = FakeRepo::new().file("Jenkinsfile", format!("sh '{cmd}'\n"));
            assert!(rules(repo).is_empty(), "{cmd} not recognised");
        }
    }

    #[test]
    fn a_nested_jenkinsfile_is_not_ci_for_the_repository() {
        let repo = FakeRepo::new().file("vendor/lib/Jenkinsfile", "sh 'make test'\n");
        assert_eq!(rules(repo), ["delivery/ci-missing"]);
    }
}
