//! List calls as streams of records, fetched one page at a time.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use futures::stream::{self, Stream, StreamExt, TryStreamExt};
use serde_json::Value;

use crate::client::{Client, Request};
use crate::error::{Error, ErrorKind};
use crate::value;

/// How a provider splits lists into pages, as declared in its mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    PageNumber(PageNumber),
}

/// `?page=N` pagination. It stops at the first declared signal: the next link is null, the
/// last page is reached, or a page is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageNumber {
    pub param: &'static str,
    pub first_page: i64,
    /// Path of the next page's link; `null` or missing means this is the last page.
    pub next_link: Option<&'static [&'static str]>,
    /// Path of the number of the last page.
    pub last_page: Option<&'static [&'static str]>,
    pub stop_on_empty_page: bool,
    /// The provider's own page cap, below the client's.
    pub max_pages: Option<u32>,
}

struct State {
    page: i64,
    fetched: u32,
    previous: Option<u64>,
    done: bool,
}

impl Client {
    /// All records of a list call: `records` is where they are in each page.
    pub fn paginate(
        &self,
        request: Request,
        pagination: &'static Pagination,
        records: &'static [&'static str],
    ) -> impl Stream<Item = Result<Value, Error>> + Send + 'static {
        let client = self.clone();
        let Pagination::PageNumber(p) = *pagination;
        let cap = p
            .max_pages
            .map_or(client.max_pages(), |m| m.min(client.max_pages()));
        let start = State {
            page: p.first_page,
            fetched: 0,
            previous: None,
            done: false,
        };
        stream::try_unfold(start, move |mut state| {
            let client = client.clone();
            let request = request.clone();
            async move {
                if state.done {
                    return Ok(None);
                }
                if state.fetched >= cap {
                    return Err(Error::new(
                        ErrorKind::Remote,
                        client.provider(),
                        format!("stopped after {cap} pages: the list did not end (raise ClientOptions::max_pages if it is really this long)"),
                    ));
                }
                let page_request = request.with_query(p.param, state.page.to_string());
                let mut body = client.send(&page_request).await?;
                state.fetched += 1;
                let items = take_records(&mut body, records, client.provider())?;

                let fingerprint = fingerprint(&items);
                if !items.is_empty() && state.previous == Some(fingerprint) {
                    return Err(Error::new(
                        ErrorKind::Remote,
                        client.provider(),
                        format!("page {} repeats the previous page: the provider ignores `{}`; stopped to avoid a loop", state.page, p.param),
                    ));
                }
                state.previous = Some(fingerprint);

                let no_next = p.next_link.is_some_and(|path| value::path(&body, path).is_none());
                let past_last = p.last_page.is_some_and(|path| {
                    value::path(&body, path).and_then(Value::as_i64).is_none_or(|last| state.page >= last)
                });
                let empty = p.stop_on_empty_page && items.is_empty();
                state.done = no_next || past_last || empty;
                state.page += 1;
                Ok(Some((items, state)))
            }
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
    }
}

/// Moves the records array out of a page body, so the page is not kept twice.
fn take_records(body: &mut Value, path: &[&str], provider: &str) -> Result<Vec<Value>, Error> {
    let mut at = body;
    for key in path {
        at = match at.get_mut(*key) {
            Some(v) => v,
            None => {
                return Err(Error::new(
                    ErrorKind::Remote,
                    provider,
                    format!("the list response has no `{}`", path.join(".")),
                ));
            }
        };
    }
    match at.take() {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        _ => Err(Error::new(
            ErrorKind::Remote,
            provider,
            format!("`{}` in the list response is not an array", path.join(".")),
        )),
    }
}

fn fingerprint(items: &[Value]) -> u64 {
    let mut h = DefaultHasher::new();
    for item in items {
        item.to_string().hash(&mut h);
    }
    h.finish()
}
