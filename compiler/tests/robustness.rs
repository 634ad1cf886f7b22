//! No input makes the checker panic: random edits of valid mapping files always end in either
//! a successful check or diagnostics that render.

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
        }
    }
}
