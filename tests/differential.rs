//! Compiled and interpreted mappings agree, byte for byte: for every example payload of every
//! provider method, and for every record the sandbox serves, the generated code
//! (`registry::map_record`) and the runtime interpreter (the same mapping read from YAML,
//! evaluated with `jmespath`) give identical unified JSON.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use serde_json::Value;
use switchboard_compiler::{Settings, interpret};
use switchboard_generated::registry;
use switchboard_runtime::interpret::{Interpreter, Spec};
use switchboard_sandbox::trengo::{self, Seed};
use switchboard_sandbox::{puzzel_cm, reamaze, talkdesk};
use switchboard_tests::repo_root;

fn interpreter(
    ir: &switchboard_compiler::ir::Ir,
    provider: &str,
    resource: &str,
    method: &str,
) -> Interpreter {
    let spec: Spec =
        serde_json::from_value(interpret::spec(ir, provider, resource, method).unwrap()).unwrap();
    Interpreter::new(spec).unwrap()
}

/// A call with every parameter of the unified method, for fields mapped from the call
/// (`param`): `example` for each, `{id: example}` for references.
fn example_call(
    ir: &switchboard_compiler::ir::Ir,
    provider: &str,
    resource: &str,
    method: &str,
) -> Value {
    let Some((_, u)) = ir
        .providers
        .iter()
        .find(|p| p.name == provider)
        .and_then(|p| p.resources.iter().find(|r| r.name == resource))
        .and_then(|r| ir.unified(r))
    else {
        return Value::Null;
    };
    let Some(um) = u.method(method) else {
        return Value::Null;
    };
    let query: serde_json::Map<String, Value> = um
        .query
        .iter()
        .map(|q| (q.name.clone(), "example".into()))
        .collect();
    let body: serde_json::Map<String, Value> = um
        .body
        .iter()
        .map(|b| (b.name.clone(), serde_json::json!({"id": "example"})))
        .collect();
    serde_json::json!({"id": "example", "query": query, "body": body})
}

/// Both ways, with and without `on_request` fields; returns the compiled result.
fn agree(
    ir: &switchboard_compiler::ir::Ir,
    provider: &str,
    resource: &str,
    method: &str,
    record: &Value,
) -> Value {
    let interpreter = interpreter(ir, provider, resource, method);
    let call = example_call(ir, provider, resource, method);
    let context = interpreter.context(None).unwrap().for_call(&call);
    let mut last = Value::Null;
    for full in [false, true] {
        let compiled = registry::map_record(provider, resource, method, record, None, full, &call)
            .unwrap_or_else(|e| {
                panic!("{provider}.{resource}.{method}: compiled mapping failed: {e}")
            });
        let interpreted = interpreter.map(record, &context, full).unwrap_or_else(|e| {
            panic!("{provider}.{resource}.{method}: interpreter failed: {e:?}")
        });
        assert_eq!(
            serde_json::to_string(&compiled).unwrap(),
            serde_json::to_string(&interpreted).unwrap(),
            "{provider}.{resource}.{method} (full: {full}) on {record}"
        );
        last = compiled;
    }
    last
}

#[test]
fn compiled_and_interpreted_agree_on_every_example() {
    let ir = Settings::new(repo_root().join("mappings"))
        .check()
        .unwrap()
        .ir;
    let mut compared = 0;
    for p in &ir.providers {
        for r in &p.resources {
            for m in &r.methods {
                for example in &m.examples {
                    let text = std::fs::read_to_string(repo_root().join(example)).unwrap();
                    let body: Value = serde_json::from_str(&text).unwrap();
                    let records: Vec<&Value> =
                        match switchboard_compiler::ir::records_in(&body, &m.data_path) {
                            Some(records) => records,
                            None => {
                                vec![
                                    switchboard_compiler::ir::record_at(&body, &m.data_path)
                                        .unwrap(),
                                ]
                            }
                        };
                    for record in records {
                        agree(&ir, &p.name, &r.name, &m.name, record);
                        compared += 1;
                    }
                }
            }
        }
    }
    assert!(compared >= 4, "only {compared} example records compared");
}

