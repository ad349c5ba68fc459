//! Where a path stands in this project: production code, or test code,
//! docs, examples and local development set-ups. The project's own
//! `[paths]` configuration first (the host passes it to every check as the
//! settings `paths.tests`, `paths.docs`, `paths.examples`,
//! `paths.development` and `paths.production`, JSON lists of globs), then
//! the conventions of [`shipready_paths::not_production`].

use globset::{Glob, GlobSet, GlobSetBuilder};
use shipready_paths::{NotProduction, glob_from_root, not_production};

use crate::Context;

/// The `[paths]` keys and what each makes a path (`None`: production).
const KEYS: &[(&str, Option<NotProduction>)] = &[
    ("paths.production", None),
    ("paths.tests", Some(NotProduction::Test)),
    ("paths.docs", Some(NotProduction::Docs)),
    ("paths.examples", Some(NotProduction::Example)),
    ("paths.development", Some(NotProduction::Development)),
];

/// The project's path globs, compiled once per run.
#[derive(Debug, Default)]
pub struct ProjectPaths {
    /// In precedence order: `production` overrides the rest.
    sets: Vec<(GlobSet, Option<NotProduction>)>,
}

impl ProjectPaths {
    /// From the context's settings; globs that do not compile (the host
    /// validates them) are left out.
    pub fn of(ctx: &Context) -> ProjectPaths {
        let mut sets = Vec::new();
        for (key, kind) in KEYS {
            let Some(globs) = ctx.setting(key).and_then(string_list) else {
                continue;
            };
            let mut builder = GlobSetBuilder::new();
            for glob in globs {
                if let Ok(g) = Glob::new(&glob_from_root(&glob)) {
                    builder.add(g);
                }
            }
            if let Ok(set) = builder.build() {
                sets.push((set, *kind));
            }
        }
        ProjectPaths { sets }
    }

    /// What `path` is when it is not production code.
    pub fn not_production(&self, path: &str) -> Option<NotProduction> {
        match self.sets.iter().find(|(set, _)| set.is_match(path)) {
            Some((_, kind)) => *kind,
            None => not_production(path),
        }
    }
}

/// A JSON list of plain strings (`["qa/**", "*.stories.tsx"]`), no escapes.
pub(crate) fn string_list(raw: &str) -> Option<Vec<String>> {
    let inner = raw.trim().strip_prefix('[')?.strip_suffix(']')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let item = item.trim().strip_prefix('"')?.strip_suffix('"')?;
            (!item.is_empty() && !item.contains(['"', '\\'])).then(|| item.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(settings: &[(&str, &str)]) -> Context {
        Context {
            settings: settings
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Context::default()
        }
    }

    #[test]
    fn the_projects_globs_come_before_the_conventions() {
        let paths = ProjectPaths::of(&ctx(&[
            ("paths.tests", r#"["qa/**", "*.stories.tsx"]"#),
            ("paths.production", r#"["src/testing/**"]"#),
        ]));
        assert_eq!(
            paths.not_production("qa/login.py"),
            Some(NotProduction::Test)
        );
        assert_eq!(
            paths.not_production("web/Button.stories.tsx"),
            Some(NotProduction::Test)
        );
        assert_eq!(paths.not_production("src/testing/harness.py"), None);
        assert_eq!(
            paths.not_production("tests/test_x.py"),
            Some(NotProduction::Test)
        );
        assert_eq!(paths.not_production("src/app.py"), None);
    }

    #[test]
    fn malformed_lists_are_ignored() {
        let paths = ProjectPaths::of(&ctx(&[("paths.tests", "qa/**")]));
        assert_eq!(paths.not_production("qa/login.py"), None);
    }
}
