//! Faults a test injects per route, in front of every emulator: rate limits, server errors,
//! slow answers, broken connections and broken bodies, as real providers produce them.
//!
//! ```no_run
//! # async fn f(sandbox: &switchboard_sandbox::Sandbox) {
//! use switchboard_sandbox::faults::{Fault, Rule};
//! sandbox.faults().inject(Rule::new("/trengo/api/v2/tickets", Fault::Status(503)).query("page=2").times(1));
//! # }
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests`, with `Retry-After` (seconds or an HTTP date) when given.
    RateLimited { retry_after: Option<String> },
    /// This status with a JSON `{"message": …}` body (500, 502, 503, …).
    Status(u16),
    /// This status with an HTML error page, as a proxy in front of the provider sends.
    Html(u16),
    /// The answer comes after this delay.
    Slow(Duration),
    /// The connection breaks after the head, before any of the body.
    Reset,
    /// The body stops halfway (fewer bytes than its `Content-Length`).
    Truncated,
    /// A `200` whose body is not JSON.
    InvalidJson,
    /// The real answer with the records array at this key emptied (the pagination kept).
    EmptyPage(&'static str),
    /// The answer to the same path with this query instead (a provider that ignores the
    /// page parameter answers `page=1` to every page).
    AnswerAs(&'static str),
    /// Exactly this answer (a hostile or broken provider): status, headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A provider that echoes the request's credentials back in an error answer with this
    /// status: the `Authorization` and `X-Api-Key` headers, the query string and the body, as sent, JSON-escaped
    /// (`\uXXXX`), percent-encoded and base64, in its message, field errors and other members.
    Echo(u16),
    /// A `200` JSON answer of this many bytes (`[` and then spaces), streamed; with its
    /// `Content-Length` when `announced`, else chunked.
    Huge { bytes: u64, announced: bool },
    /// A `200` chunked JSON answer that never ends.
    Endless,
    /// A `302` to this URL.
    Redirect(String),
    /// A `200` with a response header of this many bytes.
    HugeHeader(usize),
}

/// Where and how often a fault happens.
#[derive(Debug, Clone)]
pub struct Rule {
    path: String,
    query: Option<String>,
    times: Option<u32>,
    fault: Fault,
}

impl Rule {
    /// Requests to exactly this path (with the emulator's prefix, such as
    /// `/trengo/api/v2/tickets`), every time.
    pub fn new(path: impl Into<String>, fault: Fault) -> Self {
        Rule {
            path: path.into(),
            query: None,
            times: None,
            fault,
        }
    }

    /// Only requests whose query has this `name=value` pair.
    pub fn query(mut self, pair: impl Into<String>) -> Self {
        self.query = Some(pair.into());
        self
    }

    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, path: &str, query: &str) -> bool {
        self.path == path
            && self
                .query
                .as_deref()
                .is_none_or(|q| query.split('&').any(|pair| pair == q))
    }
}

/// A body of `bytes` bytes (`None`: endless), in 64 KiB chunks, made as it is sent.
fn filler(bytes: Option<u64>) -> Body {
    const CHUNK: usize = 64 << 10;
    let chunk = Bytes::from({
        let mut c = vec![b' '; CHUNK];
        c[0] = b'[';
        c
    });
    let spaces = Bytes::from(vec![b' '; CHUNK]);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let (chunk, spaces) = (chunk.clone(), spaces.clone());
        async move {
            let left = bytes.map_or(u64::MAX, |b| b.saturating_sub(sent));
            if left == 0 {
                return None;
            }
            let piece = if sent == 0 { chunk } else { spaces };
            let piece = piece.slice(..(piece.len() as u64).min(left) as usize);
            let next = sent + piece.len() as u64;
            Some((Ok::<_, std::io::Error>(piece), next))
        }
    });
    Body::from_stream(stream)
}

/// The error answer of [`Fault::Echo`].
async fn echo(status: u16, request: Request) -> Response {
    use base64::Engine;
    let auth = [header::AUTHORIZATION.as_str(), "x-api-key"]
        .iter()
        .filter_map(|name| request.headers().get(*name)?.to_str().ok())
        .collect::<Vec<_>>()
        .join(" ");
    let query = request.uri().query().unwrap_or("").to_owned();
    let sent = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let sent = String::from_utf8_lossy(&sent).into_owned();
    let token = auth
        .split_once(' ')
        .map_or(auth.as_str(), |(_, t)| t)
        .to_owned();
    let decoded_query: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(_, v)| v.into_owned())
        .collect();
    let escaped: String = token
        .encode_utf16()
        .map(|u| format!("\\u{u:04x}"))
        .collect();
    let body = format!(
        r#"{{"message": {message}, "errors": {{"token": [{token_json}], "query": {query_json}}}, "escaped": "{escaped}", "percent": {percent}, "base64": {base64}, "raw": {raw}}}"#,
        message = serde_json::json!(format!(
            "invalid credentials: {auth} {} {sent}",
            decoded_query.join(" ")
        )),
        token_json = serde_json::json!(token),
        query_json = serde_json::json!(decoded_query),
        percent = serde_json::json!(
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        ),
        base64 = serde_json::json!(base64::engine::general_purpose::STANDARD.encode(&token)),
        raw = serde_json::json!(format!("{auth}?{query}")),
    );
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The faults of one sandbox; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<Rule>,
    /// Every request seen, as `path?query`, in order (for tests that count retries).
    seen: Vec<String>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: usize,
    most_in_flight: usize,
}

impl Faults {
    pub fn inject(&self, rule: Rule) {
        self.lock().rules.push(rule);
    }

    /// Removes every rule (the record of requests stays).
    pub fn clear(&self) {
        self.lock().rules.clear();
    }

    /// Every request the sandbox received, as `path?query`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.lock().seen.clone()
    }

    /// The most requests the sandbox was answering at one time.
    pub fn most_in_flight(&self) -> usize {
        self.lock().most_in_flight
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault for this request, if one applies (using one of its times).
    fn take(&self, path: &str, query: &str) -> Option<Fault> {
        let mut inner = self.lock();
        inner.seen.push(if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        });
        let i = inner.rules.iter().position(|r| r.matches(path, query))?;
        let rule = &mut inner.rules[i];
        let fault = rule.fault.clone();
        match &mut rule.times {
            Some(1) => {
                inner.rules.remove(i);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(fault)
    }
}

fn json_message(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "message": message }).to_string(),
    )
        .into_response()
}

/// A body that sends `bytes` and then fails, so the connection breaks mid-answer.
fn broken_body(bytes: Bytes) -> Body {
    let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
        Ok(bytes),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected fault",
        )),
    ];
    Body::from_stream(futures::stream::iter(chunks))
}

/// The middleware that applies the faults, counting the requests in flight.
pub(crate) async fn apply(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    /// Counts one request out when its answer is made, or when the client goes away first.
    struct InFlight<'a>(&'a Faults);
    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.lock().in_flight -= 1;
        }
    }
    {
        let mut inner = faults.lock();
        inner.in_flight += 1;
        inner.most_in_flight = inner.most_in_flight.max(inner.in_flight);
    }
    let _counted = InFlight(&faults);
    answer(&faults, request, next).await
}

async fn answer(faults: &Faults, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let Some(fault) = faults.take(&path, &query) else {
        return next.run(request).await;
    };
    match fault {
        Fault::RateLimited { retry_after } => {
            let mut r = json_message(429, "Too Many Attempts.");
            if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Fault::Status(status) => json_message(status, "Server Error"),
        Fault::Html(status) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            [(header::CONTENT_TYPE, "text/html")],
            format!("<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway</h1><p>nginx</p></body></html>"),
        )
            .into_response(),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::Reset => {
            let mut r = Response::new(broken_body(Bytes::new()));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Fault::Truncated => {
            let answer = next.run(request).await;
            let (mut parts, body) = answer.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            Response::from_parts(parts, broken_body(bytes.slice(..bytes.len() / 2)))
        }
        Fault::InvalidJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"data\": [{\"id\": 1,",
        )
            .into_response(),
        Fault::EmptyPage(records) => {
            let answer = next.run(request).await;
            let (mut parts, body) = answer.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let mut page: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if let Some(items) = page.get_mut(records) {
                *items = serde_json::Value::Array(Vec::new());
            }
            let text = page.to_string();
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
            Response::from_parts(parts, Body::from(text))
        }
        Fault::Respond {
            status,
            headers,
            body,
        } => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    r.headers_mut().append(name, value);
                }
            }
            r
        }
        Fault::Echo(status) => echo(status, request).await,
        Fault::Huge { bytes, announced } => {
            let mut r = Response::new(filler(Some(bytes)));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if announced {
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
            }
            r
        }
        Fault::Endless => {
            let mut r = Response::new(filler(None));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        Fault::Redirect(to) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            if let Ok(to) = HeaderValue::from_str(&to) {
                r.headers_mut().insert(header::LOCATION, to);
            }
            r
        }
        Fault::HugeHeader(size) => {
            let mut r = json_message(200, "ok");
            if let Ok(v) = HeaderValue::from_str(&"x".repeat(size)) {
                r.headers_mut().insert("x-padding", v);
            }
            r
        }
        Fault::AnswerAs(other) => {
            let (mut parts, body) = request.into_parts();
            let uri = format!("{path}?{other}");
            if let Ok(uri) = uri.parse() {
                parts.uri = uri;
            }
            next.run(Request::from_parts(parts, body)).await
        }
    }
}
