//! Mapping a Trengo list response of 10 000 realistic tickets, three ways in one run:
//! - floor: only parsing the body with `serde_json` into `IgnoredAny`;
//! - compiled: the generated adapter's decoding (partial parse by shape + compiled mapping);
//! - interpreted: full parse + the runtime interpreter (JMESPath) on the same mapping.
//!
//! `cargo bench -p switchboard-tests --bench mapping`

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use switchboard_compiler::{Settings, interpret};
use switchboard_generated::providers::trengo::{Trengo, TrengoCredentials};
use switchboard_runtime::interpret::{Interpreter, Spec};
use switchboard_runtime::{ClientOptions, Secret};
use switchboard_tests::repo_root;

const TICKETS: usize = 10_000;

/// A page of `TICKETS` tickets built from the example list items, with varied ids, subjects,
/// statuses, timestamps and labels.
fn page() -> Vec<u8> {
    let path = repo_root().join("mappings/providers/trengo/examples/tickets_list.json");
    let example: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_default();
    let items = example["data"].as_array().cloned().unwrap_or_default();
    let statuses = ["OPEN", "ASSIGNED", "CLOSED", "INVALID"];
    let data: Vec<Value> = (0..TICKETS)
        .map(|i| {
            let mut t = items[i % items.len().max(1)].clone();
            t["id"] = json!(745_000_000 + i);
            t["subject"] = json!(format!("Request number {i}"));
            t["status"] = json!(statuses[i % statuses.len()]);
            t["created_at"] = json!(format!("2024-0{}-1{} 1{}:0{}:00", 1 + i % 9, i % 10, i % 10, i % 10));
            t["labels"] = json!([{ "id": i, "name": format!("label-{}", i % 7), "slug": "x", "color": "#fff" }]);
            t
        })
        .collect();
    serde_json::to_vec(
        &json!({ "data": data, "links": { "next": null }, "meta": { "current_page": 1 } }),
    )
    .unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let body = page();
    let trengo = Trengo::connect(
        &TrengoCredentials {
            token: Secret::new("bench"),
            timezone: None,
        },
        ClientOptions::default(),
    )
    .expect("connects without network");
    let ir = Settings::new(repo_root().join("mappings"))
        .check()
        .expect("the mappings check")
        .ir;
    let spec: Spec = serde_json::from_value(
        interpret::spec(&ir, "trengo", "tickets", "list").expect("a list mapping"),
    )
    .expect("a spec");
    let interpreter = Interpreter::new(spec).expect("the expressions compile");
    let context = interpreter.context(None).expect("a context");

    assert_eq!(
        trengo
            .decode_list_tickets(&body)
            .map(|t| t.len())
            .unwrap_or(0),
        TICKETS
    );

    let mut group = c.benchmark_group(format!("map {TICKETS} Trengo tickets"));
    group.sample_size(20);
    group.bench_function("floor: parse into IgnoredAny", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok())
    });
    group.bench_function("compiled", |b| {
        b.iter(|| {
            trengo
                .decode_list_tickets(&body)
                .map(|t| t.len())
                .unwrap_or(0)
        })
    });
    group.bench_function("interpreted", |b| {
        b.iter(|| {
            let page: Value = serde_json::from_slice(&body).unwrap_or_default();
            page["data"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter(|r| interpreter.map(r, &context, false).is_ok())
                        .count()
                })
                .unwrap_or(0)
        })
    });
    // Last: building a whole `Value` for 19 MB leaves the allocator's heap in a state that
    // slows whatever allocates after it.
    group.bench_function("parse full Value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(&body).is_ok())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