#[test]
fn compiled_and_interpreted_agree_on_every_sandbox_record() {
    let ir = Settings::new(repo_root().join("mappings"))
        .check()
        .unwrap()
        .ir;
    let seed = Seed::new();
    for t in &seed.tickets {
        let listed = agree(&ir, "trengo", "tickets", "list", &seed.list_item(t));
        assert_eq!(listed["id"], t.id.to_string());
        let detailed = agree(&ir, "trengo", "tickets", "get", &seed.detail(t));
        assert_eq!(
            detailed["remote_data"],
            switchboard_tests::trengo_remote_data(seed.detail(t))
        );
        let created = agree(&ir, "trengo", "tickets", "create", &seed.created(t));
        assert_eq!(created["id"], t.id.to_string());
    }
    let mut others: Vec<(&str, Value)> = Vec::new();
    others.extend(
        seed.messages
            .values()
            .flatten()
            .map(|m| ("messages", seed.message_json(m))),
    );
    others.extend(
        seed.contacts
            .iter()
            .map(|c| ("contacts", seed.contact_json(c.id))),
    );
    others.extend(
        seed.users
            .iter()
            .map(|u| ("users", seed.user_json(Some(u.id)))),
    );
    others.extend(seed.teams.iter().map(|t| ("teams", trengo::team_json(t))));
    others.extend(
        seed.labels
            .iter()
            .map(|l| ("labels", trengo::label_json(l))),
    );
    others.extend(
        seed.custom_fields
            .iter()
            .map(|f| ("custom_fields", trengo::custom_field_json(f))),
    );
    for (resource, record) in &others {
        for method in ["list", "get"] {
            let mapped = agree(&ir, "trengo", resource, method, record);
            assert_eq!(
                mapped["id"],
                record["id"].to_string(),
                "{resource} {method}"
            );
        }
    }
    assert!(others.len() > 100, "{} records", others.len());
    for u in &seed.users {
        let record = seed.user_json(Some(u.id));
        agree(&ir, "trengo", "directory_users", "get", &record);
        let role = agree(&ir, "trengo", "directory_roles", "list", &record);
        assert_eq!(role["id"], u.role.0.to_string());
    }
    for t in &seed.teams {
        agree(
            &ir,
            "trengo",
            "directory_groups",
            "list",
            &trengo::team_json(t),
        );
    }
    for c in &seed.channels {
        let mapped = agree(&ir, "trengo", "channels", "list", &seed.channel_json(c.id));
        if c.kind == "EMAIL" {
            assert_eq!(mapped["remote_data"]["password"], "[redacted]");
        }
    }

    let account = talkdesk::Seed::new();
    for c in &account.cases {
        for method in ["list", "get"] {
            let mapped = agree(&ir, "talkdesk", "cases", method, &account.case_json(c));
            assert_eq!(mapped["id"], c.id.to_string());
        }
    }
    let base = "https://api.talkdeskapp.com";
    for a in &account.agents {
        agree(
            &ir,
            "talkdesk",
            "users",
            "list",
            &account.agent_json(a, base),
        );
    }
    for c in &account.contacts {
        agree(
            &ir,
            "talkdesk",
            "contacts",
            "list",
            &account.contact_json(c, base),
        );
    }

    let tenant = puzzel_cm::Seed::new();
    for t in &tenant.tickets {
        agree(
            &ir,
            "puzzel_case_management",
            "tickets",
            "list",
            &tenant.ticket_json(t),
        );
    }
    for m in &tenant.messages {
        let record = tenant.message_json(m);
        agree(&ir, "puzzel_case_management", "messages", "list", &record);
        for file in record["attachments"].as_array().into_iter().flatten() {
            agree(&ir, "puzzel_case_management", "attachments", "list", file);
        }
    }
    for c in &tenant.customers {
        agree(
            &ir,
            "puzzel_case_management",
            "customers",
            "get",
            &tenant.customer_json(c),
        );
    }
    for a in &tenant.agents {
        for resource in ["users", "directory_users"] {
            agree(
                &ir,
                "puzzel_case_management",
                resource,
                "get",
                &tenant.agent_json(a),
            );
        }
    }

    let brand = reamaze::Seed::new();
    for c in &brand.conversations {
        agree(
            &ir,
            "reamaze",
            "conversations",
            "list",
            &brand.conversation_json(c, false),
        );
        let detail = agree(
            &ir,
            "reamaze",
            "conversations",
            "get",
            &brand.conversation_json(c, true),
        );
        assert_eq!(detail["id"], c.slug);
    }
    for m in &brand.messages {
        let mapped = agree(&ir, "reamaze", "messages", "list", &brand.message_json(m));
        assert_eq!(
            mapped["id"],
            format!("{}/{}", m.conversation, brand.time(m.created_at))
        );
    }
    for c in &brand.customers {
        let mapped = agree(&ir, "reamaze", "contacts", "list", &brand.contact_json(c));
        assert_eq!(mapped["id"], c.email);
    }
    for c in &brand.channels {
        agree(&ir, "reamaze", "channels", "list", &brand.channel_json(c));
    }
    for st in &brand.staff {
        for resource in ["staff", "directory_users", "directory_roles"] {
            agree(&ir, "reamaze", resource, "list", &brand.staff_json(st));
        }
    }
}

