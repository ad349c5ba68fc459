//! The `delivery` check: can this repository be built, tested and shipped
//! repeatably? CI that runs the tests, tests that exist, a lockfile for every
//! manifest, a container image that is pinned, unprivileged and probed, no
//! `.env` in the repository, and a README.
//!
//! One module per topic; each rule sits with its documentation and tests.

use shipready_sdk::prelude::*;

mod ci;
mod dockerfile;
mod lockfile;
mod readme;
mod set_aside;
mod tests_present;

pub struct Delivery;

impl Check for Delivery {
    fn info() -> CheckInfo {
        CheckInfo::new(
            "delivery",
            env!("CARGO_PKG_VERSION"),
            "Delivery",
            "CI runs the tests, tests exist, dependencies are locked, the container image is \
             pinned, unprivileged and health-checked, and there is a README.",
        )
        .capabilities(&[Capability::Repo, Capability::Search])
        .rules(&[
            &ci::CI_MISSING,
            &ci::CI_RUNS_NO_TESTS,
            &tests_present::TESTS_MISSING,
            &lockfile::LOCKFILE_MISSING,
            &dockerfile::DOCKERFILE_RUNS_AS_ROOT,
            &dockerfile::DOCKERFILE_UNPINNED_BASE,
            &dockerfile::DOCKERFILE_NO_HEALTHCHECK,
            &readme::README_MISSING,
            &set_aside::SET_ASIDE,
        ])
    }

    fn run(cx: &mut Cx<'_>) -> Result<()> {
        let files = cx.paths(&[])?;
        ci::check(cx, &files)?;
        tests_present::check(cx, &files)?;
        lockfile::check(cx, &files)?;
        let mut set_aside = set_aside::SetAside::default();
        dockerfile::check(cx, &files, &mut set_aside)?;
        readme::check(cx, &files);
        set_aside.report(cx);
        Ok(())
    }
}

shipready_sdk::export!(Delivery);

/// Languages whose presence means "there is code here to test and ship".
pub(crate) fn is_code(file: &ListedFile) -> bool {
    matches!(
        file.language.as_deref(),
        Some(
            "rust"
                | "python"
                | "javascript"
                | "typescript"
                | "tsx"
                | "ruby"
                | "go"
                | "java"
                | "kotlin"
                | "php"
                | "csharp"
                | "elixir"
                | "scala"
                | "swift"
                | "c"
                | "cpp"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use shipready_sdk::testing::FakeRepo;

    #[test]
    fn every_rule_is_documented_with_the_fixed_headings() {
        for rule in Delivery::info().rules {
            let docs = rule.docs();
            for heading in ["## What it checks", "## Why it matters", "## Example"] {
                assert!(docs.contains(heading), "{} lacks {heading}", rule.id());
            }
            assert!(rule.id().starts_with("delivery/"), "{}", rule.id());
        }
    }

    #[test]
    fn an_empty_repository_reports_missing_ci_tests_and_readme() {
        let outcome = FakeRepo::new().run::<Delivery>().unwrap();
        let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["delivery/ci-missing", "delivery/readme-missing"]);
        let na: Vec<&str> = outcome
            .not_applicable
            .iter()
            .map(|n| n.rule.as_str())
            .collect();
        assert!(na.contains(&"delivery/tests-missing"), "{na:?}");
        assert!(na.contains(&"delivery/dockerfile-runs-as-root"), "{na:?}");
    }
}
