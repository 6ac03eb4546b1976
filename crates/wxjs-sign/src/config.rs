//! The `wx.config` signature (appendix 1) and the `addrSign` of `editAddress` (appendix 4).

use crate::digest::{Signed, ct_eq, sha1_hex, sha1_hex_of, sorted_kv};
use crate::secret::{AccessToken, JsapiTicket};

/// `signature` for `wx.config`: SHA-1 over
/// `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`, lower-case hex.
///
/// `url` is signed byte for byte — no decoding, no re-encoding, no added `/` — except that a
/// `#…` part is cut off, as appendix 1 says. Pass [`PageUrl::for_signing`](crate::PageUrl::for_signing)
/// for a validated URL. (Public as [`ConfigParams::sign`](crate::ConfigParams::sign).)
#[must_use]
pub(crate) fn sign_config(
    ticket: &JsapiTicket,
    noncestr: &str,
    timestamp: u64,
    url: &str,
) -> Signed {
    let url = strip_fragment(url);
    let ts = itoa_buf(timestamp);
    let string1 = config_string1(ticket.secret(), noncestr, ts.as_str(), url);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// The same signature as [`sign_config`], without keeping `string1`. (Public as
/// [`ConfigParams::signature`](crate::ConfigParams::signature).)
#[must_use]
pub(crate) fn config_signature(
    ticket: &JsapiTicket,
    noncestr: &str,
    timestamp: u64,
    url: &str,
) -> String {
    sign_config_raw(ticket, noncestr, timestamp, strip_fragment(url))
}

/// The config signature over `url` exactly as given, fragment and all: what a server that
/// forgot to cut the fragment computed (the diagnosis needs it), and the step after the cut.
/// SHA-1 is fed the pieces of `string1` in turn, without joining them.
pub(crate) fn sign_config_raw(
    ticket: &JsapiTicket,
    noncestr: &str,
    timestamp: u64,
    url: &str,
) -> String {
    let ts = itoa_buf(timestamp);
    sha1_hex_of(&[
        b"jsapi_ticket=",
        ticket.secret().as_bytes(),
        b"&noncestr=",
        noncestr.as_bytes(),
        b"&timestamp=",
        ts.as_str().as_bytes(),
        b"&url=",
        url.as_bytes(),
    ])
}

/// Whether `signature` is the config signature of these inputs (lower-case hex, as the client
/// computes it; compared in constant time).
#[must_use]
pub(crate) fn verify_config(
    ticket: &JsapiTicket,
    noncestr: &str,
    timestamp: u64,
    url: &str,
    signature: &str,
) -> bool {
    ct_eq(
        &config_signature(ticket, noncestr, timestamp, url),
        signature,
    )
}

/// `addrSign` (appendix 4): SHA-1 over `accesstoken=…&appid=…&noncestr=…&timestamp=…&url=…`,
/// lower-case hex, where `accesstoken` is the user's OAuth access token. The URL is signed as
/// given, like the config signature's.
#[must_use]
pub(crate) fn sign_addr(
    appid: &str,
    url: &str,
    timestamp: &str,
    noncestr: &str,
    accesstoken: &AccessToken,
) -> Signed {
    let string1 = sorted_kv(&mut [
        ("appid", appid),
        ("url", url),
        ("timestamp", timestamp),
        ("noncestr", noncestr),
        ("accesstoken", accesstoken.secret()),
    ]);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// Whether `signature` is the `addrSign` of these inputs (hex of either case).
#[must_use]
pub(crate) fn verify_addr(
    appid: &str,
    url: &str,
    timestamp: &str,
    noncestr: &str,
    accesstoken: &AccessToken,
    signature: &str,
) -> bool {
    let expected = sign_addr(appid, url, timestamp, noncestr, accesstoken);
    crate::digest::ct_eq_hex_any_case(expected.signature(), signature)
}

/// The part of a URL before `#`.
pub(crate) fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

/// `string1` of appendix 1, built directly: the four keys are already in ASCII order.
pub(crate) fn config_string1(ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    const KEYS: usize = "jsapi_ticket=&noncestr=&timestamp=&url=".len();
    let mut s =
        String::with_capacity(KEYS + ticket.len() + noncestr.len() + timestamp.len() + url.len());
    s.push_str("jsapi_ticket=");
    s.push_str(ticket);
    s.push_str("&noncestr=");
    s.push_str(noncestr);
    s.push_str("&timestamp=");
    s.push_str(timestamp);
    s.push_str("&url=");
    s.push_str(url);
    s
}

/// A small stack buffer for formatting a `u64` without allocating.
struct ItoaBuf {
    buf: [u8; 20],
    start: usize,
}

impl ItoaBuf {
    fn as_str(&self) -> &str {
        // Only ASCII digits are written.
        std::str::from_utf8(&self.buf[self.start..]).expect("ASCII digits")
    }
}

fn itoa_buf(mut n: u64) -> ItoaBuf {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    ItoaBuf { buf, start: i }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        for n in [0u64, 7, 1_414_587_457, u64::MAX] {
            assert_eq!(itoa_buf(n).as_str(), n.to_string());
        }
    }

    #[test]
    fn fragment_is_cut() {
        let t = JsapiTicket::new("t");
        assert_eq!(
            sign_config(&t, "n", 1, "http://a/b?c#d").signature(),
            sign_config(&t, "n", 1, "http://a/b?c").signature()
        );
        assert_eq!(
            sign_config(&t, "n", 1, "http://a/#").string1(),
            "jsapi_ticket=t&noncestr=n&timestamp=1&url=http://a/"
        );
    }
}
