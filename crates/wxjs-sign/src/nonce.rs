//! Nonces and timestamps for signatures.

use rand::RngCore;
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

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^10 < 2^64: each random `u64` below the largest multiple of 62^10 yields ten uniform digits.
const DIGITS_PER_WORD: usize = 10;
const SPAN: u64 = 62u64.pow(DIGITS_PER_WORD as u32);
const ZONE: u64 = u64::MAX - (u64::MAX % SPAN);

/// A random nonce of `len` ASCII letters and digits (WeChat Pay asks for at most 32).
///
/// Each 64-bit draw gives ten base-62 digits; draws at or above the largest multiple of 62^10 are
/// rejected (one in about 2.3 million), so every character is uniform.
#[must_use]
pub fn nonce_of_len(len: usize) -> String {
    let mut out = String::with_capacity(len);
    push_nonce(&mut out, len);
    out
}

/// Appends a random nonce of `len` ASCII letters and digits to `out`, drawn as in
/// [`nonce_of_len`] (for a nonce that is part of a longer string, without a second buffer).
pub fn push_nonce(out: &mut String, len: usize) {
    let mut rng = rand::rng();
    let mut chunk = [0u8; DIGITS_PER_WORD];
    let mut left = len;
    while left > 0 {
        let n = left.min(DIGITS_PER_WORD);
        let mut word = loop {
            let w = rng.next_u64();
            if w < ZONE {
                break w % SPAN;
            }
        };
        for c in &mut chunk[..n] {
            *c = ALPHABET[(word % 62) as usize];
            word /= 62;
        }
        out.push_str(std::str::from_utf8(&chunk[..n]).expect("the alphabet is ASCII"));
        left -= n;
    }
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
    fn push_nonce_appends_exactly_len_characters() {
        for len in [0, 1, 9, 10, 11, 20, 32] {
            let mut s = String::from("ab");
            push_nonce(&mut s, len);
            assert_eq!(s.len(), 2 + len);
            assert!(s.starts_with("ab"));
            assert!(s.bytes().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    /// Each run of ten characters comes from its own draw: a nonce longer than ten never
    /// repeats its first ten.
    #[test]
    fn every_ten_characters_are_drawn_afresh() {
        for _ in 0..1000 {
            let n = nonce_of_len(20);
            assert_ne!(n[..10], n[10..], "{n}");
        }
    }

    #[test]
    fn every_character_turns_up() {
        // 62 symbols over 20,000 draws: each is expected about 320 times.
        let all: String = (0..1250).map(|_| nonce_str()).collect();
        for c in ALPHABET {
            assert!(all.as_bytes().contains(c), "{} never drawn", char::from(*c));
        }
    }

    #[test]
    fn timestamp_is_in_seconds() {
        // Later than 2020-01-01 and before the year 2286 (a millisecond value would exceed it).
        let t = timestamp_now();
        assert!(t > 1_577_836_800 && t < 10_000_000_000);
    }
}
