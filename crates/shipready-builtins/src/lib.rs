//! The built-in checks, as WebAssembly components embedded in the binary.
//!
//! `build.rs` compiles every crate under `checks/` for `wasm32-wasip2`; this
//! crate exposes the bytes. The host loads them exactly like third-party
//! plugins, under the same sandbox.

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The built-in components: `(package name, component bytes)`.
pub fn components() -> &'static [(&'static str, &'static [u8])] {
    COMPONENTS
}
