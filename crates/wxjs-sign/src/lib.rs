//! Every signature of the WeChat JS-SDK document, the page-URL rules they depend on, and a
//! diagnosis of config signatures that fail. Pure functions and types: no I/O.
//!
//! | document | what | functions |
//! |---|---|---|
//! | appendix 1 | `wx.config` signature | [`ConfigParams::sign`], [`ConfigParams::verify`] |
//! | appendix 4 | `addrSign` | [`AddrParams::sign`], [`AddrParams::verify`] |
//! | appendix 5 | payment `package` | [`sign_package`], [`parse_package`], [`verify_package`] |
//! | appendix 5 | `paySign` (2014, SHA-1) | [`PayParams::sign_2014`], [`PayParams::verify_2014`] |
//! | WeChat Pay v2 | `paySign` (MD5, HMAC-SHA256) | [`PayParams::sign_v2`], [`PayParams::verify_v2`] |
//! | WeChat Pay v3 | `paySign` (SHA256withRSA; feature `pay-v3`, on by default) | `PayParams::sign_v3`, `PayParams::verify_v3` |
//! | WeChat Pay v3 | merchant API requests, answers, notifications (feature `pay-v3`) | `V3Authorization`, `WechatpayHeaders`, `aead_decrypt`, `aead_encrypt` |
//! | appendix 6 | `cardExt` signature, 2014 and later | [`CardExt2014Params`], [`CardExtParams`] (`sign`, `verify`, `card_ext`) |
//! | appendix 6 | `chooseCard` `cardSign` | [`CardSignParams::sign`], [`CardSignParams::verify`] |
//!
//! Every `verify_*` compares in constant time. Secrets ([`JsapiTicket`], [`PartnerKey`], …) are
//! newtypes whose `Debug` prints `[redacted]`; a [`Signed`] result's `Debug` leaves out `string1`,
//! which usually holds one.
//!
//! ```
//! use wxjs_sign::{ConfigParams, JsapiTicket, PageUrl, SafeDomain, domain_allowed, nonce_str, timestamp_now};
//!
//! let ticket = JsapiTicket::new("a-ticket-from-the-credential-cache");
//! let page = PageUrl::parse("https://h5.example.com/activity?id=7#/share").unwrap();
//! let domains = [SafeDomain::parse("example.com").unwrap()];
//! assert!(domain_allowed(&domains, &page));
//! let (nonce, ts) = (nonce_str(), timestamp_now());
//! let signed = ConfigParams { url: page.for_signing(), timestamp: ts, nonce_str: &nonce }.sign(&ticket);
//! assert_eq!(signed.signature().len(), 40);
//! ```

mod appid;
mod card;
mod config;
mod diagnose;
mod digest;
mod nonce;
mod package;
mod page_url;
mod params;
mod pay;
mod secret;
mod v2_xml;
#[cfg(feature = "pay-v3")]
mod v3;

pub use appid::{AppId, AppIdError};
pub use card::CardExt;
pub use diagnose::{DiagnoseInput, Diagnosis, Finding, FindingKind, UsedConfig, diagnose};
pub use digest::Signed;
pub use nonce::{NONCE_LEN, nonce_of_len, nonce_str, push_nonce, timestamp_now};
pub use package::{
    Charset, PackageError, ParsedPackage, SignedPackage, charset_of, encode_uri_component,
    parse_package, sign_package, verify_package,
};
pub use page_url::{
    MAX_URL_LEN, PageUrl, PageUrlError, SafeDomain, SafeDomainError, Scheme, domain_allowed,
};
pub use params::{
    AddrParams, CardExt2014Params, CardExtParams, CardSignParams, ConfigParams, PayParams,
};
pub use pay::{PaySignType, sign_v2_fields, verify_v2_fields};
#[cfg(feature = "pay-v3")]
pub use pay::{RsaKeyError, pay_v3_public_key_pem};
pub use secret::{
    AccessToken, ApiV3Key, AppSecret, CardTicket, JsapiTicket, PartnerKey, PayApiKey, PaySignKey,
    PrivateKeyPem,
};
pub use v2_xml::{parse_v2_xml, write_v2_xml};
#[cfg(feature = "pay-v3")]
pub use v3::{
    AeadError, AuthorizationError, PROBE_SIGNATURE_PREFIX, SignatureError, V3_SCHEMA,
    V3Authorization, V3PrivateKey, V3PublicKey, WechatpayHeaders, aead_decrypt, aead_encrypt,
    v3_request_message, v3_response_message,
};
