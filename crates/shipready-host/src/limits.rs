//! The bounds on every check run. A check that crosses one becomes an
//! `error` item in the report; the host and the other checks carry on.

use std::time::Duration;

/// Limits applied to each check, in its own store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory a check may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock deadline for `describe` and `run` together.
    pub timeout: Duration,
    /// Findings one run may return; more is a contract violation.
    pub max_findings: usize,
    /// Bytes kept of each text field of a finding (message, evidence, ...).
    pub max_field_bytes: usize,
    /// Hits one search call returns before it reports `truncated`.
    pub max_search_hits: usize,
    /// Bytes of log messages (and stderr) kept per check.
    pub max_log_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 512 << 20,
            timeout: Duration::from_secs(60),
            max_findings: 10_000,
            max_field_bytes: 4096,
            max_search_hits: 100_000,
            max_log_bytes: 64 << 10,
        }
    }
}

/// The memory limiter of one store: enforces [`Limits::memory_bytes`] and
/// remembers that it refused, so the report can say why the check died.
#[derive(Debug)]
pub(crate) struct MemoryCap {
    pub max: usize,
    pub refused: Option<usize>,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max {
            self.refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }

    fn instances(&self) -> usize {
        100
    }

    fn tables(&self) -> usize {
        100
    }

    fn memories(&self) -> usize {
        100
    }
}
