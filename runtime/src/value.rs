//! Direct access into provider JSON, used by compiled mappings. Each function has the meaning of
//! the JMESPath construct it replaces, so compiled and interpreted mappings agree.

use serde_json::Value;

/// `a.b.c`: the value at a path; `None` where a key is missing, a parent is not an object, or
/// the value is `null`.
pub fn path<'a>(value: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let found = keys.iter().try_fold(value, |v, k| v.as_object()?.get(*k))?;
    (!found.is_null()).then_some(found)
}

/// JMESPath truthiness: not null, not false, not an empty string, array or object.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// `lhs || rhs`.
pub fn or<'a>(lhs: Option<&'a Value>, rhs: Option<&'a Value>) -> Option<&'a Value> {
    if truthy(lhs) { lhs } else { rhs }
}

/// `base[].then` (`flatten`) or `base[*].then`: `then` applied to each element, nulls dropped;
/// `None` when `base` is not an array.
pub fn project<'a>(
    base: Option<&'a Value>,
    flatten: bool,
    then: impl Fn(&'a Value) -> Option<&'a Value>,
) -> Option<Vec<&'a Value>> {
    let items = base?.as_array()?;
    let mut elements: Vec<&'a Value> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Array(inner) if flatten => elements.extend(inner.iter()),
            other => elements.push(other),
        }
    }
    Some(
        elements
            .into_iter()
            .filter_map(then)
            .filter(|v| !v.is_null())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_projections_follow_jmespath() {
        let v = json!({"a": {"b": 1}, "n": null, "labels": [{"name": "x"}, {"name": null}, [{"name": "y"}]]});
        assert_eq!(path(&v, &["a", "b"]), Some(&json!(1)));
        assert_eq!(path(&v, &["a", "c"]), None);
        assert_eq!(path(&v, &["n"]), None);
        assert_eq!(path(&v, &["a", "b", "c"]), None);
        let names = project(path(&v, &["labels"]), true, |i| path(i, &["name"]));
        assert_eq!(names, Some(vec![&json!("x"), &json!("y")]));
        let names = project(path(&v, &["labels"]), false, |i| path(i, &["name"]));
        assert_eq!(names, Some(vec![&json!("x")]));
        assert_eq!(or(Some(&json!("")), Some(&json!(2))), Some(&json!(2)));
        assert_eq!(or(Some(&json!(0)), Some(&json!(2))), Some(&json!(0)));
    }
}
