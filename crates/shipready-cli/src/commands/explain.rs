//! `shipready explain <rule>`: the rule's documentation, as its check
//! describes it (the same text SARIF carries as help).

use std::io::Write;

use anyhow::bail;
use shipready_host::Limits;

use crate::Exit;
use crate::cli::ExplainArgs;

pub fn run(args: ExplainArgs) -> anyhow::Result<Exit> {
    let config = crate::config::Config::load(
        args.plugins.config.as_deref(),
        Some(std::path::Path::new(".")),
    )?;
    let sources = super::sources(&args.plugins, &config)?;
    let runner = super::runner(&args.plugins)?;
    let described = runner.describe(&sources, Limits::default());
    let rules: Vec<_> = described
        .iter()
        .filter_map(|o| o.run.info.as_ref())
        .flat_map(|info| info.rules.iter().map(move |r| (info, r)))
        .collect();
    let Some((info, rule)) = rules.iter().find(|(_, r)| r.id == args.rule) else {
        let needle = args
            .rule
            .rsplit('/')
            .next()
            .unwrap_or(&args.rule)
            .to_lowercase();
        let similar: Vec<&str> = rules
            .iter()
            .map(|(_, r)| r.id.as_str())
            .filter(|id| {
                id.to_lowercase().contains(&needle)
                    || needle.contains(id.rsplit('/').next().unwrap_or(""))
            })
            .collect();
        let hint = if similar.is_empty() {
            "run `shipready checks` to list every rule".to_string()
        } else {
            format!("did you mean {}?", similar.join(", "))
        };
        bail!("no rule `{}`: {hint}", args.rule);
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {}", rule.id, rule.title)?;
    writeln!(
        out,
        "check: {} {} · default severity: {}\n",
        info.id,
        info.version,
        rule.severity.as_str()
    )?;
    writeln!(out, "{}", rule.docs)?;
    Ok(Exit::Ready)
}
