//! Unified list cursors: where a list call stands after one page, handed to the caller as an
//! opaque `next_cursor` and accepted back to resume. A cursor is versioned and signed
//! (HMAC-SHA256 with the client's cursor key), and bound to the call it came from (provider,
//! resource, method, request): a changed, forged, foreign or outdated cursor is refused with
//! an error that says to start the list again.
//!
//! Form: `v1.<payload>.<signature>`, both parts base64url without padding; the payload is
//! JSON.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::Request;
use crate::error::{Error, ErrorKind, Operation};
use crate::secret::Secret;

const VERSION: &str = "v1";

/// Longest cursor read (a caller's text): far above any this client issues, and bounded.
const MAX_CURSOR: usize = 64 << 10;

/// One page of a list call and where the next one starts: the unified list envelope
/// `{ "result": [...], "next_cursor": "…" | null, "result_count": n }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub result: Vec<T>,
    pub next_cursor: Option<String>,
    pub result_count: usize,
}

/// Which page of a list call to fetch: the first, or the one after an earlier page's
/// `next_cursor`, with at most `limit` records (the provider's page size when `None`). A page
/// never holds more records than the provider's page it comes from: a smaller limit splits
/// that page over several cursors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest<'a> {
    pub cursor: Option<&'a str>,
    pub limit: Option<usize>,
}

impl<'a> PageRequest<'a> {
    /// The first page.
    pub fn first() -> Self {
        Self::default()
    }

    /// The page after the one that gave `cursor`.
    pub fn after(cursor: &'a str) -> Self {
        Self {
            cursor: Some(cursor),
            limit: None,
        }
    }

    /// At most `limit` records (at least 1).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The limit, refused when it is 0.
    pub(crate) fn checked_limit(&self, provider: &str) -> Result<Option<usize>, Error> {
        match self.limit {
            Some(0) => Err(Error::new(
                ErrorKind::Validation,
                provider,
                "`limit` must be at least 1",
            )),
            limit => Ok(limit),
        }
    }
}

/// What a cursor carries: the list's position (see `paginate`), bound to its call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Payload<S> {
    /// The call: provider, resource, method and a digest of the first request.
    pub call: String,
    pub state: S,
}

/// Identifies a list call on one account: a cursor from one call cannot resume another, nor
/// the same call on another account, base URL or set of credentials (`binding`).
pub(crate) fn call_id(binding: &str, provider: &str, request: &Request) -> String {
    let mut h = Sha256::new();
    h.update(binding.as_bytes());
    h.update(b"\0");
    h.update(provider.as_bytes());
    if let Some(op) = request.operation {
        h.update(b"\0");
        h.update(op.resource.as_bytes());
        h.update(b"\0");
        h.update(op.method.as_bytes());
    }
    h.update(b"\0");
    h.update(request.method.as_str().as_bytes());
    h.update(b"\0");
    h.update(request.path.as_bytes());
    for (k, v) in &request.query {
        h.update(b"\0");
        h.update(k.as_bytes());
        h.update(b"=");
        h.update(v.as_bytes());
    }
    if let Some(body) = &request.body {
        h.update(b"\0");
        h.update(body.to_string().as_bytes());
    }
    URL_SAFE_NO_PAD.encode(&h.finalize()[..16])
}

/// Identifies a `static` list on one account (it sends no request).
pub(crate) fn fixed_id(binding: &str, provider: &str, operation: Option<Operation>) -> String {
    let mut h = Sha256::new();
    for part in [
        binding,
        provider,
        operation.map_or("", |o| o.resource),
        operation.map_or("", |o| o.method),
        "static",
    ] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    URL_SAFE_NO_PAD.encode(&h.finalize()[..16])
}

fn mac(key: &Secret, version: &str, payload: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(version.as_bytes());
    mac.update(b".");
    mac.update(payload.as_bytes());
    mac
}

pub(crate) fn encode<S: Serialize>(key: &Secret, payload: &Payload<S>) -> String {
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let body = URL_SAFE_NO_PAD.encode(json);
    let signature = URL_SAFE_NO_PAD.encode(mac(key, VERSION, &body).finalize().into_bytes());
    format!("{VERSION}.{body}.{signature}")
}

pub(crate) fn decode<S: for<'de> Deserialize<'de>>(
    provider: &str,
    key: &Secret,
    call: &str,
    cursor: &str,
) -> Result<S, Error> {
    let refuse = |why: &str| {
        Error::new(
            ErrorKind::Validation,
            provider,
            format!("the cursor cannot be used: {why}; list again without a cursor to start over"),
        )
    };
    if cursor.len() > MAX_CURSOR {
        return Err(refuse(&format!(
            "it is longer than the {} KiB a cursor may have",
            MAX_CURSOR >> 10
        )));
    }
    let mut parts = cursor.trim().splitn(3, '.');
    let (Some(version), Some(body), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(refuse("it is not a Switchboard cursor"));
    };
    if version != VERSION {
        return Err(refuse(&format!(
            "it has format `{version}`, this version reads `{VERSION}` (it is stale)"
        )));
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| refuse("its signature is not base64url"))?;
    mac(key, version, body)
        .verify_slice(&signature)
        .map_err(|_| refuse("it was altered, or signed with another cursor key"))?;
    let json = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| refuse("its payload is not base64url"))?;
    let payload: Payload<S> =
        serde_json::from_slice(&json).map_err(|_| refuse("its payload does not read"))?;
    if payload.call != call {
        return Err(refuse(
            "it was issued for another list call (another account, provider, resource or filters)",
        ));
    }
    Ok(payload.state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let key = Secret::new("k");
        let c = encode(
            &key,
            &Payload {
                call: "a".into(),
                state: 7u32,
            },
        );
        assert!(c.starts_with("v1."));
        assert_eq!(decode::<u32>("p", &key, "a", &c).ok(), Some(7));
        let message =
            |r: Result<u32, Error>| r.err().map(|e| e.message().to_owned()).unwrap_or_default();
        assert!(message(decode("p", &key, "b", &c)).contains("another list call"));
        assert!(message(decode("p", &Secret::new("other"), "a", &c)).contains("altered"));
        let forged = encode(
            &Secret::new("k"),
            &Payload {
                call: "a".into(),
                state: 8u32,
            },
        );
        let spliced = format!(
            "{}.{}",
            forged.rsplit_once('.').map(|(b, _)| b).unwrap_or(""),
            c.rsplit_once('.').map(|(_, s)| s).unwrap_or("")
        );
        assert!(message(decode("p", &key, "a", &spliced)).contains("altered"));
        assert!(message(decode("p", &key, "a", &c.replacen("v1", "v0", 1))).contains("stale"));
        assert!(message(decode("p", &key, "a", "garbage")).contains("not a Switchboard cursor"));
        assert!(message(decode("p", &key, "a", "v1.a.%%%")).contains("base64url"));
        let huge = format!("v1.{}.x", "a".repeat(MAX_CURSOR));
        assert!(message(decode("p", &key, "a", &huge)).contains("longer than the 64 KiB"));
    }
}
