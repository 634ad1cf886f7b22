//! Partial parsing: a [`Shape`] says which parts of a JSON document a compiled mapping reads, and
//! [`parse`] builds a borrowed [`Node`] tree holding only those parts. Everything else is skipped
//! without allocating; strings are borrowed from the body where they have no escapes; object keys
//! that the shape names come from the shape. Compiled mappings read the tree through
//! [`crate::json::Json`], exactly as they would read the whole document.

use std::borrow::Cow;
use std::fmt;

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

/// Parses `text`, keeping what `shape` names.
pub fn parse<'a>(text: &'a [u8], shape: &Shape) -> Result<Node<'a>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let node = Seed(shape).deserialize(&mut de)?;
    de.end()?;
    Ok(node)
}

/// The scalar visits, the same for every visitor here.
macro_rules! scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Node<'de>, E> {
            Ok(Node::Bool(v))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Node<'de>, E> {
            Ok(Node::Number(v.into()))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Node<'de>, E> {
            Ok(Node::Number(v.into()))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Node<'de>, E> {
            Ok(Number::from_f64(v).map_or(Node::Null, Node::Number))
        }

        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Node<'de>, E> {
            Ok(Node::Str(Cow::Borrowed(v)))
        }

        fn visit_str<E>(self, v: &str) -> Result<Node<'de>, E> {
            Ok(Node::Str(Cow::Owned(v.to_owned())))
        }

        fn visit_unit<E>(self) -> Result<Node<'de>, E> {
            Ok(Node::Null)
        }
    };
}

struct Seed<'s>(&'s Shape);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(ShapeVisitor(self.0))
    }
}

struct ShapeVisitor<'s>(&'s Shape);

impl<'de> Visitor<'de> for ShapeVisitor<'_> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!();

    fn visit_string<E>(self, v: String) -> Result<Node<'de>, E> {
        Ok(Node::Str(Cow::Owned(v)))
    }

    fn visit_none<E>(self) -> Result<Node<'de>, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        Seed(self.0).deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node<'de>, A::Error> {
        let element = match self.0 {
            Shape::All => &Shape::All,
            Shape::Each(element) => *element,
            // An array where an object was expected: no path enters it.
            Shape::Keys(_) => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Node::Array(Vec::new()));
            }
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(Element {
            array: self.0,
            element,
        })? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node<'de>, A::Error> {
        match self.0 {
            Shape::All => {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key_seed(Key)? {
                    let value = map.next_value_seed(Seed(&Shape::All))?;
                    members.push((key, value));
                }
                Ok(Node::Object(members))
            }
            Shape::Keys(keys) => {
                let mut members = Vec::with_capacity(keys.len());
                // Keys are matched without allocating; kept keys come from the shape.
                while let Some(found) = map.next_key_seed(KeyMatch(keys))? {
                    match found {
                        Some(i) => {
                            let (key, shape) = &keys[i];
                            let value = map.next_value_seed(Seed(shape))?;
                            members.push((Cow::Borrowed(*key), value));
                        }
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Node::Object(members))
            }
            // An object where an array was expected: a projection yields nothing from it.
            Shape::Each(_) => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Node::Object(Vec::new()))
            }
        }
    }
}

/// An element of a shaped array: arrays get the array's shape again, anything else the
/// element's shape.
struct Element<'s> {
    array: &'s Shape,
    element: &'s Shape,
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Node<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node<'de>, D::Error> {
        deserializer.deserialize_any(ElementVisitor(self))
    }
}

struct ElementVisitor<'s>(Element<'s>);

impl<'de> Visitor<'de> for ElementVisitor<'_> {
    type Value = Node<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Node<'de>, A::Error> {
        ShapeVisitor(self.0.array).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Node<'de>, A::Error> {
        ShapeVisitor(self.0.element).visit_map(map)
    }
}

/// An object key, borrowed from the body when it has no escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
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
        let v = parse(text, &RECORD).unwrap().to_value();
        assert_eq!(
            v,
            json!({"id": 1, "contact": {"name": "Ada \"A\""}, "labels": [{"name": "x"}, [{"name": "y"}], 3, null]})
        );
    }

    #[test]
    fn strings_are_borrowed_when_they_can_be() {
        let text = br#"{"id": "plain", "contact": {"name": "esc\u00e9"}}"#;
        let node = parse(text, &RECORD).unwrap();
        assert!(matches!(
            node.get("id"),
            Some(Node::Str(Cow::Borrowed("plain")))
        ));
        assert!(matches!(
            node.get("contact").and_then(|c| c.get("name")),
            Some(Node::Str(Cow::Owned(_)))
        ));
    }

    #[test]
    fn unexpected_kinds_are_harmless() {
        let v = parse(
            br#"{"contact": "just text", "labels": {"name": "not an array"}}"#,
            &RECORD,
        )
        .unwrap();
        assert_eq!(v.to_value(), json!({"contact": "just text", "labels": {}}));
        let v = parse(br#"{"contact": [1, 2]}"#, &RECORD).unwrap();
        assert_eq!(v.to_value(), json!({"contact": []}));
        assert!(parse(b"{\"id\": ", &RECORD).is_err());
        let dup = parse(br#"{"id": 1, "id": 2}"#, &RECORD).unwrap();
        assert_eq!(dup.get("id").map(Json::to_value), Some(json!(2)));
    }
}
