//! List calls as streams of records, fetched one page at a time, whatever the provider's
//! pagination style. Guards: a page cap, a repeated page / cursor / next link stops with an
//! error, and a next link on another origin is never followed with the account's credentials.

use std::collections::HashSet;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};

use serde::{Deserialize, Serialize};

use crate::RecordStream;
use crate::client::{Client, Request};
use crate::cursor::{self, Page, PageRequest};
use crate::error::{Error, ErrorKind, Operation};
use crate::json::{Json, Node, View};
use crate::shape::Shape;
use crate::value;

/// A path into a JSON body, as the mapping declares it.
pub type Path = &'static [&'static str];

/// How a provider splits lists into pages, as declared in its mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub kind: PaginationKind,
    /// The provider's own page cap, below the client's.
    pub max_pages: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaginationKind {
    /// `?page=N`. Stops at the first declared signal: the next link is null, the last page is
    /// reached, or a page is empty.
    PageNumber {
        param: &'static str,
        first_page: i64,
        size_param: Option<&'static str>,
        page_size: Option<i64>,
        next_link: Option<Path>,
        last_page: Option<Path>,
        stop_on_empty_page: bool,
    },
    /// `?offset=N&limit=M`. Stops on a short page (when declared) or at `total`.
    OffsetLimit {
        offset_param: &'static str,
        limit_param: &'static str,
        limit: i64,
        total: Option<Path>,
        stop_on_short_page: bool,
    },
    /// `?<param>=<cursor>` with the next cursor in the body or a header; stops when there is
    /// none (or `has_more` is false).
    Cursor {
        param: &'static str,
        source: CursorSource,
        has_more: Option<Path>,
    },
    /// RFC 8288 `Link: <…>; rel="next"`.
    LinkHeader,
    /// The next page's URL in the body.
    NextUrl { next: Path },
    /// HAL: the next page's URL at `_links.next.href` (or the declared path).
    Hal { next: Path },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorSource {
    Body(Path),
    Header(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Next {
    /// The first request with these query parameters added.
    Params(Vec<(String, String)>),
    /// An absolute URL (a next-page link).
    Url(String),
}

/// Where a list call stands: what to fetch next and the guards' memory. All but `seen` travel
/// in a unified cursor (a resumed list guards against the last token only).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    next: Option<Next>,
    page: i64,
    offset: i64,
    fetched: u32,
    previous: Option<u64>,
    last_token: Option<String>,
    /// Empty pages in a row.
    #[serde(default)]
    empty: u32,
    /// Records of the page `next` points at already handed out (a limit smaller than the
    /// provider's page splits it).
    #[serde(default)]
    skip: usize,
    #[serde(skip)]
    seen: HashSet<String>,
    /// Why the list cannot go on, found while reading the last page: reported after its
    /// records.
    #[serde(skip)]
    failed: Option<Error>,
}

impl State {
    fn start(pagination: Option<&Pagination>) -> State {
        let next = match pagination.map(|p| p.kind) {
            Some(PaginationKind::PageNumber {
                param,
                first_page,
                size_param,
                page_size,
                ..
            }) => {
                let mut params = vec![(param.to_owned(), first_page.to_string())];
                if let (Some(name), Some(size)) = (size_param, page_size) {
                    params.push((name.to_owned(), size.to_string()));
                }
                params
            }
            Some(PaginationKind::OffsetLimit {
                offset_param,
                limit_param,
                limit,
                ..
            }) => vec![
                (offset_param.to_owned(), "0".to_owned()),
                (limit_param.to_owned(), limit.to_string()),
            ],
            _ => Vec::new(),
        };
        let page = match pagination.map(|p| p.kind) {
            Some(PaginationKind::PageNumber { first_page, .. }) => first_page,
            _ => 1,
        };
        State {
            next: Some(Next::Params(next)),
            page,
            offset: 0,
            fetched: 0,
            previous: None,
            last_token: None,
            empty: 0,
            skip: 0,
            seen: HashSet::new(),
            failed: None,
        }
    }
}

/// Maps one record of a page.
type MapRecord<'m, T> = dyn Fn(&Node<'_>) -> Result<T, Error> + Send + Sync + 'm;

/// What one list call needs to fetch its pages.
struct Lister<'m, T> {
    client: Client,
    request: Request,
    pagination: Option<&'static Pagination>,
    records: Path,
    shape: &'static Shape,
    map: &'m MapRecord<'m, T>,
}

