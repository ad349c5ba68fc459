//! One module per subcommand, plus what they share: building the runner and
//! the list of checks (built-in and `--plugin`).

pub mod check;
pub mod checks;
pub mod explain;

use anyhow::{Context as _, bail};
use sha2::{Digest, Sha256};
use shipready_host::{Capability, Engine, Runner, Source};

use crate::cli::PluginArgs;
use crate::config::Config;

/// The runner, with the compiled-component cache unless `--no-cache`.
pub fn runner(args: &PluginArgs) -> anyhow::Result<Runner> {
    let cache = if args.no_cache {
        None
    } else {
        args.cache_dir.clone().or_else(Engine::default_cache_dir)
    };
    let engine = Engine::new(cache).context("starting the WebAssembly engine")?;
    Runner::new(engine)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("linking the host services")
}

/// Built-in checks first, then the configuration's plugins (pinned by
/// sha256, granted only the capabilities listed), then each `--plugin` in
/// the order given. A missing plugin file or a pin that does not match is a
/// usage error, caught before anything runs.
pub fn sources(args: &PluginArgs, config: &Config) -> anyhow::Result<Vec<Source>> {
    let mut sources: Vec<Source> = shipready_builtins::components()
        .iter()
        .map(|(package, bytes)| Source::Builtin { package, bytes })
        .collect();
    for plugin in &config.plugins {
        let path = config.base_dir().join(&plugin.path);
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "plugin {} (from {}): cannot read it",
                path.display(),
                config
                    .source
                    .as_ref()
                    .map_or(String::new(), |s| s.display().to_string())
            )
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if !actual.eq_ignore_ascii_case(&plugin.sha256) {
            bail!(
                "plugin {}: sha256 is {actual}, but the configuration pins {}; if the new file is trusted, update the pin",
                path.display(),
                plugin.sha256
            );
        }
        let granted = plugin
            .capabilities
            .iter()
            .filter_map(|c| Capability::parse(c))
            .collect();
        sources.push(Source::Plugin {
            path,
            granted: Some(granted),
            settings: Config::settings_json(&plugin.settings),
        });
    }
    for path in &args.plugins {
        if !path.is_file() {
            bail!(
                "plugin {}: {}",
                path.display(),
                if path.exists() {
                    "not a file"
                } else {
                    "no such file (give the path to a .wasm component)"
                }
            );
        }
        sources.push(Source::Plugin {
            path: path.clone(),
            granted: None,
            settings: Vec::new(),
        });
    }
    Ok(sources)
}
