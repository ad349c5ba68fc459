//! `shipready check`: index the repository, run the checks, evaluate the
//! definition of done, render, and decide the exit code.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use shipready_host::{Capability, IndexOptions, Limits, RepoIndex, RunOptions};
use shipready_report::render::{self, Format, Style};
use shipready_report::{Definition, Report, ScanStats, Target};

use crate::Exit;
use crate::cli::{CheckArgs, ColorChoice, OutputFormat};

pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let options = run_options(&args)?;
    let sources = super::sources(&args.plugins)?;
    validate_only(&args.only, &args.skip, &sources)?;

    let path = match (&args.path, args.urls.is_empty()) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(std::path::PathBuf::from(".")),
        (None, false) => None,
    };
    let repo = match &path {
        Some(p) => {
            let index = RepoIndex::build(
                p,
                &IndexOptions {
                    max_file_size: args.max_file_size,
                },
            )
            .with_context(|| format!("cannot check {}", p.display()))?;
            Some(Arc::new(index))
        }
        None => None,
    };

    let runner = super::runner(&args.plugins)?;
    let progress = progress_bar(&args, sources.len());
    let verbose = args.verbose;
    let outcomes = runner.run(&sources, repo.clone(), &options, &|o| {
        progress.inc(1);
        progress.set_message(o.run.id.clone());
        if verbose {
            progress.suspend(|| {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(
                    err,
                    "[{}] {} ms, compiled: {:?}",
                    o.run.id, o.run.duration_ms, o.compiled
                );
                for line in &o.logs {
                    let _ = writeln!(err, "[{}] {line}", o.run.id);
                }
            });
        }
    });
    progress.finish_and_clear();

    let target = Target {
        path: path.as_ref().map(|p| p.display().to_string()),
        is_git: repo.as_ref().is_some_and(|r| r.is_git()),
        urls: args.urls.clone(),
    };
    let stats = repo.as_ref().map_or(ScanStats::default(), |r| r.stats());
    let runs = outcomes.into_iter().map(|o| o.run).collect();
    let report = Report::assemble(
        &Definition::builtin(),
        runs,
        target,
        options.profile.as_str(),
        stats,
        started.elapsed().as_millis() as u64,
    );

    emit(&args, &report)?;
    Ok(if report.has_errors() {
        Exit::Error
    } else if report.verdict.ready {
        Exit::Ready
    } else {
        Exit::NotReady
    })
}

fn run_options(args: &CheckArgs) -> anyhow::Result<RunOptions> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!(
            "--timeout must be a positive number of seconds, not {}",
            args.timeout
        );
    }
    if args.memory_limit == 0 {
        bail!("--memory-limit must be at least 1 MiB");
    }
    let mut denied = Vec::new();
    for d in &args.deny {
        match Capability::parse(d) {
            Some(c) => denied.push(c),
            None => bail!(
                "--deny {d}: unknown capability (known: {})",
                Capability::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
    for url in &args.urls {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!(
                "--url {url}: give an origin with its scheme, for example https://app.example.com"
            );
        }
    }
    let defaults = RunOptions::default();
    Ok(RunOptions {
        limits: Limits {
            memory_bytes: args.memory_limit.saturating_mul(1 << 20),
            timeout: Duration::from_secs_f64(args.timeout),
            max_findings: args.max_findings,
            ..Limits::default()
        },
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
        denied,
        only: args.only.clone(),
        skip: args.skip.clone(),
        profile: args.profile.as_str().to_string(),
        urls: args.urls.clone(),
        settings: Vec::new(),
    })
}

/// `--only` / `--skip` must name checks that exist. Built-in ids are known
/// from their package names; plugin ids only after `describe()`, so with
/// plugins loaded unknown names are left for the run to ignore.
fn validate_only(
    only: &[String],
    skip: &[String],
    sources: &[shipready_host::Source],
) -> anyhow::Result<()> {
    let has_plugins = sources
        .iter()
        .any(|s| matches!(s, shipready_host::Source::Plugin { .. }));
    if has_plugins {
        return Ok(());
    }
    let known: Vec<String> = sources.iter().map(|s| s.fallback_id()).collect();
    for (flag, ids) in [("--only", only), ("--skip", skip)] {
        if let Some(bad) = ids.iter().find(|id| !known.contains(id)) {
            bail!(
                "{flag} {bad}: no such check (available: {})",
                known.join(", ")
            );
        }
    }
    Ok(())
}

fn progress_bar(args: &CheckArgs, n: usize) -> ProgressBar {
    if args.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} running checks {pos}/{len} {msg}")
            .expect("valid progress template"),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn emit(args: &CheckArgs, report: &Report) -> anyhow::Result<()> {
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    // On a terminal the table fits its width; elsewhere (CI logs, files) it
    // wraps at 120 columns.
    let width = if to_terminal { None } else { Some(120) };
    let text = render::render(report, format, Style { color, width });
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("writing the report to {}", path.display()))?;
            let verdict = if report.verdict.ready {
                "READY"
            } else {
                "NOT READY"
            };
            let rest = report
                .verdict
                .summary
                .split_once(": ")
                .map_or("", |(_, r)| r);
            eprintln!("{verdict}: {rest}; report written to {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
