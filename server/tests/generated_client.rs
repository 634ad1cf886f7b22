//! A client nobody here wrote: TypeScript types generated at test time from the committed
//! `generated/openapi/unified.json` (openapi-typescript), called through openapi-fetch by
//! `tests/clients/tickets.ts`, type-checked with tsc and run with tsx against a live
//! `serve --sandbox`. The tools are pinned in `tests/clients/package-lock.json`
//! (`npm ci --prefix tests/clients`; `.ci/run` does it).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Map, Value};

fn run(dir: &Path, tool: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let bin = dir.join("node_modules/.bin").join(tool);
    assert!(
        bin.exists(),
        "{} is missing: run `npm ci --prefix tests/clients`",
        bin.display()
    );
    let mut command = Command::new(&bin);
    command.args(args).current_dir(dir);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{tool} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_typescript_client_pages_creates_and_reads_typed_errors() {
    let dir = common::repo().join("tests/clients");
    let document = common::repo().join("generated/openapi/unified.json");
    run(
        &dir,
        "openapi-typescript",
        &[document.to_str().unwrap(), "-o", "generated/unified.d.ts"],
        &[],
    );
    run(&dir, "tsc", &["-p", "tsconfig.json"], &[]);

    let server = common::unlimited().await;
    let listening = server.listen().await.unwrap();
    // Every provider that has tickets, as the document says.
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&document).unwrap()).unwrap();
    let with_tickets: Vec<&str> = doc["paths"]["/unified/ticketing/tickets"]["get"]["x-providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["provider"].as_str().unwrap())
        .collect();
    assert!(with_tickets.len() >= 4, "{with_tickets:?}");
    let ticketing: Vec<&(String, String)> = server
        .accounts
        .iter()
        .filter(|(p, _)| with_tickets.contains(&p.as_str()))
        .collect();
    let accounts: Map<String, Value> = ticketing
        .iter()
        .map(|(p, id)| (p.clone(), Value::String(id.clone())))
        .collect();
    let accounts = Value::Object(accounts).to_string();
    let (url, key) = (listening.url.clone(), server.key.clone());
    let output = tokio::task::spawn_blocking(move || {
        run(
            &dir,
            "tsx",
            &["tickets.ts"],
            &[
                ("SWITCHBOARD_URL", &url),
                ("SWITCHBOARD_KEY", &key),
                ("SWITCHBOARD_ACCOUNTS", &accounts),
            ],
        )
    })
    .await
    .unwrap();
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();

    // Every provider's tickets, each once, over several pages, as the server lists them.
    for (provider, account) in &ticketing {
        let listed = &seen["listed"][provider];
        let count = listed["count"].as_u64().unwrap();
        assert!(count > 7, "{provider}: {listed}");
        assert_eq!(listed["distinct"], listed["count"], "{provider}: {listed}");
        assert!(
            listed["pages"].as_u64().unwrap() > 1,
            "{provider}: {listed}"
        );
        let direct = reqwest::Client::new()
            .get(format!("{}/unified/ticketing/tickets", listening.url))
            .bearer_auth(&server.key)
            .query(&[("account_id", account.as_str()), ("limit", "500")])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        if direct["next_cursor"].is_null() {
            assert_eq!(direct["result_count"].as_u64(), Some(count), "{provider}");
        }
    }
    // The create, and its replay with the same answer.
    let created = &seen["created"];
    assert_eq!(created["status"], 201, "{created}");
    assert_eq!(created["id"], created["replay_id"], "{created}");
    assert_eq!(created["replayed"], "true", "{created}");
    // A typed error.
    assert_eq!(
        seen["error"],
        serde_json::json!({"status": 404, "code": "not_found", "remote": false})
    );
}
