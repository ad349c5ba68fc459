//! `shipready.toml`: the project's configuration, found by walking up from
//! the target directory (or given with `--config`).
//!
//! ```toml
//! exclude = ["vendor/**", "**/fixtures/**"]   # never listed, read or searched
//!
//! [checks.delivery]
//! enabled = true                              # false: never run it
//! settings = { }                              # passed to the check as JSON values
//!
//! [paths]                                    # beyond the conventions (tests/, *.spec.ts, docs/, ...)
//! tests = ["qa/**"]                          # also: docs, examples, development
//! production = ["src/testing/**"]            # production after all
//!
//! [severity]
//! "delivery/readme-missing" = "info"          # override a rule's severity
//!
//! [[plugin]]
//! path = "tools/our-check.wasm"               # relative to this file
//! sha256 = "…"                                # refused if the file differs
//! capabilities = ["repo"]                     # all it may use (default: none)
//! ```
//!
//! Keys are kebab-case; an unknown key or a bad value is an error naming the
//! file, the line and what is allowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use shipready_host::Capability;
use shipready_report::Severity;

/// The file name looked for.
pub const FILE_NAME: &str = "shipready.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Globs of paths no check sees.
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub checks: BTreeMap<String, CheckConfig>,
    /// Rule id to severity.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<PluginConfig>,
    /// Where code stands beyond the conventions: test code, docs, examples,
    /// local development, or production after all.
    #[serde(default)]
    pub paths: PathsConfig,
    /// Where the file was read from (not a key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub settings: toml::Table,
}

/// `[paths]`: globs (anchored like `exclude`) that say what code is not
/// production, for the rules that treat it differently (a keyword password
/// in a test, a root user in a test image); `production` overrides both
/// these and the conventions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsConfig {
    #[serde(default)]
    pub tests: Vec<String>,
    #[serde(default)]
    pub docs: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub development: Vec<String>,
    #[serde(default)]
    pub production: Vec<String>,
}

impl PathsConfig {
    fn all(&self) -> [(&'static str, &[String]); 5] {
        [
            ("tests", &self.tests),
            ("docs", &self.docs),
            ("examples", &self.examples),
            ("development", &self.development),
            ("production", &self.production),
        ]
    }

    /// As the settings every check is given: `paths.tests` and the like,
    /// each a JSON list of globs.
    pub fn settings(&self) -> Vec<(String, String)> {
        self.all()
            .into_iter()
            .filter(|(_, globs)| !globs.is_empty())
            .map(|(key, globs)| {
                (
                    format!("paths.{key}"),
                    serde_json::to_string(globs).expect("strings are JSON"),
                )
            })
            .collect()
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginConfig {
    pub path: PathBuf,
    pub sha256: String,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub settings: toml::Table,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl Config {
    /// Parse `text` as read from `file`.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let invalid = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError::Invalid {
                file: file.display().to_string(),
                line,
                column,
                message,
            }
        };
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().trim().to_string())
        })?;
        // Values serde cannot check on its own.
        let find = |needle: &str| text.find(needle).unwrap_or(0);
        for plugin in &config.plugins {
            if plugin.sha256.len() != 64 || !plugin.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(
                    find(&plugin.sha256),
                    format!(
                        "plugin {}: sha256 must be 64 hexadecimal digits (`sha256sum {}` prints it)",
                        plugin.path.display(),
                        plugin.path.display()
                    ),
                ));
            }
            for c in &plugin.capabilities {
                if Capability::parse(c).is_none() {
                    return Err(invalid(
                        find(&format!("\"{c}\"")),
                        format!(
                            "plugin {}: unknown capability `{c}` (allowed: {})",
                            plugin.path.display(),
                            Capability::ALL
                                .iter()
                                .map(|c| c.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        for rule in config.severity.keys() {
            if !rule.contains('/') {
                return Err(invalid(
                    find(rule),
                    format!("[severity] `{rule}` is not a rule id (check/rule)"),
                ));
            }
        }
        for g in &config.exclude {
            if let Err(e) = globset::Glob::new(g) {
                return Err(invalid(find(g), format!("exclude `{g}`: {e}")));
            }
        }
        for (key, globs) in config.paths.all() {
            for g in globs {
                if let Err(e) = globset::Glob::new(g) {
                    return Err(invalid(find(g), format!("[paths] {key} `{g}`: {e}")));
                }
                if g.contains(['"', '\\']) {
                    return Err(invalid(
                        find(g),
                        format!(
                            "[paths] {key} `{g}`: quotes and backslashes are not allowed in a path glob"
                        ),
                    ));
                }
            }
        }
        config.source = Some(file.to_path_buf());
        Ok(config)
    }

    /// `--config FILE`, or the nearest `shipready.toml` in `start` or a parent;
    /// an empty configuration when there is none.
    pub fn load(explicit: Option<&Path>, start: Option<&Path>) -> Result<Config, ConfigError> {
        let file = match explicit {
            Some(f) => Some(f.to_path_buf()),
            None => start.and_then(find_upwards),
        };
        let Some(file) = file else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
            file: file.display().to_string(),
            source,
        })?;
        Config::parse(&text, &file)
    }

    /// The directory plugin paths are relative to.
    pub fn base_dir(&self) -> PathBuf {
        self.source
            .as_deref()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Settings for a check id, each value as JSON.
    pub fn settings_json(table: &toml::Table) -> Vec<(String, String)> {
        table
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    serde_json::to_string(v).expect("TOML values are JSON-representable"),
                )
            })
            .collect()
    }
}

