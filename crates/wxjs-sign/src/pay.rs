//! `paySign` of `chooseWXPay`: the document's 2014 form (appendix 5), WeChat Pay v2 (MD5 and
//! HMAC-SHA256) and WeChat Pay v3 (SHA256withRSA).

#[cfg(feature = "pay-v3")]
pub use v3::{RsaKeyError, pay_v3_public_key_pem};
#[cfg(feature = "pay-v3")]
pub(crate) use v3::{sign_pay_v3, verify_pay_v3};

use crate::digest::{Signed, ct_eq, hmac_sha256_hex_upper, md5_hex_upper, sha1_hex, sorted_kv};
use crate::secret::{PayApiKey, PaySignKey};

/// The 2014 `paySign`: SHA-1 over `appid=…&appkey=…&noncestr=…&package=…&timestamp=…`
/// (`appkey` is the merchant's paySignKey), lower-case hex; sent with `signType: "SHA1"`.
#[must_use]
pub(crate) fn sign_pay_v1(
    appid: &str,
    appkey: &PaySignKey,
    noncestr: &str,
    package: &str,
    timestamp: &str,
) -> Signed {
    let string1 = sorted_kv(&mut [
        ("appid", appid),
        ("appkey", appkey.secret()),
        ("noncestr", noncestr),
        ("package", package),
        ("timestamp", timestamp),
    ]);
    let signature = sha1_hex(string1.as_bytes());
    Signed::new(string1, signature)
}

/// Whether `signature` is the 2014 `paySign` of these inputs (lower-case hex; constant time).
#[must_use]
pub(crate) fn verify_pay_v1(
    appid: &str,
    appkey: &PaySignKey,
    noncestr: &str,
    package: &str,
    timestamp: &str,
    signature: &str,
) -> bool {
    ct_eq(
        sign_pay_v1(appid, appkey, noncestr, package, timestamp).signature(),
        signature,
    )
}

/// The `signType` of a WeChat Pay v2 `paySign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaySignType {
    /// `MD5`.
    Md5,
    /// `HMAC-SHA256`, keyed with the API key.
    HmacSha256,
}

impl PaySignType {
    /// The wire spelling (`MD5`, `HMAC-SHA256`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// Reads the wire spelling; `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "MD5" => Some(Self::Md5),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }
}

/// WeChat Pay v2 `paySign`: over
/// `appId=…&nonceStr=…&package=…&signType=…&timeStamp=…&key=KEY`, upper-case hex of MD5, or of
/// HMAC-SHA256 keyed with the same API key.
#[must_use]
pub(crate) fn sign_pay_v2(
    app_id: &str,
    time_stamp: &str,
    nonce_str: &str,
    package: &str,
    sign_type: PaySignType,
    key: &PayApiKey,
) -> Signed {
    let mut string1 = sorted_kv(&mut [
        ("appId", app_id),
        ("nonceStr", nonce_str),
        ("package", package),
        ("signType", sign_type.as_str()),
        ("timeStamp", time_stamp),
    ]);
    string1.push_str("&key=");
    string1.push_str(key.secret());
    let signature = match sign_type {
        PaySignType::Md5 => md5_hex_upper(string1.as_bytes()),
        PaySignType::HmacSha256 => {
            hmac_sha256_hex_upper(key.secret().as_bytes(), string1.as_bytes())
        }
    };
    Signed::new(string1, signature)
}

/// Whether `signature` is the v2 `paySign` of these inputs (upper-case hex; constant time).
#[must_use]
pub(crate) fn verify_pay_v2(
    app_id: &str,
    time_stamp: &str,
    nonce_str: &str,
    package: &str,
    sign_type: PaySignType,
    key: &PayApiKey,
    signature: &str,
) -> bool {
    ct_eq(
        sign_pay_v2(app_id, time_stamp, nonce_str, package, sign_type, key).signature(),
        signature,
    )
}

/// WeChat Pay v2's `sign` over a parameter map (unified orders, payment notifications): the
/// non-empty fields but `sign` sorted by name, `k=v&…&key=KEY`, UTF-8, then upper-case hex MD5 or
/// HMAC-SHA256.
#[must_use]
pub fn sign_v2_fields(
    fields: &std::collections::BTreeMap<String, String>,
    sign_type: PaySignType,
    key: &PayApiKey,
) -> String {
    let mut pairs: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, v)| !v.is_empty() && k.as_str() != "sign")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut string1 = sorted_kv(&mut pairs);
    string1.push_str("&key=");
    string1.push_str(key.secret());
    match sign_type {
        PaySignType::Md5 => md5_hex_upper(string1.as_bytes()),
        PaySignType::HmacSha256 => {
            hmac_sha256_hex_upper(key.secret().as_bytes(), string1.as_bytes())
        }
    }
}

/// Whether a v2 parameter map carries the right `sign` (constant time).
#[must_use]
pub fn verify_v2_fields(
    fields: &std::collections::BTreeMap<String, String>,
    sign_type: PaySignType,
    key: &PayApiKey,
) -> bool {
    fields
        .get("sign")
        .is_some_and(|given| ct_eq(&sign_v2_fields(fields, sign_type, key), given))
}

