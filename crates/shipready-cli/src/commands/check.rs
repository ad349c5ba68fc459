//! `shipready check` and `shipready baseline`: load the configuration, index
//! the repository, run the checks, apply severity overrides, inline
//! suppressions and the baseline, evaluate the definition of done, render,
//! and decide the exit code.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use shipready_host::services::diff::Changes;
use shipready_host::services::history::HistorySource;
use shipready_host::services::http::{HttpLimits, HttpService};
use shipready_host::services::tls::TlsService;
use shipready_host::{Capability, IndexOptions, Limits, RepoIndex, RunOptions};
use shipready_report::baseline::Baseline;
use shipready_report::render::{self, Format, Style};
use shipready_report::{Definition, HistoryScan, LiveScan, Location, Report, ScanStats, Target};

use crate::Exit;
use crate::cli::{BaselineArgs, CheckArgs, ColorChoice, OutputFormat, Profile, RunArgs};
use crate::config::Config;
use crate::output::write_atomically;

pub fn run(args: CheckArgs) -> anyhow::Result<Exit> {
    // Read the baseline first: a bad one should fail before a long run.
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read baseline {}", path.display()))?;
            Some(Baseline::parse(&text).with_context(|| format!("baseline {}", path.display()))?)
        }
        None => None,
    };
    let mut report = collect(&args.run)?;
    if let Some(baseline) = &baseline {
        baseline.apply(&mut report.findings);
        for run in &mut report.checks {
            baseline.apply(&mut run.findings);
        }
        report = reassemble(report, &args.run);
    }
    emit(&args, &report)?;
    Ok(if report.has_errors() {
        Exit::Error
    } else if report.verdict.ready {
        Exit::Ready
    } else {
        Exit::NotReady
    })
}

