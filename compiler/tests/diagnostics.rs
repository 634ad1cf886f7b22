//! Every diagnostic code, triggered: each case edits the valid `fixtures/acme` mappings in a
//! temporary copy, runs the checker (warnings denied) and snapshots the rendered diagnostics.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::path::Path;

use common::{fixture, mappings_with};
use switchboard_compiler::diagnostics::Code;
use switchboard_compiler::{Error, Report, Settings};

const UNIFIED: &str = "unified/ticketing.yaml";
const PROVIDER: &str = "providers/acme/provider.yaml";
const TICKETS: &str = "providers/acme/tickets.yaml";
const OVERRIDE: &str = "overrides/big_customer.yaml";

fn report<T: AsRef<str>>(edits: &[(&str, &str, T)]) -> Report {
    let (_tmp, root) = mappings_with(edits);
    match Settings::new(&root).with_deny_warnings(true).check() {
        Ok(_) => panic!("the edited mappings should not check"),
        Err(Error::Diagnostics(report)) => report,
        Err(other) => panic!("unexpected error: {other}"),
    }
}

/// Runs one case: the expected code must be among the diagnostics; the rendering is snapshot.
fn case<T: AsRef<str>>(name: &str, code: &str, edits: &[(&str, &str, T)]) {
    let r = report(edits);
    // A secret written into a mapping is never shown back.
    let text = r.render_plain();
    for secret in ["sk_live", "hunter2"] {
        assert!(!text.contains(secret), "{name}: {secret} in\n{text}");
    }
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert!(
        codes.contains(&code),
        "{name}: expected {code}, got {codes:?}\n{}",
        r.render_plain()
    );
    insta::assert_snapshot!(name, r.render_plain());
}

macro_rules! cases {
    ($( $name:ident: $code:literal => [$( ($file:expr, $from:expr, $to:expr) ),* $(,)?]; )*) => {
        $(
            #[test]
            fn $name() {
                case(stringify!($name), $code, &[$( ($file, $from, $to) ),*]);
            }
        )*
        /// Codes with a case above (the dynamic cases below add theirs).
        const CASES: &[&str] = &[$($code),*];
    };
}

