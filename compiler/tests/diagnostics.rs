//! Broken mappings: each case edits the valid `fixtures/acme` mappings in a temporary copy,
//! runs the checker and snapshots the rendered diagnostics (file:line:col, labels, help).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::path::Path;

use common::{fixture, mappings_with};

use switchboard_compiler::{Error, Report, Settings};

fn report(edits: &[(&str, &str, &str)]) -> Report {
    let (_tmp, root) = mappings_with(edits);
    match Settings::new(&root).check() {
        Ok(_) => panic!("the edited mappings should not check"),
        Err(Error::Diagnostics(report)) => report,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

const TICKETS: &str = "providers/acme/tickets.yaml";
const PROVIDER: &str = "providers/acme/provider.yaml";

#[test]
fn the_fixture_itself_is_valid() {
    let ir = Settings::new(fixture()).check().unwrap();
    assert_eq!(ir.providers.len(), 1);
    assert_eq!(ir.providers[0].resources[0].fields.len(), 8);
}

#[test]
fn misspelt_field_path_suggests_the_example_key() {
    let r = report(&[(TICKETS, "name: contact.name", "name: contact.nmae")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn unknown_key_suggests_the_right_key() {
    let r = report(&[(
        TICKETS,
        "    request:\n      method: GET\n      path: /tickets",
        "    requets:\n      method: GET\n      path: /tickets",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn unknown_unified_field_suggests_the_right_name() {
    let r = report(&[(
        TICKETS,
        "  status:\n    from: state",
        "  stauts:\n    from: state",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn enum_target_outside_the_unified_enum() {
    let r = report(&[(TICKETS, "DONE: closed", "DONE: closd")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn enum_map_without_fallback() {
    let r = report(&[(TICKETS, "    fallback: raw\n", "")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn jmespath_syntax_error_points_inside_the_expression() {
    let r = report(&[(TICKETS, "tags: labels[].name", "tags: labels[.name")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn unsupported_jmespath_construct() {
    let r = report(&[(
        TICKETS,
        "name: subject",
        "name: \"join(', ', labels[].name)\"",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn undeclared_template_variable() {
    let r = report(&[(TICKETS, "/tickets/{{ id }}", "/tickets/{{ ticket_id }}")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn paginator_without_stop_signal() {
    let r = report(&[(
        PROVIDER,
        "  next_link: links.next\n  stop_on_empty_page: true\n",
        "",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn secret_outside_auth() {
    let r = report(&[(
        PROVIDER,
        "X-Region: \"{{ credentials.region }}\"",
        "X-Region: \"{{ credentials.token }}\"",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn required_field_unmapped() {
    let r = report(&[(TICKETS, "  id: id\n", "")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn dangling_unified_reference() {
    let r = report(&[(
        TICKETS,
        "unified: ticketing.tickets",
        "unified: ticketing.tikets",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn yaml_syntax_error() {
    let r = report(&[(TICKETS, "  id: id\n", "  id: [id\n")]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn example_that_is_not_json() {
    let r = report(&[(
        "providers/acme/examples/get.json",
        "\"owner_id\": 3,",
        "\"owner_id\": 3,,",
    )]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn every_problem_is_reported_sorted_by_location() {
    let r = report(&[
        (TICKETS, "DONE: closed", "DONE: closd"),
        (TICKETS, "name: contact.name", "name: contact.nmae"),
        (PROVIDER, "title: Acme Desk", "titel: Acme Desk"),
    ]);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["SB002", "SB011", "SB007"]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn json_format_for_editors() {
    let r = report(&[(TICKETS, "name: contact.name", "name: contact.nmae")]);
    insta::assert_json_snapshot!(r.to_json());
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md"),
    )
    .unwrap();
    for code in switchboard_compiler::diagnostics::Code::ALL {
        assert!(
            docs.contains(&format!("| {} |", code.as_str())),
            "{} is not in docs/diagnostics.md",
            code.as_str()
        );
    }
}
