//! What `generated/` holds for tools nobody here wrote: OpenAPI documents that an external
//! validator accepts, an MCP tool catalog within MCP's rules, and the coverage report.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use switchboard_generated::registry::CAPABILITIES;
use switchboard_tests::repo_root;

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs (the tests need Python 3 with openapi-spec-validator)")
}

#[test]
fn openapi_documents_pass_an_external_validator() {
    let dir = repo_root().join("generated/openapi");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "the unified document and one per provider: {files:?}"
    );
    let mut args = vec!["-m", "openapi_spec_validator", "--schema", "3.1"];
    args.extend(files.iter().map(String::as_str));
    let out = python(&args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("No module named"),
        "openapi-spec-validator is not installed: run `python3 -m pip install openapi-spec-validator` (.ci/run does)"
    );
    assert!(out.status.success(), "{text}");
    for f in &files {
        assert!(text.contains(&format!("{f}: OK")), "{text}");
    }
}

fn catalogs() -> Vec<Value> {
    let dir = repo_root().join("generated/mcp");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        out.push(serde_json::from_str(&text).unwrap());
    }
    out
}

#[test]
fn mcp_tools_follow_the_rules() {
    let mut names = BTreeSet::new();
    for catalog in catalogs() {
        for tool in catalog["tools"].as_array().unwrap() {
            let name = tool["name"].as_str().unwrap();
            assert!(
                (1..=128).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)),
                "{name}"
            );
            assert!(names.insert(name.to_owned()), "{name} is not unique");
            assert!(!tool["description"].as_str().unwrap().is_empty());
            assert_eq!(tool["inputSchema"]["type"], "object");
            let capability = CAPABILITIES.iter().find(|c| c.tool == name).unwrap();
            let a = &tool["annotations"];
            assert_eq!(a["readOnlyHint"], capability.http_method == "GET", "{name}");
            assert_eq!(
                a["destructiveHint"],
                capability.http_method == "DELETE",
                "{name}"
            );
            assert_eq!(
                a["idempotentHint"],
                matches!(capability.http_method, "GET" | "PUT" | "DELETE"),
                "{name}"
            );
        }
    }
    // The catalog and the registry come from the same IR: the same tools.
    let registry: BTreeSet<String> = CAPABILITIES.iter().map(|c| c.tool.to_owned()).collect();
    assert_eq!(names, registry);
    assert!(names.contains("list_all_trengo_tickets"));
    assert!(names.contains("get_single_trengo_ticket_by_id"));
}

#[test]
fn mcp_input_schemas_are_valid_json_schema() {
    let mut schemas = Vec::new();
    for catalog in catalogs() {
        for tool in catalog["tools"].as_array().unwrap() {
            schemas.push(tool["inputSchema"].clone());
        }
    }
    let script = "import json, sys, jsonschema\nfor s in json.load(sys.stdin):\n    jsonschema.Draft202012Validator.check_schema(s)\nprint('ok')";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&schemas).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn coverage_report_lists_every_capability() {
    let report = std::fs::read_to_string(repo_root().join("generated/docs/coverage.md")).unwrap();
    for c in CAPABILITIES {
        assert!(
            report.contains(&format!("| {} | {} |", c.provider_resource, c.method)),
            "{c:?}"
        );
        assert!(report.contains(&format!("`{}`", c.tool)), "{c:?}");
    }
    assert!(report.contains("| ticketing | tickets | list |"));
}
