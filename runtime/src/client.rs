//! One HTTP client per connected account: base URL, authentication, default headers, timeouts,
//! and the mapping of HTTP failures onto [`ErrorKind`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorKind, ErrorRules, Operation};
use crate::json::Node;
use crate::policy::{Limiter, RateLimit, RetryPolicy};
use crate::redact::Redactor;
use crate::secret::Secret;
use crate::shape::Shape;
use crate::value;

/// How requests prove who they are. Values come from the account's credentials.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP Basic.
    Basic {
        username: Secret,
        password: Secret,
    },
    /// A key in a header or a query parameter.
    ApiKey {
        name: String,
        in_query: bool,
        value: Secret,
    },
    /// OAuth2 client credentials: a token from `token_url`, cached until shortly before expiry.
    OAuth2ClientCredentials {
        token_url: String,
        client_id: Secret,
        client_secret: Secret,
        scopes: Vec<String>,
    },
    /// A token from a login call (a JSON `POST`), sent as `<scheme> <token>`.
    Login {
        url: String,
        body: Vec<(String, Secret)>,
        token: &'static [&'static str],
        expires_in: Option<&'static [&'static str]>,
        scheme: String,
    },
}

/// Caller-side settings of a connection; defaults suit production.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Replaces the provider's base URL (for a sandbox, a proxy or a regional host).
    pub base_url: Option<String>,
    /// Replaces the URL tokens come from (OAuth2 token URL, login URL), as `base_url` does for
    /// API calls.
    pub auth_url: Option<String>,
    /// Time allowed for one request, connection included.
    pub timeout: Duration,
    /// Most pages one list call may fetch before it stops with an error.
    pub max_pages: u32,
    /// When failed requests are sent again.
    pub retry: RetryPolicy,
    /// Space requests to stay within the provider's declared rate limit (off by default: the
    /// provider's 429s are honoured either way).
    pub rate_limiter: bool,
    /// The key that signs unified list cursors (`next_cursor`), at least 32 bytes; a random
    /// key per client when unset, so cursors then only resume on the client that issued them.
    pub cursor_key: Option<Secret>,
    /// Who the connection belongs to (a connected account's id): cursors are bound to it, as
    /// they are to the base URL and the credentials, so no other account can resume them.
    pub account: Option<String>,
    /// Largest response body read (bytes); a larger answer stops with a `Remote` error that
    /// says so. Downloads ([`Client::send_stream`]) are streamed and not limited.
    pub max_body_bytes: usize,
    /// Most requests in flight at once on this client (connections it opens); further calls
    /// wait for a free one.
    pub max_connections: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: None,
            auth_url: None,
            timeout: Duration::from_secs(30),
            max_pages: 10_000,
            retry: RetryPolicy::default(),
            rate_limiter: false,
            cursor_key: None,
            account: None,
            max_body_bytes: DEFAULT_MAX_BODY,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Default of [`ClientOptions::max_body_bytes`]: 32 MiB.
pub const DEFAULT_MAX_BODY: usize = 32 << 20;
/// Default of [`ClientOptions::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;
/// Shortest cursor key accepted (bytes).
pub const MIN_CURSOR_KEY: usize = 32;

impl ClientOptions {
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Sends token requests (OAuth2 client credentials, login) to `auth_url` instead of the
    /// provider's URL for them.
    pub fn with_auth_url(mut self, auth_url: impl Into<String>) -> Self {
        self.auth_url = Some(auth_url.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_max_pages(mut self, max_pages: u32) -> Self {
        self.max_pages = max_pages;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_rate_limiter(mut self, on: bool) -> Self {
        self.rate_limiter = on;
        self
    }

    /// Signs list cursors with `key` (at least 32 bytes), so that any client holding it can
    /// resume them.
    pub fn with_cursor_key(mut self, key: Secret) -> Self {
        self.cursor_key = Some(key);
        self
    }

    /// Binds cursors to this account id (see [`ClientOptions::account`]).
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    pub fn with_max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }
}

/// What generated code passes to [`Client::new`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub provider: &'static str,
    pub base_url: String,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
    /// The provider's declared request budget (for [`ClientOptions::rate_limiter`]).
    pub rate_limit: Option<RateLimit>,
    pub errors: ErrorRules,
    pub options: ClientOptions,
}

impl ClientConfig {
    /// A provider's connection with no extra headers, no declared limit and default error
    /// rules.
    pub fn new(provider: &'static str, base_url: impl Into<String>, auth: Auth) -> Self {
        ClientConfig {
            provider,
            base_url: base_url.into(),
            auth,
            headers: Vec::new(),
            rate_limit: None,
            errors: ErrorRules::DEFAULT,
            options: ClientOptions::default(),
        }
    }

    pub fn with_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }
}

/// A request relative to the account's base URL (or to an absolute URL of the same origin,
/// for next-page links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: reqwest::Method,
    pub path: String,
    pub url: Option<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
    /// The call this request makes, for errors and traces.
    pub operation: Option<Operation>,
    /// Sending it twice does no harm (declared for writes whose method is not idempotent).
    pub retry_safe: bool,
}

