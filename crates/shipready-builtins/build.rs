//! Compile every crate under `checks/` to a component and embed them.

use std::path::Path;

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest
        .join("../..")
        .canonicalize()
        .expect("workspace root");
    let guests = shipready_guest_build::build_dir(&workspace, &workspace.join("checks"));
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(out, shipready_guest_build::table("COMPONENTS", &guests)).unwrap();
}
