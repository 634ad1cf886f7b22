//! Access tokens an emulator hands out (OAuth2 client credentials), with their expiry and
//! scopes, and the counters tests read; clones share them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};

#[derive(Debug, Clone, Default)]
pub struct Tokens {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Issued tokens: when each expires and the scopes it carries.
    issued: BTreeMap<String, (Instant, Vec<String>)>,
    requests: usize,
    lifetime: Option<Duration>,
}

impl Tokens {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Token requests so far (granted or not).
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    /// Counts a token request.
    pub fn requested(&self) {
        self.lock().requests += 1;
    }

    /// How long tokens issued from now on are valid (`default` when unset).
    pub fn set_lifetime(&self, lifetime: Duration) {
        self.lock().lifetime = Some(lifetime);
    }

    /// Every token issued so far expires now.
    pub fn expire_all(&self) {
        let now = Instant::now();
        for (expires, _) in self.lock().issued.values_mut() {
            *expires = now;
        }
    }

    /// A new token `<prefix>-<n>` with `scopes`, valid for the set lifetime (else `default`);
    /// returns it and its lifetime.
    pub fn issue(
        &self,
        prefix: &str,
        scopes: Vec<String>,
        default: Duration,
    ) -> (String, Duration) {
        let mut inner = self.lock();
        let lifetime = inner.lifetime.unwrap_or(default);
        let token = format!("{prefix}-{}", inner.issued.len() + 1);
        inner
            .issued
            .insert(token.clone(), (Instant::now() + lifetime, scopes));
        (token, lifetime)
    }

    /// The scopes of the request's bearer token, if it is one of ours and has not expired.
    pub fn scopes(&self, headers: &HeaderMap) -> Option<Vec<String>> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))?;
        self.lock()
            .issued
            .get(token)
            .filter(|(expires, _)| *expires > Instant::now())
            .map(|(_, scopes)| scopes.clone())
    }
}

/// An OAuth2 client-credentials token request: its form, and the client it names (HTTP Basic,
/// else `client_id` and `client_secret` in the form).
#[derive(Debug, Clone)]
pub struct TokenRequest {
    form: Vec<(String, String)>,
    pub client: Option<(String, String)>,
}

impl TokenRequest {
    pub fn parse(headers: &HeaderMap, body: &str) -> Self {
        use base64::Engine;
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())));
        let mut request = TokenRequest { form, client: None };
        request.client = basic.or_else(|| {
            Some((
                request.field("client_id")?.to_owned(),
                request.field("client_secret")?.to_owned(),
            ))
        });
        request
    }

    /// A member of the form.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request names this client.
    pub fn is_client(&self, id: &str, secret: &str) -> bool {
        self.client
            .as_ref()
            .is_some_and(|(i, s)| i == id && s == secret)
    }
}

/// One value of an enum as an API answers it, from any casing (`ON-HOLD`, `on-hold`).
pub fn canonical(value: &str, set: &'static [&'static str]) -> Option<&'static str> {
    set.iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(value.trim()))
}

/// A UTC instant to the second, as most APIs write it: `2022-11-01T01:43:29Z`.
pub fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_expire_and_carry_scopes() {
        let tokens = Tokens::default();
        tokens.requested();
        let (token, lifetime) = tokens.issue("t", vec!["a".into()], Duration::from_secs(60));
        assert_eq!((token.as_str(), lifetime.as_secs()), ("t-1", 60));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        assert_eq!(tokens.scopes(&headers), Some(vec!["a".to_owned()]));
        tokens.expire_all();
        assert_eq!(tokens.scopes(&headers), None);
        assert_eq!(tokens.requests(), 1);
        assert_eq!(canonical("on-HOLD", &["On-hold"]), Some("On-hold"));
    }
}