impl Request {
    pub fn new(method: reqwest::Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            url: None,
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
            operation: None,
            retry_safe: false,
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Request::new(reqwest::Method::GET, path)
    }

    /// Sets a query parameter, replacing an earlier value of the same name.
    pub fn with_query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_owned(), value.into()));
        self
    }

    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The same request sent to an absolute URL (a next-page link), without its query.
    pub(crate) fn at_url(&self, url: String) -> Self {
        Request {
            method: self.method.clone(),
            path: String::new(),
            url: Some(url),
            query: Vec::new(),
            body: self.body.clone(),
            headers: self.headers.clone(),
            operation: self.operation,
            retry_safe: self.retry_safe,
        }
    }

    pub fn with_operation(mut self, resource: &'static str, method: &'static str) -> Self {
        self.operation = Some(Operation { resource, method });
        self
    }

    /// Whether a failure after which the provider may have acted can be retried.
    fn idempotent(&self) -> bool {
        self.retry_safe
            || matches!(
                self.method,
                reqwest::Method::GET
                    | reqwest::Method::HEAD
                    | reqwest::Method::PUT
                    | reqwest::Method::DELETE
                    | reqwest::Method::OPTIONS
            )
    }
}

/// What [`Client::send_any`] received.
#[derive(Debug)]
pub enum Answer {
    /// A JSON (or empty) answer, read whole, the account's secrets redacted.
    Json { status: u16, body: String },
    /// Anything else, still to be read.
    File(Box<Download>),
}

/// A provider's successful answer: status, headers and the body as it came.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// What one attempt received: a response read whole, or a file's still unread (holding its
/// connection slot until it is read).
enum Received {
    Full(Response),
    Stream(reqwest::Response, OwnedSemaphorePermit),
}

/// A file a provider sends (a call recording), read one chunk at a time: memory holds one
/// chunk, whatever the file's size.
#[derive(Debug)]
pub struct Download {
    provider: &'static str,
    /// The `Content-Type` the provider gave.
    pub content_type: Option<String>,
    /// The file name of its `Content-Disposition`.
    pub file_name: Option<String>,
    /// The `Content-Length`, when the provider gave one.
    pub size: Option<u64>,
    response: reqwest::Response,
    /// The client's connection slot, free again when the download is dropped.
    _slot: OwnedSemaphorePermit,
}

impl Download {
    fn new(
        provider: &'static str,
        response: reqwest::Response,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        Download {
            provider,
            content_type: header(reqwest::header::CONTENT_TYPE),
            file_name: header(reqwest::header::CONTENT_DISPOSITION)
                .as_deref()
                .and_then(disposition_file_name),
            size: response.content_length(),
            response,
            _slot: slot,
        }
    }

    /// The next chunk of the file; `None` at its end. A connection lost midway is a
    /// `Transport` error (the file is incomplete).
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, Error> {
        self.response.chunk().await.map_err(|e| {
            Error::new(
                ErrorKind::Transport,
                self.provider,
                format!("the download broke off: {}", cause_chain(e)),
            )
        })
    }
}

