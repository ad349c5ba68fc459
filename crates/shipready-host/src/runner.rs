//! Run checks: load (cached), instantiate in a fresh store with limits,
//! `describe()`, grant what was declared and not denied, `run()`, validate
//! what came back, and turn it into a [`CheckRun`]. Any failure along the way
//! (not a component, wrong contract version, trap, deadline, memory cap,
//! contract violation) becomes a [`RunStatus::Error`] with the reason; it
//! never stops the other checks. Checks run concurrently on `jobs` threads
//! while one thread ticks the engine's epoch for the deadlines.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shipready_report::{CheckInfo, CheckRun, Finding, NotApplicable, RunStatus};
use wasmtime::component::Linker;
use wasmtime::{Store, Trap};

use crate::contract::plugin::{Described, Plugin, Pre, RunContext, version_of};
use crate::engine::{Compiled, Engine};
use crate::limits::Limits;
use crate::sandbox::State;
use crate::services::history::HistorySource;
use crate::services::repo::RepoIndex;

pub use shipready_report::CheckSource;

/// A host service a check can be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    Repo,
    Search,
    History,
    Http,
    Tls,
    Syntax,
}

impl Capability {
    pub const ALL: &[Capability] = &[
        Capability::Repo,
        Capability::Search,
        Capability::History,
        Capability::Http,
        Capability::Tls,
        Capability::Syntax,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Repo => "repo",
            Capability::Search => "search",
            Capability::History => "history",
            Capability::Http => "http",
            Capability::Tls => "tls",
            Capability::Syntax => "syntax",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// Where a check's component comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Builtin {
        package: &'static str,
        bytes: &'static [u8],
    },
    Plugin {
        path: PathBuf,
        /// The most this plugin may use (from the configuration); `None`:
        /// whatever it declares.
        granted: Option<Vec<Capability>>,
        /// Its settings from the configuration (key, JSON value).
        settings: Vec<(String, String)>,
    },
}

impl Source {
    /// The id to report under when the check fails before `describe()` answers.
    pub fn fallback_id(&self) -> String {
        match self {
            Source::Builtin { package, .. } => {
                package.trim_start_matches("shipready-check-").to_string()
            }
            Source::Plugin { path, .. } => {
                format!(
                    "plugin:{}",
                    path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned()
                    )
                )
            }
        }
    }

    fn report_source(&self) -> CheckSource {
        match self {
            Source::Builtin { .. } => CheckSource::Builtin,
            Source::Plugin { path, .. } => CheckSource::Plugin(path.display().to_string()),
        }
    }
}

/// What the user asked of this run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub limits: Limits,
    /// Checks run at once.
    pub jobs: usize,
    /// Capabilities refused to every check, whatever it declares.
    pub denied: Vec<Capability>,
    /// Run only these check ids (all when empty).
    pub only: Vec<String>,
    /// Never run these check ids.
    pub skip: Vec<String>,
    pub profile: String,
    pub urls: Vec<String>,
    /// `(check id, [(key, JSON value)])`.
    pub settings: Vec<(String, Vec<(String, String)>)>,
    /// Settings every check is given besides its own: the project's
    /// `[paths]` as `paths.tests` and the like.
    pub shared_settings: Vec<(String, String)>,
    /// The git history for checks that declare `history`.
    pub history: Option<Arc<HistorySource>>,
    /// Limit the run to a change: the files changed (`--since` in the
    /// `merge` profile). Checks are told, and `search.changed-files` obeys.
    pub changed: Option<Arc<BTreeSet<String>>>,
    /// The client for the `--url` targets, shared by every check of the run
    /// (one request budget per origin).
    pub http: Option<Arc<crate::services::http::HttpService>>,
    /// The TLS prober for the `https` targets, shared likewise.
    pub tls: Option<Arc<crate::services::tls::TlsService>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limits: Limits::default(),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            denied: Vec::new(),
            only: Vec::new(),
            skip: Vec::new(),
            profile: "launch".into(),
            urls: Vec::new(),
            settings: Vec::new(),
            shared_settings: Vec::new(),
            history: None,
            changed: None,
            http: None,
            tls: None,
        }
    }
}

/// One check's result plus what it logged (for `--verbose`).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub run: CheckRun,
    pub logs: Vec<String>,
    pub compiled: Option<Compiled>,
}