impl<T> Lister<'_, T> {
    fn cap(&self) -> u32 {
        let client = self.client.max_pages();
        self.pagination
            .and_then(|p| p.max_pages)
            .map_or(client, |m| m.min(client))
    }

    /// Fetches the page `state` points at and moves `state` past it; `None` when the list has
    /// ended. Records that fail to map are kept in place as errors.
    async fn fetch(&self, state: &mut State) -> Result<Option<Vec<Result<T, Error>>>, Error> {
        let client = &self.client;
        if let Some(e) = state.failed.take() {
            return Err(e);
        }
        let Some(next) = state.next.take() else {
            return Ok(None);
        };
        let cap = self.cap();
        if state.fetched >= cap {
            return Err(Error::new(
                ErrorKind::Remote,
                client.provider(),
                format!(
                    "stopped after {cap} pages: the list did not end (raise ClientOptions::max_pages if it is really this long)"
                ),
            ));
        }
        let page_request = match next {
            Next::Params(params) => params
                .into_iter()
                .fold(self.request.clone(), |r, (k, v)| r.with_query(&k, v)),
            Next::Url(url) => self.request.at_url(url),
        };
        let response = client.send_full(&page_request).await?;
        state.fetched += 1;
        let arena = bumpalo::Bump::new();
        let mut mapped: Vec<Result<T, Error>> = Vec::new();
        // The page's items drive the page signals (an empty page, a repeated one), whether
        // they are the records or hold them (`messages[].attachments`).
        let mut print = Fingerprint::default();
        let (_, inner) = split_records(self.records);
        let provider = client.provider();
        let body =
            client.parse_records(&response, self.shape, self.records, &arena, |item, at| {
                match inner {
                    None => {
                        crate::push_record(&mut mapped, response.body.len(), &at, (self.map)(item))
                    }
                    Some(_) => {
                        for record in item_records(item, inner, provider)? {
                            mapped.push((self.map)(record));
                        }
                    }
                }
                print.add(item, at);
                Ok(())
            })?;
        let items = print.count;
        let Some(pagination) = self.pagination else {
            return Ok(Some(mapped));
        };
        // A bad next cursor or link does not lose this page's records: it fails the next step.
        let next = next_page(client, &pagination.kind, &body, &response.headers, state)
            .unwrap_or_else(|e| {
                state.failed = Some(e);
                None
            });
        if matches!(
            pagination.kind,
            PaginationKind::PageNumber { .. } | PaginationKind::OffsetLimit { .. }
        ) {
            let fingerprint = print.finish(&response.body);
            if items > 0 && state.previous == Some(fingerprint) {
                return Err(Error::new(
                    ErrorKind::Remote,
                    client.provider(),
                    "a page repeats the previous page: the provider ignores the page parameter; stopped to avoid a loop",
                ));
            }
            state.previous = Some(fingerprint);
        }
        state.empty = if items == 0 { state.empty + 1 } else { 0 };
        state.next = stop_after(&pagination.kind, items, state.empty, next);
        Ok(Some(mapped))
    }
}

impl Client {
    /// All records of a list call, mapped with `map`, fetched page by page as the stream is
    /// read (dropping it stops): `records` is where they are in each page, `shape` what of
    /// each page to parse, `pagination` the provider's (none: one page).
    pub fn paginate<T: Send + 'static>(
        &self,
        request: Request,
        pagination: Option<&'static Pagination>,
        records: Path,
        shape: &'static Shape,
        map: impl Fn(&Node<'_>) -> Result<T, Error> + Send + Sync + 'static,
    ) -> RecordStream<T> {
        let operation = request.operation;
        let redactor = self.clone();
        let map: Arc<MapRecord<'static, T>> = Arc::new(map);
        let lister = Arc::new((self.clone(), request));
        stream::try_unfold(State::start(pagination), move |mut state| {
            let lister = lister.clone();
            let map = map.clone();
            async move {
                let (client, request) = &*lister;
                let page = Lister {
                    client: client.clone(),
                    request: request.clone(),
                    pagination,
                    records,
                    shape,
                    map: &*map,
                }
                .fetch(&mut state)
                .await?;
                Ok(page.map(|records| (records, state)))
            }
        })
        .map_ok(stream::iter)
        .try_flatten()
        // Errors found here (a next link, a cursor) hold provider text: redacted as any.
        .map_err(move |e| redactor.redacted(e.with_operation(operation)))
        .boxed()
    }

