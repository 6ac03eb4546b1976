//! WeChat Pay's rules that the merchant API's client and the simulator both hold to
//! (`pay.md`).

/// Whether `no` is a valid merchant order number (`out_trade_no`): 1 to 32 letters, digits,
/// `_ - | *`.
#[must_use]
pub fn valid_out_trade_no(no: &str) -> bool {
    !no.is_empty()
        && no.len() <= 32
        && no
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'|' | b'*'))
}

/// The largest amount WeChat Pay takes: its fee fields are 32-bit integers of fen.
pub const MAX_FEE: u64 = i32::MAX as u64;

/// A fee field of v2 (`total_fee`, `product_fee`…): digits only — no sign, no space, no
/// decimal point (Rust's own `parse` takes `+5`) — and at most [`MAX_FEE`].
#[must_use]
pub fn parse_fee(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|n| *n <= MAX_FEE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_are_digits_only() {
        assert_eq!(parse_fee("150"), Some(150));
        assert_eq!(parse_fee("2147483647"), Some(MAX_FEE));
        for bad in [
            "",
            "+1",
            "+0001",
            "-1",
            " 1",
            "1.5",
            "2147483648",
            "18446744073709551616",
        ] {
            assert_eq!(parse_fee(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn order_numbers() {
        assert!(valid_out_trade_no("o-2014_1|a*"));
        assert!(valid_out_trade_no(&"9".repeat(32)));
        for bad in ["", "o 1", "订单", "o/1", &"9".repeat(33)] {
            assert!(!valid_out_trade_no(bad), "{bad:?}");
        }
    }
}