/// The file name of a `Content-Disposition` value (`attachment; filename="a.wav"`), preferring
/// the RFC 6266 `filename*=UTF-8''…` form. Only the last path segment is kept, so a name can
/// never point into another directory.
fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for part in value.split(';').map(str::trim) {
        let Some((key, v)) = part.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let encoded = v.trim().rsplit("''").next().unwrap_or_default();
                extended = percent_encoding::percent_decode_str(encoded)
                    .decode_utf8()
                    .ok()
                    .map(|s| s.into_owned());
            }
            "filename" => plain = Some(v.trim().trim_matches('"').to_owned()),
            _ => {}
        }
    }
    extended
        .or(plain)
        .map(|name| {
            name.rsplit(['/', '\\'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .filter(|name| !name.is_empty() && name != "." && name != "..")
}

/// Characters escaped in a path segment: all but RFC 3986's unreserved ones (letters, digits,
/// `-`, `.`, `_`, `~`), so `/`, `\`, `%`, `?`, `#` and `;` never reach the URL parser as
/// themselves.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes a value for use as one path segment (`a/b` and `a\b` cannot reach another path).
/// Callers refuse the values no escaping makes safe (see [`crate::request::path`]): empty, `.`
/// and `..`.
pub fn encode_path_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// A connection to one provider account. Cheap to clone; clones share connections and tokens.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    provider: &'static str,
    base_url: String,
    origin: url::Origin,
    auth: Auth,
    /// A fetched token and when to stop using it; the lock makes refreshes single-flight.
    token: Mutex<Option<(Secret, Option<Instant>)>>,
    /// Every secret of the account, fetched tokens included.
    redactor: Redactor,
    /// What cursors are bound to: the account, the base URL and the credentials (a digest).
    binding: String,
    max_body: usize,
    /// One permit per request in flight.
    slots: Arc<Semaphore>,
    max_pages: u32,
    retry: RetryPolicy,
    limiter: Option<Limiter>,
    errors: ErrorRules,
    cursor_key: Secret,
}

/// Most of an error answer's body read: enough for any message, and bounded.
const MAX_ERROR_READ: usize = 64 << 10;
/// Tokens are renewed this long before they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// The longest lifetime a token answer is believed (`expires_in` is the provider's number).
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let provider = config.provider;
        let base_url = config.options.base_url.clone().unwrap_or(config.base_url);
        let parsed = url::Url::parse(&base_url).map_err(|e| {
            Error::configuration(
                provider,
                format!("base URL `{base_url}` is not a valid URL: {e}"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::configuration(
                provider,
                format!(
                    "base URL `{base_url}` must start with https:// (or http:// for a local sandbox)"
                ),
            ));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::configuration(provider, format!("`{name}` is not a valid header name"))
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::configuration(
                    provider,
                    format!("header `{name}` has a value that cannot be sent"),
                )
            })?;
            headers.insert(name, value);
        }
        let mut auth = config.auth;
        if let Some(url) = &config.options.auth_url {
            match &mut auth {
                Auth::OAuth2ClientCredentials { token_url, .. } => url.clone_into(token_url),
                Auth::Login { url: login, .. } => url.clone_into(login),
                _ => {}
            }
        }
        let mut secrets = Vec::new();
        match &auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                headers.insert(
                    reqwest::header::AUTHORIZATION,
                    sensitive(provider, &format!("Bearer {}", token.expose()))?,
                );
                secrets.push(token.clone());
            }
            Auth::Basic { username, password } => secrets.extend([
                username.clone(),
                password.clone(),
                // As sent, base64 in the `Authorization` header.
                Secret::new(format!("{}:{}", username.expose(), password.expose())),
            ]),
            Auth::ApiKey {
                name,
                in_query,
                value,
            } => {
                if !in_query {
                    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        Error::configuration(
                            provider,
                            format!("`{name}` is not a valid header name"),
                        )
                    })?;
                    headers.insert(name, sensitive(provider, value.expose())?);
                }
                secrets.push(value.clone());
            }
            Auth::OAuth2ClientCredentials {
                client_id,
                client_secret,
                ..
            } => {
                secrets.extend([
                    client_id.clone(),
                    client_secret.clone(),
                    // As sent to the token URL, base64 in the `Authorization` header.
                    Secret::new(format!("{}:{}", client_id.expose(), client_secret.expose())),
                ]);
            }
            Auth::Login { body, .. } => secrets.extend(body.iter().map(|(_, v)| v.clone())),
        }
        let cursor_key = match config.options.cursor_key {
            Some(key) if key.expose().len() < MIN_CURSOR_KEY => {
                return Err(Error::configuration(
                    provider,
                    format!(
                        "the cursor key has {} bytes; use at least {MIN_CURSOR_KEY} random bytes",
                        key.expose().len()
                    ),
                ));
            }
            Some(key) => key,
            None => Secret::new(format!("{:032x}", fastrand::u128(..))),
        };
        if config.options.max_connections == 0 || config.options.max_body_bytes == 0 {
            return Err(Error::configuration(
                provider,
                "max_connections and max_body_bytes must be at least 1",
            ));
        }
        let base_url = base_url.trim_end_matches('/').to_owned();
        let binding = {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            for part in [config.options.account.as_deref().unwrap_or(""), &base_url]
                .into_iter()
                .chain(secrets.iter().map(Secret::expose))
            {
                h.update(part.len().to_le_bytes());
                h.update(part.as_bytes());
            }
            format!("{:x}", h.finalize())
        };
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(same_origin_redirects())
            .timeout(config.options.timeout)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::configuration(provider, format!("cannot build the HTTP client: {e}"))
            })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                provider,
                base_url,
                origin: parsed.origin(),
                auth,
                token: Mutex::new(None),
                redactor: Redactor::new(&secrets),
                binding,
                max_body: config.options.max_body_bytes,
                slots: Arc::new(Semaphore::new(config.options.max_connections)),
                max_pages: config.options.max_pages,
                retry: config.options.retry,
                limiter: config
                    .rate_limit
                    .filter(|_| config.options.rate_limiter)
                    .and_then(Limiter::new),
                errors: config.errors,
                cursor_key,
            }),
        })
    }

    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    pub(crate) fn max_pages(&self) -> u32 {
        self.inner.max_pages
    }

    pub(crate) fn cursor_key(&self) -> &Secret {
        &self.inner.cursor_key
    }

    /// The error with every secret of the account replaced (see [`crate::redact`]).
    pub(crate) fn redacted(&self, e: Error) -> Error {
        self.inner.redactor.error(e)
    }

    /// What cursors of this client are bound to (account, base URL, credentials), as a digest.
    pub(crate) fn binding(&self) -> &str {
        &self.inner.binding
    }

    /// Whether `url` is on the account's origin (scheme, host and port), so that credentials
    /// may be sent to it.
    pub(crate) fn same_origin(&self, url: &str) -> bool {
        url::Url::parse(url).is_ok_and(|u| u.origin() == self.inner.origin)
    }

    /// `link` (a next-page link, relative or absolute, or a URL a cursor carries) as an absolute
    /// URL on the account's origin; a link elsewhere is refused, since following it would send
    /// the account's credentials there.
    pub(crate) fn follow(&self, link: &str) -> Result<String, Error> {
        let absolute = self.resolve(link).ok_or_else(|| {
            Error::new(
                ErrorKind::Remote,
                self.inner.provider,
                format!("the next-page link `{link}` is not a URL"),
            )
        })?;
        if !self.same_origin(&absolute) {
            return Err(Error::new(
                ErrorKind::Remote,
                self.inner.provider,
                format!(
                    "the next-page link `{absolute}` points to another origin; it was not followed with the account's credentials"
                ),
            ));
        }
        Ok(absolute)
    }

    /// The URL a request is sent to: a path under the base URL, or a next-page link (checked
    /// to be on the account's origin).
    pub fn url_of(&self, request: &Request) -> Result<url::Url, Error> {
        let url = match &request.url {
            Some(url) => self.follow(url)?,
            None => format!("{}{}", self.inner.base_url, request.path),
        };
        url::Url::parse(&url).map_err(|e| {
            Error::new(
                ErrorKind::Validation,
                self.inner.provider,
                format!("the request URL does not parse: {e}"),
            )
        })
    }

    /// Resolves a possibly relative next-page link against the base URL.
    pub(crate) fn resolve(&self, link: &str) -> Option<String> {
        let base = url::Url::parse(&format!("{}/", self.inner.base_url)).ok()?;
        base.join(link).ok().map(String::from)
    }

    /// Sends one request and returns its JSON body (`null` for an empty body).
    pub async fn send(&self, request: &Request) -> Result<Value, Error> {
        let response = self.send_full(request).await?;
        if response.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&response.body)
            .map_err(|e| self.about_response(&response, crate::not_json(self.inner.provider, &e)))
    }

    /// A list response, its records handed to `on_record` as they are read (see
    /// [`crate::parse_records`]).
    pub fn parse_records<'a>(
        &self,
        response: &'a Response,
        shape: &Shape,
        records: &[&str],
        arena: &'a bumpalo::Bump,
        on_record: impl FnMut(&Node<'_>, std::ops::Range<usize>) -> Result<(), Error>,
    ) -> Result<Node<'a>, Error> {
        crate::parse_records(
            self.inner.provider,
            &response.body,
            shape,
            records,
            arena,
            on_record,
        )
        .map_err(|e| self.about_response(response, e))
    }

    /// An error about what a response holds. When the body itself is at fault (`Remote`: not
    /// JSON, no record where the mapping expects one) the status and the body, redacted, go
    /// with it; other errors (a mapping's) stay as they are.
    pub fn about_response(&self, response: &Response, e: Error) -> Error {
        match e.kind() {
            ErrorKind::Remote => e
                .with_status(response.status)
                .with_remote_body(self.redact(&response.body)),
            _ => e,
        }
    }

    /// Sends one request, with the account's retry policy: a token the provider rejects is
    /// renewed and the request sent once more; rate limits and transient failures are retried
    /// within the policy's bounds (see [`RetryPolicy`]). Traced as one `switchboard.request`
    /// span with the provider, the call, the final status, the attempts and the latency.
    pub async fn send_full(&self, request: &Request) -> Result<Response, Error> {
        match self.send_traced(request, false).await? {
            Received::Full(response) => Ok(response),
            // Not asked for; read whole all the same.
            Received::Stream(response, _slot) => {
                let (status, headers) = (response.status().as_u16(), response.headers().clone());
                let body = self
                    .read_body(response, self.inner.max_body, true)
                    .await
                    .map_err(|e| self.inner.redactor.error(e))?;
                Ok(Response {
                    status,
                    headers,
                    body,
                })
            }
        }
    }

    /// Sends one request whose answer is a file, with the same retries, auth renewal and error
    /// mapping as [`Client::send_full`]: the body is not read here but handed over as a
    /// [`Download`], so a file of any size passes through one chunk at a time. A JSON answer
    /// (an envelope reporting an error instead of the file) is read and checked as usual.
    pub async fn send_stream(&self, request: &Request) -> Result<Download, Error> {
        match self.send_traced(request, true).await? {
            Received::Stream(response, slot) => {
                Ok(Download::new(self.inner.provider, response, slot))
            }
            Received::Full(response) => Err(Error::new(
                ErrorKind::Remote,
                self.inner.provider,
                "the provider answered JSON where a file was expected",
            )
            .with_status(response.status)
            .with_remote_body(self.redact(&response.body))
            .with_operation(request.operation)),
        }
    }

    /// Sends one request whose answer is passed on as it came (a proxy's): JSON read whole
    /// (within `max_body_bytes`) with the account's secrets redacted, anything else as a
    /// [`Download`] still to be read. Retries, auth renewal and error mapping are those of any
    /// call.
    pub async fn send_any(&self, request: &Request) -> Result<Answer, Error> {
        Ok(match self.send_traced(request, true).await? {
            Received::Stream(response, slot) => {
                Answer::File(Box::new(Download::new(self.inner.provider, response, slot)))
            }
            Received::Full(response) => Answer::Json {
                status: response.status,
                body: self.inner.redactor.whole(&response.body),
            },
        })
    }

    /// One call with its retries, traced as one span.
    async fn send_traced(&self, request: &Request, stream: bool) -> Result<Received, Error> {
        let op = request.operation;
        let span = tracing::info_span!(
            "switchboard.request",
            provider = self.inner.provider,
            resource = op.map(|o| o.resource),
            method = op.map(|o| o.method),
            http.method = %request.method,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let (result, attempts) = self
            .with_retries(request, started, stream)
            .instrument(span.clone())
            .await;
        span.record("attempts", attempts);
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        let status = match &result {
            Ok(Received::Full(r)) => r.status,
            Ok(Received::Stream(r, _)) => r.status().as_u16(),
            Err(e) => e.status().unwrap_or(0),
        };
        span.record("status", status);
        // For whoever installed a `metrics` recorder (the server's `/metrics`); free otherwise.
        let provider = self.inner.provider;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind().as_str(),
        };
        metrics::counter!("switchboard_provider_requests_total", "provider" => provider, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("switchboard_provider_request_duration_seconds", "provider" => provider)
            .record(started.elapsed().as_secs_f64());
        if attempts > 1 {
            metrics::counter!("switchboard_provider_retries_total", "provider" => provider)
                .increment(u64::from(attempts - 1));
        }
        result.map_err(|e| {
            self.inner
                .redactor
                .error(e.with_operation(op).with_attempts(attempts))
        })
    }

    async fn with_retries(
        &self,
        request: &Request,
        started: Instant,
        stream: bool,
    ) -> (Result<Received, Error>, u32) {
        let policy = self.inner.retry;
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            if let Some(limiter) = &self.inner.limiter {
                limiter.acquire().await;
            }
            let sent = Instant::now();
            let result = self.attempt(request, stream).await;
            let e = match result {
                Ok(response) => return (Ok(response), attempt),
                Err(e) => e,
            };
            tracing::debug!(
                attempt,
                status = e.status().unwrap_or(0),
                latency_ms = sent.elapsed().as_millis() as u64,
                error = e.kind().as_str(),
                "attempt failed"
            );
            if e.kind() == ErrorKind::Auth && self.uses_token() && !renewed {
                renewed = true;
                *self.inner.token.lock().await = None;
                attempt -= 1;
                continue;
            }
            let retryable = match e.kind() {
                ErrorKind::RateLimited => true,
                ErrorKind::Transport | ErrorKind::Timeout => request.idempotent(),
                ErrorKind::Remote => {
                    matches!(e.status(), Some(500 | 502 | 503 | 504)) && request.idempotent()
                }
                _ => false,
            };
            if !retryable || attempt >= policy.max_attempts {
                return (Err(e), attempt);
            }
            let wait = match e.retry_after() {
                Some(after) => after,
                None => policy.backoff(attempt),
            };
            // A provider's wait may be any number: one past the budget is not started.
            if started.elapsed().saturating_add(wait) > policy.max_elapsed {
                return (Err(e), attempt);
            }
            tokio::time::sleep(wait).await;
        }
    }

    fn uses_token(&self) -> bool {
        matches!(
            self.inner.auth,
            Auth::OAuth2ClientCredentials { .. } | Auth::Login { .. }
        )
    }

    /// One attempt. With `stream`, a successful answer that is not JSON is handed over
    /// unread.
    async fn attempt(&self, request: &Request, stream: bool) -> Result<Received, Error> {
        let provider = self.inner.provider;
        let url = self.url_of(request)?;
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .query(&request.query);
        match &self.inner.auth {
            Auth::Basic { username, password } => {
                builder = builder.basic_auth(username.expose(), Some(password.expose()))
            }
            Auth::ApiKey {
                name,
                in_query: true,
                value,
            } => builder = builder.query(&[(name.as_str(), value.expose())]),
            Auth::OAuth2ClientCredentials { .. } | Auth::Login { .. } => {
                let (token, scheme) = self.token().await?;
                builder = builder.header(
                    reqwest::header::AUTHORIZATION,
                    sensitive(provider, &format!("{scheme} {}", token.expose()))?,
                );
            }
            Auth::None | Auth::Bearer(_) | Auth::ApiKey { .. } => {}
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        // The token is in hand before a slot is taken: fetching one never waits for a slot.
        let slot = self
            .inner
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::configuration(provider, "the client was shut down"))?;
        let response = builder.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let json = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("json"));
        if stream && status.is_success() && !json {
            return Ok(Received::Stream(response, slot));
        }
        let ok = status.is_success();
        let cap = if ok {
            self.inner.max_body
        } else {
            MAX_ERROR_READ
        };
        let bytes = self.read_body(response, cap, ok).await?;
        drop(slot);
        if status.is_success() {
            if let Some(e) = self.in_body_error(status.as_u16(), &bytes) {
                return Err(e);
            }
            return Ok(Received::Full(Response {
                status: status.as_u16(),
                headers,
                body: bytes,
            }));
        }
        Err(self.status_error(status, &headers, &bytes))
    }

    /// The error a failed status means, with what the provider said.
    fn status_error(
        &self,
        status: reqwest::StatusCode,
        headers: &HeaderMap,
        bytes: &[u8],
    ) -> Error {
        let rules = &self.inner.errors;
        let code = status.as_u16();
        let kind = rules
            .status
            .iter()
            .find(|(s, _)| *s == code)
            .map(|(_, kind)| *kind)
            .unwrap_or(match code {
                401 => ErrorKind::Auth,
                403 => ErrorKind::Forbidden,
                404 | 410 => ErrorKind::NotFound,
                408 | 504 => ErrorKind::Timeout,
                429 => ErrorKind::RateLimited,
                400 | 422 => ErrorKind::Validation,
                _ => ErrorKind::Remote,
            });
        let body = serde_json::from_slice::<Value>(bytes).ok();
        let (message, fields) = body
            .as_ref()
            .map(|b| describe(b, rules))
            .unwrap_or_default();
        let message = message
            .map(|m| self.redact(m.as_bytes()))
            .unwrap_or_else(|| format!("{code} {}", status.canonical_reason().unwrap_or("error")));
        let mut details = serde_json::Map::new();
        if let Some(errors) = fields {
            // Redacted with the rest of the error, where every call leaves the client.
            details.insert("errors".into(), errors.clone());
        }
        if kind == ErrorKind::Forbidden
            && let Some(scopes) = missing_scopes(headers, body.as_ref())
        {
            details.insert("missing_scopes".into(), scopes.into());
        }
        let retry_after = matches!(kind, ErrorKind::RateLimited | ErrorKind::Remote)
            .then(|| crate::policy::retry_after(headers))
            .flatten();
        Error::new(kind, self.inner.provider, message)
            .with_status(code)
            .with_remote_body(self.redact(bytes))
            .with_retry_after(retry_after)
            .with_details((!details.is_empty()).then_some(Value::Object(details)))
    }

    /// An error the provider reports inside a 2xx body, where its mapping declares how.
    fn in_body_error(&self, status: u16, bytes: &[u8]) -> Option<Error> {
        let rules = self.inner.errors.in_body?;
        let body: Value = serde_json::from_slice(bytes).ok()?;
        let code = value::path(&body, rules.path)?;
        let text = code.to_string();
        if rules.success.iter().any(|s| *s == text) {
            return None;
        }
        let message = rules
            .message
            .and_then(|p| value::path(&body, p))
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(|m| self.redact(m.as_bytes()))
            .unwrap_or_else(|| format!("the provider reported error code {text}"));
        let kind = rules
            .codes
            .iter()
            .find(|(c, _)| *c == text)
            .map_or(ErrorKind::Remote, |(_, k)| *k);
        Some(
            Error::new(kind, self.inner.provider, message)
                .with_status(status)
                .with_remote_body(self.redact(bytes))
                .with_details(Some(serde_json::json!({ "code": code }))),
        )
    }

    /// The current token, fetched when missing or about to expire. Holding the lock while
    /// fetching makes concurrent callers wait for one refresh instead of starting their own.
    async fn token(&self) -> Result<(Secret, String), Error> {
        let mut cached = self.inner.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && expires.is_none_or(|at| Instant::now() + TOKEN_MARGIN < at)
        {
            return Ok((token.clone(), self.scheme()));
        }
        let (token, lifetime) = self.fetch_token().await?;
        *cached = Some((
            token.clone(),
            lifetime.and_then(|l| Instant::now().checked_add(l)),
        ));
        Ok((token, self.scheme()))
    }

    fn scheme(&self) -> String {
        match &self.inner.auth {
            Auth::Login { scheme, .. } => scheme.clone(),
            _ => "Bearer".to_owned(),
        }
    }

    async fn fetch_token(&self) -> Result<(Secret, Option<Duration>), Error> {
        let provider = self.inner.provider;
        metrics::counter!("switchboard_token_fetches_total", "provider" => provider).increment(1);
        let (request, token_path, expires_path): (_, &[&str], Option<&[&str]>) =
            match &self.inner.auth {
                Auth::OAuth2ClientCredentials {
                    token_url,
                    client_id,
                    client_secret,
                    scopes,
                } => {
                    let mut form = vec![("grant_type", "client_credentials".to_owned())];
                    if !scopes.is_empty() {
                        form.push(("scope", scopes.join(" ")));
                    }
                    let request = self
                        .inner
                        .http
                        .post(token_url)
                        .basic_auth(client_id.expose(), Some(client_secret.expose()))
                        .form(&form);
                    (request, &["access_token"], Some(&["expires_in"]))
                }
                Auth::Login {
                    url,
                    body,
                    token,
                    expires_in,
                    ..
                } => {
                    let body: serde_json::Map<String, Value> = body
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.expose().to_owned())))
                        .collect();
                    (self.inner.http.post(url).json(&body), *token, *expires_in)
                }
                _ => {
                    return Err(Error::configuration(
                        provider,
                        "this account's auth does not use tokens",
                    ));
                }
            };
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let bytes = self
            .read_body(response, MAX_ERROR_READ, status.is_success())
            .await?;
        if !status.is_success() {
            let kind = if status.as_u16() == 429 {
                ErrorKind::RateLimited
            } else {
                ErrorKind::Auth
            };
            let reason = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|b| error_message(&b, None))
                .map(|m| format!(": {}", self.redact(m.as_bytes())))
                .unwrap_or_default();
            return Err(Error::new(
                kind,
                provider,
                format!(
                    "the token request failed with HTTP {}{reason}",
                    status.as_u16()
                ),
            )
            .with_status(status.as_u16())
            .with_remote_body(self.redact(&bytes)));
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::new(
                ErrorKind::Auth,
                provider,
                format!("the token response is not JSON: {e}"),
            )
            .with_status(status.as_u16())
        })?;
        let token = value::path(&body, token_path)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Auth,
                    provider,
                    format!("the token response has no `{}`", token_path.join(".")),
                )
                .with_status(status.as_u16())
            })?;
        // The provider's number, believed up to a bound (no arithmetic on it can overflow).
        let lifetime = expires_path
            .and_then(|p| value::path(&body, p))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.trim().parse().ok()))
            .map(|seconds| Duration::from_secs(seconds).min(MAX_TOKEN_LIFETIME));
        let token = Secret::new(token);
        self.inner.redactor.add_token(&token);
        Ok((token, lifetime))
    }

    /// Reads a body of at most `cap` bytes, one chunk at a time. A longer one is an error when
    /// `strict` (the answer cannot be used), else cut at `cap` (an error's body, of which only
    /// the start is kept).
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        cap: usize,
        strict: bool,
    ) -> Result<bytes::Bytes, Error> {
        let status = response.status().as_u16();
        let too_large = || {
            Error::new(
                ErrorKind::Remote,
                self.inner.provider,
                format!(
                    "the answer is larger than the {} limit of this client (ClientOptions::max_body_bytes); it was not read further",
                    human_bytes(cap)
                ),
            )
            .with_status(status)
        };
        let announced = response.content_length().unwrap_or(0);
        if strict && announced > cap as u64 {
            return Err(too_large());
        }
        let expected = usize::try_from(announced).unwrap_or(cap).min(cap);
        let mut body = bytes::BytesMut::with_capacity(expected.min(1 << 20));
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e))?
        {
            if body.len() + chunk.len() > cap {
                if strict {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// A failure to send or receive, with its whole cause chain (each cause once) and the URL
    /// without its query (where credentials and filters go).
    fn transport_error(&self, e: reqwest::Error) -> Error {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_redirect() {
            ErrorKind::Remote
        } else {
            ErrorKind::Transport
        };
        let url = e.url().map(|u| {
            let mut u = u.clone();
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_password(None);
            u.to_string()
        });
        let mut message = cause_chain(e);
        if let Some(url) = url {
            message.push_str(&format!(" (url: {url})"));
        }
        Error::new(kind, self.inner.provider, message)
    }

    /// The body as text, truncated, with every secret of the account replaced.
    fn redact(&self, bytes: &[u8]) -> String {
        self.inner.redactor.body(bytes)
    }
}

/// What went wrong, with every cause after it (each once), and without the URL (which may carry
/// credentials in its query).
fn cause_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = c.source();
    }
    message
}

