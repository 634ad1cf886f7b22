//! Partial parsing: a [`Shape`] says which parts of a JSON document a compiled mapping reads, and
//! [`parse`] builds a `serde_json::Value` holding only those parts, skipping the rest without
//! allocating. Compiled mappings then read the small value with [`crate::value`] exactly as they
//! would read the whole document, so the result is the same — only cheaper.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Which parts of a value are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The whole value.
    All,
    /// Only these keys of an object (other kinds of values are kept whole: they are scalars
    /// or arrays that a path cannot enter anyway, and small).
    Keys(&'static [(&'static str, Shape)]),
    /// Every element of an array shaped alike; element arrays are shaped element by element
    /// (a flattening projection reads through them).
    Each(&'static Shape),
}

/// Parses `text`, keeping what `shape` names.
pub fn parse(text: &[u8], shape: &Shape) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = Seed(shape).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

struct Seed<'s>(&'s Shape);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        match self.0 {
            Shape::All => serde::Deserialize::deserialize(deserializer),
            shape => deserializer.deserialize_any(ShapeVisitor(shape)),
        }
    }
}

struct ShapeVisitor<'s>(&'s Shape);

impl<'de> Visitor<'de> for ShapeVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Seed(self.0).deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let element = match self.0 {
            Shape::Each(element) => element,
            // An array where an object was expected: no path enters it.
            _ => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Value::Array(Vec::new()));
            }
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        // Element arrays keep the element shape (`a[]` flattens one level through them).
        while let Some(item) =
            seq.next_element_seed(Seed(&Shape::Each(element)).or_element(element))?
        {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Shape::Keys(keys) = self.0 else {
            // An object where an array was expected: a projection yields nothing from it.
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Value::Object(Map::new()));
        };
        let mut out = Map::new();
        // Keys are matched without allocating; only kept keys become strings.
        while let Some(found) = map.next_key_seed(KeyMatch(keys))? {
            match found {
                Some(i) => {
                    let (key, shape) = &keys[i];
                    let value = map.next_value_seed(Seed(shape))?;
                    out.insert((*key).to_owned(), value);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Finds a key among the shape's keys (its index), without allocating.
struct KeyMatch(&'static [(&'static str, Shape)]);

impl<'de> DeserializeSeed<'de> for KeyMatch {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyMatch {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|(k, _)| *k == key))
    }
}

/// An element of a shaped array: arrays get the array's shape again, anything else the
/// element's shape.
struct Element<'s> {
    array: Seed<'s>,
    element: &'s Shape,
}

impl<'s> Seed<'s> {
    fn or_element(self, element: &'s Shape) -> Element<'s> {
        Element {
            array: self,
            element,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Element<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ElementVisitor {
            array: self.array.0,
            element: self.element,
        })
    }
}

struct ElementVisitor<'s> {
    array: &'s Shape,
    element: &'s Shape,
}

macro_rules! delegate_scalars {
    () => {
        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
        }
        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }
        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    };
}

impl<'de> Visitor<'de> for ElementVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    delegate_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        ShapeVisitor(self.array).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        match self.element {
            Shape::All => {
                let de = serde::de::value::MapAccessDeserializer::new(map);
                serde::Deserialize::deserialize(de)
            }
            shape => ShapeVisitor(shape).visit_map(map),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static RECORD: Shape = Shape::Keys(&[
        ("id", Shape::All),
        ("contact", Shape::Keys(&[("name", Shape::All)])),
        ("labels", Shape::Each(&Shape::Keys(&[("name", Shape::All)]))),
    ]);

    #[test]
    fn keeps_only_what_the_shape_names() {
        let text = br#"{"id": 1, "big": {"x": [1,2,3]}, "contact": {"name": "Ada", "email": "a@b"},
            "labels": [{"name": "x", "color": "red"}, [{"name": "y"}], 3, null]}"#;
        let v = parse(text, &RECORD).unwrap();
        assert_eq!(
            v,
            json!({"id": 1, "contact": {"name": "Ada"}, "labels": [{"name": "x"}, [{"name": "y"}], 3, null]})
        );
    }

    #[test]
    fn unexpected_kinds_are_harmless() {
        let v = parse(
            br#"{"contact": "just text", "labels": {"name": "not an array"}}"#,
            &RECORD,
        )
        .unwrap();
        assert_eq!(v, json!({"contact": "just text", "labels": {}}));
        let v = parse(br#"{"contact": [1, 2]}"#, &RECORD).unwrap();
        assert_eq!(v, json!({"contact": []}));
        assert!(parse(b"{\"id\": ", &RECORD).is_err());
    }
}
