//! No input makes the checker panic: random edits of valid mapping files, random text and
//! random YAML trees built from the language's own keys always end in either a successful
//! check or diagnostics that render.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use proptest::prelude::*;
use switchboard_compiler::{Error, Settings};

const FILES: &[&str] = &[
    "providers/acme/tickets.yaml",
    "providers/acme/provider.yaml",
    "unified/ticketing.yaml",
    "providers/acme/examples/get.json",
];

/// Pieces that are likely to break YAML, JMESPath, templates or JSON in interesting ways.
const PIECES: &[&str] = &[
    "",
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "|",
    "&a",
    "*a",
    "\n",
    "  ",
    "{{",
    "}}",
    "{%",
    "||",
    "[]",
    ".",
    "@",
    "é",
    "名前",
    "\u{1F600}",
    "null",
    "~",
    "true",
    "0",
    "`",
    "\\",
    "#",
    "%Y",
    ",",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_edits_never_panic(
        edits in prop::collection::vec((0..FILES.len(), any::<prop::sample::Index>(), 0usize..8, 0..PIECES.len()), 1..4)
    ) {
        let (_tmp, root) = common::mappings_with::<&str>(&[]);
        for (file, at, delete, piece) in edits {
            let path = root.join(FILES[file]);
            let text = std::fs::read_to_string(&path).unwrap();
            let chars: Vec<char> = text.chars().collect();
            let start = at.index(chars.len() + 1);
            let end = (start + delete).min(chars.len());
            let edited: String = chars[..start].iter().copied()
                .chain(PIECES[piece].chars())
                .chain(chars[end..].iter().copied())
                .collect();
            std::fs::write(&path, edited).unwrap();
        }
        match Settings::new(&root).generate() {
            Ok(out) => prop_assert!(!out.files.is_empty()),
            Err(Error::Diagnostics(report)) => {
                prop_assert!(!report.diagnostics.is_empty());
                let text = report.render_plain();
                prop_assert!(text.contains("error["));
                let _ = report.to_json();
            }
            Err(Error::Io { .. }) => {}
            Err(e @ Error::NoProviders { .. }) => prop_assert!(false, "the provider is there: {e}"),
        }
    }
}

/// Keys of the mapping language, so random trees reach deep into the decoder and checker.
const KEYS: &[&str] = &[
    "model",
    "resources",
    "singular",
    "fields",
    "methods",
    "type",
    "items",
    "values",
    "required",
    "read_only",
    "write_only",
    "query",
    "body",
    "returns",
    "provider",
    "base_url",
    "credentials",
    "secret",
    "default",
    "auth",
    "kind",
    "token",
    "username",
    "password",
    "name",
    "in",
    "value",
    "token_url",
    "client_id",
    "client_secret",
    "scopes",
    "url",
    "expires_in",
    "scheme",
    "headers",
    "pagination",
    "param",
    "next_link",
    "last_page",
    "stop_on_empty_page",
    "offset_param",
    "limit_param",
    "limit",
    "cursor",
    "cursor_header",
    "next",
    "max_pages",
    "rate_limit",
    "requests",
    "per",
    "errors",
    "message",
    "in_body",
    "path",
    "success",
    "status",
    "datetime",
    "formats",
    "timezone",
    "resource",
    "unified",
    "request",
    "method",
    "response",
    "records",
    "record",
    "examples",
    "provenance",
    "source",
    "tool",
    "from",
    "enum",
    "fallback",
    "format",
    "id",
    "each",
    "const",
    "list",
    "get",
    "create",
    "update",
    "delete",
    "tickets",
    "override",
    "prefix",
    "static",
    "distinct",
    "redact",
    "retry_safe",
    "join",
    "separator",
];

const SCALARS: &[&str] = &[
    "x",
    "data[].attachments",
    "true",
    "GET",
    "POST",
    "bearer",
    "page_number",
    "cursor",
    "hal",
    "string",
    "enum",
    "list",
    "object",
    "json",
    "reference",
    "datetime",
    "true",
    "false",
    "0",
    "-1",
    "99999999999999999999",
    "ticketing.tickets",
    "@",
    "a.b[].c",
    "a || b",
    "\"{{ id }}\"",
    "\"{{ credentials.token }}\"",
    "https://x.test",
    "raw",
    "required",
    "\"%Y\"",
    "minute",
    "documented",
    "~",
    "[]",
    "{}",
    "é",
    "\"\"",
];

fn yaml_tree() -> impl Strategy<Value = String> {
    let leaf = (0..SCALARS.len()).prop_map(|i| SCALARS[i].to_owned());
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(((0..KEYS.len()), inner.clone()), 1..6).prop_map(|entries| {
                let mut seen = Vec::new();
                let parts: Vec<String> = entries
                    .into_iter()
                    .filter(|(k, _)| {
                        let fresh = !seen.contains(k);
                        seen.push(*k);
                        fresh
                    })
                    .map(|(k, v)| format!("{}: {v}", KEYS[k]))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }),
            prop::collection::vec(inner, 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_yaml_in_any_file_never_panics(file in 0..3usize, tree in yaml_tree(), text in "\\PC{0,200}", use_text in any::<bool>()) {
        let target = ["providers/acme/tickets.yaml", "providers/acme/provider.yaml", "unified/ticketing.yaml"][file];
        let contents = if use_text { text } else { tree };
        let (_tmp, root) = common::mappings_with(&[(target, "", contents)]);
        match Settings::new(&root).generate() {
            Ok(out) => prop_assert!(!out.files.is_empty()),
            Err(Error::Diagnostics(report)) => {
                prop_assert!(!report.diagnostics.is_empty());
                let _ = report.render_plain();
                let _ = report.to_json();
            }
            Err(Error::Io { .. }) => {}
            Err(e @ Error::NoProviders { .. }) => prop_assert!(false, "the provider is there: {e}"),
        }
    }
}
