//! Partial parsing: a [`Shape`] says which parts of a JSON document a compiled mapping reads, and
//! [`parse`] builds a borrowed [`Node`] tree holding only those parts. Everything else is skipped
//! without allocating; strings are borrowed from the body where they have no escapes; object keys
//! that the shape names come from the shape. Compiled mappings read the tree through
//! [`crate::json::Json`], exactly as they would read the whole document.

use std::fmt;

use bumpalo::Bump;
use bumpalo::collections::Vec as BumpVec;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use crate::json::Node;

/// Which parts of a value are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The whole value.
    All,
    /// Only these keys of an object. Scalars are kept as they are; an array becomes empty (no
    /// path enters it).
    Keys(&'static [(&'static str, Shape)]),
    /// Every element of an array shaped alike; element arrays are shaped element by element
    /// (a flattening projection reads through them). An object becomes empty.
    Each(&'static Shape),
}

/// Parses `text`, keeping what `shape` names; arrays, objects and unescaped copies of escaped
/// strings go into `arena`.
pub fn parse<'a>(
    text: &'a [u8],
    shape: &Shape,
    arena: &'a Bump,
) -> Result<Node<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let node = Seed { shape, arena }.deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// The scalar visits, the same for every visitor here.
macro_rules! scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Node<'a>, E> {
            Ok(Node::Bool(v))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Node<'a>, E> {
            Ok(Node::Number(v.into()))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Node<'a>, E> {
            Ok(Node::Number(v.into()))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Node<'a>, E> {
            Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
        }

        fn visit_borrowed_str<E>(self, v: &'a str) -> Result<Node<'a>, E> {
            Ok(Node::Str(v))
        }

        fn visit_str<E>(self, v: &str) -> Result<Node<'a>, E> {
            Ok(Node::Str(self.arena().alloc_str(v)))
        }

        fn visit_unit<E>(self) -> Result<Node<'a>, E> {
            Ok(Node::Null)
        }
    };
}

#[derive(Clone, Copy)]
struct Seed<'a, 's> {
    shape: &'s Shape,
    arena: &'a Bump,
}

impl<'a> Seed<'a, '_> {
    fn arena(&self) -> &'a Bump {
        self.arena
    }
}

impl<'a> DeserializeSeed<'a> for Seed<'a, '_> {
    type Value = Node<'a>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Node<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for Seed<'a, '_> {
    type Value = Node<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!();

    fn visit_none<E>(self) -> Result<Node<'a>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'a>>(self, deserializer: D) -> Result<Node<'a>, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'a>>(self, mut seq: A) -> Result<Node<'a>, A::Error> {
        let element = match self.shape {
            Shape::All => &Shape::All,
            Shape::Each(element) => *element,
            // An array where an object was expected: no path enters it.
            Shape::Keys(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Node::Array(&[]));
            }
        };
        let mut items = BumpVec::new_in(self.arena);
        while let Some(item) = seq.next_element_seed(Element {
            array: self,
            element,
        })? {
            items.push(item);
        }
        Ok(Node::Array(items.into_bump_slice()))
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Node<'a>, A::Error> {
        match self.shape {
            Shape::All => {
                let mut members = BumpVec::new_in(self.arena);
                while let Some(key) = map.next_key_seed(Key(self.arena))? {
                    let value = map.next_value_seed(Seed {
                        shape: &Shape::All,
                        arena: self.arena,
                    })?;
                    members.push((key, value));
                }
                Ok(Node::Object(members.into_bump_slice()))
            }
            Shape::Keys(keys) => {
                let mut members = BumpVec::with_capacity_in(keys.len(), self.arena);
                // Keys are matched without allocating; kept keys come from the shape.
                while let Some(found) = map.next_key_seed(KeyMatch(keys))? {
                    match found {
                        Some(i) => {
                            let (key, shape) = &keys[i];
                            let value = map.next_value_seed(Seed {
                                shape,
                                arena: self.arena,
                            })?;
                            members.push((*key, value));
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Node::Object(members.into_bump_slice()))
            }
            // An object where an array was expected: a projection yields nothing from it.
            Shape::Each(_) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Node::Object(&[]))
            }
        }
    }
}

