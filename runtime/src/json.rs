//! What compiled mappings read: any JSON representation with the [`Json`] trait. Two exist —
//! `serde_json::Value` (the interpreter, `map` on records) and [`Node`], a borrowed tree that
//! [`crate::shape::parse`] builds from a response body holding only what the mappings read, with
//! strings borrowed from the body and object keys taken from the shape.

use serde_json::{Number, Value};

/// A JSON value as mappings see it.
pub trait Json: Sized {
    /// The member `key` of an object (`None` for other kinds or a missing key).
    fn get(&self, key: &str) -> Option<&Self>;
    /// The elements of an array.
    fn as_array(&self) -> Option<&[Self]>;
    /// What kind of value this is, with scalars.
    fn view(&self) -> View<'_>;
    /// The value as a `serde_json::Value` (for `json` fields).
    fn to_value(&self) -> Value;

    /// A number's text as the provider wrote it, where [`View::Number`] cannot say it exactly
    /// (an integer beyond 64 bits, `-0`, `1e2`, `1.50`): a number mapped to a string keeps it.
    fn number_text(&self) -> Option<&str> {
        None
    }

    fn is_null(&self) -> bool {
        matches!(self.view(), View::Null)
    }
}

/// A value's kind, and the scalar itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View<'v> {
    Null,
    Bool(bool),
    Number(&'v Number),
    Str(&'v str),
    Array(usize),
    Object(usize),
}

impl Json for Value {
    fn get(&self, key: &str) -> Option<&Self> {
        self.as_object()?.get(key)
    }

    fn as_array(&self) -> Option<&[Self]> {
        Value::as_array(self).map(Vec::as_slice)
    }

    fn view(&self) -> View<'_> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n),
            Value::String(s) => View::Str(s),
            Value::Array(a) => View::Array(a.len()),
            Value::Object(o) => View::Object(o.len()),
        }
    }

    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// A borrowed JSON tree (see the module docs): strings, arrays and objects live in the body or
/// in an arena ([`bumpalo::Bump`]) that lives as long as the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// A number, and its source text when the number does not print back as it (see
    /// [`Json::number_text`]).
    Number(Number, Option<&'a str>),
    Str(&'a str),
    Array(&'a [Node<'a>]),
    /// Members in document order; a repeated key's last value wins, as in `serde_json`.
    Object(&'a [(&'a str, Node<'a>)]),
}

impl Json for Node<'_> {
    fn get(&self, key: &str) -> Option<&Self> {
        match self {
            // Keys a shape kept are the shape's own strings, and compiled mappings usually
            // ask with the same literal: the address settles most lookups; length and first
            // byte rule out most others before the bytes are compared.
            Node::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _)| {
                    std::ptr::eq(*k, key)
                        || (k.len() == key.len()
                            && k.as_bytes().first() == key.as_bytes().first()
                            && *k == key)
                })
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[Self]> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }

    fn view(&self) -> View<'_> {
        match self {
            Node::Null => View::Null,
            Node::Bool(b) => View::Bool(*b),
            Node::Number(n, _) => View::Number(n),
            Node::Str(s) => View::Str(s),
            Node::Array(a) => View::Array(a.len()),
            Node::Object(o) => View::Object(o.len()),
        }
    }

    fn number_text(&self) -> Option<&str> {
        match self {
            Node::Number(_, text) => *text,
            _ => None,
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n, _) => Value::Number(n.clone()),
            Node::Str(s) => Value::String((*s).to_owned()),
            Node::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Node::Object(members) => {
                let mut map = serde_json::Map::new();
                for (k, v) in *members {
                    map.insert((*k).to_owned(), v.to_value());
                }
                Value::Object(map)
            }
        }
    }
}

/// The kind of a value, for messages: "a string", "an object", …
pub fn kind_name(view: View<'_>) -> &'static str {
    match view {
        View::Null => "null",
        View::Bool(_) => "a boolean",
        View::Number(_) => "a number",
        View::Str(_) => "a string",
        View::Array(_) => "an array",
        View::Object(_) => "an object",
    }
}
