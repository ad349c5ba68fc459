//! One module per subcommand, plus what they share: building the runner and
//! the list of checks (built-in and `--plugin`).

pub mod check;
pub mod checks;
pub mod explain;

use anyhow::{Context as _, bail};
use shipready_host::{Engine, Runner, Source};

use crate::cli::PluginArgs;

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

/// Built-in checks first, then each `--plugin` in the order given. A plugin
/// path that does not exist is a usage error, caught before anything runs.
pub fn sources(args: &PluginArgs) -> anyhow::Result<Vec<Source>> {
    let mut sources: Vec<Source> = shipready_builtins::components()
        .iter()
        .map(|(package, bytes)| Source::Builtin { package, bytes })
        .collect();
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
        sources.push(Source::Plugin { path: path.clone() });
    }
    Ok(sources)
}
