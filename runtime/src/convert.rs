//! Conversions from provider JSON to unified field types, used by compiled mappings. Each one
//! names the unified field it fills, so a failure says which field broke and why.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::Value;

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
        })
    }

    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// Turns a mapping failure into the runtime's error, naming the resource.
    pub fn error(&self, resource: &str, e: MappingError) -> Error {
        Error::mapping(&self.inner.provider, resource, &e.field, &e.reason)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
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

/// Strings as they are; numbers and booleans as their JSON text (ids are often numbers).
pub fn string(v: Option<&Value>, field: &str) -> Result<Option<String>, MappingError> {
    Ok(scalar_text(v, field)?.map(Cow::into_owned))
}

fn scalar_text<'a>(
    v: Option<&'a Value>,
    field: &str,
) -> Result<Option<Cow<'a, str>>, MappingError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(Value::Bool(b)) => Ok(Some(Cow::Owned(b.to_string()))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

/// The raw value of an enum, as text, for matching against the enum map.
pub fn enum_raw<'a>(
    v: Option<&'a Value>,
    field: &str,
) -> Result<Option<Cow<'a, str>>, MappingError> {
    scalar_text(v, field)
}

pub fn integer(v: Option<&Value>, field: &str) -> Result<Option<i64>, MappingError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| MappingError::new(field, format!("`{n}` is not a whole number"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| MappingError::new(field, format!("`{s}` is not a whole number"))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected an integer, found {}", kind(other)),
        )),
    }
}

pub fn number(v: Option<&Value>, field: &str) -> Result<Option<f64>, MappingError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| MappingError::new(field, format!("`{s}` is not a number"))),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a number, found {}", kind(other)),
        )),
    }
}

/// Booleans, and the 0/1 and "0"/"1"/"true"/"false" forms providers use.
pub fn boolean(v: Option<&Value>, field: &str) -> Result<Option<bool>, MappingError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" => Ok(Some(false)),
            _ => Err(MappingError::new(field, format!("`{s}` is not a boolean"))),
        },
        Some(other) => Err(MappingError::new(
            field,
            format!("expected a boolean, found {}", kind(other)),
        )),
    }
}

/// A timestamp in one of `formats` (the provider's defaults when empty), read in the account's
/// time zone when it carries no offset.
pub fn datetime(
    v: Option<&Value>,
    field: &str,
    cx: &MapContext,
    formats: &[&str],
) -> Result<Option<Timestamp>, MappingError> {
    parse_time(v, field, cx, formats, time::parse_timestamp)
}

/// A calendar date: `YYYY-MM-DD`, one of `formats`, or a timestamp's date in the account's zone.
pub fn date(
    v: Option<&Value>,
    field: &str,
    cx: &MapContext,
    formats: &[&str],
) -> Result<Option<Date>, MappingError> {
    parse_time(v, field, cx, formats, time::parse_date)
}

fn parse_time<T>(
    v: Option<&Value>,
    field: &str,
    cx: &MapContext,
    formats: &[&str],
    parse: fn(&str, &[&str], &TimeZone) -> Result<T, String>,
) -> Result<Option<T>, MappingError> {
    let defaults: Vec<&str>;
    let formats = if formats.is_empty() {
        defaults = cx.inner.formats.iter().map(String::as_str).collect();
        &defaults
    } else {
        formats
    };
    match scalar_text(v, field)? {
        None => Ok(None),
        Some(text) => parse(&text, formats, &cx.inner.timezone)
            .map(Some)
            .map_err(|m| MappingError::new(field, m)),
    }
}

/// Any JSON value, with object keys in sorted order (JSON objects are unordered; a fixed order
/// makes compiled and interpreted mappings, and repeated runs, byte-identical).
pub fn json(v: Option<&Value>) -> Option<Value> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    v.map(sorted)
}

/// A reference: `None` when the id is absent.
pub fn reference(
    id: Option<&Value>,
    name: Option<&Value>,
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

/// The elements of an array value (`None` stays `None`).
pub fn elements<'a>(
    v: Option<&'a Value>,
    field: &str,
) -> Result<Option<Vec<&'a Value>>, MappingError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.iter().collect())),
        Some(other) => Err(MappingError::new(
            field,
            format!("expected an array, found {}", kind(other)),
        )),
    }
}

/// Converts each element; an absent list is empty.
pub fn list<'a, T>(
    items: Option<Vec<&'a Value>>,
    field: &str,
    convert: impl Fn(Option<&'a Value>, &str) -> Result<Option<T>, MappingError>,
) -> Result<Vec<T>, MappingError> {
    let mut out = Vec::new();
    for item in items.unwrap_or_default() {
        if let Some(v) = convert(Some(item), field)? {
            out.push(v);
        }
    }
    Ok(out)
}