/// `1024` → `1 KiB`, for limits in messages.
fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Redirects are followed on the origin of the first request only: an answer from elsewhere
/// is not the provider's (and `Authorization` would not go with it anyway).
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let from = attempt.previous().first().map(url::Url::origin);
        if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else if from.as_ref() != Some(&attempt.url().origin()) {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!(
                "the provider redirected to another origin ({to}); an answer from there is not the provider's, so it was not followed"
            ))
        } else {
            attempt.follow()
        }
    })
}

/// The message of an error body: at the declared path, else the usual members.
fn error_message(body: &Value, declared: Option<&[&str]>) -> Option<String> {
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(m) = declared.and_then(|p| value::path(body, p)).and_then(text) {
        return Some(m);
    }
    ["message", "error_description", "error", "detail", "title"]
        .iter()
        .find_map(|k| body.get(*k).and_then(text))
}

/// What an error body says: its message with its field errors after it, and the field errors
/// themselves (at the declared `fields` path, else `errors`), for `details`.
fn describe<'b>(body: &'b Value, rules: &ErrorRules) -> (Option<String>, Option<&'b Value>) {
    let fields = value::path(body, rules.fields.unwrap_or(&["errors"]))
        .filter(|e| e.is_object() || e.is_array());
    let summary = fields.and_then(field_errors);
    let message = match (error_message(body, rules.message), summary) {
        (Some(m), Some(s)) => Some(format!("{m} ({s})")),
        (m, s) => m.or(s),
    };
    (message, fields)
}