/// How far to go with each check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Describe,
    Run,
}

/// Loads and runs checks on one engine.
pub struct Runner {
    engine: Engine,
    linker: Linker<State>,
}

const TICK: Duration = Duration::from_millis(10);

impl Runner {
    pub fn new(engine: Engine) -> wasmtime::Result<Self> {
        let mut linker = Linker::new(&engine.inner);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        crate::contract::add_to_linker(&mut linker)?;
        Ok(Runner { engine, linker })
    }

    /// `describe()` every source (for `shipready checks` and `explain`).
    pub fn describe(&self, sources: &[Source], limits: Limits) -> Vec<Outcome> {
        let opts = RunOptions {
            limits,
            ..RunOptions::default()
        };
        self.each(sources, None, &opts, Mode::Describe, &|_| {})
    }

    /// Run every selected check against `repo`. `progress` is called as each
    /// check finishes. Results are in the order of `sources`; checks filtered
    /// out by `only` / `skip` are absent.
    pub fn run(
        &self,
        sources: &[Source],
        repo: Option<Arc<RepoIndex>>,
        opts: &RunOptions,
        progress: &(dyn Fn(&Outcome) + Sync),
    ) -> Vec<Outcome> {
        let mut outcomes = self.each(sources, repo, opts, Mode::Run, progress);
        reject_duplicate_ids(&mut outcomes);
        outcomes
    }

