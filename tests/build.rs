//! Compile the test plugins under `tests/plugins/` (hostile and trivial
//! checks) to components for the end-to-end tests and the benchmark.

use std::path::Path;

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.join("..").canonicalize().expect("workspace root");
    let guests = shipready_guest_build::build_dir(&workspace, &manifest.join("plugins"));
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("plugins.rs");
    let mut src = String::from("pub static PLUGIN_PATHS: &[(&str, &str)] = &[\n");
    for g in &guests {
        src.push_str(&format!(
            "    ({:?}, {:?}),\n",
            g.package,
            g.wasm.display().to_string()
        ));
    }
    src.push_str("];\n");
    std::fs::write(out, src).unwrap();
}
