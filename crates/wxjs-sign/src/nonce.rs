//! Nonces and timestamps for signatures.

use rand::Rng;
use rand::distr::Alphanumeric;
use std::time::{SystemTime, UNIX_EPOCH};

/// The length of nonces made by [`nonce_str`]: as long as the document's examples.
pub const NONCE_LEN: usize = 16;

/// A random nonce of [`NONCE_LEN`] ASCII letters and digits.
///
/// Drawn from the thread-local generator, a ChaCha stream cipher seeded from the operating
/// system: cryptographically secure, so nonces cannot be predicted from earlier ones.
#[must_use]
pub fn nonce_str() -> String {
    nonce_of_len(NONCE_LEN)
}

/// A random nonce of `len` ASCII letters and digits (WeChat Pay asks for at most 32).
#[must_use]
pub fn nonce_of_len(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Seconds since the Unix epoch, as the document's `timestamp` fields want.
#[must_use]
pub fn timestamp_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_alphanumeric_and_distinct() {
        let a = nonce_str();
        let b = nonce_str();
        assert_eq!(a.len(), NONCE_LEN);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_eq!(nonce_of_len(32).len(), 32);
    }

    #[test]
    fn timestamp_is_in_seconds() {
        // Later than 2020-01-01 and before the year 2286 (a millisecond value would exceed it).
        let t = timestamp_now();
        assert!(t > 1_577_836_800 && t < 10_000_000_000);
    }
}