/// An element of a shaped array: arrays get the array's shape again, anything else the
/// element's shape.
#[derive(Clone, Copy)]
struct Element<'a, 's> {
    array: Seed<'a, 's>,
    element: &'s Shape,
}

impl<'a> Element<'a, '_> {
    fn arena(&self) -> &'a Bump {
        self.array.arena
    }
}

impl<'a> DeserializeSeed<'a> for Element<'a, '_> {
    type Value = Node<'a>;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<Node<'a>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'a> Visitor<'a> for Element<'a, '_> {
    type Value = Node<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'a>>(self, seq: A) -> Result<Node<'a>, A::Error> {
        self.array.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'a>>(self, map: A) -> Result<Node<'a>, A::Error> {
        Seed {
            shape: self.element,
            arena: self.array.arena,
        }
        .visit_map(map)
    }
}

/// An object key, borrowed from the body when it has no escapes.
struct Key<'a>(&'a Bump);

impl<'a> DeserializeSeed<'a> for Key<'a> {
    type Value = &'a str;

    fn deserialize<D: Deserializer<'a>>(self, deserializer: D) -> Result<&'a str, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'a> Visitor<'a> for Key<'a> {
    type Value = &'a str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'a str) -> Result<&'a str, E> {
        Ok(v)
    }

    fn visit_str<E>(self, v: &str) -> Result<&'a str, E> {
        Ok(self.0.alloc_str(v))
    }
}

/// Finds a key among the shape's keys (its index), without allocating.
struct KeyMatch(&'static [(&'static str, Shape)]);

impl<'de> DeserializeSeed<'de> for KeyMatch {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        // As bytes: `serde_json` then skips UTF-8 validation, and the shape's keys are UTF-8.
        deserializer.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for KeyMatch {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_bytes<E>(self, key: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(k, _)| k.as_bytes() == key))
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(k, _)| *k == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::Json;
    use serde_json::json;

    static RECORD: Shape = Shape::Keys(&[
        ("id", Shape::All),
        ("contact", Shape::Keys(&[("name", Shape::All)])),
        ("labels", Shape::Each(&Shape::Keys(&[("name", Shape::All)]))),
    ]);

    #[test]
    fn keeps_only_what_the_shape_names() {
        let text =
            br#"{"id": 1, "big": {"x": [1,2,3]}, "contact": {"name": "Ada \"A\"", "email": "a@b"},
            "labels": [{"name": "x", "color": "red"}, [{"name": "y"}], 3, null]}"#;
        let arena = Bump::new();
        let v = parse(text, &RECORD, &arena).unwrap().to_value();
        assert_eq!(
            v,
            json!({"id": 1, "contact": {"name": "Ada \"A\""}, "labels": [{"name": "x"}, [{"name": "y"}], 3, null]})
        );
    }

    #[test]
    fn strings_are_borrowed_when_they_can_be() {
        let text = br#"{"id": "plain", "contact": {"name": "esc\u00e9"}}"#;
        let arena = Bump::new();
        let node = parse(text, &RECORD, &arena).unwrap();
        let Some(Node::Str(id)) = node.get("id") else {
            panic!("a string")
        };
        assert!(
            text.as_ptr_range().contains(&id.as_ptr()),
            "borrowed from the body"
        );
        assert_eq!(
            node.get("contact").and_then(|c| c.get("name")),
            Some(&Node::Str("esc\u{e9}"))
        );
    }

    #[test]
    fn unexpected_kinds_are_harmless() {
        let arena = Bump::new();
        let v = parse(
            br#"{"contact": "just text", "labels": {"name": "not an array"}}"#,
            &RECORD,
            &arena,
        )
        .unwrap();
        assert_eq!(v.to_value(), json!({"contact": "just text", "labels": {}}));
        let v = parse(br#"{"contact": [1, 2]}"#, &RECORD, &arena).unwrap();
        assert_eq!(v.to_value(), json!({"contact": []}));
        assert!(parse(b"{\"id\": ", &RECORD, &arena).is_err());
        let dup = parse(br#"{"id": 1, "id": 2}"#, &RECORD, &arena).unwrap();
        assert_eq!(dup.get("id").map(Json::to_value), Some(json!(2)));
    }
}