    /// One page of a list call, from its start or from a `next_cursor` an earlier page gave
    /// (see [`crate::cursor`]), with at most `page.limit` records; the first record that fails
    /// to map fails the page.
    pub async fn list_page<T>(
        &self,
        request: Request,
        pagination: Option<&'static Pagination>,
        records: Path,
        shape: &'static Shape,
        map: impl Fn(&Node<'_>) -> Result<T, Error> + Send + Sync,
        page: PageRequest<'_>,
    ) -> Result<Page<T>, Error> {
        let operation = request.operation;
        let limit = page
            .checked_limit(self.provider())
            .map_err(|e| e.with_operation(operation))?;
        let call = cursor::call_id(self.binding(), self.provider(), &request);
        let mut state = match page.cursor {
            Some(c) => cursor::decode(self.provider(), self.cursor_key(), &call, c)
                .map_err(|e| e.with_operation(operation))?,
            None => State::start(pagination),
        };
        // Where this page starts: a limit that cuts the provider's page resumes here.
        let start = state.clone();
        let lister = Lister {
            client: self.clone(),
            request,
            pagination,
            records,
            shape,
            map: &map,
        };
        let mut rest = false;
        let result = lister
            .fetch(&mut state)
            .await
            .and_then(|page| match state.failed.take() {
                Some(e) => Err(e),
                None => Ok(page),
            })
            .and_then(|page| {
                let page = page.unwrap_or_default();
                let left = page.len().saturating_sub(start.skip);
                let take = limit.map_or(left, |l| l.min(left));
                rest = take < left;
                page.into_iter()
                    .skip(start.skip)
                    .take(take)
                    .collect::<Result<Vec<T>, Error>>()
            })
            .map_err(|e| self.redacted(e.with_operation(operation)))?;
        if rest {
            state = State {
                skip: start.skip + result.len(),
                ..start
            };
        } else {
            // The next page is a new provider page, read from its first record.
            state.skip = 0;
        }
        let next_cursor = state
            .next
            .is_some()
            .then(|| cursor::encode(self.cursor_key(), &cursor::Payload { call, state }));
        Ok(Page {
            result_count: result.len(),
            result,
            next_cursor,
        })
    }
}

impl Client {
    /// A `static` list (records kept in the mapping, nothing sent) as pages of at most
    /// `page.limit` records; its cursors are signed and bound like any list's.
    pub fn fixed_page<T>(
        &self,
        operation: Operation,
        records: Result<Vec<T>, Error>,
        page: PageRequest<'_>,
    ) -> Result<Page<T>, Error> {
        let operation = Some(operation);
        let limit = page
            .checked_limit(self.provider())
            .map_err(|e| e.with_operation(operation))?;
        let call = cursor::fixed_id(self.binding(), self.provider(), operation);
        let skip: usize = match page.cursor {
            Some(c) => cursor::decode(self.provider(), self.cursor_key(), &call, c)
                .map_err(|e| e.with_operation(operation))?,
            None => 0,
        };
        let records = records?;
        let total = records.len();
        let result: Vec<T> = records
            .into_iter()
            .skip(skip)
            .take(limit.unwrap_or(usize::MAX))
            .collect();
        let end = skip + result.len();
        let next_cursor = (end < total)
            .then(|| cursor::encode(self.cursor_key(), &cursor::Payload { call, state: end }));
        Ok(Page {
            result_count: result.len(),
            result,
            next_cursor,
        })
    }
}

/// What to fetch after this page, from what the page says (before looking at its records).
fn next_page(
    client: &Client,
    kind: &PaginationKind,
    body: &Node<'_>,
    headers: &reqwest::header::HeaderMap,
    state: &mut State,
) -> Result<Option<Next>, Error> {
    let text = |path: Path| {
        value::path(body, path).and_then(|v| match v.view() {
            View::Str(s) if !s.is_empty() => Some(s.to_owned()),
            View::Number(n) => Some(v.number_text().map_or_else(|| n.to_string(), str::to_owned)),
            _ => None,
        })
    };
    let number = |path: Path| {
        value::path(body, path).and_then(|v| match v.view() {
            View::Number(n) => n.as_i64(),
            View::Str(s) => s.parse().ok(),
            _ => None,
        })
    };
    let link = |url: Option<String>, state: &mut State| -> Result<Option<Next>, Error> {
        let Some(url) = url else { return Ok(None) };
        let absolute = client.follow(&url)?;
        repeat_guard(client, state, absolute.clone(), "next-page link")?;
        Ok(Some(Next::Url(absolute)))
    };
    match *kind {
        PaginationKind::PageNumber {
            param,
            size_param,
            page_size,
            next_link,
            last_page,
            ..
        } => {
            let no_next = next_link.is_some_and(|p| value::path(body, p).is_none());
            let past_last =
                last_page.is_some_and(|p| number(p).is_none_or(|last| state.page >= last));
            if no_next || past_last {
                return Ok(None);
            }
            state.page += 1;
            let mut params = vec![(param.to_owned(), state.page.to_string())];
            if let (Some(name), Some(size)) = (size_param, page_size) {
                params.push((name.to_owned(), size.to_string()));
            }
            Ok(Some(Next::Params(params)))
        }
        PaginationKind::OffsetLimit {
            offset_param,
            limit_param,
            limit,
            total,
            ..
        } => {
            state.offset += limit;
            if total.is_some_and(|p| number(p).is_none_or(|t| state.offset >= t)) {
                return Ok(None);
            }
            Ok(Some(Next::Params(vec![
                (offset_param.to_owned(), state.offset.to_string()),
                (limit_param.to_owned(), limit.to_string()),
            ])))
        }
        PaginationKind::Cursor {
            param,
            source,
            has_more,
        } => {
            if has_more.is_some_and(|p| !value::truthy(value::path(body, p))) {
                return Ok(None);
            }
            let cursor = match source {
                CursorSource::Body(path) => text(path),
                CursorSource::Header(name) => headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            };
            let Some(cursor) = cursor else {
                return Ok(None);
            };
            repeat_guard(client, state, cursor.clone(), "cursor")?;
            Ok(Some(Next::Params(vec![(param.to_owned(), cursor)])))
        }
        PaginationKind::LinkHeader => {
            let next = headers
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_from_link_header);
            link(next, state)
        }
        PaginationKind::NextUrl { next } | PaginationKind::Hal { next } => link(text(next), state),
    }
}