fn find_upwards(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("shipready.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_config() {
        let c = parse(
            r#"
exclude = ["vendor/**"]
[checks.delivery]
enabled = false
settings = { strict = true }
[severity]
"delivery/readme-missing" = "info"
[[plugin]]
path = "x.wasm"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
capabilities = ["repo"]
"#,
        )
        .unwrap();
        assert!(!c.checks["delivery"].enabled);
        assert_eq!(c.severity["delivery/readme-missing"], Severity::Info);
        assert_eq!(
            Config::settings_json(&c.checks["delivery"].settings),
            [("strict".to_string(), "true".to_string())]
        );
    }

    #[test]
    fn unknown_keys_name_file_line_and_allowed_keys() {
        let err = parse("exclude = []\n\n[checks.delivery]\nenable = false\n").unwrap_err();
        assert!(err.starts_with("shipready.toml:4:"), "{err}");
        assert!(
            err.contains("unknown field `enable`") && err.contains("`enabled`"),
            "{err}"
        );
        let err = parse("colour = 1\n").unwrap_err();
        assert!(
            err.contains("`exclude`, `checks`, `severity`, `plugin`, `paths`"),
            "{err}"
        );
    }

    #[test]
    fn paths_become_settings_every_check_gets_and_bad_globs_are_named() {
        let c = parse(
            "[paths]\ntests = [\"qa/**\", \"*.stories.tsx\"]\nproduction = [\"src/testing/**\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.paths.settings(),
            [
                (
                    "paths.tests".to_string(),
                    r#"["qa/**","*.stories.tsx"]"#.to_string()
                ),
                (
                    "paths.production".to_string(),
                    r#"["src/testing/**"]"#.to_string()
                ),
            ]
        );
        let err = parse("[paths]\ntests = [\"qa/[\"]\n").unwrap_err();
        assert!(
            err.starts_with("shipready.toml:2:") && err.contains("[paths] tests `qa/[`"),
            "{err}"
        );
        let err = parse("[paths]\nfixtures = []\n").unwrap_err();
        assert!(
            err.contains("unknown field `fixtures`") && err.contains("`tests`"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        let err = parse("[severity]\n\"delivery/x\" = \"severe\"\n").unwrap_err();
        assert!(
            err.starts_with("shipready.toml:2:") && err.contains("critical"),
            "{err}"
        );
        let err = parse("[[plugin]]\npath = \"a.wasm\"\nsha256 = \"abc\"\n").unwrap_err();
        assert!(
            err.starts_with("shipready.toml:3:") && err.contains("64 hexadecimal"),
            "{err}"
        );
        let err = parse("[[plugin]]\npath = \"a.wasm\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\ncapabilities = [\"network\"]\n").unwrap_err();
        assert!(
            err.starts_with("shipready.toml:4:") && err.contains("allowed: repo, search"),
            "{err}"
        );
        let err = parse("this is not toml").unwrap_err();
        assert!(err.starts_with("shipready.toml:1:"), "{err}");
    }
}
