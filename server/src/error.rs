//! Every failure the server answers with, as the unified error body.
//!
//! Provider-side failures are the runtime's [`switchboard_runtime::Error`] with its kind's
//! status; caller-side ones (no key, wrong role, unknown account, a bad parameter) are
//! [`ApiError`]s with their own `error` codes and `is_remote_error: false`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchboard_runtime::{Error as RuntimeError, ErrorKind};

/// What went wrong on the caller's side (or the server's own), as opposed to the provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A malformed request: an unknown or ill-typed parameter, a body that is not JSON.
    InvalidRequest,
    /// No API key, or one the server does not know (or revoked).
    Unauthenticated,
    /// The key's role or account limit does not allow this call.
    PermissionDenied,
    /// No such route, account or key.
    NotFound,
    /// The method is not allowed on this route.
    MethodNotAllowed,
    /// Another request with the same `Idempotency-Key` is still running.
    Conflict,
    /// The account's provider rejected its credentials; reconnect it.
    NeedsReauth,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// The same `Idempotency-Key` was used with a different request.
    IdempotencyMismatch,
    /// This key made too many calls; retry after `Retry-After`.
    TooManyRequests,
    /// The server failed (its store, most often).
    Internal,
    /// The call took longer than the server's per-call timeout.
    ServerTimeout,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidRequest => "invalid_request",
            Code::Unauthenticated => "unauthenticated",
            Code::PermissionDenied => "permission_denied",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::Conflict => "conflict",
            Code::NeedsReauth => "needs_reauth",
            Code::PayloadTooLarge => "payload_too_large",
            Code::IdempotencyMismatch => "idempotency_mismatch",
            Code::TooManyRequests => "too_many_requests",
            Code::Internal => "internal",
            Code::ServerTimeout => "server_timeout",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidRequest => StatusCode::BAD_REQUEST,
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::PermissionDenied => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Conflict => StatusCode::CONFLICT,
            Code::NeedsReauth => StatusCode::FAILED_DEPENDENCY,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::ServerTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }
}

/// An error answer: a caller-side [`Code`] or a provider-side runtime error.
#[derive(Debug)]
pub enum ApiError {
    Caller {
        code: Code,
        message: String,
        details: Box<Value>,
        retry_after: Option<u64>,
        /// The methods the endpoint takes, for a 405's `Allow` header.
        allow: Option<Box<str>>,
    },
    Provider(RuntimeError),
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError::Caller {
            code,
            message: message.into(),
            details: Box::new(json!({})),
            retry_after: None,
            allow: None,
        }
    }

    /// A 405 naming the methods the endpoint takes (in its message and `Allow`).
    pub fn method_not_allowed<'a>(
        what: &str,
        method: &axum::http::Method,
        allowed: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut allowed: Vec<String> = allowed.into_iter().map(str::to_ascii_uppercase).collect();
        allowed.sort();
        allowed.dedup();
        let list = allowed.join(", ");
        let mut e = Self::new(
            Code::MethodNotAllowed,
            format!("{what} does not take {method}; it takes {list}"),
        );
        if let ApiError::Caller { allow, .. } = &mut e {
            *allow = Some(list.into());
        }
        e
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// The server's own failure; the cause is logged, the caller sees a short message.
    pub fn internal(what: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(what, cause = %cause, "internal error");
        Self::new(
            Code::Internal,
            format!("the server failed while {what}; try again, and see the server's log"),
        )
    }

    pub fn with_details(mut self, more: Value) -> Self {
        if let ApiError::Caller { details, .. } = &mut self {
            **details = more;
        }
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        if let ApiError::Caller { retry_after, .. } = &mut self {
            *retry_after = Some(seconds);
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Caller { code, .. } => code.status(),
            ApiError::Provider(e) => status_of(e.kind()),
        }
    }

    /// The `error` field of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Caller { code, .. } => code.as_str(),
            ApiError::Provider(e) => e.kind().as_str(),
        }
    }

    pub fn body(&self) -> Value {
        match self {
            ApiError::Caller {
                code,
                message,
                details,
                ..
            } => json!({
                "status_code": code.status().as_u16(),
                "error": code.as_str(),
                "message": message,
                "details": details,
                "is_remote_error": false,
                "remote": null,
            }),
            ApiError::Provider(e) => e.to_body(),
        }
    }
}

