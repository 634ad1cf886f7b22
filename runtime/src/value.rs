//! Direct access into provider JSON, used by compiled mappings. Each function has the meaning of
//! the JMESPath construct it replaces, so compiled and interpreted mappings agree. They work on
//! any [`Json`]: a `serde_json::Value` or a partially parsed [`crate::json::Node`].

use crate::json::{Json, View};

/// `a.b.c`: the value at a path; `None` where a key is missing, a parent is not an object, or
/// the value is `null`.
pub fn path<'a, J: Json>(value: &'a J, keys: &[&str]) -> Option<&'a J> {
    let found = keys.iter().try_fold(value, |v, k| v.get(k))?;
    (!found.is_null()).then_some(found)
}

/// Where a response keeps its record: like [`path`], and a key that is an integer steps into an
/// array by position, counting from the end when negative (`notes.-1`: the last note).
pub fn record<'a, J: Json>(value: &'a J, keys: &[&str]) -> Option<&'a J> {
    let found = keys
        .iter()
        .try_fold(value, |v, k| match (v.as_array(), k.parse::<i64>()) {
            (Some(items), Ok(i)) => {
                let at = if i < 0 {
                    items.len().checked_sub(i.unsigned_abs() as usize)?
                } else {
                    i as usize
                };
                items.get(at)
            }
            _ => v.get(k),
        })?;
    (!found.is_null()).then_some(found)
}

/// A request variable: like [`path`], and a key of digits steps into an array by position
/// (`body.emails.0.email`).
pub fn var<'a>(value: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    let found = keys
        .iter()
        .try_fold(value, |v, k| match (v, k.parse::<usize>()) {
            (serde_json::Value::Array(items), Ok(i)) => items.get(i),
            _ => v.get(*k),
        })?;
    (!found.is_null()).then_some(found)
}

/// JMESPath truthiness: not null, not false, not an empty string, array or object.
pub fn truthy<J: Json>(value: Option<&J>) -> bool {
    match value.map(Json::view) {
        None | Some(View::Null) | Some(View::Bool(false)) => false,
        Some(View::Str(s)) => !s.is_empty(),
        Some(View::Array(n)) | Some(View::Object(n)) => n > 0,
        Some(_) => true,
    }
}

/// `lhs || rhs`.
pub fn or<'a, J: Json>(lhs: Option<&'a J>, rhs: Option<&'a J>) -> Option<&'a J> {
    if truthy(lhs) { lhs } else { rhs }
}

/// `base[].then` (`flatten`) or `base[*].then`: `then` applied to each element, nulls dropped;
/// `None` when `base` is not an array.
pub fn project<'a, J: Json>(
    base: Option<&'a J>,
    flatten: bool,
    then: impl Fn(&'a J) -> Option<&'a J>,
) -> Option<Vec<&'a J>> {
    let items = base?.as_array()?;
    let keep = |v: &'a J| then(v).filter(|v| !v.is_null());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item.as_array() {
            Some(inner) if flatten => out.extend(inner.iter().filter_map(keep)),
            _ => out.extend(keep(item)),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn paths_and_projections_follow_jmespath() {
        let v = json!({"a": {"b": 1}, "n": null, "labels": [{"name": "x"}, {"name": null}, [{"name": "y"}]]});
        assert_eq!(path(&v, &["a", "b"]), Some(&json!(1)));
        assert_eq!(path(&v, &["a", "c"]), None);
        assert_eq!(path(&v, &["n"]), None);
        assert_eq!(path(&v, &["a", "b", "c"]), None);
        let names = project(path(&v, &["labels"]), true, |i: &Value| path(i, &["name"]));
        assert_eq!(names, Some(vec![&json!("x"), &json!("y")]));
        let names = project(path(&v, &["labels"]), false, |i: &Value| path(i, &["name"]));
        assert_eq!(names, Some(vec![&json!("x")]));
        assert_eq!(or(Some(&json!("")), Some(&json!(2))), Some(&json!(2)));
        assert_eq!(or(Some(&json!(0)), Some(&json!(2))), Some(&json!(0)));
    }

    #[test]
    fn record_paths_index_arrays_from_either_end() {
        let v = json!({"notes": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "-1": "key"});
        assert_eq!(record(&v, &["notes", "-1", "id"]), Some(&json!("3")));
        assert_eq!(record(&v, &["notes", "0", "id"]), Some(&json!("1")));
        assert_eq!(record(&v, &["notes", "-3", "id"]), Some(&json!("1")));
        assert_eq!(record(&v, &["notes", "-4"]), None);
        assert_eq!(record(&v, &["notes", "3"]), None);
        assert_eq!(
            record(&v, &["-1"]),
            Some(&json!("key")),
            "objects keep their keys"
        );
    }
}
