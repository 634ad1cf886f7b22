//! One HTTP client per connected account: base URL, authentication, default headers, timeouts,
//! and the mapping of HTTP failures onto [`ErrorKind`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::{Error, ErrorKind};
use crate::json::Node;
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
    /// Time allowed for one request, connection included.
    pub timeout: Duration,
    /// Most pages one list call may fetch before it stops with an error.
    pub max_pages: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: None,
            timeout: Duration::from_secs(30),
            max_pages: 10_000,
        }
    }
}

impl ClientOptions {
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
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
}

/// What generated code passes to [`Client::new`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub provider: &'static str,
    pub base_url: String,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
    pub options: ClientOptions,
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
        }
    }
}

/// A provider's successful answer: status, headers and the body as it came.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

/// Characters escaped in a path segment: controls, space, and URL delimiters.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Escapes a value for use as one path segment (`a/b` cannot reach another path).
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
    secrets: Vec<Secret>,
    max_pages: u32,
}

/// Longest provider body kept in an error.
const MAX_ERROR_BODY: usize = 4096;
/// Tokens are renewed this long before they expire.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

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
        let mut secrets = Vec::new();
        match &config.auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                headers.insert(
                    reqwest::header::AUTHORIZATION,
                    sensitive(provider, &format!("Bearer {}", token.expose()))?,
                );
                secrets.push(token.clone());
            }
            Auth::Basic { username, password } => {
                secrets.extend([username.clone(), password.clone()])
            }
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
                secrets.extend([client_id.clone(), client_secret.clone()]);
            }
            Auth::Login { body, .. } => secrets.extend(body.iter().map(|(_, v)| v.clone())),
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
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
                base_url: base_url.trim_end_matches('/').to_owned(),
                origin: parsed.origin(),
                auth: config.auth,
                token: Mutex::new(None),
                secrets,
                max_pages: config.options.max_pages,
            }),
        })
    }

    pub fn provider(&self) -> &'static str {
        self.inner.provider
    }

    pub(crate) fn max_pages(&self) -> u32 {
        self.inner.max_pages
    }

    /// Whether `url` is on the account's origin (scheme, host and port), so that credentials
    /// may be sent to it.
    pub(crate) fn same_origin(&self, url: &str) -> bool {
        url::Url::parse(url).is_ok_and(|u| u.origin() == self.inner.origin)
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

    /// Sends one request; a token that the provider rejects is renewed and the request sent
    /// once more.
    pub async fn send_full(&self, request: &Request) -> Result<Response, Error> {
        match self.attempt(request).await {
            Err(e) if e.kind() == ErrorKind::Auth && self.uses_token() => {
                *self.inner.token.lock().await = None;
                self.attempt(request).await
            }
            other => other,
        }
    }

    fn uses_token(&self) -> bool {
        matches!(
            self.inner.auth,
            Auth::OAuth2ClientCredentials { .. } | Auth::Login { .. }
        )
    }

    async fn attempt(&self, request: &Request) -> Result<Response, Error> {
        let provider = self.inner.provider;
        let url = match &request.url {
            Some(url) => url.clone(),
            None => format!("{}{}", self.inner.base_url, request.path),
        };
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), &url)
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
        let response = builder.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if status.is_success() {
            return Ok(Response {
                status: status.as_u16(),
                headers,
                body: bytes,
            });
        }
        let kind = match status.as_u16() {
            401 => ErrorKind::Auth,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            429 => ErrorKind::RateLimited,
            400 | 422 => ErrorKind::Validation,
            _ => ErrorKind::Remote,
        };
        let message = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(Value::as_str)
                    .map(|m| self.redact(m.as_bytes()))
            })
            .unwrap_or_else(|| {
                format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("error")
                )
            });
        Err(Error::new(kind, provider, message)
            .with_status(status.as_u16())
            .with_remote_body(self.redact(&bytes))
            .with_retry_after(retry_after))
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
        *cached = Some((token.clone(), lifetime.map(|l| Instant::now() + l)));
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
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if !status.is_success() {
            let kind = if status.as_u16() == 429 {
                ErrorKind::RateLimited
            } else {
                ErrorKind::Auth
            };
            return Err(Error::new(
                kind,
                provider,
                format!("the token request failed with HTTP {}", status.as_u16()),
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
        let lifetime = expires_path
            .and_then(|p| value::path(&body, p))
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .map(Duration::from_secs);
        Ok((Secret::new(token), lifetime))
    }

    fn transport_error(&self, e: &reqwest::Error) -> Error {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Transport
        };
        // reqwest's message names the URL, never the headers.
        Error::new(kind, self.inner.provider, e.to_string())
    }

    /// The body as text, truncated, with every secret of the account replaced.
    fn redact(&self, bytes: &[u8]) -> String {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        for secret in &self.inner.secrets {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "[REDACTED]");
            }
        }
        if text.len() > MAX_ERROR_BODY {
            let mut cut = MAX_ERROR_BODY;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push('…');
        }
        text
    }
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
    fn path_segments_are_escaped() {
        assert_eq!(encode_path_segment("42"), "42");
        assert_eq!(encode_path_segment("a/b c?d"), "a%2Fb%20c%3Fd");
        assert_eq!(encode_path_segment("../x"), "..%2Fx");
    }

    #[test]
    fn bad_base_url_is_a_configuration_error() {
        let err = Client::new(ClientConfig {
            provider: "test",
            base_url: "ftp://example.com".into(),
            auth: Auth::None,
            headers: Vec::new(),
            options: ClientOptions::default(),
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Configuration);
    }

    #[test]
    fn origins_and_relative_links() {
        let c = Client::new(ClientConfig {
            provider: "test",
            base_url: "https://api.example.com/v2".into(),
            auth: Auth::None,
            headers: Vec::new(),
            options: ClientOptions::default(),
        })
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
