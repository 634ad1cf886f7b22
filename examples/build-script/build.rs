//! Compiles the repository's mappings into `$OUT_DIR/switchboard.rs` (a crate of your own would
//! point at its own `mappings/`).

fn main() {
    let mappings = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../mappings");
    if let Err(e) = switchboard_compiler::Settings::new(mappings).build_script() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