cases! {
    yaml_syntax: "SB001" => [(TICKETS, "  id: id\n", "  id: [id\n")];
    yaml_anchor: "SB002" => [(TICKETS, "  name: subject", "  name: &n subject")];
    unknown_key: "SB003" => [(TICKETS, "    request:\n      method: GET\n      path: /tickets", "    requets:\n      method: GET\n      path: /tickets")];
    wrong_kind: "SB004" => [(UNIFIED, "      name:\n        type: string\n", "      name: [string]\n")];
    unified_resource_singular: "SB004" => [(TICKETS, "unified: ticketing.tickets", "unified: ticketing.tickets\nsingular: ticket")];
    native_with_fields: "SB004" => [("providers/acme/queues.yaml", "", "resource: queues\nmethods:\n  list:\n    request: { method: GET, path: /queues }\n    provenance: { kind: inferred }\nfields:\n  id: id\n")];
    native_default: "SB014" => [("providers/acme/queues.yaml", "", "resource: queues\nmethods:\n  list:\n    query:\n      agent: { type: string, default: credentials.agent }\n    request: { method: GET, path: \"/queues/{{ query.agent }}\" }\n    provenance: { kind: inferred }\n")];
    optional_credential: "SB014" => [(PROVIDER, "  region:\n    default: eu", "  tenant:\n    optional: true\n  region:\n    default: eu"), (PROVIDER, "base_url: https://api.acme.test/v1", "base_url: \"https://{{ credentials.tenant }}.acme.test/v1\"")];
    native_optional_param_unused: "SB076" => [("providers/acme/queues.yaml", "", "resource: queues\nmethods:\n  list:\n    query:\n      size: { type: integer }\n    request: { method: GET, path: /queues }\n    provenance: { kind: inferred }\n")];
    native_param_unused: "SB076" => [("providers/acme/queues.yaml", "", "resource: queues\nmethods:\n  get:\n    query:\n      queue_id: { type: string, required: true }\n    request: { method: GET, path: /queues }\n    provenance: { kind: inferred }\n")];
    missing_key: "SB005" => [(PROVIDER, "base_url: https://api.acme.test/v1\n", "")];
    duplicate_key: "SB006" => [(TICKETS, "  priority: priority\n", "  priority: priority\n  priority: priority\n")];
    unknown_model: "SB010" => [(TICKETS, "unified: ticketing.tickets", "unified: tiketing.tickets")];
    unknown_resource: "SB011" => [(TICKETS, "unified: ticketing.tickets", "unified: ticketing.tikets")];
    unknown_field: "SB012" => [(TICKETS, "  status:\n    from: state", "  stauts:\n    from: state")];
    unknown_method: "SB013" => [(TICKETS, "  close:\n    request:", "  clos:\n    request:")];
    unknown_param: "SB014" => [(TICKETS, "  name: subject", "  name:\n    param: query.nope")];
    unknown_variable: "SB014" => [(TICKETS, "path: \"/tickets/{{ id }}\"", "path: \"/tickets/{{ ticket_id }}\"")];
    duplicate_name: "SB015" => [("providers/acme/tickets_again.yaml", "", "resource: tickets\nunified: ticketing.tickets\nmethods: {}\n")];
    provider_dir_mismatch: "SB016" => [(PROVIDER, "provider: acme", "provider: acme_desk")];
    invalid_name: "SB017" => [(UNIFIED, "      priority:\n        type: integer", "      Priority:\n        type: integer")];
    name_clash: "SB019" => [("unified/support.yaml", "", "model: support\nresources:\n  tickets:\n    singular: ticket\n    fields:\n      id:\n        type: string\n        required: true\n    methods:\n      list: {}\n")];
    missing_provider_file: "SB018" => [("providers/other/tickets.yaml", "", "resource: tickets\nunified: ticketing.tickets\nmethods: {}\n")];
    path_not_in_example: "SB020" => [(TICKETS, "name: contact.name", "name: contact.nmae")];
    example_not_found: "SB021" => [(TICKETS, "examples/get.json", "examples/gett.json")];
    example_not_json: "SB022" => [("providers/acme/examples/get.json", "\"owner_id\": 3,", "\"owner_id\": 3,,")];
    example_shape: "SB023" => [(TICKETS, "records: data", "records: items")];
    no_examples: "SB024" => [(TICKETS, "    examples: [examples/get.json]\n", "")];
    jmespath_syntax: "SB030" => [(TICKETS, "tags: labels[].name", "tags: labels[.name")];
    unsupported_expression: "SB031" => [(TICKETS, "name: subject", "name: \"join(', ', labels[].name)\"")];
    plain_path_required: "SB034" => [(TICKETS, "records: data", "records: \"data || items\"")];
    template_syntax: "SB040" => [(TICKETS, "path: \"/tickets/{{ id }}\"", "path: \"/tickets/{{ id }\"")];
    template_unsupported: "SB041" => [(TICKETS, "path: \"/tickets/{{ id }}\"", "path: \"/tickets/{{ id | upper }}\"")];
    path_parameter_missing: "SB042" => [(TICKETS, "path: \"/tickets/{{ id }}\"", "path: /tickets/latest")];
    path_parameter_unavailable: "SB043" => [(TICKETS, "path: /tickets\n      query:", "path: \"/tickets/{{ id }}\"\n      query:")];
    body_not_sent: "SB044" => [(TICKETS, "      method: DELETE\n      path: \"/tickets/{{ id }}\"\n", "      method: DELETE\n      path: \"/tickets/{{ id }}\"\n      body:\n        reason: spam\n")];
    unknown_type: "SB050" => [(UNIFIED, "type: integer", "type: int")];
    enum_without_values: "SB051" => [(UNIFIED, "        type: enum\n        values: [open, closed]\n      priority:", "        type: enum\n      priority:")];
    list_without_items: "SB052" => [(UNIFIED, "        type: list\n        items: string", "        type: list")];
    object_without_fields: "SB053" => [(UNIFIED, "      channel:\n        type: object\n        fields:\n          id:\n            type: string\n          kind:\n            type: string\n", "      channel:\n        type: object\n")];
    type_mismatch: "SB054" => [(TICKETS, "  priority: priority", "  priority:\n    id: priority")];
    example_type_mismatch: "SB055" => [(TICKETS, "  priority: priority", "  priority: contact")];
    many_into_one: "SB056" => [(TICKETS, "  name: subject", "  name: labels[].name")];
    example_date_format: "SB057" => [(PROVIDER, "\"%Y-%m-%d %H:%M:%S\"", "\"%d/%m/%Y %H:%M\"")];
    enum_target_unknown: "SB060" => [(TICKETS, "DONE: closed", "DONE: closd")];
    enum_no_fallback: "SB061" => [(TICKETS, "    fallback: raw\n", "")];
    enum_map_missing: "SB062" => [(TICKETS, "  status:\n    from: state\n    enum:\n      NEW: open\n      DONE: closed\n    fallback: raw\n", "  status: state\n")];
    enum_not_exhaustive: "SB063" => [(TICKETS, "      DONE: closed\n    fallback", "    fallback")];
    required_field_unmapped: "SB070" => [(TICKETS, "  id: id\n", "")];
    write_to_read_only: "SB071" => [(UNIFIED, "          secret_note: optional\n", "          secret_note: optional\n          created_at: optional\n")];
    read_of_write_only: "SB072" => [(TICKETS, "  priority: priority\n", "  priority: priority\n  secret_note: subject\n")];
    body_field_not_accepted: "SB073" => [(TICKETS, "note: \"{{ body.secret_note }}\"", "note: \"{{ body.priority }}\"")];
    required_body_field_unused: "SB074" => [(TICKETS, "        subject: \"{{ body.name }}\"\n        contact_id:", "        contact_id:")];
    required_query_unused: "SB076" => [(UNIFIED, "      close:\n        returns: nothing", "      close:\n        returns: nothing\n        query:\n          reason:\n            type: string\n            required: true")];
    invalid_body_requirement: "SB075" => [(UNIFIED, "          name: required", "          name: mandatory")];
    non_https_base_url: "SB080" => [(PROVIDER, "base_url: https://", "base_url: http://")];
    secret_outside_auth: "SB081" => [(PROVIDER, "X-Region: \"{{ credentials.region }}\"", "X-Region: \"{{ credentials.token }}\"")];
    unknown_auth_kind: "SB082" => [(PROVIDER, "kind: bearer", "kind: beare")];
    unknown_pagination_kind: "SB083" => [(PROVIDER, "kind: page_number", "kind: pages")];
    pagination_never_stops: "SB084" => [(PROVIDER, "  next_link: links.next\n  stop_on_empty_page: true\n", "")];
    invalid_rate_limit: "SB085" => [(PROVIDER, "per: minute", "per: fortnight")];
    invalid_date_format: "SB086" => [(PROVIDER, "\"%Y-%m-%d %H:%M:%S\"", "YYYY-MM-DD")];
    unknown_time_zone: "SB087" => [(PROVIDER, "Europe/Amsterdam", "Europe/Amsterdm")];
    invalid_header_name: "SB088" => [(PROVIDER, "X-Region:", "X Region:")];
    invalid_http_method: "SB089" => [(TICKETS, "method: PATCH", "method: PATCHH")];
    unknown_provenance: "SB090" => [(TICKETS, "kind: documented", "kind: documentd")];
    provenance_without_source: "SB091" => [(TICKETS, "      source: https://docs.acme.test/tickets\n", "")];
    list_without_pagination: "SB092" => [(PROVIDER, "pagination:\n  kind: page_number\n  param: page\n  next_link: links.next\n  stop_on_empty_page: true\n", "")];
    invalid_error_mapping: "SB093" => [(PROVIDER, "409: validation", "409: validaton")];
    redacted_field_read: "SB095" => [(TICKETS, "unified: ticketing.tickets\n", "unified: ticketing.tickets\nredact: [subject]\n")];
    secret_default: "SB096" => [(PROVIDER, "    secret: true\n", "    secret: true\n    default: sk_live_defaulted\n")];
    literal_auth_token: "SB096" => [(PROVIDER, "token: \"{{ credentials.token }}\"", "token: sk_live_literal")];
    literal_credential_header: "SB096" => [(PROVIDER, "  Accept: application/json\n", "  Accept: application/json\n  X-Api-Key: sk_live_header\n")];
    base_url_userinfo: "SB096" => [(PROVIDER, "base_url: https://api.acme.test/v1", "base_url: https://admin:hunter2@api.acme.test/v1")];
    path_not_in_method_example: "SB025" => [("providers/acme/examples/list.json", "\"priority\": 2,", "\"prio\": 2,")];
    embedded_secret: "SB097" => [("providers/acme/archive.yaml", "", "resource: archive\nunified: ticketing.tickets\nredact: [name]\nmethods:\n  get:\n    request:\n      method: GET\n      path: \"/archive/{{ id }}\"\n    examples: [examples/get.json]\n    provenance: { kind: inferred }\nfields:\n  id: id\n  name: subject\n")];
    static_method: "SB094" => [(TICKETS, "  get:\n    request:\n      method: GET\n      path: \"/tickets/{{ id }}\"\n", "  get:\n    static: examples/get.json\n")];
    invalid_tool_name: "SB100" => [(TICKETS, "    response:\n      records: data", "    tool: list tickets!\n    response:\n      records: data")];
    duplicate_tool_name: "SB101" => [(TICKETS, "    examples: [examples/get.json]", "    tool: list_all_acme_tickets\n    examples: [examples/get.json]")];
    override_target_unknown: "SB110" => [(OVERRIDE, "provider: acme", "provider: acm")];
}

