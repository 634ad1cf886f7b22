//! schemathesis (from PyPI; `.ci/run` installs it) against a live `serve --sandbox`, with
//! `unified.json` and every proxy document as the server serves them, all its checks, and
//! the settings and hooks in `tests/clients/` (which say why each is there). Any failure or
//! error fails the test with schemathesis's report.
//!
//! The server's own endpoints run last: schemathesis learns ids from answers, so it deletes
//! the demo accounts and revokes the key it calls with.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::process::Stdio;

use serde_json::{Map, Value};

/// Cases per operation and the seed (fixed, so a CI failure replays; override with
/// SWITCHBOARD_SCHEMATHESIS_SEED).
const EXAMPLES: &str = "12";
const SEED: &str = "20261204";

async fn schemathesis(
    url: &str,
    key: &str,
    accounts: &str,
    provider: &str,
    filter: &[&str],
) -> (bool, String) {
    let clients = common::repo().join("tests/clients");
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().to_path_buf();
    let seed = std::env::var("SWITCHBOARD_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.into());
    // The Python that has schemathesis (SWITCHBOARD_PYTHON, else `python3`).
    let python = std::env::var("SWITCHBOARD_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = std::process::Command::new(&python);
    command
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(clients.join("schemathesis.toml"))
        .args(["run", url, "--max-examples", EXAMPLES, "--seed", &seed])
        .args(["--phases", "examples,coverage,fuzzing", "--workers", "2"])
        .args(["--generation-database", "none", "--no-color"])
        .args(filter)
        .current_dir(&dir)
        .env("PYTHONPATH", &clients)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("SWITCHBOARD_KEY", key)
        .env("SWITCHBOARD_ACCOUNTS", accounts)
        .env("SWITCHBOARD_PROVIDER", provider)
        .stdin(Stdio::null());
    // The server runs on the runtime's workers meanwhile.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 -m schemathesis.cli ({e}); install it: python3 -m pip install schemathesis==4.32.5")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !text.contains("No module named schemathesis"),
        "schemathesis is not installed: python3 -m pip install schemathesis==4.32.5"
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_in_any_document() {
    let server = common::unlimited().await;
    let listening = server.listen().await.unwrap();
    let accounts: Map<String, Value> = server
        .accounts
        .iter()
        .map(|(p, id)| (p.clone(), Value::String(id.clone())))
        .collect();
    let accounts = Value::Object(accounts).to_string();
    let own = "^/(keys|accounts)";
    let mut runs: Vec<(String, String, Vec<&str>)> = vec![(
        "unified".into(),
        String::new(),
        vec!["--exclude-path-regex", own],
    )];
    for (provider, _) in &server.accounts {
        runs.push((provider.clone(), provider.clone(), Vec::new()));
    }
    runs.push((
        "unified".into(),
        String::new(),
        vec!["--include-path-regex", own],
    ));
    let mut failed = Vec::new();
    for (document, provider, filter) in &runs {
        let url = format!("{}/openapi/{document}.json", listening.url);
        let (ok, report) = schemathesis(&url, &server.key, &accounts, provider, filter).await;
        let summary: String = report
            .lines()
            .skip_while(|l| !l.contains(" SUMMARY "))
            .collect::<Vec<_>>()
            .join("\n");
        println!("== {document}.json {filter:?}\n{summary}");
        if !ok {
            failed.push(format!("== {document}.json {filter:?}\n{report}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