pub fn baseline(args: BaselineArgs) -> anyhow::Result<Exit> {
    let report = collect(&args.run)?;
    if report.has_errors() {
        bail!(
            "not writing a baseline: a check failed ({}); run `shipready check` to see why",
            {
                report
                    .checks
                    .iter()
                    .filter(|c| c.status != shipready_report::RunStatus::Ok)
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    let baseline = Baseline::from_report(&report);
    write_atomically(&args.output, &baseline.to_json())?;
    eprintln!(
        "baseline of {} finding(s) written to {}",
        baseline.findings.len(),
        args.output.display()
    );
    Ok(Exit::Ready)
}

/// Run everything `args` asks for and assemble the report.
fn collect(args: &RunArgs) -> anyhow::Result<Report> {
    let started = Instant::now();
    let path = match (&args.path, args.urls.is_empty()) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(std::path::PathBuf::from(".")),
        (None, false) => None,
    };
    let config = Config::load(args.plugins.config.as_deref(), path.as_deref())?;
    let mut options = run_options(args)?;
    options.shared_settings = config.paths.settings();
    for (id, c) in &config.checks {
        if !c.enabled {
            options.skip.push(id.clone());
        }
        options
            .settings
            .push((id.clone(), Config::settings_json(&c.settings)));
    }
    let sources = super::sources(&args.plugins, &config)?;
    validate_only(&options.only, &args.skip, &sources)?;

    let repo = match &path {
        Some(p) => {
            let index = RepoIndex::build(
                p,
                &IndexOptions {
                    max_file_size: args.max_file_size,
                    exclude: config.exclude.clone(),
                },
            )
            .with_context(|| format!("cannot check {}", p.display()))?;
            Some(Arc::new(index))
        }
        None => None,
    };

    let history = match (&repo, &path) {
        (Some(index), Some(root)) if index.is_git() => {
            if let Some(rev) = &args.since {
                shipready_host::services::history::resolve(root, rev)?;
            }
            Some(Arc::new(if args.no_history {
                HistorySource::disabled(root, "--no-history was given")
            } else {
                HistorySource::new(root, args.since.as_deref(), args.max_file_size)
                    .excluding(&config.exclude)
            }))
        }
        _ if args.since.is_some() => bail!("--since needs a git repository to compare with"),
        _ => None,
    };
    options.history = history.clone();

    // `--since`: what changed. In the merge profile the run is limited to it.
    let changes = match (&args.since, &repo, &path) {
        (Some(rev), Some(index), Some(root)) => Some(
            shipready_host::services::diff::changes_since(root, rev, index)?,
        ),
        _ => None,
    };
    if let (Some(changes), Profile::Merge) = (&changes, args.profile) {
        options.changed = Some(Arc::new(changes.files.keys().cloned().collect()));
    }

    // Credentials in a URL would end up in the report: refuse them without
    // echoing the URL.
    if let Some(i) = args.urls.iter().position(|u| {
        url::Url::parse(u).is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
    }) {
        bail!(
            "--url number {}: remove the user name and password from the URL (shipready never sends or shows credentials)",
            i + 1
        );
    }
    if !(args.http_timeout > 0.0 && args.http_timeout <= 600.0) {
        bail!(
            "--http-timeout {}: give seconds, more than 0 and at most 600",
            args.http_timeout
        );
    }
    let http = (!args.urls.is_empty()).then(|| {
        Arc::new(HttpService::new(
            &args.urls,
            HttpLimits {
                max_requests_per_origin: args.http_max_requests,
                timeout: Duration::from_secs_f64(args.http_timeout.max(0.001)),
                max_body_bytes: args.http_max_body as usize,
                ..HttpLimits::default()
            },
        ))
    });
    options.http = http.clone();
    let mut tls_prober = None;
    if args.urls.iter().any(|u| u.starts_with("https://")) {
        let tls = TlsService::new(
            &args.urls,
            args.ca_file.as_deref(),
            Duration::from_secs_f64(args.http_timeout.max(0.001)),
        )
        .map_err(anyhow::Error::msg)?;
        options.tls = Some(Arc::new(tls));
        tls_prober = options.tls.clone();
    } else if let Some(ca) = &args.ca_file {
        bail!(
            "--ca-file {}: give an https --url for it to apply to",
            ca.display()
        );
    }

    let runner = super::runner(&args.plugins)?;
    let progress = progress_bar(args, sources.len());
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

    let mut runs: Vec<_> = outcomes.into_iter().map(|o| o.run).collect();
    for run in &mut runs {
        for f in &mut run.findings {
            if let Some(s) = config.severity.get(&f.rule) {
                f.severity = *s;
            }
        }
        if let Some(index) = &repo {
            crate::suppress::apply(index, &mut run.findings);
        }
    }
    if let Some(changes) = &changes {
        for run in &mut runs {
            mark_outside(changes, &mut run.findings);
        }
    }
    let target = Target {
        path: path.as_ref().map(|p| p.display().to_string()),
        is_git: repo.as_ref().is_some_and(|r| r.is_git()),
        urls: args.urls.clone(),
        history: history_scan(history.as_deref(), repo.as_deref()),
        live: http.map(|h| LiveScan {
            requests: h.requests_made(),
            tls_connections: tls_prober.as_ref().map_or(0, |t| t.connections_made()),
        }),
    };
    let stats = repo.as_ref().map_or(ScanStats::default(), |r| r.stats());
    Ok(Report::assemble(
        &Definition::builtin(),
        runs,
        target,
        args.profile.as_str(),
        stats,
        started.elapsed().as_millis() as u64,
    ))
}

/// With `--since`: findings in files and lines the branch did not change
/// (and findings about the repository as a whole) are listed but do not
/// count; findings in the history were already limited to its commits.
fn mark_outside(changes: &Changes, findings: &mut [shipready_report::Finding]) {
    for f in findings {
        f.outside_diff = match &f.location {
            Some(Location::File {
                path,
                span,
                commit: None,
            }) => !changes.touches(path, span.map(|s| s.start_line)),
            Some(Location::File {
                commit: Some(_), ..
            })
            | Some(Location::Url { .. }) => false,
            None => true,
        };
    }
}

/// What the history scan covered, for the report: nothing when no check
/// read the history, a reason when it could not be read.
fn history_scan(history: Option<&HistorySource>, repo: Option<&RepoIndex>) -> Option<HistoryScan> {
    let unavailable = |reason: &str| HistoryScan {
        available: false,
        reason: Some(reason.into()),
        shallow: false,
        since: None,
        commits: 0,
        blobs: 0,
        skipped: 0,
    };
    match history {
        None if repo.is_some_and(|r| !r.is_git()) => Some(unavailable("not a git repository")),
        None => None,
        Some(source) => source.scanned().map(|s| HistoryScan {
            available: s.available,
            reason: s.reason,
            shallow: s.shallow,
            since: s.since,
            commits: s.commits,
            blobs: s.blobs,
            skipped: s.skipped,
        }),
    }
}

/// Re-evaluate the items after findings changed status (baseline).
fn reassemble(report: Report, args: &RunArgs) -> Report {
    Report::assemble(
        &Definition::builtin(),
        report.checks,
        report.target,
        args.profile.as_str(),
        report.stats,
        report.duration_ms,
    )
}

fn run_options(args: &RunArgs) -> anyhow::Result<RunOptions> {
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
        ..defaults
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

fn progress_bar(args: &RunArgs, n: usize) -> ProgressBar {
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
        OutputFormat::Sarif => Format::Sarif,
        OutputFormat::Junit => Format::Junit,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Github => Format::Github,
        OutputFormat::Gitlab => Format::Gitlab,
        OutputFormat::Html => Format::Html,
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
    let style = Style {
        color,
        width,
        all: args.all,
    };
    let text = render::render(report, format, style);
    match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            let v = &report.verdict;
            eprintln!(
                "{}: {}; report written to {}",
                v.word(),
                v.detail(),
                path.display()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}