/// Field errors as one line: `{"name": ["can't be blank"]}` (Laravel, Rails) or
/// `[{"name": "title", "description": "can't be blank"}]` (Talkdesk) → `name: can't be blank`.
fn field_errors(errors: &Value) -> Option<String> {
    let messages = |v: &Value| match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let parts: Vec<String> = match errors {
        Value::Object(fields) => fields
            .iter()
            .map(|(field, v)| format!("{field}: {}", messages(v).join(", ")))
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => {
                    let name = o.get("name").or(o.get("field")).and_then(Value::as_str)?;
                    let why = o
                        .get("description")
                        .or(o.get("message"))
                        .and_then(Value::as_str);
                    Some(match why {
                        Some(why) => format!("{name}: {why}"),
                        None => name.to_owned(),
                    })
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The scopes a 403 names as missing: RFC 6750's `WWW-Authenticate: Bearer
/// error="insufficient_scope", scope="a b"`, or a `missing_scopes` / `required_scopes` list in
/// the body.
fn missing_scopes(headers: &HeaderMap, body: Option<&Value>) -> Option<Vec<String>> {
    let from_header = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let scope = v.split(',').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                let k = k.trim();
                let k = k.rsplit(' ').next().unwrap_or(k);
                (k == "scope").then(|| v.trim().trim_matches('"').to_owned())
            })?;
            Some(
                scope
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            )
        });
    from_header.filter(|s| !s.is_empty()).or_else(|| {
        let list = ["missing_scopes", "required_scopes"]
            .iter()
            .find_map(|k| body?.get(*k)?.as_array())?;
        Some(
            list.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
        )
    })
}

