//! A per-minute request budget for emulators whose provider answers 429 past a limit.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Requests a minute (fixed windows); clones share the count. Unlimited by default.
#[derive(Debug, Clone, Default)]
pub struct Throttle {
    limit: Option<u32>,
    window: Arc<Mutex<Option<(Instant, u32)>>>,
}

impl Throttle {
    pub fn per_minute(limit: u32) -> Self {
        Throttle {
            limit: Some(limit),
            window: Arc::default(),
        }
    }

    pub fn limit(&self) -> Option<u32> {
        self.limit
    }

    /// Counts one request: `Ok(remaining)` within the budget, `Err(retry_after_seconds)` past it.
    pub fn admit(&self) -> Result<u32, u64> {
        let Some(limit) = self.limit else {
            return Ok(u32::MAX);
        };
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (started, used) = window
            .filter(|(started, _)| started.elapsed() < Duration::from_secs(60))
            .unwrap_or((Instant::now(), 0));
        if used >= limit {
            *window = Some((started, used));
            return Err(60u64.saturating_sub(started.elapsed().as_secs()).max(1));
        }
        *window = Some((started, used + 1));
        Ok(limit - used - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_a_minute() {
        let t = Throttle::per_minute(2);
        assert_eq!(t.admit(), Ok(1));
        assert_eq!(t.clone().admit(), Ok(0), "clones share the count");
        let wait = t.admit().unwrap_err();
        assert!((1..=60).contains(&wait));
        assert_eq!(Throttle::default().admit(), Ok(u32::MAX));
    }
}
