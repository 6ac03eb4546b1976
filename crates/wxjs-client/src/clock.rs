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

/// A clock read from a function of milliseconds since the epoch — how a cache follows another
/// clock (`wxjs dev` follows the simulator's: `MillisClock::new(move || sim_clock.now_millis())`).
pub struct MillisClock<F>(F);

impl<F: Fn() -> u64 + Send + Sync + 'static> MillisClock<F> {
    /// The clock `now_millis` reads.
    pub fn new(now_millis: F) -> Self {
        Self(now_millis)
    }
}

impl<F> std::fmt::Debug for MillisClock<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MillisClock")
    }
}

impl<F: Fn() -> u64 + Send + Sync + 'static> Clock for MillisClock<F> {
    fn now(&self) -> u64 {
        (self.0)() / 1000
    }

    fn now_millis(&self) -> u64 {
        (self.0)()
    }
}
