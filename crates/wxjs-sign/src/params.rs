//! The inputs of each page-facing signature as a struct with named fields, so that a nonce and
//! a timestamp cannot trade places: build the struct, then `sign` or `verify` with the key.

use crate::digest::Signed;
use crate::secret::{AccessToken, JsapiTicket, PayApiKey, PaySignKey};

/// What `wx.config` signs (appendix 1): the page URL (its `#…` is cut off), the timestamp and
/// the nonce.
///
/// ```
/// use wxjs_sign::{ConfigParams, JsapiTicket};
/// let ticket = JsapiTicket::new("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg");
/// let params = ConfigParams {
///     url: "http://mp.weixin.qq.com",
///     timestamp: 1414587457,
///     nonce_str: "Wm3WZYTPz0wzccnW",
/// };
/// let signed = params.sign(&ticket);
/// assert_eq!(signed.signature(), "f4d90daf4b3bca3078ab155816175ba34c443a7b");
/// assert_eq!(params.signature(&ticket), signed.signature());
/// assert!(params.verify(&ticket, signed.signature()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigParams<'a> {
    /// The page URL, byte for byte (pass [`PageUrl::for_signing`](crate::PageUrl::for_signing)
    /// for a validated one).
    pub url: &'a str,
    /// Seconds since the epoch.
    pub timestamp: u64,
    /// `nonceStr`.
    pub nonce_str: &'a str,
}

impl ConfigParams<'_> {
    /// The `signature` (SHA-1, lower-case hex) and the string it was computed over.
    #[must_use]
    pub fn sign(&self, ticket: &JsapiTicket) -> Signed {
        crate::config::sign_config(ticket, self.nonce_str, self.timestamp, self.url)
    }

    /// The `signature` alone: the same as `sign(ticket).signature()`, without building and
    /// keeping the string it is computed over (what a server issuing configs needs).
    #[must_use]
    pub fn signature(&self, ticket: &JsapiTicket) -> String {
        crate::config::config_signature(ticket, self.nonce_str, self.timestamp, self.url)
    }

    /// Whether `signature` is right (compared in constant time).
    #[must_use]
    pub fn verify(&self, ticket: &JsapiTicket, signature: &str) -> bool {
        crate::config::verify_config(ticket, self.nonce_str, self.timestamp, self.url, signature)
    }
}

/// What `editAddress`'s `addrSign` signs (appendix 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrParams<'a> {
    /// `appId`.
    pub app_id: &'a str,
    /// The page URL, with the `code` and `state` of web authorisation.
    pub url: &'a str,
    /// `timeStamp`, as the page sends it.
    pub timestamp: &'a str,
    /// `nonceStr`.
    pub nonce_str: &'a str,
}

impl AddrParams<'_> {
    /// The `addrSign` (SHA-1, lower-case hex) under the user's web-authorisation access token.
    #[must_use]
    pub fn sign(&self, access_token: &AccessToken) -> Signed {
        crate::config::sign_addr(
            self.app_id,
            self.url,
            self.timestamp,
            self.nonce_str,
            access_token,
        )
    }

    /// Whether `signature` is right (hex in either case, compared in constant time).
    #[must_use]
    pub fn verify(&self, access_token: &AccessToken, signature: &str) -> bool {
        crate::config::verify_addr(
            self.app_id,
            self.url,
            self.timestamp,
            self.nonce_str,
            access_token,
            signature,
        )
    }
}

/// The four fields of `chooseWXPay` that `paySign` covers, in every form.
///
/// ```
/// use wxjs_sign::{PayApiKey, PayParams, PaySignType};
/// let pay = PayParams {
///     app_id: "wxd678efh567hg6787",
///     time_stamp: "1490840662",
///     nonce_str: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
///     package: "prepay_id=wx2017033010242291fcfe0db70013231072",
/// };
/// let key = PayApiKey::new("qazwsxedcrfvtgbyhnujmikolp111111");
/// let signed = pay.sign_v2(PaySignType::Md5, &key);
/// assert!(pay.verify_v2(PaySignType::Md5, &key, signed.signature()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayParams<'a> {
    /// `appId`.
    pub app_id: &'a str,
    /// `timeStamp`, as the page sends it.
    pub time_stamp: &'a str,
    /// `nonceStr`.
    pub nonce_str: &'a str,
    /// `package`: the 2014 package, or `prepay_id=…`.
    pub package: &'a str,
}

impl PayParams<'_> {
    /// The document's 2014 `paySign` (SHA-1 with the paySignKey; `signType: "SHA1"`).
    #[must_use]
    pub fn sign_2014(&self, key: &PaySignKey) -> Signed {
        crate::pay::sign_pay_v1(
            self.app_id,
            key,
            self.nonce_str,
            self.package,
            self.time_stamp,
        )
    }

    /// Whether a 2014 `paySign` is right.
    #[must_use]
    pub fn verify_2014(&self, key: &PaySignKey, signature: &str) -> bool {
        crate::pay::verify_pay_v1(
            self.app_id,
            key,
            self.nonce_str,
            self.package,
            self.time_stamp,
            signature,
        )
    }

    /// The v2 `paySign` (MD5 or HMAC-SHA256 with the API key).
    #[must_use]
    pub fn sign_v2(&self, sign_type: crate::PaySignType, key: &PayApiKey) -> Signed {
        crate::pay::sign_pay_v2(
            self.app_id,
            self.time_stamp,
            self.nonce_str,
            self.package,
            sign_type,
            key,
        )
    }

    /// Whether a v2 `paySign` is right.
    #[must_use]
    pub fn verify_v2(
        &self,
        sign_type: crate::PaySignType,
        key: &PayApiKey,
        signature: &str,
    ) -> bool {
        crate::pay::verify_pay_v2(
            self.app_id,
            self.time_stamp,
            self.nonce_str,
            self.package,
            sign_type,
            key,
            signature,
        )
    }

    /// The string v3 signs: `appId\ntimeStamp\nnonceStr\npackage\n`.
    #[must_use]
    pub fn v3_string1(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}\n",
            self.app_id, self.time_stamp, self.nonce_str, self.package
        )
    }

    /// The v3 `paySign` (SHA256withRSA with the merchant's private key, base64;
    /// `signType: "RSA"`).
    #[cfg(feature = "pay-v3")]
    pub fn sign_v3(&self, key: &crate::PrivateKeyPem) -> Result<Signed, crate::RsaKeyError> {
        crate::pay::sign_pay_v3(self, key)
    }

    /// Whether a v3 `paySign` verifies with the merchant's public key (PEM, SPKI or PKCS#1).
    #[cfg(feature = "pay-v3")]
    pub fn verify_v3(
        &self,
        public_key_pem: &str,
        signature: &str,
    ) -> Result<bool, crate::RsaKeyError> {
        crate::pay::verify_pay_v3(self, public_key_pem, signature)
    }
}

