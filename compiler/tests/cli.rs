//! The `switchboard-compiler` binary: exit codes, diagnostics on stderr, `--format json`, and
//! the `build --check` staleness gate.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard-compiler"))
        .args(args)
        .output()
        .expect("the compiler binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn build_then_check_detects_stale_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("generated");
    let mappings = common::fixture();
    let (m, o) = (mappings.to_str().unwrap(), out.to_str().unwrap());

    let built = run(&["build", "--mappings", m, "--out", o]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert!(out.join("src/providers/acme.rs").is_file());
    assert!(out.join("openapi/unified.json").is_file());

    let fresh = run(&["build", "--mappings", m, "--out", o, "--check"]);
    assert!(fresh.status.success(), "{}", text(&fresh.stderr));

    // A hand edit makes the output stale, and the message names the command that fixes it.
    let edited = out.join("src/providers/acme.rs");
    let mut code = std::fs::read_to_string(&edited).unwrap();
    code.push_str("// hand edit\n");
    std::fs::write(&edited, code).unwrap();
    std::fs::write(out.join("src/leftover.rs"), "// no longer generated\n").unwrap();
    let stale = run(&["build", "--mappings", m, "--out", o, "--check"]);
    assert!(!stale.status.success());
    let err = text(&stale.stderr);
    assert!(err.contains("out of date: src/providers/acme.rs"), "{err}");
    assert!(
        err.contains("no longer generated: src/leftover.rs"),
        "{err}"
    );
    assert!(
        err.contains("cargo run -p switchboard-compiler -- build"),
        "{err}"
    );

    // Building again repairs it, removing what is no longer generated.
    assert!(
        run(&["build", "--mappings", m, "--out", o])
            .status
            .success()
    );
    assert!(!out.join("src/leftover.rs").exists());
    assert!(
        run(&["build", "--mappings", m, "--out", o, "--check"])
            .status
            .success()
    );
}

#[test]
fn check_reports_problems_with_locations_and_fails() {
    let (tmp, root) = common::mappings_with(&[(
        "providers/acme/tickets.yaml",
        "name: contact.name",
        "name: contact.emial",
    )]);

    let out = run(&["check", "--mappings", root.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("error[SB020]"), "{err}");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("mappings/providers/acme/tickets.yaml:82:19"),
        "{err}"
    );

    let json = run(&[
        "check",
        "--mappings",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(!json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["count"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "SB020");
    assert_eq!(v["diagnostics"][0]["location"]["line"], 82);

    // Nothing was written by a failed build.
    let o = tmp.path().join("out");
    let build = run(&[
        "build",
        "--mappings",
        root.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
    ]);
    assert!(!build.status.success());
    assert!(!o.exists());
}

#[test]
fn warnings_fail_only_when_denied() {
    let (_tmp, root) = common::mappings_with(&[(
        "providers/acme/tickets.yaml",
        "      source: https://docs.acme.test/tickets\n",
        "",
    )]);
    let r = root.to_str().unwrap();
    let warned = run(&["check", "--mappings", r]);
    assert_eq!(warned.status.code(), Some(0), "{}", text(&warned.stderr));
    assert!(text(&warned.stderr).contains("warning[SB091]"));
    let denied = run(&["check", "--mappings", r, "--deny", "warnings"]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn usage_errors_exit_with_2() {
    let out = run(&["check", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_mappings_directory_is_a_clear_error() {
    let out = run(&["check", "--mappings", "/nonexistent/mappings"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("mappings directory not found"), "{err}");
}
