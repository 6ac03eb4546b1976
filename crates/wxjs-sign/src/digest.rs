//! The building blocks every signature shares: `string1` assembly, digests, and
//! constant-time comparison of signatures.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A computed signature together with the string it was computed over.
///
/// `string1` usually holds a secret (a ticket or a key), so `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    string1: String,
    signature: String,
}

impl Signed {
    pub(crate) fn new(string1: String, signature: String) -> Self {
        Self { string1, signature }
    }

    /// The exact string that was signed (the sandbox page's "string1"). It may contain the
    /// ticket or key: show it to the person who asked, never log it.
    #[must_use]
    pub fn string1(&self) -> &str {
        &self.string1
    }

    /// The signature, in the form the document gives (lower- or upper-case hex, or base64).
    #[must_use]
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Splits into `(string1, signature)`.
    #[must_use]
    pub fn into_parts(self) -> (String, String) {
        (self.string1, self.signature)
    }
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("string1", &"[redacted]")
            .field("signature", &self.signature)
            .finish()
    }
}

/// Joins `key=value` pairs with `&` after sorting them by key in ASCII order: the `string1` of
/// appendix 1 (and of appendices 4 and 5). Values are taken raw, never escaped.
pub(crate) fn sorted_kv(pairs: &mut [(&str, &str)]) -> String {
    pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let len = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(len);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Sorts values in ASCII order and concatenates them: the card signatures of appendix 6.
pub(crate) fn sorted_concat(values: &mut [&str]) -> String {
    values.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    values.concat()
}

pub(crate) fn sha1_hex(data: &[u8]) -> String {
    sha1_hex_of(&[data])
}

/// SHA-1 over the concatenation of `parts`, lower-case hex, without joining them first.
pub(crate) fn sha1_hex_of(parts: &[&[u8]]) -> String {
    let mut sha = Sha1::new();
    for part in parts {
        sha.update(part);
    }
    to_hex(&sha.finalize(), LOWER)
}

pub(crate) fn md5_hex_upper(data: &[u8]) -> String {
    to_hex(&Md5::digest(data), UPPER)
}

const LOWER: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Hex of a digest. A plain table loop: `hex::encode` costs more than the SHA-1 it follows
/// (measured in `benches/sign.rs`).
fn to_hex(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut buf = [0u8; 64];
    let out = &mut buf[..bytes.len() * 2];
    for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = digits[usize::from(b >> 4)];
        pair[1] = digits[usize::from(b & 15)];
    }
    std::str::from_utf8(out)
        .expect("hex digits are ASCII")
        .to_owned()
}

pub(crate) fn hmac_sha256_hex_upper(key: &[u8], data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    to_hex(&mac.finalize().into_bytes(), UPPER)
}

/// Compares two signatures byte for byte, in time independent of where they differ.
pub(crate) fn ct_eq(expected: &str, given: &str) -> bool {
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// Compares two hex signatures ignoring ASCII case, in time independent of where they differ.
pub(crate) fn ct_eq_hex_any_case(expected: &str, given: &str) -> bool {
    let a = expected.to_ascii_lowercase();
    let b = given.to_ascii_lowercase();
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_kv_sorts_by_ascii_key() {
        let mut pairs = [("url", "u"), ("Timestamp", "1"), ("a_b", "x"), ("aB", "y")];
        // ASCII: upper case before `_` before lower case.
        assert_eq!(sorted_kv(&mut pairs), "Timestamp=1&aB=y&a_b=x&url=u");
    }

    #[test]
    fn comparisons() {
        assert!(ct_eq("ABC", "ABC"));
        assert!(!ct_eq("ABC", "abc"));
        assert!(ct_eq_hex_any_case("ABC", "abc"));
        assert!(!ct_eq_hex_any_case("ABC", "abd"));
        assert!(!ct_eq("", "a"));
    }
}
