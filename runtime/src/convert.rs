//! Conversions from provider JSON to unified field types, used by compiled mappings. Each one
//! names the unified field it fills, so a failure says which field broke and why.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::Value;

use crate::json::{Json, View, kind_name};

use crate::error::Error;
use crate::time;
use crate::types::{Date, Reference, Timestamp};

/// A mapping that could not produce a unified field from a provider record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub field: String,
    pub reason: String,
}

impl MappingError {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        MappingError {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// What mappings need to know about the connected account: its provider, time zone and the
/// provider's date formats.
#[derive(Debug, Clone)]
pub struct MapContext {
    inner: Arc<ContextInner>,
    /// The call's parameters (`id`, `query`, `body`), for fields mapped from them (`param`).
    call: Option<Arc<Value>>,
}

#[derive(Debug)]
struct ContextInner {
    provider: String,
    timezone: TimeZone,
    formats: Vec<String>,
}

impl MapContext {
    pub fn new(provider: &str, timezone: &str, formats: &[&str]) -> Result<Self, Error> {
        let timezone = time::zone(timezone).map_err(|m| {
            Error::configuration(
                provider,
                format!("{m}; set the account's `timezone` to an IANA name"),
            )
        })?;
        Ok(MapContext {
            inner: Arc::new(ContextInner {
                provider: provider.to_owned(),
                timezone,
                formats: formats.iter().map(|f| (*f).to_owned()).collect(),
            }),
            call: None,
        })
    }

    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The same context for one call, whose parameters (`id`, `query`, `body`) fields mapped
    /// with `param` read.
    pub fn for_call(&self, vars: &Value) -> MapContext {
        MapContext {
            inner: self.inner.clone(),
            call: Some(Arc::new(vars.clone())),
        }
    }

    /// A parameter of the call (`["query", "ticket_id"]`); `None` outside a call (decoding a
    /// body, `map` on a record) or when the call did not give it.
    pub fn param(&self, path: &[&str]) -> Option<&Value> {
        crate::value::var(self.call.as_deref()?, path)
    }

    /// Turns a mapping failure into the runtime's error, naming the resource.
    pub fn error(&self, resource: &str, e: MappingError) -> Error {
        Error::mapping(&self.inner.provider, resource, &e.field, &e.reason)
    }
}

/// A value that must be present.
pub fn required<T>(value: Option<T>, field: &str) -> Result<T, MappingError> {
    value.ok_or_else(|| {
        MappingError::new(
            field,
            "the provider record has no value for this required field",
        )
    })
}

/// A required value that comes from the call's parameter `param` (a `param` mapping).
pub fn required_param<T>(value: Option<T>, field: &str, param: &str) -> Result<T, MappingError> {
    value.ok_or_else(|| {
        MappingError::new(
            field,
            format!(
                "this field comes from the call's `{param}`, which was not given (calls give it; `switchboard map` takes `--param {param}=…`)"
            ),
        )
    })
}

/// Strings as they are; numbers and booleans as their JSON text (ids are often numbers).
pub fn string<J: Json>(v: Option<&J>, field: &str) -> Result<Option<String>, MappingError> {
    Ok(scalar_text(v, field)?.map(Cow::into_owned))
}

fn scalar_text<'a, J: Json>(
    v: Option<&'a J>,
    field: &str,
) -> Result<Option<Cow<'a, str>>, MappingError> {
    if let Some(text) = v.and_then(Json::number_text) {
        return Ok(Some(Cow::Borrowed(text)));
    }
    match v.map(Json::view) {
        None | Some(View::Null) => Ok(None),
        Some(View::Str(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(View::Number(n)) => Ok(Some(Cow::Owned(match n.as_u64() {
            Some(whole) => whole.to_string(),
            None => n.to_string(),
        }))),
        Some(View::Bool(b)) => Ok(Some(Cow::Owned(b.to_string()))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a string, found {}", kind_name(other)),
        )),
    }
}

/// The raw value of an enum, as text, for matching against the enum map.
pub fn enum_raw<'a, J: Json>(
    v: Option<&'a J>,
    field: &str,
) -> Result<Option<Cow<'a, str>>, MappingError> {
    scalar_text(v, field)
}