/// The HTTP status for each runtime error kind (the same as the body's `status_code`).
pub fn status_of(kind: ErrorKind) -> StatusCode {
    StatusCode::from_u16(kind.status_code()).unwrap_or(StatusCode::BAD_GATEWAY)
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        ApiError::Provider(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::Caller { retry_after, .. } => *retry_after,
            ApiError::Provider(e) => e.retry_after().map(|d| d.as_secs().max(1)),
        };
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let ApiError::Caller {
            allow: Some(allow), ..
        } = &self
            && let Ok(v) = HeaderValue::from_str(allow)
        {
            headers.insert(header::ALLOW, v);
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if matches!(
            &self,
            ApiError::Caller {
                code: Code::Unauthenticated,
                ..
            }
        ) {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"switchboard\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};

    /// Every caller-side code (the match fails to compile when one is added).
    fn every_code() -> Vec<Code> {
        use Code::*;
        let all = [
            InvalidRequest,
            Unauthenticated,
            PermissionDenied,
            NotFound,
            MethodNotAllowed,
            Conflict,
            NeedsReauth,
            PayloadTooLarge,
            IdempotencyMismatch,
            TooManyRequests,
            Internal,
            ServerTimeout,
        ];
        for code in all {
            match code {
                InvalidRequest | Unauthenticated | PermissionDenied | NotFound
                | MethodNotAllowed | Conflict | NeedsReauth | PayloadTooLarge
                | IdempotencyMismatch | TooManyRequests | Internal | ServerTimeout => {}
            }
        }
        all.to_vec()
    }

    /// Each error code and its status, as the unified document's responses describe them.
    fn documented() -> BTreeMap<String, BTreeSet<u16>> {
        let doc: Value =
            serde_json::from_str(switchboard_generated::documents::UNIFIED_OPENAPI).unwrap();
        let mut out: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for code in doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
        {
            out.insert(code.as_str().unwrap().to_owned(), BTreeSet::new());
        }
        let refs: BTreeMap<String, u16> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .flat_map(|op| op["responses"].as_object().unwrap())
            .filter_map(|(status, r)| {
                Some((r.get("$ref")?.as_str()?.to_owned(), status.parse().ok()?))
            })
            .collect();
        for (reference, status) in refs {
            let name = reference.rsplit('/').next().unwrap();
            let description = doc["components"]["responses"][name]["description"]
                .as_str()
                .unwrap();
            for (code, statuses) in out.iter_mut() {
                if description.contains(&format!("`{code}`:")) {
                    statuses.insert(status);
                }
            }
        }
        out
    }

    #[test]
    fn every_error_has_one_documented_status() {
        let documented = documented();
        let mut answered: BTreeMap<String, BTreeSet<u16>> = BTreeMap::new();
        for code in every_code() {
            answered
                .entry(code.as_str().to_owned())
                .or_default()
                .insert(code.status().as_u16());
        }
        for kind in ErrorKind::ALL {
            answered
                .entry(kind.as_str().to_owned())
                .or_default()
                .insert(status_of(*kind).as_u16());
        }
        for (code, statuses) in &answered {
            assert_eq!(statuses.len(), 1, "`{code}` has several statuses");
            let Some(doc) = documented.get(code) else {
                panic!("`{code}` is not in the document's ErrorCode");
            };
            // 405 answers methods a path does not document, so no operation lists it.
            if code != "method_not_allowed" {
                assert_eq!(doc, statuses, "`{code}` is documented with another status");
            }
        }
        assert_eq!(
            documented.keys().collect::<Vec<_>>(),
            answered.keys().collect::<Vec<_>>()
        );
        // Provider-side kinds are told apart by their statuses.
        let statuses: BTreeSet<u16> = ErrorKind::ALL.iter().map(|k| k.status_code()).collect();
        assert_eq!(statuses.len(), ErrorKind::ALL.len());
        let statuses: BTreeSet<u16> = every_code().iter().map(|c| c.status().as_u16()).collect();
        assert_eq!(statuses.len(), every_code().len());
    }
}
