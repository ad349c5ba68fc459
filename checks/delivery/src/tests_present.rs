//! Tests present.

use shipready_sdk::prelude::*;

use crate::is_code;

shipready_sdk::rule! {
    /// ## What it checks
    /// That a repository with code also has tests: files under `tests/`,
    /// `test/`, `spec/` or `__tests__/`, files named like tests
    /// (`*_test.go`, `test_*.py`, `*.test.ts`, `*.spec.js`, `*_spec.rb`,
    /// `*Test.java`, ...), or Rust `#[test]` functions.
    ///
    /// ## Why it matters
    /// Without tests every change is verified by hand, or by users in
    /// production. CI has nothing to gate on.
    ///
    /// ## Example
    /// A `src/` directory with application code and no test anywhere. Add a
    /// first test for the most important path (sign-up, checkout, the main API).
    pub static TESTS_MISSING: Rule = ("delivery/tests-missing", "No tests", Severity::High);
}

const TEST_FILE_GLOBS: &[&str] = &[
    "**/tests/**",
    "**/test/**",
    "**/spec/**",
    "**/__tests__/**",
    "*_test.go",
    "test_*.py",
    "*_test.py",
    "*.test.*",
    "*.spec.*",
    "*_spec.rb",
    "*_test.rb",
    "*Test.java",
    "*Tests.java",
    "*Test.kt",
    "*Test.php",
    "*_test.exs",
    "*Tests.cs",
];

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile]) -> Result<()> {
    if !files.iter().any(is_code) {
        cx.not_applicable(&TESTS_MISSING, "no source code found");
        return Ok(());
    }
    if !cx.paths(TEST_FILE_GLOBS)?.is_empty() {
        return Ok(());
    }
    let inline = cx.search(
        &[
            Pattern::new(0, r"#\[(test|tokio::test|cfg\(test\))\]").keywords(&[
                "#[test",
                "#[cfg(test",
                "#[tokio::test",
            ]),
        ],
        &["*.rs"],
    )?;
    if inline.hits.is_empty() {
        cx.report(
            Finding::new(&TESTS_MISSING, "The repository has code but no tests")
                .evidence(format!("no file matches: {}", TEST_FILE_GLOBS.join(", ")))
                .remediation("Add tests for the critical paths and run them in CI."),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Delivery;
    use shipready_sdk::testing::FakeRepo;

    fn missing(repo: FakeRepo) -> bool {
        let outcome = repo.run::<Delivery>().unwrap();
        outcome
            .findings
            .iter()
            .any(|f| f.rule == "delivery/tests-missing")
    }

    #[test]
    fn code_without_tests_is_reported() {
        assert!(missing(FakeRepo::new().file("app/main.py", "print(1)\n")));
    }

    #[test]
    fn test_files_of_any_ecosystem_count() {
        for test in [
            "pkg/x_test.go",
            "tests/test_app.py",
            "web/src/App.test.tsx",
            "spec/user_spec.rb",
            "src/test/java/AppTest.java",
        ] {
            assert!(
                !missing(FakeRepo::new().file("app/main.py", "x\n").file(test, "x\n")),
                "{test}"
            );
        }
    }

    #[test]
    fn rust_inline_unit_tests_count() {
        let repo = FakeRepo::new().file(
            "src/lib.rs",
            "#[cfg(test)]\nmod tests {\n  #[test]\n  fn t() {}\n}\n",
        );
        assert!(!missing(repo));
    }
}
