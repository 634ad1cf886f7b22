//! `switchboard map`: a payload in, unified JSON out, compiled or interpreted alike.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[test]
fn maps_a_whole_list_response_both_ways() {
    let file = "mappings/providers/trengo/examples/tickets_list.json";
    let compiled = run(
        &["map", "trengo", "tickets", "--file", file, "--remote-data"],
        None,
    );
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let interpreted = run(
        &[
            "map",
            "trengo",
            "tickets",
            "--file",
            file,
            "--remote-data",
            "--interpret",
        ],
        None,
    );
    assert!(
        interpreted.status.success(),
        "{}",
        String::from_utf8_lossy(&interpreted.stderr)
    );
    assert_eq!(compiled.stdout, interpreted.stdout);
    let v: serde_json::Value = serde_json::from_slice(&compiled.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["status"], "in_progress");
    assert_eq!(v[0]["created_at"], "2024-02-19T15:00:08Z");
}

#[test]
fn maps_one_record_from_stdin_in_another_time_zone() {
    let record = r#"{"id": 7, "status": "CLOSED", "created_at": "2024-02-19 16:00:08"}"#;
    let out = run(
        &[
            "map",
            "trengo",
            "tickets",
            "--method",
            "get",
            "--timezone",
            "UTC",
        ],
        Some(record),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["id"], "7");
    assert_eq!(v["status"], "closed");
    assert_eq!(v["created_at"], "2024-02-19T16:00:08Z");
    assert!(v["remote_data"].is_null());
}

#[test]
fn bad_input_gives_a_clear_error() {
    let out = run(&["map", "trengo", "tickets"], Some("{ not json"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the payload is not JSON"));
    // A wrong name is reported before any input is read (no payload given here).
    let out = run(&["map", "nope", "tickets"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The known resources are listed in order, each provider's with its name.
    let known = stderr
        .split_once("no compiled mapping for `nope tickets`; known: ")
        .and_then(|(_, rest)| rest.split_once(" (a mapping not built yet"))
        .map(|(known, _)| known.split(", ").collect::<Vec<_>>())
        .unwrap_or_default();
    assert!(known.contains(&"reamaze conversations"), "{stderr}");
    assert!(known.contains(&"trengo tickets"), "{stderr}");
    assert!(known.is_sorted(), "{stderr}");
    let out = run(&["map", "trengo", "widgets", "--interpret"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("trengo has no `get` on `widgets`"),
        "{stderr}"
    );
    // Methods that answer nothing have nothing to map.
    let out = run(&["map", "trengo", "tickets", "--method", "close"], None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`trengo tickets` has no `close` method; it has: list, get, create\n"),
        "{stderr}"
    );
    let out = run(
        &["map", "trengo", "tickets", "--method", "get"],
        Some(r#"{"subject": "no id"}"#),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("tickets.id"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn maps_records_inside_the_items_of_a_list() {
    // Re:amaze attachments live in each message: `messages[].attachments`.
    let file = "mappings/providers/reamaze/examples/message_attachments_list.json";
    let args = ["map", "reamaze", "attachments", "--file", file];
    let compiled = run(&args, None);
    assert!(compiled.status.success(), "{compiled:?}");
    let interpreted = run(&[&args[..], &["--interpret"]].concat(), None);
    assert_eq!(compiled.stdout, interpreted.stdout);
    let files: serde_json::Value = serde_json::from_slice(&compiled.stdout).unwrap();
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["invoice-1042.pdf", "screenshot.png"]);
}

#[test]
fn fields_from_the_call_take_params() {
    // Talkdesk notes do not name their case: the ticket comes from the call's `query.ticket_id`.
    let file = "mappings/providers/talkdesk/examples/case.json";
    let missing = run(&["map", "talkdesk", "notes", "--file", file], None);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("--param query.ticket_id="), "{stderr}");
    for interpret in [false, true] {
        let mut args = vec![
            "map",
            "talkdesk",
            "notes",
            "--file",
            file,
            "--param",
            "query.ticket_id=20808",
        ];
        if interpret {
            args.push("--interpret");
        }
        let out = run(&args, None);
        assert!(out.status.success(), "{out:?}");
        let notes: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(notes[0]["ticket"]["id"], "20808");
    }
    let bad = run(
        &[
            "map", "talkdesk", "notes", "--file", file, "--param", "nonsense",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("NAME=VALUE"));
}

#[test]
fn ids_keep_their_exact_source_text() {
    // Numbers no 64-bit type holds, and forms that print otherwise as floats.
    for (id, expected) in [
        (
            "123456789012345678901234567890",
            "123456789012345678901234567890",
        ),
        ("-0", "-0"),
        ("1e2", "1e2"),
        ("18446744073709551615", "18446744073709551615"),
        ("-9007199254740993", "-9007199254740993"),
    ] {
        let record = format!(r#"{{"id": {id}, "name": "Ada", "email": null}}"#);
        let out = run(
            &["map", "trengo", "contacts", "--method", "get"],
            Some(&record),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mapped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(mapped["id"], expected, "{id}");
    }
}

#[test]
fn native_resources_say_they_pass_answers_through() {
    for extra in [&[][..], &["--interpret"][..]] {
        let mut args = vec!["map", "puzzel_contact_centre", "users_search"];
        args.extend_from_slice(extra);
        let out = run(&args, Some("{}"));
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("`puzzel_contact_centre users_search` is a native resource: its methods pass the provider's answer through unmapped"),
            "{extra:?}: {stderr}"
        );
    }
}
