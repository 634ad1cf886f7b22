//! When to send a request again, and how fast an account may send: the retry policy (backoff
//! with jitter, `Retry-After`, bounds in attempts and time) and the client-side rate limiter
//! built from a provider's declared limit.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How a failed request is sent again. Retried: 429 (after `Retry-After` or the reset header
/// when the provider sends one), 500/502/503/504, connection failures and timeouts. Requests
/// that are not idempotent (`POST`, `PATCH`) are retried on 429 only (the provider refused them
/// before acting), unless their method is declared `retry_safe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts of one request, the first included (1: no retries).
    pub max_attempts: u32,
    /// The first backoff; each next one doubles, up to `max_backoff`, with full jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Total time one request may take with its retries and waits; a wait that would end
    /// past it is not started (the error is returned instead, with its `retry_after`).
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before attempt `attempt + 1` (`attempt` counts from 1): exponential, with
    /// full jitter (a random point between zero and the exponential bound).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let bound = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff);
        bound.mul_f64(fastrand::f64())
    }
}

/// A provider's declared request budget: `requests` per `per_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: u32,
}

/// A client-side limiter for one account (GCRA): requests are spaced so that no window of
/// `per_seconds` holds more than `requests`, with bursts up to the whole budget.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    burst: Duration,
    /// The theoretical arrival time of the next request.
    next: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Option<Self> {
        if limit.requests == 0 || limit.per_seconds == 0 {
            return None;
        }
        let window = Duration::from_secs(u64::from(limit.per_seconds));
        let interval = window / limit.requests;
        Some(Limiter {
            interval,
            burst: window.saturating_sub(interval),
            next: Mutex::new(None),
        })
    }

    /// Waits until one more request fits the budget, and counts it.
    pub(crate) async fn acquire(&self) {
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let tat = next.map_or(now, |t| t.max(now));
            let allowed_at = tat.checked_sub(self.burst).unwrap_or(now);
            *next = Some(tat + self.interval);
            allowed_at.saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// How long the provider asks to wait, from `Retry-After` (seconds or an HTTP date) or, when
/// absent, a reset header (`X-RateLimit-Reset` / `RateLimit-Reset`: a Unix time, or seconds
/// from now when the number is small).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let now = SystemTime::now();
    if let Some(v) = header("retry-after") {
        if let Ok(seconds) = v.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = jiff::fmt::rfc2822::parse(v) {
            return Some(until(now, at.timestamp()));
        }
    }
    let reset = header("x-ratelimit-reset").or_else(|| header("ratelimit-reset"))?;
    let n = reset.parse::<u64>().ok()?;
    // Unix times are large; a small number is a delay in seconds.
    if n < 1_000_000_000 {
        return Some(Duration::from_secs(n));
    }
    let at = jiff::Timestamp::from_second(i64::try_from(n).ok()?).ok()?;
    Some(until(now, at))
}

fn until(now: SystemTime, at: jiff::Timestamp) -> Duration {
    SystemTime::from(at)
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                *k,
                HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")),
            );
        }
        h
    }

    #[test]
    fn retry_after_in_seconds_dates_and_reset_headers() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        let in_a_minute = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&in_a_minute)
            .unwrap_or_default();
        let wait = retry_after(&headers(&[("retry-after", &date)])).unwrap_or_default();
        assert!((55..=60).contains(&wait.as_secs()), "{wait:?} from {date}");
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Mon, 01 Jan 2001 00:00:00 GMT"
            )])),
            Some(Duration::ZERO)
        );
        let reset = (jiff::Timestamp::now().as_second() + 30).to_string();
        let wait = retry_after(&headers(&[("x-ratelimit-reset", &reset)])).unwrap_or_default();
        assert!((28..=30).contains(&wait.as_secs()), "{wait:?}");
        assert_eq!(
            retry_after(&headers(&[("ratelimit-reset", "12")])),
            Some(Duration::from_secs(12))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let bound = (p.initial_backoff * 2u32.pow((attempt - 1).min(20))).min(p.max_backoff);
            assert!(p.backoff(attempt) <= bound);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_requests_after_a_burst() {
        let limiter = Limiter::new(RateLimit {
            requests: 4,
            per_seconds: 2,
        })
        .unwrap_or_else(|| unreachable!());
        let start = Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        // The whole budget goes at once...
        assert!(start.elapsed() < Duration::from_millis(1));
        // ...then one request every 500 ms.
        limiter.acquire().await;
        assert_eq!(start.elapsed().as_millis(), 500);
        limiter.acquire().await;
        assert_eq!(start.elapsed().as_millis(), 1000);
        // After a quiet window, the burst is back.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let again = Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert!(again.elapsed() < Duration::from_millis(1));
        assert!(
            Limiter::new(RateLimit {
                requests: 0,
                per_seconds: 1
            })
            .is_none()
        );
    }
}
