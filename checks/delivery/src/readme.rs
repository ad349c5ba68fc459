//! A README at the root.

use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// That the repository root has a README (`README`, `README.md`,
    /// `README.rst`, ... in any case).
    ///
    /// ## Why it matters
    /// The README is where the next engineer, or you at 3 a.m., learns how to
    /// build, test, configure and deploy the service.
    ///
    /// ## Example
    /// A repository whose root holds only code. Add a `README.md` that says
    /// what the service does, how to run it locally, how to run the tests and
    /// how it is deployed.
    pub static README_MISSING: Rule = ("delivery/readme-missing", "No README", Severity::Low);
}

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile]) {
    let has_readme = files
        .iter()
        .any(|f| f.dir().is_empty() && f.name().to_ascii_lowercase().starts_with("readme"));
    if !has_readme {
        cx.report(
            Finding::new(&README_MISSING, "No README at the repository root")
                .remediation("Add README.md: what it is, how to run, test and deploy it."),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::Delivery;
    use shipready_sdk::testing::FakeRepo;

    fn missing(repo: FakeRepo) -> bool {
        repo.run::<Delivery>()
            .unwrap()
            .findings
            .iter()
            .any(|f| f.rule == "delivery/readme-missing")
    }

    #[test]
    fn readme_in_any_case_at_root_counts_but_not_nested() {
        assert!(!missing(FakeRepo::new().file("Readme.rst", "x")));
        assert!(missing(FakeRepo::new().file("docs/README.md", "x")));
    }
}