pub fn integer<J: Json>(v: Option<&J>, field: &str) -> Result<Option<i64>, MappingError> {
    match v.map(Json::view) {
        None | Some(View::Null) => Ok(None),
        Some(View::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| MappingError::new(field, format!("`{n}` is not a whole number"))),
        Some(View::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| MappingError::new(field, format!("`{s}` is not a whole number"))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected an integer, found {}", kind_name(other)),
        )),
    }
}

pub fn number<J: Json>(v: Option<&J>, field: &str) -> Result<Option<f64>, MappingError> {
    match v.map(Json::view) {
        None | Some(View::Null) => Ok(None),
        Some(View::Number(n)) => Ok(n.as_f64()),
        Some(View::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| MappingError::new(field, format!("`{s}` is not a number"))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a number, found {}", kind_name(other)),
        )),
    }
}

/// Booleans, and the 0/1 and "0"/"1"/"true"/"false" forms providers use.
pub fn boolean<J: Json>(v: Option<&J>, field: &str) -> Result<Option<bool>, MappingError> {
    match v.map(Json::view) {
        None | Some(View::Null) => Ok(None),
        Some(View::Bool(b)) => Ok(Some(b)),
        Some(View::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(View::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(View::Str(s)) => match s {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(MappingError::new(field, format!("`{s}` is not a boolean"))),
        },
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a boolean, found {}", kind_name(other)),
        )),
    }
}

/// A timestamp in one of `formats` (the provider's defaults when empty), read in the account's
/// time zone when it carries no offset.
pub fn datetime<J: Json>(
    v: Option<&J>,
    field: &str,
    cx: &MapContext,
    formats: &[&str],
) -> Result<Option<Timestamp>, MappingError> {
    let (defaults, tz) = (&cx.inner.formats, &cx.inner.timezone);
    parse_time(v, field, |text| match formats {
        [] => time::parse_timestamp(text, defaults, tz),
        _ => time::parse_timestamp(text, formats, tz),
    })
}

/// A calendar date: `YYYY-MM-DD`, one of `formats`, or a timestamp's date in the account's zone.
pub fn date<J: Json>(
    v: Option<&J>,
    field: &str,
    cx: &MapContext,
    formats: &[&str],
) -> Result<Option<Date>, MappingError> {
    let (defaults, tz) = (&cx.inner.formats, &cx.inner.timezone);
    parse_time(v, field, |text| match formats {
        [] => time::parse_date(text, defaults, tz),
        _ => time::parse_date(text, formats, tz),
    })
}