#[test]
fn odd_payloads_fail_or_agree_the_same_way() {
    let ir = Settings::new(repo_root().join("mappings"))
        .check()
        .unwrap()
        .ir;
    let interpreter = interpreter(&ir, "trengo", "tickets", "get");
    let context = interpreter.context(None).unwrap();
    let cases = [
        serde_json::json!({"id": 1}),
        serde_json::json!({"id": "x", "status": 3, "labels": {"name": "not a list"}}),
        serde_json::json!({"id": 1, "labels": [{"name": 1}, null, [{"name": "nested"}]], "assignee": "nobody"}),
        serde_json::json!({"id": 1, "created_at": "yesterday"}),
        serde_json::json!({"id": {"nested": true}}),
        serde_json::json!({"subject": "no id"}),
    ];
    for record in cases {
        let compiled = registry::map_record(
            "trengo",
            "tickets",
            "get",
            &record,
            None,
            true,
            &Value::Null,
        );
        let interpreted = interpreter.map(&record, &context, true);
        match (compiled, interpreted) {
            (Ok(a), Ok(b)) => assert_eq!(a.to_string(), b.to_string(), "{record}"),
            (Err(a), Err(b)) => {
                assert_eq!(a.field(), Some(b.field.as_str()), "{record}");
            }
            (a, b) => panic!("{record}: compiled {a:?} but interpreted {b:?}"),
        }
    }
}

#[test]
fn partially_parsed_pages_map_like_the_interpreter() {
    use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
    use switchboard_runtime::{ClientOptions, Secret};

    let ir = Settings::new(repo_root().join("mappings"))
        .check()
        .unwrap()
        .ir;
    let seed = Seed::new();
    let trengo = Trengo::connect(
        &TrengoCredentials {
            token: Secret::new("unused"),
            timezone: None,
        },
        ClientOptions::default(),
    )
    .unwrap();
    let interpreter = interpreter(&ir, "trengo", "tickets", "list");
    let context = interpreter.context(None).unwrap();
    let items: Vec<Value> = seed.tickets.iter().map(|t| seed.list_item(t)).collect();
    let page =
        serde_json::to_vec(&serde_json::json!({"data": items, "links": {"next": null}})).unwrap();
    for full in [false, true] {
        let decoded = trengo
            .clone()
            .with_remote_data(full)
            .decode_list_tickets(&page)
            .unwrap();
        assert_eq!(decoded.len(), items.len());
        for (ticket, record) in decoded.iter().zip(&items) {
            let interpreted = interpreter.map(record, &context, full).unwrap();
            assert_eq!(
                serde_json::to_string(ticket).unwrap(),
                serde_json::to_string(&interpreted).unwrap()
            );
        }
    }
}