    fn each(
        &self,
        sources: &[Source],
        repo: Option<Arc<RepoIndex>>,
        opts: &RunOptions,
        mode: Mode,
        progress: &(dyn Fn(&Outcome) + Sync),
    ) -> Vec<Outcome> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; sources.len()]);
        let done = AtomicBool::new(false);
        std::thread::scope(|s| {
            // Parked between ticks, and woken as soon as the work is done so
            // a run never waits out a tick.
            let ticker = s.spawn(|| {
                while !done.load(Ordering::Acquire) {
                    std::thread::park_timeout(TICK);
                    self.engine.inner.increment_epoch();
                }
            });
            let stop_ticker = || {
                done.store(true, Ordering::Release);
                ticker.thread().unpark();
            };
            let workers: Vec<_> = (0..opts.jobs.clamp(1, sources.len().max(1)))
                .map(|_| {
                    s.spawn(|| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(source) = sources.get(i) else { break };
                            let outcome = self.one(source, repo.clone(), opts, mode);
                            if let Some(o) = &outcome {
                                progress(o);
                            }
                            results.lock().expect("results lock")[i] = outcome;
                        }
                    })
                })
                .collect();
            for w in workers {
                // A panic in the host is a bug; surface it rather than hide it.
                if let Err(p) = w.join() {
                    stop_ticker();
                    std::panic::resume_unwind(p);
                }
            }
            stop_ticker();
            ticker.join().expect("epoch ticker");
        });
        results
            .into_inner()
            .expect("results lock")
            .into_iter()
            .flatten()
            .collect()
    }

    /// Load, describe and (in `Run` mode) run one check. `None` when the
    /// check is filtered out.
    fn one(
        &self,
        source: &Source,
        repo: Option<Arc<RepoIndex>>,
        opts: &RunOptions,
        mode: Mode,
    ) -> Option<Outcome> {
        let started = Instant::now();
        let fail =
            |id: String, info: Option<CheckInfo>, reason: String, logs: Vec<String>, compiled| {
                Outcome {
                    run: CheckRun {
                        id,
                        source: source.report_source(),
                        info,
                        status: RunStatus::Error(reason),
                        findings: Vec::new(),
                        not_applicable: Vec::new(),
                        duration_ms: started.elapsed().as_millis() as u64,
                    },
                    logs,
                    compiled,
                }
            };
        let fallback = source.fallback_id();
        if mode == Mode::Run
            && is_filtered_out(&fallback, opts)
            && matches!(source, Source::Builtin { .. })
        {
            return None;
        }

        let bytes: std::borrow::Cow<[u8]> = match source {
            Source::Builtin { bytes, .. } => (*bytes).into(),
            Source::Plugin { path, .. } => match std::fs::read(path) {
                Ok(b) => b.into(),
                Err(e) => {
                    return Some(fail(
                        fallback,
                        None,
                        format!("cannot read {}: {e}", path.display()),
                        vec![],
                        None,
                    ));
                }
            },
        };
        let (component, compiled) = match self.engine.component(&bytes) {
            Ok(c) => c,
            Err(e) => return Some(fail(fallback, None, e.to_string(), vec![], None)),
        };
        let version = match version_of(&component, &self.engine.inner) {
            Ok(v) => v,
            Err(reason) => return Some(fail(fallback, None, reason, vec![], Some(compiled))),
        };
        let pre = match Pre::new(&self.linker, &component, version) {
            Ok(p) => p,
            Err(e) => {
                return Some(fail(
                    fallback,
                    None,
                    format!("imports something this host does not provide: {e:#}"),
                    vec![],
                    Some(compiled),
                ));
            }
        };

        let mut store = Store::new(
            &self.engine.inner,
            State::new(opts.limits, repo.clone(), opts.history.clone()),
        );
        store.limiter(|s| &mut s.memory);
        let ticks = (opts.limits.timeout.as_millis() / TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let (plugin, info) = match start(&pre, &mut store, &opts.limits) {
            Ok(started) => started,
            Err(reason) => {
                return Some(fail(
                    fallback,
                    None,
                    reason,
                    take_logs(&mut store),
                    Some(compiled),
                ));
            }
        };
        let id = info.0.id.clone();
        if mode == Mode::Describe {
            return Some(Outcome {
                run: CheckRun {
                    id,
                    source: source.report_source(),
                    info: Some(info.0),
                    status: RunStatus::Ok,
                    findings: vec![],
                    not_applicable: vec![],
                    duration_ms: started.elapsed().as_millis() as u64,
                },
                logs: take_logs(&mut store),
                compiled: Some(compiled),
            });
        }
        let (info, declared) = info;
        // A check that reads the repository has nothing to look at in a
        // URL-only run: it is not run, and its items say so.
        let needs_repo = declared.iter().any(|c| {
            matches!(
                c,
                Capability::Repo | Capability::Search | Capability::Syntax
            )
        });
        if is_filtered_out(&id, opts) || (needs_repo && repo.is_none()) {
            return None;
        }
        let allowed = match source {
            Source::Plugin {
                granted: Some(g), ..
            } => g.as_slice(),
            _ => Capability::ALL,
        };
        store.data_mut().granted = declared
            .into_iter()
            .filter(|c| allowed.contains(c) && !opts.denied.contains(c))
            .collect();
        store.data_mut().info = info.clone();
        store.data_mut().changed = opts.changed.clone();
        store.data_mut().http = opts.http.clone();
        store.data_mut().tls = opts.tls.clone();

        let ctx = RunContext {
            profile: opts.profile.clone(),
            has_repo: repo.is_some(),
            is_git: repo.as_ref().is_some_and(|r| r.is_git()),
            urls: opts.urls.clone(),
            settings: {
                let mut own = match source {
                    Source::Plugin { settings, .. } if !settings.is_empty() => settings.clone(),
                    _ => opts
                        .settings
                        .iter()
                        .find(|(c, _)| *c == id)
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default(),
                };
                for (key, value) in &opts.shared_settings {
                    if !own.iter().any(|(k, _)| k == key) {
                        own.push((key.clone(), value.clone()));
                    }
                }
                own
            },
            changed_files: opts.changed.as_ref().map(|c| c.iter().cloned().collect()),
        };
        let result = call_run(&plugin, &mut store, ctx, &opts.limits);
        let logs = take_logs(&mut store);
        Some(match result {
            Ok((findings, not_applicable)) => Outcome {
                run: CheckRun {
                    id,
                    source: source.report_source(),
                    info: Some(info),
                    status: RunStatus::Ok,
                    findings,
                    not_applicable,
                    duration_ms: started.elapsed().as_millis() as u64,
                },
                logs,
                compiled: Some(compiled),
            },
            Err(reason) => fail(id, Some(info), reason, logs, Some(compiled)),
        })
    }
}

fn is_filtered_out(id: &str, opts: &RunOptions) -> bool {
    (!opts.only.is_empty() && !opts.only.iter().any(|o| o == id))
        || opts.skip.iter().any(|s| s == id)
}

