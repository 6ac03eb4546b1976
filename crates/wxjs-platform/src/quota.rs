//! When quotas reset: daily call quotas at midnight Beijing time (UTC+8, no daylight saving),
//! per-minute limits at the next full minute (`platform.md`).

/// Beijing time's offset from UTC, in seconds.
pub const BEIJING_OFFSET_SECS: u64 = 8 * 3600;

const DAY: u64 = 86_400;

/// The Beijing day number of a time (days since 1970-01-01 in Beijing): a daily quota counts
/// calls within one such day.
#[must_use]
pub fn beijing_day(now: u64) -> u64 {
    (now + BEIJING_OFFSET_SECS) / DAY
}

/// The next midnight in Beijing after `now`, when daily quotas reset.
#[must_use]
pub fn next_beijing_midnight(now: u64) -> u64 {
    (beijing_day(now) + 1) * DAY - BEIJING_OFFSET_SECS
}

/// The next full minute after `now`, when a per-minute limit resets.
#[must_use]
pub fn next_minute(now: u64) -> u64 {
    (now / 60 + 1) * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_quotas_reset_at_beijing_midnight() {
        // 2026-11-27 15:59:59 UTC is 23:59:59 in Beijing; a second later it is the next day.
        let before = 1_795_795_199;
        assert_eq!(beijing_day(before) + 1, beijing_day(before + 1));
        assert_eq!(next_beijing_midnight(before), before + 1);
        assert_eq!(next_beijing_midnight(before + 1), before + 1 + DAY);
        assert_eq!(next_minute(120), 180);
        assert_eq!(next_minute(179), 180);
    }
}
