//! A response schema inferred from a method's example payloads: the JSON types seen at each
//! place, object members merged across examples and list items. Members are optional and may
//! be null (an example shows what a provider sends, not all it may leave out).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Deeper than this, a value is described as any JSON.
const DEPTH: usize = 24;

#[derive(Debug, Default)]
struct Shape {
    null: bool,
    boolean: bool,
    integer: bool,
    number: bool,
    string: bool,
    /// The merged shape of the items of every list seen here.
    items: Option<Box<Shape>>,
    /// The merged shape of each member of every object seen here.
    members: Option<BTreeMap<String, Shape>>,
    /// Too deep to describe.
    any: bool,
}

impl Shape {
    fn add(&mut self, value: &Value, depth: usize) {
        if depth > DEPTH {
            self.any = true;
            return;
        }
        match value {
            Value::Null => self.null = true,
            Value::Bool(_) => self.boolean = true,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integer = true,
            Value::Number(_) => self.number = true,
            Value::String(_) => self.string = true,
            Value::Array(items) => {
                let shape = self.items.get_or_insert_with(Box::default);
                for item in items {
                    shape.add(item, depth + 1);
                }
            }
            Value::Object(members) => {
                let shapes = self.members.get_or_insert_with(BTreeMap::new);
                for (name, member) in members {
                    shapes
                        .entry(name.clone())
                        .or_default()
                        .add(member, depth + 1);
                }
            }
        }
    }

    fn schema(&self, nullable: bool) -> Value {
        if self.any {
            return json!({});
        }
        let mut types: Vec<&str> = Vec::new();
        if self.boolean {
            types.push("boolean");
        }
        if self.number {
            types.push("number");
        } else if self.integer {
            types.push("integer");
        }
        if self.string {
            types.push("string");
        }
        if self.items.is_some() {
            types.push("array");
        }
        if self.members.is_some() {
            types.push("object");
        }
        if types.is_empty() {
            // Only nulls (or nothing) seen: the type is unknown.
            return json!({});
        }
        if nullable || self.null {
            types.push("null");
        }
        let mut schema = Map::new();
        schema.insert(
            "type".into(),
            match types.as_slice() {
                [one] => Value::String((*one).to_owned()),
                _ => json!(types),
            },
        );
        if let Some(items) = &self.items {
            schema.insert("items".into(), items.schema(false));
        }
        if let Some(members) = &self.members {
            let properties: Map<String, Value> = members
                .iter()
                .map(|(name, shape)| (name.clone(), shape.schema(true)))
                .collect();
            schema.insert("properties".into(), Value::Object(properties));
        }
        Value::Object(schema)
    }
}

/// The schema every example satisfies (any JSON when there is none).
pub(super) fn schema_of<'a>(examples: impl IntoIterator<Item = &'a Value>) -> Value {
    let mut shape = Shape::default();
    for example in examples {
        shape.add(example, 0);
    }
    shape.schema(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_items_merge_across_examples() {
        let a = json!({"id": 1, "tags": ["x"], "user": {"name": "Ann"}});
        let b = json!({"id": 2.5, "tags": [], "user": null, "extra": true});
        assert_eq!(
            schema_of([&a, &b]),
            json!({
                "type": "object",
                "properties": {
                    "extra": { "type": ["boolean", "null"] },
                    "id": { "type": ["number", "null"] },
                    "tags": { "type": ["array", "null"], "items": { "type": "string" } },
                    "user": { "type": ["object", "null"], "properties": { "name": { "type": ["string", "null"] } } }
                }
            })
        );
    }

    #[test]
    fn nothing_seen_is_any_json() {
        assert_eq!(schema_of([]), json!({}));
        assert_eq!(schema_of([&json!(null)]), json!({}));
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!([deep]);
        }
        assert!(schema_of([&deep]).to_string().contains("{}"));
    }
}
