//! Compile guest crates to `wasm32-wasip2` components from a build script.
//!
//! The built-in checks (embedded in the binary) and the test plugins (used by
//! the end-to-end tests) are guest crates of this workspace. A build script
//! calls [`build_dir`]: one nested `cargo build --profile guest --target
//! wasm32-wasip2` for every crate in a directory, with its own target
//! directory so it never fights the outer build for a lock, then
//! `rerun-if-changed` for every source file the dep-info lists, and a
//! generated Rust table of `(package, include_bytes!(...))`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

/// A guest crate: its package name and the component it compiled to.
pub struct Guest {
    pub package: String,
    pub wasm: PathBuf,
}

/// Package names of the crates directly under `dir` (each `dir/*/Cargo.toml`), sorted.
pub fn packages_in(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", manifest.display());
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name").map(|r| r.trim_start()))
            .and_then(|r| r.strip_prefix('='))
            .map(|r| r.trim().trim_matches('"').to_string())
            .unwrap_or_else(|| panic!("{} has no package name", manifest.display()));
        names.push(name);
    }
    names.sort();
    names
}

fn target_installed() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    sysroot.is_some_and(|s| s.join("lib/rustlib").join(TARGET).exists())
}

/// The target is listed in rust-toolchain.toml, but rustup only installs it
/// on its own when auto-install is on; add it here so `cargo build` on a
/// fresh machine needs no other step.
fn ensure_target_installed() {
    if target_installed() {
        return;
    }
    let mut add = Command::new("rustup");
    add.args(["target", "add", TARGET]);
    if let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") {
        add.args(["--toolchain", &toolchain]);
    }
    let added = add.status().is_ok_and(|s| s.success());
    if !added || !target_installed() {
        panic!(
            "\n\nshipready's checks are WebAssembly components and need the `{TARGET}` Rust target.\n\
             Install it with:\n\n    rustup target add {TARGET}\n\n"
        );
    }
}

/// Build every crate under `crates_dir` (relative to the workspace root
/// `workspace`) for `wasm32-wasip2` and return the components.
pub fn build_dir(workspace: &Path, crates_dir: &Path) -> Vec<Guest> {
    ensure_target_installed();
    let packages = packages_in(crates_dir);
    println!("cargo:rerun-if-changed={}", crates_dir.display());
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    // Profiles, dependency versions and features: the workspace manifest,
    // the lockfile, and the manifests of the path crates guests depend on.
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    for entry in std::fs::read_dir(workspace.join("crates"))
        .into_iter()
        .flatten()
        .flatten()
    {
        println!(
            "cargo:rerun-if-changed={}",
            entry.path().join("Cargo.toml").display()
        );
    }
    if packages.is_empty() {
        return Vec::new();
    }
    // Share one guest target directory between the debug and release builds
    // of the host: target/<profile>/build/<pkg>/out -> target/wasm-guests.
    let out_dir =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set for build scripts"));
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .map(|t| t.join("wasm-guests"))
        .unwrap_or_else(|| out_dir.join("wasm-guests"));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args(["build", "--profile", "guest", "--target", TARGET])
        .arg("--target-dir")
        .arg(&target_dir);
    for p in &packages {
        cmd.args(["-p", p]);
    }
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running cargo for the guest crates: {e}"));
    if !status.success() {
        panic!("building the guest crates {packages:?} for {TARGET} failed (see the errors above)");
    }

    let dir = target_dir.join(TARGET).join("guest");
    packages
        .into_iter()
        .map(|package| {
            let stem = package.replace('-', "_");
            let wasm = dir.join(format!("{stem}.wasm"));
            assert!(wasm.exists(), "{} was not produced", wasm.display());
            if let Ok(deps) = std::fs::read_to_string(dir.join(format!("{stem}.d"))) {
                for dep in dep_info_sources(&deps) {
                    println!("cargo:rerun-if-changed={dep}");
                }
            }
            Guest { package, wasm }
        })
        .collect()
}

/// The source files a cargo dep-info file lists (everything after `target:`).
fn dep_info_sources(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((_, deps)) = line.split_once(": ") else {
            continue;
        };
        let mut current = String::new();
        let mut chars = deps.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    current.push(' ');
                    chars.next();
                }
                ' ' => {
                    if !current.is_empty() {
                        out.push(std::mem::take(&mut current));
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// Rust source for a `pub static NAME: &[(&str, &[u8])]` table of the guests.
pub fn table(name: &str, guests: &[Guest]) -> String {
    let mut src = format!("pub static {name}: &[(&str, &[u8])] = &[\n");
    for g in guests {
        writeln!(
            src,
            "    ({:?}, include_bytes!({:?})),",
            g.package,
            g.wasm.display().to_string()
        )
        .unwrap();
    }
    src.push_str("];\n");
    src
}

#[cfg(test)]
mod tests {
    #[test]
    fn dep_info_with_escaped_spaces() {
        let deps =
            super::dep_info_sources("/t/x.wasm: /src/a.rs /src/my\\ file.rs\n\n/src/a.rs:\n");
        assert_eq!(deps, ["/src/a.rs", "/src/my file.rs"]);
    }
}
