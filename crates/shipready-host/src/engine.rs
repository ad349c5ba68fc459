//! The wasmtime engine and the cache of compiled components.
//!
//! Compiling a component with Cranelift costs far more than running a check,
//! so compiled code is cached on disk under
//! `<cache-dir>/components/<engine-compat>/<sha256-of-component>.cwasm`:
//! the engine's compatibility hash covers the wasmtime version and every
//! setting that changes generated code, the content hash the component
//! itself. A warm run only maps the cached file. A cache file that fails to
//! load (truncated, from another build) is recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("could not configure the WebAssembly engine: {0}")]
    Config(String),
    #[error("not a WebAssembly file (it does not start with the `\\0asm` magic)")]
    NotWasm,
    #[error(
        "a core WebAssembly module, not a component: build the check for the `wasm32-wasip2` target (`cargo build --target wasm32-wasip2`)"
    )]
    CoreModule,
    #[error("invalid WebAssembly component: {0}")]
    Invalid(String),
}

/// The engine shared by every check of a run.
pub struct Engine {
    pub(crate) inner: wasmtime::Engine,
    cache: Option<PathBuf>,
}

/// How a component was obtained, for the benchmark and `--verbose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compiled {
    /// Loaded from the on-disk cache.
    Cached,
    /// Compiled now (and stored, when a cache is configured).
    Fresh,
}

impl Engine {
    /// An engine with epoch interruption on; `cache` is the cache directory,
    /// `None` to compile in memory every time.
    pub fn new(cache: Option<PathBuf>) -> Result<Self, EngineError> {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.cranelift_opt_level(wasmtime::OptLevel::Speed);
        // Virtual address space reserved per memory: keep it modest so many
        // checks can run at once; growth past it is copied, not refused.
        config.memory_reservation(1 << 30);
        let inner =
            wasmtime::Engine::new(&config).map_err(|e| EngineError::Config(format!("{e:#}")))?;
        Ok(Engine { inner, cache })
    }

    /// The default cache directory: `$SHIPREADY_CACHE_DIR`, else the user's
    /// cache directory, else none.
    pub fn default_cache_dir() -> Option<PathBuf> {
        std::env::var_os("SHIPREADY_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| dirs::cache_dir().map(|d| d.join("shipready")))
    }

    fn compat_dir(&self, root: &Path) -> PathBuf {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.precompile_compatibility_hash().hash(&mut h);
        root.join("components").join(format!("{:016x}", h.finish()))
    }

    /// Compile `bytes`, or load them from the cache.
    pub fn component(&self, bytes: &[u8]) -> Result<(Component, Compiled), EngineError> {
        if !bytes.starts_with(b"\0asm") {
            return Err(EngineError::NotWasm);
        }
        if wasmparser_is_core_module(bytes) {
            return Err(EngineError::CoreModule);
        }
        let Some(root) = &self.cache else {
            let c = Component::new(&self.inner, bytes)
                .map_err(|e| EngineError::Invalid(format!("{e:#}")))?;
            return Ok((c, Compiled::Fresh));
        };
        let path = self
            .compat_dir(root)
            .join(format!("{}.cwasm", hex::encode(Sha256::digest(bytes))));
        if path.exists() {
            // SAFETY: the file was written by `precompile_component` of an
            // engine with the same compatibility hash, into the user's own
            // cache directory; a damaged file fails validation and is rebuilt.
            if let Ok(c) = unsafe { Component::deserialize_file(&self.inner, &path) } {
                return Ok((c, Compiled::Cached));
            }
        }
        let compiled = self
            .inner
            .precompile_component(bytes)
            .map_err(|e| EngineError::Invalid(format!("{e:#}")))?;
        // The cache is an optimisation: failing to write it is not an error.
        let _ = write_atomically(&path, &compiled);
        // SAFETY: produced just above by this engine.
        let c = unsafe { Component::deserialize(&self.inner, &compiled) }
            .map_err(|e| EngineError::Invalid(format!("{e:#}")))?;
        Ok((c, Compiled::Fresh))
    }
}

/// The binary format's layer field: 0 for core modules, 1 for components.
fn wasmparser_is_core_module(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[4..8] == [1, 0, 0, 0]
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}-{n}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_wasm_and_core_modules_with_a_clear_reason() {
        let engine = Engine::new(None).unwrap();
        assert!(matches!(
            engine.component(b"hello"),
            Err(EngineError::NotWasm)
        ));
        let core = b"\0asm\x01\0\0\0";
        let err = engine.component(core).unwrap_err();
        assert!(err.to_string().contains("wasm32-wasip2"), "{err}");
    }
}
