//! `switchboard demo`: the main job on the built-in sandbox, no account and no network needed.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::process::Command;

#[test]
fn demo_lists_every_providers_tickets_from_the_sandbox() {
    let out = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "Trengo (emulated) at http://127.0.0.1:",
        "Re:amaze (emulated) at http://127.0.0.1:",
        "Talkdesk Cases (emulated) at http://127.0.0.1:",
        "42 conversations from Re:amaze.",
        "120 cases from Talkdesk Cases.",
        "60 tickets from Puzzel Case Management (modeled API, inferred).",
        "… and 100 more",
        "Puzzel Contact Centre (emulated) at http://127.0.0.1:",
        "  Ada          LoggedOn   Available",
        "  Front line   3 waiting, 2 agents ready",
        "84 tools from Puzzel Contact Centre",
    ] {
        assert!(stdout.contains(line), "`{line}` missing from:\n{stdout}");
    }
    assert!(stdout.contains(" tickets from Trengo."), "{stdout}");
}
