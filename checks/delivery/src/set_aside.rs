//! Files that are not production code (dev containers, `Dockerfile.dev`,
//! test images; by the project's `[paths]`, then by convention): the image
//! rules do not judge them, and one item says how many were set aside so
//! nothing is hidden silently.

use std::collections::BTreeMap;

use shipready_sdk::paths::NotProduction;
use shipready_sdk::prelude::*;

shipready_sdk::rule! {
    /// ## What it checks
    /// Nothing is wrong: this item counts the Dockerfiles the image rules
    /// left alone because they are not production: dev containers
    /// (`.devcontainer/`), local development files (`Dockerfile.dev`, a
    /// top-level `dev/`), test images (`*.test.Dockerfile`,
    /// `Dockerfile.playwright`, under `tests/`, `e2e/`), docs and examples.
    ///
    /// ## Why it matters
    /// A root user in the image that runs the end-to-end suite is not a
    /// production risk; reporting it buries the production image's
    /// problems.
    ///
    /// ## Example
    /// `3 files set aside as not production: 2 Dockerfiles in a local development set-up, 1 Dockerfile in test code`.
    ///
    /// ## How to fix
    /// Nothing to fix. If a set-aside file does build what production runs,
    /// rename it (`Dockerfile`, `Dockerfile.prod`).
    pub static SET_ASIDE: Rule = ("delivery/set-aside", "Files outside production set aside", Severity::Info);
}

/// What kind of file, and where it stands.
#[derive(Default)]
pub struct SetAside {
    counts: BTreeMap<(&'static str, &'static str), usize>,
}

impl SetAside {
    /// Whether `path` is production; counts it (as `what`) when it is not.
    pub fn is_production(&mut self, cx: &Cx<'_>, path: &str, what: &'static str) -> bool {
        match cx.not_production(path) {
            None => true,
            Some(kind) => {
                *self.counts.entry((what, describe(kind))).or_default() += 1;
                false
            }
        }
    }

    pub fn report(self, cx: &mut Cx<'_>) {
        if self.counts.is_empty() {
            cx.not_applicable(&SET_ASIDE, "no Dockerfile outside production");
            return;
        }
        let total: usize = self.counts.values().sum();
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|((what, kind), n)| {
                format!("{n} {what}{} in {kind}", if *n == 1 { "" } else { "s" })
            })
            .collect();
        cx.report(Finding::new(
            &SET_ASIDE,
            format!(
                "{total} files set aside as not production: {}",
                parts.join(", ")
            ),
        ));
    }
}

fn describe(kind: NotProduction) -> &'static str {
    kind.describe()
}
