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

/// `check` on a copy of the fixture with `prepare` applied to its root.
fn check_prepared(prepare: impl FnOnce(&std::path::Path)) -> (Output, tempfile::TempDir) {
    let (tmp, root) = common::mappings_with::<&str>(&[]);
    prepare(&root);
    let out = run(&["check", "--mappings", root.to_str().unwrap()]);
    (out, tmp)
}

#[test]
fn deeply_nested_yaml_is_a_diagnostic_not_a_crash() {
    let (out, _tmp) = check_prepared(|root| {
        let deep = "- ".repeat(200_000) + "x\n";
        std::fs::write(root.join("providers/acme/deep.yaml"), deep).unwrap();
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("nest more than 64 levels"),
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.len() < 20_000,
        "the long line is cut around the span: {} bytes",
        err.len()
    );
}

#[test]
fn many_keys_are_checked_in_linear_time_and_a_repeat_is_found() {
    let (out, _tmp) = check_prepared(|root| {
        let mut yaml: String = (0..100_000).map(|i| format!("k{i}: 1\n")).collect();
        yaml.push_str("k77: 2\n");
        std::fs::write(root.join("providers/acme/keys.yaml"), yaml).unwrap();
    });
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("duplicate key `k77`"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn links_fifos_and_devices_are_never_followed_or_read() {
    use std::os::unix::fs::symlink;
    // Links to `.` would make the walk exponential; they are not entered.
    let (out, _tmp) = check_prepared(|root| {
        let dir = root.join("providers/acme");
        symlink(".", dir.join("a")).unwrap();
        symlink(".", dir.join("b")).unwrap();
        symlink("..", root.join("providers/loop")).unwrap();
    });
    assert!(out.status.success(), "{}", text(&out.stderr));

    // An example that is a FIFO (it would block) or a link to a device (it would never end).
    let (out, _tmp) = check_prepared(|root| {
        let examples = root.join("providers/acme/examples");
        std::fs::remove_file(examples.join("get.json")).unwrap();
        let made = Command::new("mkfifo")
            .arg(examples.join("get.json"))
            .status()
            .unwrap();
        assert!(made.success());
        std::fs::remove_file(examples.join("list.json")).unwrap();
        symlink("/dev/zero", examples.join("list.json")).unwrap();
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("get.json is not a regular file"), "{err}");
    assert!(err.contains("outside the mappings directory"), "{err}");

    // A provider file that is a link out of the tree is refused by name.
    let (out, _tmp) = check_prepared(|root| {
        let provider = root.join("providers/acme/provider.yaml");
        std::fs::remove_file(&provider).unwrap();
        symlink("/dev/zero", &provider).unwrap();
    });
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("outside the mappings directory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn files_over_the_size_cap_are_refused_with_the_limit() {
    let (out, _tmp) = check_prepared(|root| {
        let big = format!("[{}0]", "0, ".repeat(6 << 20));
        std::fs::write(root.join("providers/acme/examples/list.json"), big).unwrap();
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("larger than the 16 MiB limit"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_empty_mappings_directory_is_an_error_and_build_keeps_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("mappings");
    std::fs::create_dir_all(empty.join("providers")).unwrap();
    let out = run(&["check", "--mappings", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no provider found"),
        "{}",
        text(&out.stderr)
    );

    let generated = tmp.path().join("generated");
    let built = run(&[
        "build",
        "--mappings",
        common::fixture().to_str().unwrap(),
        "--out",
        generated.to_str().unwrap(),
    ]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let before = std::fs::read_dir(generated.join("src/providers"))
        .unwrap()
        .count();
    let out = run(&[
        "build",
        "--mappings",
        empty.to_str().unwrap(),
        "--out",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_dir(generated.join("src/providers"))
            .unwrap()
            .count(),
        before
    );
    assert!(
        generated.join("openapi/unified.json").is_file(),
        "nothing was deleted"
    );
}