#[test]
fn expression_too_long() {
    let long = format!("  name: \"{}\"", vec!["subject"; 150].join("."));
    case(
        "expression_too_long",
        "SB032",
        &[(TICKETS, "  name: subject", long)],
    );
}

#[test]
fn expression_too_deep() {
    let deep = format!("  name: \"{}subject{}\"", "(".repeat(40), ")".repeat(40));
    case(
        "expression_too_deep",
        "SB033",
        &[(TICKETS, "  name: subject", deep)],
    );
}

const DYNAMIC_CASES: &[&str] = &["SB032", "SB033"];

#[test]
fn every_code_has_a_case() {
    for code in Code::ALL {
        let c = code.as_str();
        assert!(
            CASES.contains(&c) || DYNAMIC_CASES.contains(&c),
            "{c} has no failing fixture in tests/diagnostics.rs"
        );
    }
    assert!(Code::ALL.len() >= 40, "{} codes", Code::ALL.len());
}

#[test]
fn every_code_is_documented() {
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/diagnostics.md"),
    )
    .unwrap();
    for code in Code::ALL {
        assert!(
            docs.contains(&format!("### {}", code.as_str())),
            "{} is not in docs/diagnostics.md",
            code.as_str()
        );
    }
}

#[test]
fn the_fixture_itself_is_clean() {
    let checked = Settings::new(fixture())
        .with_deny_warnings(true)
        .check()
        .unwrap();
    assert!(checked.warnings.is_empty());
    assert_eq!(checked.ir.providers.len(), 1);
    assert_eq!(checked.ir.providers[0].resources[0].methods.len(), 6);
    assert_eq!(checked.ir.overrides.len(), 1);
}

#[test]
fn warnings_pass_unless_denied() {
    let (_tmp, root) = mappings_with(&[(
        TICKETS,
        "      source: https://docs.acme.test/tickets\n",
        "",
    )]);
    let checked = Settings::new(&root).check().unwrap();
    assert_eq!(checked.warnings.warnings(), 1);
    assert_eq!(checked.warnings.errors(), 0);
    assert!(matches!(
        Settings::new(&root).with_deny_warnings(true).check(),
        Err(Error::Diagnostics(_))
    ));
}

#[test]
fn every_problem_is_reported_sorted_by_location() {
    let r = report(&[
        (TICKETS, "DONE: closed", "DONE: closd"),
        (TICKETS, "name: contact.name", "name: contact.nmae"),
        (PROVIDER, "title: Acme Desk", "titel: Acme Desk"),
    ]);
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["SB003", "SB060", "SB020"]);
    insta::assert_snapshot!(r.render_plain());
}

#[test]
fn json_format_for_editors() {
    let r = report(&[(TICKETS, "name: contact.name", "name: contact.nmae")]);
    insta::assert_json_snapshot!(r.to_json());
}
