//! The state of one check's store: an empty WASI context (no files, no
//! network, no environment, no arguments; stdout discarded, stderr captured
//! to a bounded buffer for panic messages), the memory cap, the capabilities
//! granted, the shared repository index, and bounded logs.

use std::collections::BTreeSet;
use std::sync::Arc;

use shipready_report::{CheckInfo, Finding, NotApplicable};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::{Limits, MemoryCap};
use crate::runner::Capability;
use crate::services::history::HistorySource;
use crate::services::repo::RepoIndex;

pub(crate) struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub memory: MemoryCap,
    pub granted: Vec<Capability>,
    pub repo: Option<Arc<RepoIndex>>,
    pub history: Option<Arc<HistorySource>>,
    /// The files of a change-limited run (`search.changed-files`).
    pub changed: Option<Arc<BTreeSet<String>>>,
    /// The run's client for its `--url` targets.
    pub http: Option<Arc<crate::services::http::HttpService>>,
    /// The run's TLS prober for its `https` targets.
    pub tls: Option<Arc<crate::services::tls::TlsService>>,
    pub limits: Limits,
    pub logs: Vec<String>,
    log_bytes: usize,
    pub stderr: MemoryOutputPipe,
    /// What `describe()` declared: the rules findings may name.
    pub info: CheckInfo,
    pub findings: Vec<Finding>,
    pub not_applicable: Vec<NotApplicable>,
    /// Why the host stopped the check, when it broke the contract or a cap.
    pub violation: Option<String>,
}

impl State {
    pub fn new(
        limits: Limits,
        repo: Option<Arc<RepoIndex>>,
        history: Option<Arc<HistorySource>>,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(limits.max_log_bytes);
        let wasi = WasiCtx::builder()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        State {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap {
                max: limits.memory_bytes,
                refused: None,
            },
            granted: Vec::new(),
            repo,
            history,
            changed: None,
            http: None,
            tls: None,
            limits,
            logs: Vec::new(),
            log_bytes: 0,
            stderr,
            info: CheckInfo {
                id: String::new(),
                version: String::new(),
                title: String::new(),
                summary: String::new(),
                capabilities: Vec::new(),
                rules: Vec::new(),
            },
            findings: Vec::new(),
            not_applicable: Vec::new(),
            violation: None,
        }
    }

    /// Keep a log line while under the byte budget.
    pub fn push_log(&mut self, line: String) {
        if self.log_bytes + line.len() <= self.limits.max_log_bytes {
            self.log_bytes += line.len();
            self.logs.push(line);
        }
    }

    /// What the guest wrote to stderr (a panic message, usually), lossily decoded.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents())
            .trim()
            .to_string()
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
