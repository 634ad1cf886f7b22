//! The shape parser accepts exactly the JSON `serde_json` accepts and reads the same values:
//! random documents (with random whitespace, escapes and numbers) and random corruptions of
//! them are parsed both ways and compared.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use proptest::prelude::*;
use serde_json::{Value, json};
use switchboard_runtime::shape::{Failure, Shape, parse, parse_records};
use switchboard_runtime::{Bump, Json};

/// Text that stresses strings: escapes, non-ASCII, quotes, control characters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-z]{0,12}",
            Just("\"".to_owned()),
            Just("\\".to_owned()),
            Just("é€😀".to_owned()),
            Just("\u{1}\n\t".to_owned()),
            Just("id".to_owned()),
        ],
        0..4,
    )
    .prop_map(|parts| parts.concat())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// A document as text, compact or pretty, with some escapes written out longhand.
fn document() -> impl Strategy<Value = Vec<u8>> {
    (value(), any::<bool>(), any::<bool>()).prop_map(|(v, pretty, longhand)| {
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        };
        let text = if longhand {
            text.replace('é', "\\u00e9").replace('/', "\\/")
        } else {
            text
        };
        text.into_bytes()
    })
}

/// Edits that break JSON in the ways bodies break: truncation, stray or missing bytes.
fn corrupted() -> impl Strategy<Value = Vec<u8>> {
    (
        document(),
        any::<prop::sample::Index>(),
        0..6usize,
        any::<u8>(),
    )
        .prop_map(|(mut doc, at, edit, byte)| {
            if doc.is_empty() {
                return doc;
            }
            let i = at.index(doc.len());
            match edit {
                0 => doc.truncate(i),
                1 => {
                    doc.remove(i);
                }
                2 => doc.insert(i, byte),
                3 => doc.insert(i, b','),
                4 => doc[i] = b'"',
                _ => doc.splice(i..i, *b"\\u12").for_each(drop),
            }
            doc
        })
}

fn same_as_serde_json(doc: &[u8]) -> Result<(), TestCaseError> {
    let arena = Bump::new();
    let ours = parse(doc, &Shape::All, &arena);
    let theirs = serde_json::from_slice::<Value>(doc);
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours.to_value(), theirs),
        (Err(_), Err(_)) => {}
        (ours, theirs) => prop_assert!(
            false,
            "{:?}: ours {:?}, serde_json {:?}",
            String::from_utf8_lossy(doc),
            ours.map(|n| n.to_value()),
            theirs
        ),
    }
    Ok(())
}

static RECORD: Shape = Shape::Keys(&[("id", Shape::All), ("", Shape::Keys(&[("id", Shape::All)]))]);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn documents_read_as_serde_json_reads_them(doc in document()) {
        same_as_serde_json(&doc)?;
    }

    #[test]
    fn corrupt_documents_fail_as_serde_json_fails(doc in corrupted()) {
        same_as_serde_json(&doc)?;
    }

    /// Records handed over one by one are the records a full parse sees, and each one's range
    /// in the body is its own text.
    #[test]
    fn streamed_records_are_the_records(records in prop::collection::vec(value(), 0..8)) {
        let doc = serde_json::to_vec(&json!({"before": 1, "data": records, "next": "x"})).unwrap();
        static PAGE: Shape = Shape::Keys(&[("data", Shape::Records(&Shape::All)), ("next", Shape::All)]);
        let arena = Bump::new();
        let mut seen = Vec::new();
        let page = parse_records(&doc, &PAGE, &arena, &mut |record, at| {
            let text: Value = serde_json::from_slice(&doc[at]).unwrap();
            prop_assert_eq!(&record.to_value(), &text);
            seen.push(text);
            Ok::<(), TestCaseError>(())
        });
        let page = match page {
            Ok(page) => page,
            Err(Failure::Record(e)) => return Err(e),
            Err(Failure::Json(e)) => panic!("{e}"),
        };
        let full: Value = serde_json::from_slice(&doc).unwrap();
        prop_assert_eq!(Value::Array(seen), full["data"].clone());
        prop_assert_eq!(page.to_value(), json!({"data": [], "next": "x"}));
    }

    /// Skipped parts are still checked: a shaped parse fails when skipping the whole document
    /// with `IgnoredAny` fails; and it fails otherwise only on a value a full parse rejects too
    /// (a kept string that is not UTF-8, a kept number out of range).
    #[test]
    fn shaped_parses_fail_as_skipping_fails(doc in corrupted()) {
        let arena = Bump::new();
        let ours = parse(&doc, &RECORD, &arena);
        let skipped = serde_json::from_slice::<serde::de::IgnoredAny>(&doc);
        let text = String::from_utf8_lossy(&doc);
        if skipped.is_err() {
            prop_assert!(ours.is_err(), "{:?}", text);
        } else if ours.is_err() {
            prop_assert!(serde_json::from_slice::<Value>(&doc).is_err(), "{:?}", text);
        }
    }
}

#[test]
fn a_refused_record_stops_the_parse() {
    static PAGE: Shape = Shape::Records(&Shape::Keys(&[("id", Shape::All)]));
    let arena = Bump::new();
    let mut count = 0;
    let e = parse_records(
        br#"[{"id": 1}, {"id": 2}, {"id": 3}]"#,
        &PAGE,
        &arena,
        &mut |r, _| {
            count += 1;
            match r.get("id").map(Json::to_value) {
                Some(id) if id == json!(2) => Err("two"),
                _ => Ok(()),
            }
        },
    )
    .unwrap_err();
    assert!(matches!(e, Failure::Record("two")));
    assert_eq!(count, 2);
    // Without a callback the records are kept, as `Each` keeps them.
    let v = parse(br#"[{"id": 1, "x": 0}]"#, &PAGE, &arena).unwrap();
    assert_eq!(v.to_value(), json!([{"id": 1}]));
}

#[test]
fn errors_say_where() {
    let arena = Bump::new();
    let e = parse(b"{\"a\": 1,\n \"b\": tru}", &Shape::All, &arena).unwrap_err();
    assert_eq!(e.to_string(), "expected ident at line 2 column 7");
    let e = parse(b"[1, 2", &Shape::All, &arena).unwrap_err();
    assert_eq!(e.to_string(), "EOF while parsing a list at line 1 column 6");
    let e = parse(b"{} x", &Shape::All, &arena).unwrap_err();
    assert_eq!(e.to_string(), "trailing characters at line 1 column 4");
    // A bad string or number is read by `serde_json`, whose own position is within the piece:
    // the body's position is said once.
    let e = parse(b"{\"a\": \"\\q\"}", &Shape::All, &arena).unwrap_err();
    assert_eq!(e.to_string(), "invalid escape at line 1 column 9");
    let e = parse(b"[1, 2e999]", &Shape::All, &arena).unwrap_err();
    assert_eq!(e.to_string().matches(" at line ").count(), 1, "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let arena = Bump::new();
    let deep = "[".repeat(100_000);
    assert!(parse(deep.as_bytes(), &Shape::All, &arena).is_err());
    let deep = format!("{{\"x\": {}}}", "[".repeat(100_000));
    assert!(parse(deep.as_bytes(), &RECORD, &arena).is_err());
}

#[test]
fn numbers_keep_their_kind() {
    let arena = Bump::new();
    let doc = br#"[0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775808, 1.5e3, 1E-2]"#;
    let ours = parse(doc, &Shape::All, &arena).unwrap().to_value();
    let theirs: Value = serde_json::from_slice(doc).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(ours[2], json!(u64::MAX));
}
