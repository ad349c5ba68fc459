//! Bindings and host implementations for `shipready:check@0.1.0`.

use shipready_report::{CheckInfo, Finding, Location, NotApplicable, Severity, Span, fingerprint};
use wasmtime::StoreContextMut;
use wasmtime::component::{HasSelf, Linker, WasmList};

use crate::runner::Capability;
use crate::sandbox::State;
use crate::services::repo::{AccessError, FileKind};
use crate::services::search::{self, PatternSpec};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "plugin",
});

pub use exports::shipready::check::check as guest;
pub use shipready::check::types;
use shipready::check::{log, repo, search as search_wit};

pub const VERSION: &str = "0.1.0";
/// The interface a check must export.
pub const CHECK_EXPORT: &str = "shipready:check/check@0.1.0";

/// The interface findings are reported through, linked by hand so a batch's
/// length is checked before any of it is copied out of the guest.
const FINDINGS_IMPORT: &str = "shipready:check/findings@0.1.0";

pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    types::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    repo::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    search_wit::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    log::add_to_linker::<State, HasSelf<State>>(linker, |s| s)?;
    let mut findings = linker.instance(FINDINGS_IMPORT)?;
    findings.func_wrap(
        "report",
        |mut store: StoreContextMut<'_, State>, (batch,): (WasmList<types::Finding>,)| {
            let state = store.data();
            let max = state.limits.max_findings;
            if state.findings.len() + batch.len() > max {
                return Err(state_violation(
                    &mut store,
                    format!("reported more than {max} findings, the cap"),
                ));
            }
            let raw: Vec<types::Finding> =
                batch.iter(&mut store)?.collect::<wasmtime::Result<_>>()?;
            for f in raw {
                match convert_finding(f, &store.data().info, store.data().limits.max_field_bytes) {
                    Ok(f) => store.data_mut().findings.push(f),
                    Err(reason) => return Err(state_violation(&mut store, reason)),
                }
            }
            Ok(())
        },
    )?;
    findings.func_wrap(
        "not-applicable",
        |mut store: StoreContextMut<'_, State>, (rule, reason): (String, String)| {
            let state = store.data();
            if !state.info.rules.iter().any(|r| r.id == rule) {
                let reason = format!(
                    "broke the contract: not-applicable names undeclared rule `{}`",
                    clip(rule, 200)
                );
                return Err(state_violation(&mut store, reason));
            }
            if state.not_applicable.len() >= state.info.rules.len() * 4 {
                return Err(state_violation(
                    &mut store,
                    "broke the contract: too many not-applicable calls".into(),
                ));
            }
            let max = state.limits.max_field_bytes;
            store.data_mut().not_applicable.push(NotApplicable {
                rule,
                reason: clip(reason, max),
            });
            Ok(())
        },
    )?;
    Ok(())
}

/// Record why the host stopped the check, and make the trap that stops it.
fn state_violation(store: &mut StoreContextMut<'_, State>, reason: String) -> wasmtime::Error {
    store.data_mut().violation = Some(reason.clone());
    wasmtime::format_err!(reason)
}