/// What a `cardExt` signature (appendix 6, with the card `api_ticket`) covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardExtParams<'a> {
    /// The card.
    pub card_id: &'a str,
    /// The code, for cards with custom codes (else empty).
    pub code: &'a str,
    /// The user it is for, for cards bound to one (else empty).
    pub openid: &'a str,
    /// Seconds since the epoch, as text.
    pub timestamp: &'a str,
    /// `nonce_str`.
    pub nonce_str: &'a str,
}

impl CardExtParams<'_> {
    /// The signature (SHA-1 over the sorted values with the card ticket).
    #[must_use]
    pub fn sign(&self, api_ticket: &crate::CardTicket) -> Signed {
        crate::card::sign_card_ext(
            api_ticket,
            self.timestamp,
            self.card_id,
            self.code,
            self.openid,
            self.nonce_str,
        )
    }

    /// Whether `signature` is right (hex in either case, constant time).
    #[must_use]
    pub fn verify(&self, api_ticket: &crate::CardTicket, signature: &str) -> bool {
        crate::card::verify_card_ext(
            api_ticket,
            self.timestamp,
            self.card_id,
            self.code,
            self.openid,
            self.nonce_str,
            signature,
        )
    }

    /// The signed `cardExt` for `addCard`.
    #[must_use]
    pub fn card_ext(&self, api_ticket: &crate::CardTicket) -> crate::CardExt {
        crate::card::card_ext(
            api_ticket,
            self.card_id,
            self.code,
            self.openid,
            self.timestamp,
            self.nonce_str,
        )
    }
}

/// What the document's 2014 `cardExt` signature (with the appsecret) covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardExt2014Params<'a> {
    /// The card.
    pub card_id: &'a str,
    /// The code (else empty).
    pub code: &'a str,
    /// The user (else empty).
    pub openid: &'a str,
    /// Seconds since the epoch, as text.
    pub timestamp: &'a str,
    /// The balance of a stored-value card (else empty).
    pub balance: &'a str,
}

impl CardExt2014Params<'_> {
    /// The signature (SHA-1 over the sorted values with the appsecret).
    #[must_use]
    pub fn sign(&self, app_secret: &crate::AppSecret) -> Signed {
        crate::card::sign_card_ext_2014(
            app_secret,
            self.timestamp,
            self.card_id,
            self.code,
            self.openid,
            self.balance,
        )
    }

    /// Whether `signature` is right (hex in either case, constant time).
    #[must_use]
    pub fn verify(&self, app_secret: &crate::AppSecret, signature: &str) -> bool {
        crate::card::verify_card_ext_2014(
            app_secret,
            self.timestamp,
            self.card_id,
            self.code,
            self.openid,
            self.balance,
            signature,
        )
    }

    /// The signed `cardExt` for `addCard`.
    #[must_use]
    pub fn card_ext(&self, app_secret: &crate::AppSecret) -> crate::CardExt {
        crate::card::card_ext_2014(
            app_secret,
            self.card_id,
            self.code,
            self.openid,
            self.timestamp,
            self.balance,
        )
    }
}

/// What `chooseCard`'s `cardSign` covers (appendix 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardSignParams<'a> {
    /// `appId`.
    pub app_id: &'a str,
    /// `shopId`/`location_id` (else empty).
    pub location_id: &'a str,
    /// `timestamp` (the document spells the field `times_tamp`).
    pub timestamp: &'a str,
    /// `nonceStr`.
    pub nonce_str: &'a str,
    /// `cardId` (else empty).
    pub card_id: &'a str,
    /// `cardType` (else empty).
    pub card_type: &'a str,
}

impl CardSignParams<'_> {
    /// The `cardSign` (SHA-1 over the sorted values with the card ticket).
    #[must_use]
    pub fn sign(&self, api_ticket: &crate::CardTicket) -> Signed {
        crate::card::sign_card_sign(
            api_ticket,
            self.app_id,
            self.location_id,
            self.timestamp,
            self.nonce_str,
            self.card_id,
            self.card_type,
        )
    }

    /// Whether `signature` is right (hex in either case, constant time).
    #[must_use]
    pub fn verify(&self, api_ticket: &crate::CardTicket, signature: &str) -> bool {
        crate::card::verify_card_sign(
            api_ticket,
            self.app_id,
            self.location_id,
            self.timestamp,
            self.nonce_str,
            self.card_id,
            self.card_type,
            signature,
        )
    }
}
