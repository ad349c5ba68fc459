//! No `.env` file with credentials in the repository (a rule of the
//! secrets check: `--only secrets` decides it).

use shipready_sdk::prelude::*;

use crate::SetAside;

shipready_sdk::rule! {
    /// ## What it checks
    /// `.env` files (`.env`, `.env.production`, `prod.env`, ...) in the
    /// repository that assign values: committed, or present and not covered by
    /// `.gitignore`. Templates (`.env.example`, `.env.sample`,
    /// `.env.template`, `.env.dist`), files whose credential-like keys
    /// (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*KEY*`, `DATABASE_URL`, ...)
    /// are all empty or placeholders, files of plain configuration (URLs,
    /// flags), and env files of tests and local development set-ups
    /// (`.env.testing`, `.devcontainer/*.env`, counted in
    /// `secrets/set-aside`) are fine. The evidence names the keys, never
    /// the values.
    ///
    /// ## Why it matters
    /// `.env` files hold the production database password, API keys and
    /// signing secrets. Once committed they are in every clone and in the
    /// history forever, and must be rotated.
    ///
    /// ## Example
    /// A committed `.env` with `DATABASE_URL=postgres://app:PASSWORD@db/app`.
    ///
    /// ## How to fix
    /// Remove it (`git rm --cached .env`), add `.env` to `.gitignore`, rotate
    /// the secrets, and commit a `.env.example` with empty values.
    pub static ENV_FILE_COMMITTED: Rule =
        ("secrets/env-file-committed", ".env file in the repository", Severity::High);
}

const TEMPLATE_SUFFIXES: &[&str] = &[
    "example", "sample", "template", "dist", "defaults", "schema", "tmpl", "tpl",
];

fn is_env_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let is_env = lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env");
    is_env
        && !TEMPLATE_SUFFIXES
            .iter()
            .any(|s| lower.ends_with(&format!(".{s}")) || lower.contains(&format!(".{s}.")))
}

/// Names that hold credentials: a file of such names with values is a
/// leak, one of only URLs and flags is configuration.
fn holds_a_secret(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    [
        "PASS",
        "SECRET",
        "TOKEN",
        "KEY",
        "CREDENTIAL",
        "DSN",
        "PRIVATE",
        "AUTH",
        "DATABASE_URL",
        "DB_URL",
        "CONNECTION",
        "SALT",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// Keys that are assigned a real-looking value.
fn assigned_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("export ").unwrap_or(l);
            if l.starts_with('#') {
                return None;
            }
            let (k, v) = l.split_once('=')?;
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            let placeholder = v.is_empty()
                || v.starts_with("${")
                || v.starts_with('<')
                || [
                    "changeme",
                    "changethis",
                    "change_me",
                    "change-me",
                    "change_this",
                    "your_",
                    "your-",
                    "replace",
                ]
                .iter()
                .any(|p| v.to_ascii_lowercase().contains(p))
                || v.chars().all(|c| c == 'x' || c == 'X' || c == '*');
            (!placeholder && !k.trim().is_empty()).then(|| k.trim().to_string())
        })
        .collect()
}

pub fn check(cx: &mut Cx<'_>, files: &[ListedFile], set_aside: &mut SetAside) -> Result<()> {
    let env_files: Vec<&ListedFile> = files
        .iter()
        .filter(|f| is_env_file(f.name()))
        .filter(|f| set_aside.is_production(cx, &f.path, ".env file"))
        .collect();
    if env_files.is_empty() {
        cx.not_applicable(&ENV_FILE_COMMITTED, "no .env file in the repository");
        return Ok(());
    }
    for file in env_files {
        let Some(text) = cx.read_utf8(&file.path) else {
            continue;
        };
        let keys: Vec<String> = assigned_keys(&text)
            .into_iter()
            .filter(|k| holds_a_secret(k))
            .collect();
        if keys.is_empty() {
            continue;
        }
        let shown: Vec<&str> = keys.iter().take(8).map(String::as_str).collect();
        let more = if keys.len() > shown.len() {
            format!(" and {} more", keys.len() - shown.len())
        } else {
            String::new()
        };
        cx.report(
            Finding::new(
                &ENV_FILE_COMMITTED,
                format!(
                    "{} assigns {} credential-like value(s) and is committed or not ignored",
                    file.path,
                    keys.len()
                ),
            )
            .at_file(&file.path)
            .evidence(format!("keys: {}{more} (values not shown)", shown.join(", ")))
            .remediation(format!(
                "Remove it from the repository (`git rm --cached {}`), add it to .gitignore, rotate every \
                 secret it held, and commit a .env.example with empty values instead.",
                file.path
            )),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{assigned_keys, is_env_file};
    use crate::Secrets;
    use shipready_sdk::testing::FakeRepo;

    #[test]
    fn names() {
        assert!(is_env_file(".env"));
        assert!(is_env_file(".env.production"));
        assert!(is_env_file("prod.env"));
        assert!(!is_env_file(".env.example"));
        assert!(!is_env_file(".env.sample.local"));
        assert!(!is_env_file("environment.rb"));
    }

    #[test]
    fn placeholders_are_not_values() {
        assert_eq!(
            assigned_keys("A=\nB=${B}\nC=<token>\n# D=1\nexport E=real\nF=xxxx\n"),
            ["E"]
        );
    }

    #[test]
    fn configuration_only_and_test_env_files_are_not_leaks() {
        let outcome = FakeRepo::new()
            .file(
                "frontend/.env",
                "VITE_API_URL=http://localhost:8000\nNODE_ENV=production\n",
            )
            .file(
                ".env",
                "SECRET_KEY=changethis\nFIRST_SUPERUSER_PASSWORD=changethis\n",
            )
            .file(
                "server/.env.testing",
                "STRIPE_SECRET_KEY=sk_test_dummy_value\n",
            )
            .file(
                ".devcontainer/backend.env",
                "DATABASE_URL=postgres://saleor:saleor@db/saleor\n",
            )
            .run::<Secrets>()
            .unwrap();
        let rules: Vec<&str> = outcome.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            rules,
            ["secrets/database-uri-password", "secrets/set-aside"],
            "{:#?}",
            outcome.findings
        );
        assert_eq!(
            outcome.findings[1].message,
            "2 set aside as not production code: 1 .env file in a local development set-up, 1 .env file in test code (no verifiable format)"
        );
    }

    #[test]
    fn evidence_names_keys_not_values() {
        let outcome = FakeRepo::new()
            .file(
                ".env",
                "DATABASE_URL=postgres://app:hunter2@db/app\nSTRIPE_KEY=sk_live_abc\n", // shipready:allow test value
            )
            .run::<Secrets>()
            .unwrap();
        let f = outcome
            .findings
            .iter()
            .find(|f| f.rule == "secrets/env-file-committed")
            .unwrap();
        let evidence = f.evidence.as_deref().unwrap();
        assert!(
            evidence.contains("DATABASE_URL") && !evidence.contains("hunter2"),
            "{evidence}"
        );
        assert!(!f.message.contains("hunter2"));
    }
}
