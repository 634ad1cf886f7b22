//! Snapshots of what the compiler generates for the `fixtures/acme` mappings.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use switchboard_compiler::Settings;

fn output() -> switchboard_compiler::Output {
    Settings::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme"))
        .generate()
        .expect("the fixture compiles")
}

#[test]
fn provider_module() {
    insta::assert_snapshot!(output().files["src/providers/acme.rs"]);
}

#[test]
fn unified_model_module() {
    insta::assert_snapshot!(output().files["src/unified/ticketing.rs"]);
}

#[test]
fn openapi_document() {
    insta::assert_snapshot!(output().files["openapi/unified.json"]);
}

#[test]
fn output_is_byte_identical_across_runs() {
    assert_eq!(output(), output());
}
