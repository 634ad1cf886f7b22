//! One HTTP client per connected account: base URL, authentication, default headers, timeouts,
//! and the mapping of HTTP failures onto [`ErrorKind`].

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::secret::Secret;

/// How requests prove who they are.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
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

/// A request relative to the account's base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: reqwest::Method,
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: reqwest::Method::GET,
            path: path.into(),
            query: Vec::new(),
        }
    }

    /// Sets a query parameter, replacing an earlier value of the same name.
    pub fn with_query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_owned(), value.into()));
        self
    }
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

/// A connection to one provider account. Cheap to clone; clones share connections.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    provider: &'static str,
    base_url: String,
    secrets: Vec<Secret>,
    pub(crate) max_pages: u32,
}

/// Longest provider body kept in an error.
const MAX_ERROR_BODY: usize = 4096;

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
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        Error::configuration(
                            provider,
                            "the token contains characters that cannot be sent in a header",
                        )
                    })?;
                value.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, value);
                secrets.push(token.clone());
            }
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

    /// Sends one request and returns its JSON body (`null` for an empty body).
    pub async fn send(&self, request: &Request) -> Result<Value, Error> {
        let provider = self.inner.provider;
        let url = format!("{}{}", self.inner.base_url, request.path);
        let response = self
            .inner
            .http
            .request(request.method.clone(), &url)
            .query(&request.query)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if status.is_success() {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(
                    ErrorKind::Remote,
                    provider,
                    format!("the response is not valid JSON: {e}"),
                )
                .with_status(status.as_u16())
                .with_remote_body(self.redact(&bytes))
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
        let body = self.redact(&bytes);
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
            .with_remote_body(body)
            .with_retry_after(retry_after))
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
}
