//! Writes that are safe to retry: with an `Idempotency-Key` header, the first answer is
//! stored per account and key (in the store, so every replica sees it) and a replay returns
//! it unchanged, marked `Idempotent-Replayed: true`.

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::app::{App, now};
use crate::error::{ApiError, Code};
use crate::store::Claim;
use crate::unified::answer_of;

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a stored answer is kept.
pub const RETENTION: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// What makes two requests the same: the method, the route, the record and the input.
pub fn fingerprint(method: &Method, route: &str, id: Option<&str>, input: &Value) -> Vec<u8> {
    let mut hash = Sha256::new();
    for part in [method.as_str(), route, id.unwrap_or("")] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    // serde_json's maps are sorted, so equal inputs serialize equally.
    hash.update(input.to_string().as_bytes());
    hash.finalize().to_vec()
}

fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid(
                "`Idempotency-Key` must be 1 to 255 visible ASCII characters, such as a UUID",
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// Runs a write once per `Idempotency-Key` (or every time without one).
pub async fn once<F>(
    app: &App,
    account: &str,
    headers: &HeaderMap,
    fingerprint: &[u8],
    write: F,
) -> Result<Response, ApiError>
where
    F: Future<Output = (StatusCode, Value)>,
{
    let Some(key) = key_of(headers)? else {
        let (status, value) = write.await;
        return Ok(answer_of(status, &value));
    };
    let mismatch = || {
        ApiError::new(
            Code::IdempotencyMismatch,
            format!(
                "Idempotency-Key `{key}` was used with a different request; use a new key for a \
                 new request"
            ),
        )
    };
    match app
        .store
        .claim(account, &key, fingerprint, &now())
        .await
        .map_err(|e| ApiError::internal("claiming an idempotency key", e))?
    {
        Claim::Fresh => {}
        Claim::Done {
            request_hash,
            status,
            body,
        } => {
            if request_hash != fingerprint {
                return Err(mismatch());
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::internal("reading a stored answer", e))?;
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = answer_of(status, &value);
            response
                .headers_mut()
                .insert(REPLAYED, HeaderValue::from_static("true"));
            return Ok(response);
        }
        Claim::Running { request_hash } => {
            if request_hash != fingerprint {
                return Err(mismatch());
            }
            return Err(ApiError::new(
                Code::Conflict,
                format!(
                    "a request with Idempotency-Key `{key}` is still running; retry it once that \
                     one has answered"
                ),
            ));
        }
    }
    // A write dropped before it answers (the call timed out) leaves its claim `running` until
    // it expires: whether the provider acted cannot be known, so it is not run again.
    let (status, value) = write.await;
    let body =
        serde_json::to_vec(&value).map_err(|e| ApiError::internal("storing an answer", e))?;
    app.store
        .complete(account, &key, status.as_u16(), &body)
        .await
        .map_err(|e| ApiError::internal("storing an idempotent answer", e))?;
    Ok(answer_of(status, &value))
}