pub(crate) fn clip(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

pub(crate) fn severity(s: types::Severity) -> Severity {
    match s {
        types::Severity::Info => Severity::Info,
        types::Severity::Low => Severity::Low,
        types::Severity::Medium => Severity::Medium,
        types::Severity::High => Severity::High,
        types::Severity::Critical => Severity::Critical,
    }
}

/// A guest finding as the report's: rule declared, default severity
/// applied, text fields clipped, fingerprint computed.
fn convert_finding(f: types::Finding, info: &CheckInfo, max: usize) -> Result<Finding, String> {
    let Some(rule) = info.rules.iter().find(|r| r.id == f.rule) else {
        return Err(format!(
            "broke the contract: a finding names rule `{}`, which describe() did not declare",
            clip(f.rule, 200)
        ));
    };
    let location = f.location.map(|l| match l {
        types::Location::File(fl) => Location::File {
            path: clip(fl.path, max),
            span: fl.span.map(|s| Span {
                start_line: s.start_line,
                start_column: s.start_column,
                end_line: s.end_line,
                end_column: s.end_column,
            }),
        },
        types::Location::Url(u) => Location::Url { url: clip(u, max) },
    });
    let message = clip(f.message, max);
    let evidence = f.evidence.map(|e| clip(e, max));
    let key = f
        .fingerprint
        .as_deref()
        .or(evidence.as_deref())
        .unwrap_or(&message)
        .to_string();
    Ok(Finding {
        fingerprint: fingerprint(&rule.id, location.as_ref(), &key),
        rule: rule.id.clone(),
        check: info.id.clone(),
        severity: f.severity.map(severity).unwrap_or(rule.severity),
        message,
        location,
        evidence,
        remediation: f.remediation.map(|r| clip(r, max)),
        suppressed: None,
        baselined: false,
    })
}

pub fn capability(c: types::Capability) -> Capability {
    match c {
        types::Capability::Repo => Capability::Repo,
        types::Capability::Search => Capability::Search,
    }
}

fn wit_capability(c: Capability) -> types::Capability {
    match c {
        Capability::Repo => types::Capability::Repo,
        Capability::Search => types::Capability::Search,
    }
}

impl State {
    fn require(
        &self,
        c: Capability,
    ) -> Result<&crate::services::repo::RepoIndex, types::HostError> {
        if !self.granted.contains(&c) {
            return Err(types::HostError::NotGranted(wit_capability(c)));
        }
        self.repo.as_deref().ok_or_else(|| {
            types::HostError::Invalid("no repository is being checked (URL-only run)".into())
        })
    }
}

fn host_error(e: AccessError) -> types::HostError {
    match e {
        AccessError::Invalid(m) => types::HostError::Invalid(m),
        AccessError::Io(m) => types::HostError::Io(m),
    }
}

impl types::Host for State {}

impl repo::Host for State {
    fn files(&mut self, globs: Vec<String>) -> Result<Vec<repo::FileInfo>, types::HostError> {
        let index = self.require(Capability::Repo)?;
        let files = index.files(&globs).map_err(host_error)?;
        Ok(files
            .into_iter()
            .map(|e| repo::FileInfo {
                path: e.path.clone(),
                size: e.size,
                kind: match e.kind {
                    FileKind::Text => repo::FileKind::Text,
                    FileKind::Binary => repo::FileKind::Binary,
                    FileKind::TooLarge => repo::FileKind::TooLarge,
                    FileKind::NotUtf8 => repo::FileKind::NotUtf8,
                },
                language: e.language.map(str::to_string),
            })
            .collect())
    }

    fn read(&mut self, path: String) -> Result<Vec<u8>, types::HostError> {
        self.require(Capability::Repo)?
            .read(&path)
            .map_err(host_error)
    }
}

impl search_wit::Host for State {
    fn files(
        &mut self,
        patterns: Vec<search_wit::Pattern>,
        globs: Vec<String>,
    ) -> Result<search_wit::Hits, types::HostError> {
        let max = self.limits.max_search_hits;
        let index = self.require(Capability::Search)?;
        let specs: Vec<PatternSpec> = patterns
            .into_iter()
            .map(|p| PatternSpec {
                id: p.id,
                regex: p.regex,
                keywords: p.keywords,
            })
            .collect();
        let (hits, truncated) = search::search(index, &specs, &globs, max).map_err(host_error)?;
        Ok(search_wit::Hits {
            truncated,
            hits: hits
                .into_iter()
                .map(|h| search_wit::Hit {
                    pattern: h.pattern,
                    path: h.path,
                    line: h.line,
                    column: h.column,
                    matched: h.matched,
                    line_text: h.line_text,
                    groups: h.groups,
                })
                .collect(),
        })
    }
}

impl log::Host for State {
    fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
        };
        self.push_log(format!("{level}: {message}"));
    }
}