fn sensitive(provider: &str, value: &str) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value).map_err(|_| {
        Error::configuration(
            provider,
            "a credential contains characters that cannot be sent in a header",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_come_from_content_disposition_without_directories() {
        let name = |v: &str| disposition_file_name(v);
        assert_eq!(
            name("attachment; filename=\"a.wav\"").as_deref(),
            Some("a.wav")
        );
        assert_eq!(name("attachment; filename=a.wav").as_deref(), Some("a.wav"));
        assert_eq!(
            name("attachment; filename=\"x.wav\"; filename*=UTF-8''%C3%A6%20b.wav").as_deref(),
            Some("æ b.wav"),
            "the RFC 6266 form wins"
        );
        assert_eq!(
            name("attachment; filename=\"../../etc/passwd\"").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            name("attachment; filename=\"..\\..\\boot.ini\"").as_deref(),
            Some("boot.ini")
        );
        assert_eq!(name("attachment; filename=\"..\""), None);
        assert_eq!(name("inline"), None);
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(encode_path_segment("42"), "42");
        assert_eq!(encode_path_segment("a/b c?d"), "a%2Fb%20c%3Fd");
        assert_eq!(encode_path_segment("../x"), "..%2Fx");
    }

    #[test]
    fn error_messages_carry_the_field_errors() {
        let rules = ErrorRules::DEFAULT;
        let rails = serde_json::json!({"errors": {"name": ["can't be blank", "is too short"], "email": "is taken"}});
        assert_eq!(
            describe(&rails, &rules).0.as_deref(),
            Some("name: can't be blank, is too short; email: is taken")
        );
        let laravel = serde_json::json!({"message": "The given data was invalid.", "errors": {"name": ["required"]}});
        let (message, fields) = describe(&laravel, &rules);
        assert_eq!(
            message.as_deref(),
            Some("The given data was invalid. (name: required)")
        );
        assert_eq!(fields, Some(&serde_json::json!({"name": ["required"]})));
        let list = serde_json::json!({"errors": ["first", "second"]});
        assert_eq!(describe(&list, &rules).0.as_deref(), Some("first; second"));
        assert_eq!(describe(&serde_json::json!({"errors": {}}), &rules).0, None);
        // Declared elsewhere, as a list of objects (Talkdesk).
        let talkdesk = ErrorRules {
            fields: Some(&["fields"]),
            ..ErrorRules::DEFAULT
        };
        let body = serde_json::json!({"message": "Bad request", "fields": [{"name": "title", "description": "can't be blank"}]});
        let (message, fields) = describe(&body, &talkdesk);
        assert_eq!(
            message.as_deref(),
            Some("Bad request (title: can't be blank)")
        );
        assert_eq!(fields.unwrap()[0]["name"], "title");
        assert_eq!(
            describe(&body, &rules).0.as_deref(),
            Some("Bad request"),
            "not declared: only `errors`"
        );
    }

    #[test]
    fn bad_base_url_is_a_configuration_error() {
        let err =
            Client::new(ClientConfig::new("test", "ftp://example.com", Auth::None)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
    }

    #[test]
    fn origins_and_relative_links() {
        let c = Client::new(ClientConfig::new(
            "test",
            "https://api.example.com/v2",
            Auth::None,
        ))
        .unwrap();
        assert!(c.same_origin("https://api.example.com/v2/items?page=2"));
        assert!(!c.same_origin("https://evil.example.net/v2/items"));
        assert!(!c.same_origin("http://api.example.com/v2/items"));
        assert_eq!(
            c.resolve("/v2/items?page=2").as_deref(),
            Some("https://api.example.com/v2/items?page=2")
        );
        assert_eq!(
            c.resolve("items?page=2").as_deref(),
            Some("https://api.example.com/v2/items?page=2")
        );
    }
}
