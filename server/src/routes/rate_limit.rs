//! Limits on the login routes: attempts per client IP and per code, in fixed one-minute windows of this process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many keys, windows that have ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(limit: u32) -> RateLimiter {
        RateLimiter {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt for `key`; false when the key has used up its window.
    pub fn allow(&self, key: &str) -> bool {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

/// The login routes' limits.
#[derive(Debug)]
pub struct LoginLimits {
    /// Login attempts from one IP address per minute.
    pub per_ip: RateLimiter,
    /// Attempts with one code per minute (a code works once; repeats are a client bug or an attack).
    pub per_code: RateLimiter,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            per_ip: RateLimiter::new(30),
            per_code: RateLimiter::new(3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_limit_per_window() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.allow("a"));
        assert!(limiter.allow("a"));
        assert!(!limiter.allow("a"));
        assert!(limiter.allow("b"), "keys are counted apart");
    }
}
