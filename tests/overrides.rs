//! Per-account overrides through the generated adapter against the sandbox: the overridden
//! field comes from the interpreter, every other field from the compiled mapping, unchanged.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use futures::TryStreamExt;
use switchboard_compiler::{Settings, interpret};
use switchboard_generated::providers::trengo::Trengo;
use switchboard_generated::unified::ticketing::{Ticket, TicketListQuery};
use switchboard_runtime::ErrorKind;
use switchboard_runtime::interpret::{Override, OverrideSpec};
use switchboard_sandbox::Sandbox;
use switchboard_sandbox::trengo::{self, Seed};
use switchboard_tests::repo_root;
use switchboard_tests::trengo as connect;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The shipped mappings plus one override file; returns the override, checked and loaded.
fn load_override(yaml: &str) -> Override {
    let dir = tempfile::tempdir().unwrap();
    let mappings = dir.path().join("mappings");
    copy_dir(&repo_root().join("mappings"), &mappings);
    std::fs::create_dir_all(mappings.join("overrides")).unwrap();
    std::fs::write(mappings.join("overrides/big_customer.yaml"), yaml).unwrap();
    let ir = Settings::new(&mappings).check().unwrap().ir;
    let spec = interpret::override_spec(&ir, "big_customer").unwrap();
    let spec: OverrideSpec = serde_json::from_value(spec).unwrap();
    Override::new(spec).unwrap()
}

async fn list(trengo: &Trengo) -> Vec<Ticket> {
    trengo
        .list_tickets(&TicketListQuery::default())
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_override_replaces_only_its_fields() {
    // This account keeps the real question in the latest message, not in the subject.
    let overrides = load_override(
        "override: big_customer\nprovider: trengo\nresources:\n  tickets:\n    fields:\n      name: latest_message.message\n",
    );
    assert!(overrides.touches("tickets"));
    let sandbox = Sandbox::start().await.unwrap();
    let plain = list(&connect(&sandbox)).await;
    let patched = list(&connect(&sandbox).with_override(overrides).unwrap()).await;

    let seed = Seed::new();
    assert_eq!(patched.len(), trengo::TICKET_COUNT);
    for ((p, o), raw) in patched.iter().zip(&plain).zip(&seed.tickets) {
        let latest = seed.list_item(raw)["latest_message"]["message"].clone();
        assert_eq!(p.name.as_deref(), latest.as_str(), "the overridden field");
        let mut same = p.clone();
        same.name = o.name.clone();
        assert_eq!(
            &same, o,
            "every other field as the compiled mapping gives it"
        );
    }
    // Pages by cursor are patched alike.
    let overrides = load_override(
        "override: big_customer\nprovider: trengo\nresources:\n  tickets:\n    fields:\n      name: latest_message.message\n",
    );
    let page = connect(&sandbox)
        .with_override(overrides)
        .unwrap()
        .list_tickets_page(
            &TicketListQuery::default(),
            switchboard_runtime::PageRequest::first(),
        )
        .await
        .unwrap();
    assert_eq!(page.result[..], patched[..trengo::PER_PAGE]);
}

#[tokio::test]
async fn an_override_that_cannot_map_a_record_is_a_mapping_error() {
    // `id` is required: an override that finds nothing for it fails the record, clearly.
    let overrides = load_override(
        "override: big_customer\nprovider: trengo\nresources:\n  tickets:\n    fields:\n      id: custom_data.external_id\n",
    );
    let sandbox = Sandbox::start().await.unwrap();
    let e = connect(&sandbox)
        .with_override(overrides)
        .unwrap()
        .list_tickets(&TicketListQuery::default())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Mapping);
    assert!(e.message().contains("tickets.id"), "{e}");
}

#[tokio::test]
async fn an_override_for_another_provider_is_refused() {
    let spec = OverrideSpec {
        name: "elsewhere".into(),
        provider: "reamaze".into(),
        timezone: "UTC".into(),
        formats: vec!["rfc3339".into()],
        resources: Default::default(),
    };
    let sandbox = Sandbox::start().await.unwrap();
    let e = connect(&sandbox)
        .with_override(Override::new(spec).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(
        e.message()
            .contains("override `elsewhere` is for reamaze, not trengo")
    );
}
