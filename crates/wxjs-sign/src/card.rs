//! Card signatures (appendix 6): the `cardExt` of `addCard` in its 2014 and later forms, the
//! `cardExt` JSON string itself, and the `cardSign` of `chooseCard`.
//!
//! All three are SHA-1 over the *values* (not `k=v` pairs) sorted in ASCII order and concatenated.
//! Empty values sort first and add nothing, so an absent `code` or `openid` is simply `""`.

use serde::Serialize;

use crate::digest::{Signed, ct_eq_hex_any_case, sha1_hex, sorted_concat};
use crate::secret::{AppSecret, CardTicket};

/// The 2014 `cardExt` signature: values of appsecret, timestamp, card_id, code, openid, balance.
#[must_use]
pub(crate) fn sign_card_ext_2014(
    appsecret: &AppSecret,
    timestamp: &str,
    card_id: &str,
    code: &str,
    openid: &str,
    balance: &str,
) -> Signed {
    let string1 = sorted_concat(&mut [
        appsecret.secret(),
        timestamp,
        card_id,
        code,
        openid,
        balance,
    ]);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// Whether `signature` is the 2014 `cardExt` signature of these inputs (hex of either case).
#[must_use]
pub(crate) fn verify_card_ext_2014(
    appsecret: &AppSecret,
    timestamp: &str,
    card_id: &str,
    code: &str,
    openid: &str,
    balance: &str,
    signature: &str,
) -> bool {
    let expected = sign_card_ext_2014(appsecret, timestamp, card_id, code, openid, balance);
    ct_eq_hex_any_case(expected.signature(), signature)
}

/// The later `cardExt` signature: values of api_ticket (`type=wx_card`), timestamp, card_id,
/// code, openid, nonce_str.
#[must_use]
pub(crate) fn sign_card_ext(
    api_ticket: &CardTicket,
    timestamp: &str,
    card_id: &str,
    code: &str,
    openid: &str,
    nonce_str: &str,
) -> Signed {
    let string1 = sorted_concat(&mut [
        api_ticket.secret(),
        timestamp,
        card_id,
        code,
        openid,
        nonce_str,
    ]);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// Whether `signature` is the later `cardExt` signature of these inputs (hex of either case).
#[must_use]
pub(crate) fn verify_card_ext(
    api_ticket: &CardTicket,
    timestamp: &str,
    card_id: &str,
    code: &str,
    openid: &str,
    nonce_str: &str,
    signature: &str,
) -> bool {
    let expected = sign_card_ext(api_ticket, timestamp, card_id, code, openid, nonce_str);
    ct_eq_hex_any_case(expected.signature(), signature)
}

/// The `cardExt` JSON string given to `addCard` for one card: the signed fields and the
/// signature. Empty optional fields are left out, as the document's table allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CardExt {
    /// The card's code, for cards with custom codes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// The only user who may take the card.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub openid: String,
    /// Seconds since the epoch, as a string: the one that was signed.
    pub timestamp: String,
    /// The nonce that was signed (later form; absent in the 2014 form).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce_str: String,
    /// Red-packet balance in fen (2014 form, `LUCKY_MONEY` cards only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub balance: String,
    /// The SHA-1 signature.
    pub signature: String,
}

impl CardExt {
    /// The JSON string `addCard` expects as `cardExt`.
    #[must_use]
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).expect("CardExt serializes")
    }
}

/// Builds the signed `cardExt` of the later form for one card.
#[must_use]
pub(crate) fn card_ext(
    api_ticket: &CardTicket,
    card_id: &str,
    code: &str,
    openid: &str,
    timestamp: &str,
    nonce_str: &str,
) -> CardExt {
    let signed = sign_card_ext(api_ticket, timestamp, card_id, code, openid, nonce_str);
    CardExt {
        code: code.to_owned(),
        openid: openid.to_owned(),
        timestamp: timestamp.to_owned(),
        nonce_str: nonce_str.to_owned(),
        balance: String::new(),
        signature: signed.into_parts().1,
    }
}

/// Builds the signed `cardExt` of the 2014 form for one card.
#[must_use]
pub(crate) fn card_ext_2014(
    appsecret: &AppSecret,
    card_id: &str,
    code: &str,
    openid: &str,
    timestamp: &str,
    balance: &str,
) -> CardExt {
    let signed = sign_card_ext_2014(appsecret, timestamp, card_id, code, openid, balance);
    CardExt {
        code: code.to_owned(),
        openid: openid.to_owned(),
        timestamp: timestamp.to_owned(),
        nonce_str: String::new(),
        balance: balance.to_owned(),
        signature: signed.into_parts().1,
    }
}

/// `cardSign` of `chooseCard`: values of api_ticket, app_id, location_id, times_tamp, nonce_str,
/// card_id, card_type. (`times_tamp` is the document's spelling.)
#[must_use]
pub(crate) fn sign_card_sign(
    api_ticket: &CardTicket,
    app_id: &str,
    location_id: &str,
    times_tamp: &str,
    nonce_str: &str,
    card_id: &str,
    card_type: &str,
) -> Signed {
    let string1 = sorted_concat(&mut [
        api_ticket.secret(),
        app_id,
        location_id,
        times_tamp,
        nonce_str,
        card_id,
        card_type,
    ]);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// Whether `signature` is the `cardSign` of these inputs (hex of either case).
#[must_use]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_card_sign(
    api_ticket: &CardTicket,
    app_id: &str,
    location_id: &str,
    times_tamp: &str,
    nonce_str: &str,
    card_id: &str,
    card_type: &str,
    signature: &str,
) -> bool {
    let expected = sign_card_sign(
        api_ticket,
        app_id,
        location_id,
        times_tamp,
        nonce_str,
        card_id,
        card_type,
    );
    ct_eq_hex_any_case(expected.signature(), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_ext_json_leaves_out_empty_optionals_and_escapes() {
        let ext = CardExt {
            code: "a\"b".into(),
            openid: String::new(),
            timestamp: "1".into(),
            nonce_str: "n".into(),
            balance: String::new(),
            signature: "s".into(),
        };
        let json = ext.to_json();
        assert_eq!(
            json,
            r#"{"code":"a\"b","timestamp":"1","nonce_str":"n","signature":"s"}"#
        );
        let back: CardExt = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ext);
    }

    #[test]
    fn card_ext_builders_sign_what_they_carry() {
        let t = CardTicket::new("ticket");
        let ext = card_ext(&t, "card", "800", "oid", "1417751808", "nonce");
        assert!(verify_card_ext(
            &t,
            &ext.timestamp,
            "card",
            &ext.code,
            &ext.openid,
            &ext.nonce_str,
            &ext.signature
        ));
        let s = AppSecret::new("456789");
        let old = card_ext_2014(&s, "345667", "23456", "", "141231233", "");
        assert_eq!(old.signature, "4f76593a4245644fae4e1bc940f6422a0c3ec03e");
    }
}