/// Signals that need the page's records: empty or short pages. An empty page ends a page-number
/// list that declares `stop_on_empty_page`, unless the page's next link or last page says more
/// follow: then one empty page is passed over, and a second in a row ends the list.
fn stop_after(
    kind: &PaginationKind,
    count: usize,
    empty_run: u32,
    next: Option<Next>,
) -> Option<Next> {
    let stop = match *kind {
        PaginationKind::PageNumber {
            stop_on_empty_page,
            next_link,
            last_page,
            ..
        } => {
            let signalled = next_link.is_some() || last_page.is_some();
            stop_on_empty_page && count == 0 && (!signalled || empty_run > 1)
        }
        PaginationKind::OffsetLimit {
            limit,
            stop_on_short_page,
            ..
        } => count == 0 || (stop_on_short_page && (count as i64) < limit),
        _ => false,
    };
    if stop { None } else { next }
}

fn repeat_guard(
    client: &Client,
    state: &mut State,
    token: String,
    what: &str,
) -> Result<(), Error> {
    let again = state.last_token.as_ref() == Some(&token) || !state.seen.insert(token.clone());
    state.last_token = Some(token.clone());
    if again {
        return Err(Error::new(
            ErrorKind::Remote,
            client.provider(),
            format!("the {what} `{token}` came back a second time; stopped to avoid a loop"),
        ));
    }
    Ok(())
}

/// The `rel="next"` target of one `Link` header value.
fn next_from_link_header(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p.strip_prefix("rel=").is_some_and(|rel| {
                rel.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        is_next.then(|| target.to_owned())
    })
}

