//! The staleness gate: the committed `generated/` must be exactly what the compiler produces
//! from the committed `mappings/`.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use switchboard_compiler::Settings;
use switchboard_tests::repo_root;

#[test]
fn committed_generated_code_is_fresh() {
    let root = repo_root();
    let settings = Settings::new(root.join("mappings")).with_out_dir(root.join("generated"));
    let stale = match settings.stale() {
        Ok(stale) => stale,
        Err(e) => panic!("the committed mappings do not compile:\n{e}"),
    };
    assert!(
        stale.is_empty(),
        "generated/ is stale:\n{}\nrun `cargo run -p switchboard-compiler -- build` and commit the result",
        stale.iter().map(|s| format!("  {s}\n")).collect::<String>()
    );
}

#[test]
fn generation_is_deterministic() {
    let settings = Settings::new(repo_root().join("mappings"));
    let first = settings.generate().expect("mappings compile");
    let second = settings.generate().expect("mappings compile");
    assert_eq!(first, second);
    assert!(first.files.contains_key("src/providers/trengo.rs"));
    assert!(first.files.contains_key("openapi/unified.json"));
}
