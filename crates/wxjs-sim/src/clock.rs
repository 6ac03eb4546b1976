//! The simulator's clock: real time plus an offset that `/__sim/clock/advance` moves. Every
//! lifetime (tokens, tickets, codes, media, quotas) is measured on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A shareable clock; clones see the same offset.
#[derive(Clone, Debug, Default)]
pub struct SimClock {
    offset_secs: Arc<AtomicI64>,
}

impl SimClock {
    /// A clock at real time.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Seconds since the epoch, on the simulator's clock.
    #[must_use]
    pub fn now(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        real.saturating_add_signed(self.offset_secs.load(Ordering::SeqCst))
    }

    /// Milliseconds since the epoch, on the simulator's clock.
    #[must_use]
    pub fn now_millis(&self) -> u64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        real.saturating_add_signed(self.offset_secs.load(Ordering::SeqCst).saturating_mul(1000))
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: u64) {
        let secs = i64::try_from(secs).unwrap_or(i64::MAX);
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
    }

    /// The offset from real time.
    #[must_use]
    pub fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// Sets the offset (restoring persisted state, or a reset).
    pub fn set_offset(&self, secs: i64) {
        self.offset_secs.store(secs, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_offset() {
        let a = SimClock::new();
        let b = a.clone();
        let before = b.now();
        a.advance(7200);
        assert!(b.now() >= before + 7200);
        assert_eq!(b.offset(), 7200);
    }
}