/// The records of a page at `path` (`null` means none). A path through arrays
/// (`messages, [], attachments`) lists each item's records in turn; an item whose list is
/// missing or `null` has none.
pub fn take_records<'a, J: Json>(
    body: &'a J,
    path: &[&str],
    provider: &str,
) -> Result<Vec<&'a J>, Error> {
    let (outer, inner) = split_records(path);
    let mut out = Vec::new();
    for item in page_items(body, outer, provider)? {
        out.extend(item_records(item, inner, provider)?);
    }
    Ok(out)
}

/// A records path split at its first `[]`: where the page's items are, and where each item
/// keeps its records (`None`: each item is a record).
pub(crate) fn split_records<'p>(path: &'p [&'p str]) -> (&'p [&'p str], Option<&'p [&'p str]>) {
    match path.iter().position(|s| *s == "[]") {
        Some(i) => (&path[..i], Some(&path[i + 1..])),
        None => (path, None),
    }
}

/// The items of a page: the array at `path` (`null` means none).
pub(crate) fn page_items<'a, J: Json>(
    body: &'a J,
    path: &[&str],
    provider: &str,
) -> Result<Vec<&'a J>, Error> {
    let mut at = body;
    for key in path {
        at = at.get(key).ok_or_else(|| {
            Error::new(
                ErrorKind::Remote,
                provider,
                format!("the list response has no `{}`", path.join(".")),
            )
        })?;
    }
    if at.is_null() {
        return Ok(Vec::new());
    }
    at.as_array()
        .map(|items| items.iter().collect())
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Remote,
                provider,
                format!("`{}` in the list response is not an array", path.join(".")),
            )
        })
}

/// The records one page item holds (see [`split_records`]): the item itself, or the records
/// of its array at `inner` (none when it is missing or `null`).
pub(crate) fn item_records<'a, J: Json>(
    item: &'a J,
    inner: Option<&[&str]>,
    provider: &str,
) -> Result<Vec<&'a J>, Error> {
    let Some(inner) = inner else {
        return Ok(vec![item]);
    };
    let (here, _) = split_records(inner);
    match here.iter().try_fold(item, |v, k| v.get(k)) {
        None => Ok(Vec::new()),
        Some(_) => take_records(item, inner, provider),
    }
}

/// Cheap identity of a page: its length and its first and last records.
/// What identifies a page, to notice a provider that ignores the page parameter: its number
/// of records and the text of its first and last.
#[derive(Default)]
struct Fingerprint {
    count: usize,
    first: Mark,
    last: Mark,
}

/// A record's text: where it is in the body, or (for a record whose place is unknown) a hash
/// of its JSON.
#[derive(Default, Clone)]
enum Mark {
    #[default]
    None,
    At(Range<usize>),
    Hash(u64),
}

impl Fingerprint {
    fn add(&mut self, record: &Node<'_>, at: Range<usize>) {
        let mark = if at.is_empty() {
            let mut h = DefaultHasher::new();
            record.to_value().to_string().hash(&mut h);
            Mark::Hash(h.finish())
        } else {
            Mark::At(at)
        };
        if self.count == 0 {
            self.first = mark.clone();
        }
        self.last = mark;
        self.count += 1;
    }

    fn finish(&self, body: &[u8]) -> u64 {
        let mut h = DefaultHasher::new();
        self.count.hash(&mut h);
        for mark in [&self.first, &self.last] {
            match mark {
                Mark::None => 0u8.hash(&mut h),
                Mark::At(at) => body.get(at.clone()).hash(&mut h),
                Mark::Hash(text) => text.hash(&mut h),
            }
        }
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let h = r#"<https://api.example.com/items?page=2>; rel="next", <https://api.example.com/items?page=9>; rel="last""#;
        assert_eq!(
            next_from_link_header(h).as_deref(),
            Some("https://api.example.com/items?page=2")
        );
        assert_eq!(next_from_link_header(r#"<https://x/1>; rel="prev""#), None);
        assert_eq!(next_from_link_header("garbage"), None);
        assert_eq!(
            next_from_link_header(r#"</items?cursor=abc>; rel="next""#).as_deref(),
            Some("/items?cursor=abc")
        );
    }
}
