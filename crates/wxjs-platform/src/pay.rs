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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers() {
        assert!(valid_out_trade_no("o-2014_1|a*"));
        assert!(valid_out_trade_no(&"9".repeat(32)));
        for bad in ["", "o 1", "订单", "o/1", &"9".repeat(33)] {
            assert!(!valid_out_trade_no(bad), "{bad:?}");
        }
    }
}