fn parse_time<J: Json, T>(
    v: Option<&J>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, MappingError> {
    match scalar_text(v, field)? {
        None => Ok(None),
        Some(text) => parse(&text)
            .map(Some)
            .map_err(|m| MappingError::new(field, m)),
    }
}

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

/// A `json` value with the values at `paths` (object keys, from the value) replaced by
/// [`REDACTED`], where they are present and not null: secrets a provider puts in its records
/// (a channel's connector password) never leave in `remote_data`. A path that starts with
/// `**` applies at any depth, through objects and arrays (`**`, `channel`, `password`: the
/// password of every `channel` object, wherever one is embedded).
pub fn redact<P: AsRef<str>>(v: Option<Value>, paths: &[&[P]]) -> Option<Value> {
    let mut v = v?;
    for path in paths {
        match path.split_first() {
            Some((first, rule)) if first.as_ref() == "**" => redact_anywhere(&mut v, rule, 0),
            _ => redact_at(&mut v, path),
        }
    }
    Some(v)
}

fn redact_at<P: AsRef<str>>(v: &mut Value, path: &[P]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let parent = parents.iter().try_fold(v, |at, k| at.get_mut(k.as_ref()));
    if let Some(slot) = parent.and_then(|p| p.get_mut(last.as_ref()))
        && !slot.is_null()
    {
        *slot = Value::String(REDACTED.to_owned());
    }
}

/// Nesting below which a record is not searched (records are parsed with `serde_json`'s
/// limit of 128, so this is never reached by a provider's answer).
const MAX_REDACT_DEPTH: usize = 256;

fn redact_anywhere<P: AsRef<str>>(v: &mut Value, rule: &[P], depth: usize) {
    if rule.is_empty() || depth > MAX_REDACT_DEPTH {
        return;
    }
    redact_at(v, rule);
    match v {
        Value::Object(members) => {
            for (_, child) in members.iter_mut() {
                redact_anywhere(child, rule, depth + 1);
            }
        }
        Value::Array(items) => {
            for child in items {
                redact_anywhere(child, rule, depth + 1);
            }
        }
        _ => {}
    }
}

/// A constant of the mapping (`{const: …}`) converted as a provider value would be.
pub fn constant<T>(
    value: &Value,
    field: &str,
    convert: impl FnOnce(Option<&Value>, &str) -> Result<T, MappingError>,
) -> Result<T, MappingError> {
    convert(Some(value), field)
}

/// Any JSON value, with object keys in sorted order (JSON objects are unordered; a fixed order
/// makes compiled and interpreted mappings, and repeated runs, byte-identical).
pub fn json<J: Json>(v: Option<&J>) -> Option<Value> {
    fn sorted(v: Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    v.map(|v| sorted(v.to_value()))
}

/// A reference: `None` when the id is absent.
pub fn reference<J: Json>(
    id: Option<&J>,
    name: Option<&J>,
    field: &str,
) -> Result<Option<Reference>, MappingError> {
    let Some(id) = string(id, field)? else {
        return Ok(None);
    };
    Ok(Some(Reference {
        id,
        name: string(name, field)?,
    }))
}

/// The text of `parts` joined by `separator` (a derived id); absent when a part is.
pub fn join<J: Json>(
    parts: &[Option<&J>],
    separator: &str,
    field: &str,
) -> Result<Option<String>, MappingError> {
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        let Some(text) = scalar_text(*part, field)? else {
            return Ok(None);
        };
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(&text);
    }
    Ok(Some(out))
}

/// Whether a value is there (present and not null).
pub fn present<J: Json>(v: Option<&J>) -> bool {
    v.is_some_and(|v| !v.is_null())
}

/// The elements of an array value (`None` stays `None`).
pub fn elements<'a, J: Json>(
    v: Option<&'a J>,
    field: &str,
) -> Result<Option<Vec<&'a J>>, MappingError> {
    match v {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => match v.as_array() {
            Some(items) => Ok(Some(items.iter().collect())),
            None => Err(MappingError::new(
                field,
                format!("expected an array, found {}", kind_name(v.view())),
            )),
        },
    }
}

/// Converts each element; an absent list is empty.
pub fn list<'a, J: Json, T>(
    items: Option<Vec<&'a J>>,
    field: &str,
    convert: impl Fn(Option<&'a J>, &str) -> Result<Option<T>, MappingError>,
) -> Result<Vec<T>, MappingError> {
    let items = items.unwrap_or_default();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = convert(Some(item), field)? {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn redact_replaces_present_values_only() {
        let record = json!({"title": "Support", "password": "hunter2", "username": null, "login": {"token": "t"}});
        let out = redact(
            Some(record),
            &[
                &["password"],
                &["username"],
                &["login", "token"],
                &["absent", "x"],
                &[],
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"title": "Support", "password": REDACTED, "username": null, "login": {"token": REDACTED}})
        );
        assert_eq!(redact::<&str>(None, &[&["password"]]), None);
        // A value that is not an object along the path is left alone.
        assert_eq!(redact(Some(json!([1])), &[&["password"]]), Some(json!([1])));
    }

    #[test]
    fn redact_anywhere_follows_the_data() {
        let ticket = json!({
            "channel": {"password": "p1", "username": "u"},
            "messages": [{"channel": {"password": "p2"}}, {"channel": null}],
            "password": "not a channel's",
        });
        let out = redact(Some(ticket), &[&["**", "channel", "password"]]).unwrap();
        assert_eq!(
            out,
            json!({
                "channel": {"password": REDACTED, "username": "u"},
                "messages": [{"channel": {"password": REDACTED}}, {"channel": null}],
                "password": "not a channel's",
            })
        );
    }
}
