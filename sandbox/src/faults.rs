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

/// The middleware that applies the faults.
pub(crate) async fn apply(State(faults): State<Faults>, request: Request, next: Next) -> Response {
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
