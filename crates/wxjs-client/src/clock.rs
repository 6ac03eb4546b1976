//! The cache's clock, injectable so that tests (and `wxjs dev`, which follows the simulator's
//! clock) decide what "now" is.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as the credential cache sees them.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now.
    fn now(&self) -> u64;
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
}
