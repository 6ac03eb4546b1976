//! The cache's clock, injectable so that tests (and `wxjs dev`, which follows the simulator's
//! clock) decide what "now" is.

use std::time::{SystemTime, UNIX_EPOCH};

/// Time as the credential cache sees it: lifetimes, refresh times and backoff windows all
/// follow this one clock, so that a test (or `wxjs dev`, which follows the simulator) that moves
/// it moves every rule at once.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> u64;

    /// Milliseconds since the Unix epoch (backoff windows are shorter than a second).
    fn now_millis(&self) -> u64 {
        self.now().saturating_mul(1000)
    }
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn now_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}
