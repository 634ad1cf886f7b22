//! Switchboard's runtime: executes the calls of generated adapters.
//!
//! Generated code only says *what* to call and *where* the data is; this crate does the HTTP
//! (with [`Client`]), the authentication, the pagination ([`paginate`]), the errors ([`Error`])
//! and the value conversions used by compiled mappings ([`value`], [`convert`]).

mod client;
pub mod convert;
pub mod cursor;
mod error;
pub mod interpret;
pub mod json;
mod paginate;
pub mod policy;
mod redact;
pub mod request;
mod secret;
pub mod shape;
pub mod time;
pub mod types;
pub mod value;

pub use client::{
    Answer, Auth, Client, ClientConfig, ClientOptions, Download, Request, Response,
    encode_path_segment,
};
pub use convert::{MapContext, MappingError};
pub use cursor::{Page, PageRequest};
pub use error::{Error, ErrorKind, ErrorRules, InBodyErrors, Operation};
pub use paginate::{CursorSource, Pagination, PaginationKind, take_records};
pub use policy::{RateLimit, RetryPolicy};

pub use json::{Json, Node};
pub use secret::Secret;
pub use shape::Shape;
pub use types::{Date, Reference, Timestamp};

/// Parses a response body, keeping what `shape` names (see [`shape`]); an empty body is `null`.
pub fn parse_body<'a>(
    provider: &str,
    body: &'a [u8],
    shape: &Shape,
    arena: &'a Bump,
) -> Result<Node<'a>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Node::Null);
    }
    shape::parse(body, shape, arena).map_err(|e| not_json(provider, &e))
}

/// Parses a list response whose records are at `records` (where `shape` holds a
/// [`Shape::Records`]), handing each page item and its byte range in `body` to `on_record` as
/// it is read: memory holds one item's nodes at a time, not the page's. The items are the
/// records, or hold them where the path goes through arrays (`messages, [], attachments`: see
/// [`take_records`]). Returns the rest of the page (its pagination signals). A missing items
/// array, or one that is not an array, is an error; `null` has no items.
pub fn parse_records<'a>(
    provider: &str,
    body: &'a [u8],
    shape: &Shape,
    records: &[&str],
    arena: &'a Bump,
    mut on_record: impl FnMut(&Node<'_>, std::ops::Range<usize>) -> Result<(), Error>,
) -> Result<Node<'a>, Error> {
    let page = if body.iter().all(u8::is_ascii_whitespace) {
        Node::Null
    } else {
        shape::parse_records(body, shape, arena, &mut on_record).map_err(|f| match f {
            shape::Failure::Json(e) => not_json(provider, &e),
            shape::Failure::Record(e) => e,
        })?
    };
    // Items a shape without `Records` kept in the page come out here (their place unknown).
    let (outer, _) = paginate::split_records(records);
    for item in paginate::page_items(&page, outer, provider)? {
        on_record(item, 0..0)?;
    }
    Ok(page)
}

/// The records of a list response, each mapped with `map` as it is read (see
/// [`parse_records`]); the first failure stops.
pub fn decode_records<T>(
    provider: &str,
    body: &[u8],
    shape: &Shape,
    records: &[&str],
    mut map: impl FnMut(&Node<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let arena = Bump::new();
    let mut out = Vec::new();
    let (_, inner) = paginate::split_records(records);
    parse_records(provider, body, shape, records, &arena, |item, at| {
        match inner {
            None => push_record(&mut out, body.len(), &at, map(item)?),
            Some(_) => {
                for record in paginate::item_records(item, inner, provider)? {
                    out.push(map(record)?);
                }
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// Appends the output of a record at `at` in a body of `body` bytes. The first one sizes `out`
/// for the records the body probably holds, judged by that first record (the records of a page
/// are alike), so the output is allocated once instead of growing by copies; never more than
/// the body's own size in records of `T`.
pub(crate) fn push_record<T>(out: &mut Vec<T>, body: usize, at: &std::ops::Range<usize>, value: T) {
    if out.is_empty() && !at.is_empty() {
        out.reserve((body / at.len()).min(body / size_of::<T>().max(1)));
    }
    out.push(value);
}

/// A body that is not JSON: the provider is at fault (`Remote`).
pub(crate) fn not_json(provider: &str, e: &dyn std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Remote,
        provider,
        format!("the response is not valid JSON: {e}"),
    )
}

/// The arena partially parsed responses live in (one per response).
pub use bumpalo::Bump;

/// HTTP methods, as generated code names them.
pub use reqwest::Method;

use futures::stream::BoxStream;

/// A list call's records, page by page.
pub type RecordStream<T> = BoxStream<'static, Result<T, Error>>;

/// What a call by name returns (see the generated registry).
pub enum Output {
    Record(serde_json::Value),
    Records(RecordStream<serde_json::Value>),
    /// A native method's file (a call recording), still to be read.
    Download(Download),
    Nothing,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Record(v) => f.debug_tuple("Record").field(v).finish(),
            Output::Records(_) => f.write_str("Records(..)"),
            Output::Download(d) => f.debug_tuple("Download").field(&d.file_name).finish(),
            Output::Nothing => f.write_str("Nothing"),
        }
    }
}

/// A stream that yields one error (a list call that could not even start).
pub fn error_stream<T: Send + 'static>(e: Error) -> RecordStream<T> {
    Box::pin(futures::stream::once(async move { Err(e) }))
}

/// The records of a `static` list (mapped from records in the mapping, no request) as a
/// stream, like any list's.
pub fn fixed_stream<T: Send + 'static>(records: Result<Vec<T>, Error>) -> RecordStream<T> {
    match records {
        Ok(records) => Box::pin(futures::stream::iter(records.into_iter().map(Ok))),
        Err(e) => error_stream(e),
    }
}

/// A list whose records may repeat (one derived from another resource's records, such as
/// roles from users), each unified id listed once, at its first place.
pub fn distinct<T: Send + 'static>(
    records: RecordStream<T>,
    id: fn(&T) -> &str,
) -> RecordStream<T> {
    use futures::TryStreamExt;
    let mut seen = std::collections::HashSet::new();
    Box::pin(records.try_filter(move |r| std::future::ready(seen.insert(id(r).to_owned()))))
}