fn take_logs(store: &mut Store<State>) -> Vec<String> {
    std::mem::take(&mut store.data_mut().logs)
}

/// Why a call failed, in words a user can act on.
fn failure_reason(
    e: &wasmtime::Error,
    store: &Store<State>,
    limits: &Limits,
    during: &str,
) -> String {
    if let Some(violation) = &store.data().violation {
        return violation.clone();
    }
    if let Some(wanted) = store.data().memory.refused {
        return format!(
            "exceeded the memory cap of {} MiB during {during} (asked for {} MiB); raise it with --memory-limit if the check is trusted",
            limits.memory_bytes >> 20,
            wanted >> 20
        );
    }
    let stderr = store.data().stderr_text();
    let detail = if stderr.is_empty() {
        String::new()
    } else {
        format!(": {}", last_chars(&stderr, 600))
    };
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => format!(
            "timed out after {} s during {during} (raise it with --timeout if the check is trusted)",
            limits.timeout.as_secs_f64()
        ),
        Some(Trap::UnreachableCodeReached) => {
            format!("trapped during {during}: the check panicked or aborted{detail}")
        }
        Some(trap) => format!("trapped during {during}: {trap}{detail}"),
        None => format!("failed during {during}: {e:#}{detail}"),
    }
}

fn last_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut start = s.len() - n;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Check `describe()`'s answer against the contract's rules.
fn validate_info(raw: Described) -> Result<(CheckInfo, Vec<Capability>), String> {
    if !is_kebab(&raw.id) {
        return Err(format!(
            "broke the contract: check id `{}` is not kebab-case",
            raw.id
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for rule in &raw.rules {
        let ok = rule
            .id
            .strip_prefix(&format!("{}/", raw.id))
            .is_some_and(is_kebab);
        if !ok {
            return Err(format!(
                "broke the contract: rule id `{}` must be `{}/<kebab-case-name>`",
                rule.id, raw.id
            ));
        }
        if !seen.insert(rule.id.clone()) {
            return Err(format!(
                "broke the contract: rule `{}` is declared twice",
                rule.id
            ));
        }
    }
    let info = CheckInfo {
        id: raw.id,
        version: raw.version,
        title: raw.title,
        summary: raw.summary,
        capabilities: raw
            .capabilities
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        rules: raw.rules,
    };
    let declared = raw.capabilities;
    Ok((info, declared))
}

/// Instantiate, call `describe()` and check its answer against the contract.
fn start(
    pre: &Pre,
    store: &mut Store<State>,
    limits: &Limits,
) -> Result<(Plugin, (CheckInfo, Vec<Capability>)), String> {
    let plugin = pre
        .instantiate(store)
        .map_err(|e| failure_reason(&e, store, limits, "instantiating"))?;
    let described = plugin
        .describe(store)
        .map_err(|e| failure_reason(&e, store, limits, "describe()"))?;
    Ok((plugin, validate_info(described)?))
}

/// Call `run()`; findings arrived through the `findings` import meanwhile.
fn call_run(
    plugin: &Plugin,
    store: &mut Store<State>,
    ctx: RunContext,
    limits: &Limits,
) -> Result<(Vec<Finding>, Vec<NotApplicable>), String> {
    plugin
        .run(&mut *store, ctx)
        .map_err(|e| failure_reason(&e, store, limits, "run()"))??;
    let state = store.data_mut();
    Ok((
        std::mem::take(&mut state.findings),
        std::mem::take(&mut state.not_applicable),
    ))
}

/// Two checks with one id: keep the first (in source order), fail the others.
fn reject_duplicate_ids(outcomes: &mut [Outcome]) {
    let mut seen: Vec<(String, CheckSource)> = Vec::new();
    for o in outcomes.iter_mut() {
        if let Some((_, first)) = seen.iter().find(|(id, _)| *id == o.run.id) {
            let from = match first {
                CheckSource::Builtin => "built in".to_string(),
                CheckSource::Plugin(p) => format!("from {p}"),
            };
            o.run.status = RunStatus::Error(format!(
                "another check with id `{}` is already loaded ({from})",
                o.run.id
            ));
            o.run.findings.clear();
            o.run.not_applicable.clear();
        } else {
            seen.push((o.run.id.clone(), o.run.source.clone()));
        }
    }
}
