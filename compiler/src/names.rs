//! The one place where names are converted for generated code: case conversion and keyword
//! escaping.

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::{Ident, Span};

/// Rust keywords (all editions) that cannot be used as plain identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// `Self`, `self`, `super` and `crate` cannot be raw identifiers; they get a trailing `_`.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

fn ident(name: &str) -> Ident {
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_owned()
    };
    if NOT_RAW.contains(&name.as_str()) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name.as_str()) {
        Ident::new_raw(&name, Span::call_site())
    } else {
        Ident::new(&name, Span::call_site())
    }
}

/// A type or variant name: `ticket_status` → `TicketStatus`.
pub fn type_ident(name: &str) -> Ident {
    ident(&type_name(name))
}

pub fn type_name(name: &str) -> String {
    let pascal = name.to_pascal_case();
    if pascal.is_empty() {
        "Empty".to_owned()
    } else {
        pascal
    }
}

/// A field, function or module name: `createdAt` → `created_at`, `type` → `r#type`.
pub fn value_ident(name: &str) -> Ident {
    ident(&snake(name))
}

pub fn snake(name: &str) -> String {
    let s = name.to_snake_case();
    if s.is_empty() { "empty".to_owned() } else { s }
}

/// A constant or static name: `list_tickets` → `LIST_TICKETS`.
pub fn const_name(name: &str) -> String {
    snake(name).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_keywords_and_cases() {
        assert_eq!(value_ident("type").to_string(), "r#type");
        assert_eq!(value_ident("gen").to_string(), "r#gen");
        assert_eq!(value_ident("self").to_string(), "self_");
        assert_eq!(type_ident("in_progress").to_string(), "InProgress");
        assert_eq!(type_ident("on-hold").to_string(), "OnHold");
        assert_eq!(value_ident("createdAt").to_string(), "created_at");
        assert_eq!(type_ident("3xx").to_string(), "_3xx");
    }
}
