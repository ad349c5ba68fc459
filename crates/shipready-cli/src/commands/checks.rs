//! `shipready checks`: every check available (built in and `--plugin`),
//! its capabilities and the rules it decides.

use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use shipready_host::Limits;
use shipready_report::RunStatus;

use crate::Exit;
use crate::cli::{ChecksArgs, ListFormat};

pub fn run(args: ChecksArgs) -> anyhow::Result<Exit> {
    let config = crate::config::Config::load(
        args.plugins.config.as_deref(),
        Some(std::path::Path::new(".")),
    )?;
    let sources = super::sources(&args.plugins, &config)?;
    let runner = super::runner(&args.plugins)?;
    let described = runner.describe(&sources, Limits::default());
    let mut exit = Exit::Ready;
    let mut out = std::io::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let infos: Vec<_> = described.iter().map(|o| &o.run).collect();
            serde_json::to_writer_pretty(&mut out, &infos)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            let mut table = Table::new();
            table
                .load_style(presets::UTF8_HORIZONTAL_ONLY)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["Check / rule", "Severity", "What"]);
            for o in &described {
                match (&o.run.info, &o.run.status) {
                    (Some(info), RunStatus::Ok) => {
                        let caps = if info.capabilities.is_empty() {
                            "none".into()
                        } else {
                            info.capabilities.join(", ")
                        };
                        table.add_row(vec![
                            format!("{} {}", info.id, info.version),
                            String::new(),
                            format!("{}\ncapabilities: {caps}", info.summary),
                        ]);
                        for rule in &info.rules {
                            table.add_row(vec![
                                format!("  {}", rule.id),
                                rule.severity.as_str().to_string(),
                                rule.title.clone(),
                            ]);
                        }
                    }
                    (_, status) => {
                        exit = Exit::Error;
                        let reason = match status {
                            RunStatus::Error(r) => r.clone(),
                            RunStatus::Ok => "no description".into(),
                        };
                        table.add_row(vec![o.run.id.clone(), "error".into(), reason]);
                    }
                }
            }
            writeln!(out, "{table}")?;
            writeln!(
                out,
                "\nRun `shipready explain <rule>` for a rule's documentation."
            )?;
        }
    }
    Ok(exit)
}
