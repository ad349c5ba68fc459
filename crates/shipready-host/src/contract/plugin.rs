//! A loaded check, whatever contract version it was built against: which
//! version a component speaks, and `describe()` / `run()` through that
//! version's bindings, in version-neutral types.

use shipready_report::RuleInfo;
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use super::{PACKAGE, SUPPORTED, v0_1, v0_2, v0_3, v0_4, v0_5};
use crate::runner::Capability;
use crate::sandbox::State;

/// `describe()`'s answer.
pub(crate) struct Described {
    pub id: String,
    pub version: String,
    pub title: String,
    pub summary: String,
    pub capabilities: Vec<Capability>,
    pub rules: Vec<RuleInfo>,
}

/// What `run()` is told about the target.
pub(crate) struct RunContext {
    pub profile: String,
    pub has_repo: bool,
    pub is_git: bool,
    pub urls: Vec<String>,
    pub settings: Vec<(String, String)>,
    /// Contract 0.3.0 and later: the files of a change-limited run.
    pub changed_files: Option<Vec<String>>,
}

pub(crate) enum Pre {
    V0_1(v0_1::PluginPre<State>),
    V0_2(v0_2::PluginPre<State>),
    V0_3(v0_3::PluginPre<State>),
    V0_4(v0_4::PluginPre<State>),
    V0_5(v0_5::PluginPre<State>),
}

pub(crate) enum Plugin {
    V0_1(v0_1::Plugin),
    V0_2(v0_2::Plugin),
    V0_3(v0_3::Plugin),
    V0_4(v0_4::Plugin),
    V0_5(v0_5::Plugin),
}

/// The contract version a component is built against, or why it cannot be
/// loaded (another version, or not a check at all).
pub(crate) fn version_of(
    component: &Component,
    engine: &wasmtime::Engine,
) -> Result<&'static str, String> {
    let ty = component.component_type();
    let names: Vec<String> = ty
        .imports(engine)
        .map(|(n, _)| n.to_string())
        .chain(ty.exports(engine).map(|(n, _)| n.to_string()))
        .collect();
    let supported = || {
        SUPPORTED
            .iter()
            .map(|v| format!("{PACKAGE}@{v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for name in &names {
        if let Some(rest) = name.strip_prefix(&format!("{PACKAGE}/")) {
            let version = rest.split_once('@').map_or("(unversioned)", |(_, v)| v);
            if !SUPPORTED.contains(&version) {
                return Err(format!(
                    "built against contract {PACKAGE}@{version} (`{name}`); this shipready supports {}",
                    supported()
                ));
            }
        }
    }
    for (export, version) in [
        (v0_5::CHECK_EXPORT, v0_5::VERSION),
        (v0_4::CHECK_EXPORT, v0_4::VERSION),
        (v0_3::CHECK_EXPORT, v0_3::VERSION),
        (v0_2::CHECK_EXPORT, v0_2::VERSION),
        (v0_1::CHECK_EXPORT, v0_1::VERSION),
    ] {
        if names.iter().any(|n| n == export) {
            return Ok(version);
        }
    }
    Err(format!(
        "not a shipready check: the component exports none of {} (build it with shipready-sdk's `export!`)",
        [
            v0_5::CHECK_EXPORT,
            v0_4::CHECK_EXPORT,
            v0_3::CHECK_EXPORT,
            v0_2::CHECK_EXPORT,
            v0_1::CHECK_EXPORT
        ]
        .join(", ")
    ))
}

impl Pre {
    pub fn new(
        linker: &Linker<State>,
        component: &Component,
        version: &str,
    ) -> wasmtime::Result<Pre> {
        let pre = linker.instantiate_pre(component)?;
        Ok(match version {
            v0_1::VERSION => Pre::V0_1(v0_1::PluginPre::new(pre)?),
            v0_2::VERSION => Pre::V0_2(v0_2::PluginPre::new(pre)?),
            v0_3::VERSION => Pre::V0_3(v0_3::PluginPre::new(pre)?),
            v0_4::VERSION => Pre::V0_4(v0_4::PluginPre::new(pre)?),
            _ => Pre::V0_5(v0_5::PluginPre::new(pre)?),
        })
    }

    pub fn instantiate(&self, store: &mut Store<State>) -> wasmtime::Result<Plugin> {
        Ok(match self {
            Pre::V0_1(p) => Plugin::V0_1(p.instantiate(store)?),
            Pre::V0_2(p) => Plugin::V0_2(p.instantiate(store)?),
            Pre::V0_3(p) => Plugin::V0_3(p.instantiate(store)?),
            Pre::V0_4(p) => Plugin::V0_4(p.instantiate(store)?),
            Pre::V0_5(p) => Plugin::V0_5(p.instantiate(store)?),
        })
    }
}

macro_rules! described {
    ($m:ident, $raw:expr) => {{
        let raw = $raw;
        Described {
            id: raw.id,
            version: raw.version,
            title: raw.title,
            summary: raw.summary,
            capabilities: raw
                .capabilities
                .iter()
                .map(|c| $m::capability(*c))
                .collect(),
            rules: raw
                .rules
                .into_iter()
                .map(|r| RuleInfo {
                    id: r.id,
                    title: r.title,
                    severity: $m::severity(r.severity),
                    docs: r.docs,
                })
                .collect(),
        }
    }};
}

/// Call `run()`; fields after the context name what that version's
/// context has beyond 0.1.0's.
macro_rules! run_with {
    ($m:ident, $plugin:expr, $store:expr, $ctx:expr $(, $field:ident)*) => {{
        let ctx = $m::types::Context {
            profile: $ctx.profile,
            has_repo: $ctx.has_repo,
            is_git: $ctx.is_git,
            urls: $ctx.urls,
            settings: $ctx.settings,
            $($field: $ctx.$field,)*
        };
        $plugin
            .shipready_check_check()
            .call_run($store, &ctx)
            .map(|r| {
                r.map_err(|e| match e {
                    $m::types::CheckError::BadSettings(m) => format!("bad settings: {m}"),
                    $m::types::CheckError::Internal(m) => format!("the check failed: {m}"),
                })
            })
    }};
}

impl Plugin {
    pub fn describe(&self, store: &mut Store<State>) -> wasmtime::Result<Described> {
        Ok(match self {
            Plugin::V0_1(p) => described!(v0_1, p.shipready_check_check().call_describe(store)?),
            Plugin::V0_2(p) => described!(v0_2, p.shipready_check_check().call_describe(store)?),
            Plugin::V0_3(p) => described!(v0_3, p.shipready_check_check().call_describe(store)?),
            Plugin::V0_4(p) => described!(v0_4, p.shipready_check_check().call_describe(store)?),
            Plugin::V0_5(p) => described!(v0_5, p.shipready_check_check().call_describe(store)?),
        })
    }

    /// `Ok(Err(reason))` when the check itself reports failure.
    pub fn run(
        &self,
        store: &mut Store<State>,
        ctx: RunContext,
    ) -> wasmtime::Result<Result<(), String>> {
        match self {
            Plugin::V0_1(p) => run_with!(v0_1, p, store, ctx),
            Plugin::V0_2(p) => run_with!(v0_2, p, store, ctx),
            Plugin::V0_3(p) => run_with!(v0_3, p, store, ctx, changed_files),
            Plugin::V0_4(p) => run_with!(v0_4, p, store, ctx, changed_files),
            Plugin::V0_5(p) => run_with!(v0_5, p, store, ctx, changed_files),
        }
    }
}