/// WeChat Pay v3 (feature `pay-v3`): RSA keys and SHA256withRSA.
#[cfg(feature = "pay-v3")]
mod v3 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
    use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    use rsa::signature::{SignatureEncoding, Signer, Verifier};
    use rsa::{RsaPrivateKey, RsaPublicKey};
    use sha2::Sha256;

    use crate::digest::Signed;
    use crate::params::PayParams;
    use crate::secret::PrivateKeyPem;

    /// Why an RSA key or signature of WeChat Pay v3 is unusable.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum RsaKeyError {
        /// The PEM text is neither a PKCS#8 nor a PKCS#1 RSA private key. (The key itself is not
        /// repeated in the message.)
        #[error("private key is not a PEM-encoded RSA private key (PKCS#8 or PKCS#1)")]
        PrivateKey,
        /// The PEM text is neither an SPKI nor a PKCS#1 RSA public key.
        #[error("public key is not a PEM-encoded RSA public key")]
        PublicKey,
        /// The key could not sign.
        #[error("RSA signing failed")]
        Sign,
    }

    /// WeChat Pay v3 `paySign`: SHA256withRSA (PKCS#1 v1.5) over
    /// [`PayParams::v3_string1`], base64; sent with `signType: "RSA"`.
    pub(crate) fn sign_pay_v3(
        params: &PayParams<'_>,
        private_key: &PrivateKeyPem,
    ) -> Result<Signed, RsaKeyError> {
        let key = parse_private_key(private_key)?;
        let string1 = params.v3_string1();
        let signing = SigningKey::<Sha256>::new(key);
        let sig = signing
            .try_sign(string1.as_bytes())
            .map_err(|_| RsaKeyError::Sign)?;
        let signature = BASE64.encode(sig.to_bytes());
        Ok(Signed::new(string1, signature))
    }

    /// Whether `signature` (base64) is a v3 `paySign` of these inputs under the merchant's public key
    /// (PEM, SPKI or PKCS#1).
    pub(crate) fn verify_pay_v3(
        params: &PayParams<'_>,
        public_key_pem: &str,
        signature: &str,
    ) -> Result<bool, RsaKeyError> {
        let key = RsaPublicKey::from_public_key_pem(public_key_pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(public_key_pem))
            .map_err(|_| RsaKeyError::PublicKey)?;
        let Ok(bytes) = BASE64.decode(signature) else {
            return Ok(false);
        };
        let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
            return Ok(false);
        };
        let string1 = params.v3_string1();
        Ok(VerifyingKey::<Sha256>::new(key)
            .verify(string1.as_bytes(), &sig)
            .is_ok())
    }

    /// The public key (SPKI PEM) of a v3 private key, for the side that verifies.
    pub fn pay_v3_public_key_pem(private_key: &PrivateKeyPem) -> Result<String, RsaKeyError> {
        use rsa::pkcs8::EncodePublicKey;
        let key = parse_private_key(private_key)?;
        RsaPublicKey::from(&key)
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|_| RsaKeyError::PublicKey)
    }

    fn parse_private_key(pem: &PrivateKeyPem) -> Result<RsaPrivateKey, RsaKeyError> {
        RsaPrivateKey::from_pkcs8_pem(pem.secret())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.secret()))
            .map_err(|_| RsaKeyError::PrivateKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_field_signature_matches_the_pay_sign_form() {
        // paySign v2 is the same algorithm over the five JSAPI fields.
        let fields: std::collections::BTreeMap<String, String> = [
            ("appId", "wxd678efh567hg6787"),
            ("timeStamp", "1490840662"),
            ("nonceStr", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
            ("package", "prepay_id=wx2017033010242291fcfe0db70013231072"),
            ("signType", "MD5"),
            ("empty", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let key = PayApiKey::new("qazwsxedcrfvtgbyhnujmikolp111111");
        assert_eq!(
            sign_v2_fields(&fields, PaySignType::Md5, &key),
            "22D9B4E54AB1950F51E0649E8810ACD6"
        );
        let mut signed = fields.clone();
        signed.insert("sign".into(), "22D9B4E54AB1950F51E0649E8810ACD6".into());
        assert!(verify_v2_fields(&signed, PaySignType::Md5, &key));
        signed.insert("nonceStr".into(), "x".into());
        assert!(!verify_v2_fields(&signed, PaySignType::Md5, &key));
    }

    #[test]
    fn sign_type_round_trips() {
        for t in [PaySignType::Md5, PaySignType::HmacSha256] {
            assert_eq!(PaySignType::parse(t.as_str()), Some(t));
        }
        assert_eq!(PaySignType::parse("md5"), None);
    }

    #[cfg(feature = "pay-v3")]
    #[test]
    fn bad_keys_are_errors_that_do_not_echo_the_key() {
        let pay = crate::PayParams {
            app_id: "wx",
            time_stamp: "1",
            nonce_str: "n",
            package: "p",
        };
        let err = pay
            .sign_v3(&crate::PrivateKeyPem::new("not a key SECRET"))
            .unwrap_err();
        assert_eq!(err, RsaKeyError::PrivateKey);
        assert!(!err.to_string().contains("SECRET"));
        assert_eq!(
            pay.verify_v3("garbage", "AAAA"),
            Err(RsaKeyError::PublicKey)
        );
    }
}
