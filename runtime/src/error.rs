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
    /// Every kind.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Auth,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::RateLimited,
        ErrorKind::Validation,
        ErrorKind::Remote,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Mapping,
        ErrorKind::Unsupported,
        ErrorKind::Configuration,
    ];

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
            ErrorKind::Mapping => 500,
            ErrorKind::Remote => 502,
            ErrorKind::Transport => 503,
            ErrorKind::Timeout => 504,
            ErrorKind::Unsupported => 501,
            ErrorKind::Configuration => 400,
        }
    }
}

/// The call an error happened in: the provider's resource and the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub resource: &'static str,
    pub method: &'static str,
}

/// How a provider reports errors, as its mapping declares (see docs/mapping-language.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorRules {
    /// Where error bodies keep their message (else `message`, `error_description`, `error`,
    /// `detail` or `title` is tried).
    pub message: Option<&'static [&'static str]>,
    /// Where error bodies keep their field errors (else `errors`): an object of field → message
    /// or messages, or a list of `{name, description | message}` or of texts.
    pub fields: Option<&'static [&'static str]>,
    /// Errors reported inside a 2xx body.
    pub in_body: Option<InBodyErrors>,
    /// Provider statuses that mean another kind than the default.
    pub status: &'static [(u16, ErrorKind)],
}

impl ErrorRules {
    /// No declaration: HTTP statuses only.
    pub const DEFAULT: ErrorRules = ErrorRules {
        message: None,
        fields: None,
        in_body: None,
        status: &[],
    };
}

impl Default for ErrorRules {
    fn default() -> Self {
        ErrorRules::DEFAULT
    }
}

/// An envelope whose `path` holds a success value (as JSON text, such as `0`) or an error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InBodyErrors {
    pub path: &'static [&'static str],
    pub success: &'static [&'static str],
    pub message: Option<&'static [&'static str]>,
    /// Codes (as JSON text) that mean another kind than `Remote`.
    pub codes: &'static [(&'static str, ErrorKind)],
}

/// An adapter call's failure: its kind, the provider, and what the provider said (with secrets
/// redacted).
#[derive(Debug, Clone, PartialEq)]
pub struct Error(Box<Repr>);

/// Boxed so that `Result<_, Error>` stays small on every call path.
#[derive(Debug, Clone, PartialEq)]
struct Repr {
    kind: ErrorKind,
    provider: String,
    message: String,
    operation: Option<Operation>,
    status: Option<u16>,
    remote_body: Option<String>,
    retry_after: Option<Duration>,
    field: Option<String>,
    details: Option<serde_json::Value>,
    attempts: u32,
}

impl Error {
    pub fn new(kind: ErrorKind, provider: &str, message: impl Into<String>) -> Self {
        Error(Box::new(Repr {
            kind,
            provider: provider.to_owned(),
            message: message.into(),
            status: None,
            operation: None,
            remote_body: None,
            retry_after: None,
            field: None,
            details: None,
            attempts: 0,
        }))
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
        e.0.field = Some(field.to_owned());
        e
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    pub(crate) fn with_remote_body(mut self, body: String) -> Self {
        self.0.remote_body = Some(body);
        self
    }

    pub(crate) fn with_retry_after(mut self, after: Option<Duration>) -> Self {
        self.0.retry_after = after;
        self
    }

    pub(crate) fn with_details(mut self, details: Option<serde_json::Value>) -> Self {
        self.0.details = details;
        self
    }

    /// The error with `f` applied to every text it carries: message, provider body, details
    /// (strings and keys) and field.
    pub(crate) fn map_text(mut self, f: &dyn Fn(&str) -> String) -> Self {
        let repr = &mut *self.0;
        repr.message = f(&repr.message);
        if let Some(body) = &mut repr.remote_body {
            *body = f(body);
        }
        if let Some(details) = &mut repr.details {
            crate::redact::walk(details, f);
        }
        if let Some(field) = &mut repr.field {
            *field = f(field);
        }
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// Names the call the error happened in, unless it is named already.
    pub fn with_operation(mut self, operation: Option<Operation>) -> Self {
        if self.0.operation.is_none() {
            self.0.operation = operation;
        }
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    pub fn provider(&self) -> &str {
        &self.0.provider
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The provider's HTTP status, when it answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The provider's response body, truncated, with the account's secrets redacted.
    pub fn remote_body(&self) -> Option<&str> {
        self.0.remote_body.as_deref()
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The provider resource and method of the call, where known.
    pub fn operation(&self) -> Option<Operation> {
        self.0.operation
    }

    /// What the provider said beyond its message: field errors of a validation failure
    /// (`errors`), the scopes a 403 lacks (`missing_scopes`), an in-body error `code`.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.0.details.as_ref()
    }

    /// How many times the request was sent (0 when it never was).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The unified field a mapping error is about.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// Whether the provider reported this error (rather than the runtime).
    pub fn is_remote_error(&self) -> bool {
        self.0.status.is_some()
    }

    /// The unified error body: `{status_code, error, message, details, is_remote_error, remote}`.
    pub fn to_body(&self) -> serde_json::Value {
        let mut details = serde_json::Map::new();
        details.insert("provider".into(), self.0.provider.clone().into());
        if let Some(op) = self.0.operation {
            details.insert("resource".into(), op.resource.into());
            details.insert("method".into(), op.method.into());
        }
        if self.0.attempts > 1 {
            details.insert("attempts".into(), self.0.attempts.into());
        }
        if let Some(serde_json::Value::Object(more)) = &self.0.details {
            for (k, v) in more {
                details.insert(k.clone(), v.clone());
            }
        }
        if let Some(field) = &self.0.field {
            details.insert("field".into(), field.clone().into());
        }
        if let Some(after) = self.0.retry_after {
            details.insert("retry_after_seconds".into(), after.as_secs().into());
        }
        let remote = self
            .0
            .status
            .map(|status| serde_json::json!({ "status": status, "body": self.0.remote_body }));
        serde_json::json!({
            "status_code": self.0.kind.status_code(),
            "error": self.0.kind.as_str(),
            "message": self.0.message,
            "details": details,
            "is_remote_error": self.is_remote_error(),
            "remote": remote,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error from {}", self.0.kind.as_str(), self.0.provider)?;
        if let Some(op) = self.0.operation {
            write!(f, " ({} {})", op.resource, op.method)?;
        }
        write!(f, ": {}", self.0.message)?;
        if let Some(status) = self.0.status {
            write!(f, " (HTTP {status})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
