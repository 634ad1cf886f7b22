//! The closed error taxonomy of every adapter call.

use std::fmt;
use std::time::Duration;

/// What went wrong, in categories a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The provider rejected the credentials (HTTP 401): reconnect the account.
    Auth,
    /// The credentials are valid but lack permission (HTTP 403).
    Forbidden,
    /// The record does not exist (HTTP 404).
    NotFound,
    /// Too many requests (HTTP 429); see [`Error::retry_after`].
    RateLimited,
    /// The provider rejected the request's data (HTTP 400/422).
    Validation,
    /// Any other failure reported by the provider, or a response that breaks its own contract.
    Remote,
    /// The request did not reach the provider or the response did not come back.
    Transport,
    /// The provider did not answer in time.
    Timeout,
    /// A provider record could not be mapped to the unified model.
    Mapping,
    /// The provider does not support this resource or method.
    Unsupported,
    /// The account or client is set up wrongly (a bad base URL, time zone, ...).
    Configuration,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Validation => "validation",
            ErrorKind::Remote => "remote",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Mapping => "mapping",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Configuration => "configuration",
        }
    }

    /// The HTTP status of the unified error body for this kind.
    pub fn status_code(self) -> u16 {
        match self {
            ErrorKind::Auth => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::RateLimited => 429,
            ErrorKind::Validation => 422,
            ErrorKind::Remote | ErrorKind::Transport | ErrorKind::Mapping => 502,
            ErrorKind::Timeout => 504,
            ErrorKind::Unsupported => 501,
            ErrorKind::Configuration => 400,
        }
    }
}

/// An adapter call's failure: its kind, the provider, and what the provider said (with secrets
/// redacted).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    provider: String,
    message: String,
    status: Option<u16>,
    remote_body: Option<String>,
    retry_after: Option<Duration>,
    field: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, provider: &str, message: impl Into<String>) -> Self {
        Error {
            kind,
            provider: provider.to_owned(),
            message: message.into(),
            status: None,
            remote_body: None,
            retry_after: None,
            field: None,
        }
    }

    pub fn configuration(provider: &str, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Configuration, provider, message)
    }

    /// The provider has no such resource or method (or no such provider is known).
    pub fn unsupported(provider: &str, resource: &str, method: &str) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            provider,
            format!("{provider} does not support `{method}` on `{resource}`"),
        )
    }

    pub fn mapping(provider: &str, resource: &str, field: &str, reason: &str) -> Self {
        let mut e = Error::new(
            ErrorKind::Mapping,
            provider,
            format!("cannot map {resource}.{field}: {reason}"),
        );
        e.field = Some(field.to_owned());
        e
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn with_remote_body(mut self, body: String) -> Self {
        self.remote_body = Some(body);
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.retry_after = after;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn provider(&self) -> &str {
        &self.provider
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The provider's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The provider's response body, truncated, with the account's secrets redacted.
    pub fn remote_body(&self) -> Option<&str> {
        self.remote_body.as_deref()
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The unified field a mapping error is about.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// Whether the provider reported this error (rather than the runtime).
    pub fn is_remote_error(&self) -> bool {
        self.status.is_some()
    }

    /// The unified error body: `{status_code, error, message, details, is_remote_error, remote}`.
    pub fn to_body(&self) -> serde_json::Value {
        let mut details = serde_json::Map::new();
        details.insert("provider".into(), self.provider.clone().into());
        if let Some(field) = &self.field {
            details.insert("field".into(), field.clone().into());
        }
        if let Some(after) = self.retry_after {
            details.insert("retry_after_seconds".into(), after.as_secs().into());
        }
        let remote = self
            .status
            .map(|status| serde_json::json!({ "status": status, "body": self.remote_body }));
        serde_json::json!({
            "status_code": self.kind.status_code(),
            "error": self.kind.as_str(),
            "message": self.message,
            "details": details,
            "is_remote_error": self.is_remote_error(),
            "remote": remote,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} error from {}: {}",
            self.kind.as_str(),
            self.provider,
            self.message
        )?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