/// [`distinct`] for one page: duplicates within the page are dropped (a later page may repeat
/// a record of an earlier one, since pages are fetched independently).
pub fn distinct_page<T>(mut page: Page<T>, id: fn(&T) -> &str) -> Page<T> {
    let mut seen = std::collections::HashSet::new();
    page.result.retain(|r| seen.insert(id(r).to_owned()));
    page.result_count = page.result.len();
    page
}

/// A page of typed records as a page of unified JSON records.
pub fn page_to_json<T: serde::Serialize>(page: Page<T>) -> Result<Page<serde_json::Value>, Error> {
    Ok(Page {
        result: page
            .result
            .into_iter()
            .map(to_json)
            .collect::<Result<_, _>>()?,
        next_cursor: page.next_cursor,
        result_count: page.result_count,
    })
}

/// Unified JSON of a typed value.
pub fn to_json<T: serde::Serialize>(value: T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorKind::Mapping, "switchboard", e.to_string()))
}

/// The typed `query` or `body` of a call by name, from its unified JSON input (`{}` if absent).
pub fn input<T: serde::de::DeserializeOwned>(
    provider: &str,
    input: &serde_json::Value,
    key: &str,
) -> Result<T, Error> {
    let part = input
        .get(key)
        .cloned()
        .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    serde_json::from_value(part).map_err(|e| {
        Error::new(
            ErrorKind::Validation,
            provider,
            format!("invalid `{key}`: {e}"),
        )
    })
}

/// The typed parameters of a native method, from a tool call's JSON arguments (`{}` when
/// absent). A missing required parameter or a value of the wrong type is a `Validation` error
/// naming it.
pub fn params<T: serde::de::DeserializeOwned>(
    provider: &str,
    tool: &str,
    input: &serde_json::Value,
) -> Result<T, Error> {
    let input = match input {
        serde_json::Value::Null => serde_json::Value::Object(serde_json::Map::new()),
        other => other.clone(),
    };
    serde_json::from_value(input).map_err(|e| {
        Error::new(
            ErrorKind::Validation,
            provider,
            format!("invalid arguments for `{tool}`: {e}"),
        )
    })
}

/// What a native method answers: the JSON at `path` of the response body (`null` for an
/// empty body or a missing value).
pub fn native_result(
    provider: &str,
    body: &[u8],
    path: &[&str],
) -> Result<serde_json::Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| not_json(provider, &e))?;
    for key in path {
        value = match value {
            serde_json::Value::Object(mut o) => o.remove(*key).unwrap_or_default(),
            _ => serde_json::Value::Null,
        };
    }
    Ok(value)
}

/// The record id a call needs.
pub fn require_id<'a>(provider: &str, id: Option<&'a str>) -> Result<&'a str, Error> {
    id.ok_or_else(|| {
        Error::new(
            ErrorKind::Validation,
            provider,
            "this method needs the record's `id`",
        )
    })
}

/// A credential an account must have, from credentials given by name.
pub fn credential(
    provider: &str,
    credentials: &std::collections::BTreeMap<String, String>,
    name: &str,
) -> Result<String, Error> {
    credentials.get(name).cloned().ok_or_else(|| {
        Error::configuration(provider, format!("the account has no `{name}` credential"))
    })
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    fn id(s: &(String, u32)) -> &str {
        &s.0
    }

    #[tokio::test]
    async fn distinct_keeps_the_first_of_each_id_across_the_whole_stream() {
        let records = ["a", "b", "a", "c", "b"]
            .iter()
            .enumerate()
            .map(|(i, k)| Ok(((*k).to_owned(), i as u32)));
        let stream: RecordStream<(String, u32)> = Box::pin(futures::stream::iter(records));
        let kept: Vec<_> = distinct(stream, id).try_collect().await.unwrap();
        assert_eq!(kept, [("a".into(), 0), ("b".into(), 1), ("c".into(), 3)]);

        let page = distinct_page(
            Page {
                result: vec![("x".into(), 0), ("x".into(), 1)],
                next_cursor: Some("next".into()),
                result_count: 2,
            },
            id,
        );
        assert_eq!(
            (page.result_count, page.next_cursor.as_deref()),
            (1, Some("next"))
        );
    }

    #[tokio::test]
    async fn an_error_in_a_distinct_stream_comes_through() {
        let items = vec![
            Ok(("a".to_owned(), 0)),
            Err(Error::new(ErrorKind::Remote, "p", "broken page")),
        ];
        let stream: RecordStream<(String, u32)> = Box::pin(futures::stream::iter(items));
        let err = distinct(stream, id)
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Remote);
    }
}
