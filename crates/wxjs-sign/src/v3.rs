//! WeChat Pay's merchant API v3 (feature `pay-v3`): request signing (`Authorization:
//! WECHATPAY2-SHA256-RSA2048 …`), verification of the platform's answers and notifications
//! (`Wechatpay-*` headers), and the AES-256-GCM resources encrypted with the APIv3 key.
//!
//! ```
//! use wxjs_sign::{V3Authorization, V3PrivateKey, PrivateKeyPem};
//! # let pem = PrivateKeyPem::new(include_str!("../tests/merchant_key.pem"));
//! let key = V3PrivateKey::from_pem(&pem).unwrap();
//! let auth = V3Authorization::sign(&key, "1900000109", "5157F09EFDC096DE15EBE81A47057A72",
//!     "GET", "/v3/certificates", 1_700_000_000, "NONCE", b"");
//! let header = auth.to_header();
//! assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\""));
//! assert!(V3Authorization::parse(&header).unwrap().verify(&key.public_key(),
//!     "GET", "/v3/certificates", b""));
//! ```

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use crate::pay::RsaKeyError;
use crate::secret::{ApiV3Key, PrivateKeyPem};

/// The `Authorization` scheme and `Wechatpay-Signature-Type` of v3.
pub const V3_SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";

/// The prefix of a probe notification's `Wechatpay-Signature`: invalid by construction, a
/// merchant must reject it.
pub const PROBE_SIGNATURE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// A parsed RSA private key that signs v3 messages (the merchant's `apiclient_key.pem`, or the
/// platform's). `Debug` prints nothing of it.
#[derive(Clone)]
pub struct V3PrivateKey {
    signing: SigningKey<Sha256>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for V3PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("V3PrivateKey([redacted])")
    }
}

impl V3PrivateKey {
    /// Reads a PKCS#8 (`BEGIN PRIVATE KEY`, as merchants download it) or PKCS#1 PEM key.
    pub fn from_pem(pem: &PrivateKeyPem) -> Result<Self, RsaKeyError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem.secret())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.secret()))
            .map_err(|_| RsaKeyError::PrivateKey)?;
        Ok(Self::from_key(key))
    }

    /// Wraps a key made elsewhere (a generated one).
    #[must_use]
    pub fn from_key(key: RsaPrivateKey) -> Self {
        let public = RsaPublicKey::from(&key);
        Self {
            signing: SigningKey::<Sha256>::new(key),
            public,
        }
    }

    /// Base64 SHA256withRSA (PKCS#1 v1.5) of `message`.
    #[must_use]
    pub fn sign(&self, message: &[u8]) -> String {
        BASE64.encode(self.signing.sign(message).to_bytes())
    }

    /// Its public half.
    #[must_use]
    pub fn public_key(&self) -> V3PublicKey {
        V3PublicKey(self.public.clone())
    }

    /// The RSA signing key, for building certificates.
    #[must_use]
    pub fn signing_key(&self) -> &SigningKey<Sha256> {
        &self.signing
    }
}

/// An RSA public key that verifies v3 signatures: the merchant's (on the platform's side) or
/// the platform's (a certificate's key, or a `PUB_KEY_ID_…` public key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3PublicKey(RsaPublicKey);

impl V3PublicKey {
    /// Reads an SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 PEM public key.
    pub fn from_pem(pem: &str) -> Result<Self, RsaKeyError> {
        RsaPublicKey::from_public_key_pem(pem.trim())
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
            .map(Self)
            .map_err(|_| RsaKeyError::PublicKey)
    }

    /// The public key of an X.509 certificate (PEM), with the certificate's serial number as
    /// v3 writes it (upper-case hex).
    pub fn from_certificate_pem(pem: &str) -> Result<(Self, String), RsaKeyError> {
        use x509_cert::der::{DecodePem, Encode};
        let cert =
            x509_cert::Certificate::from_pem(pem.trim()).map_err(|_| RsaKeyError::PublicKey)?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| RsaKeyError::PublicKey)?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|_| RsaKeyError::PublicKey)?;
        let serial = cert
            .tbs_certificate
            .serial_number
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>();
        Ok((Self(key), serial.trim_start_matches("00").to_owned()))
    }

    /// SPKI PEM.
    pub fn to_pem(&self) -> Result<String, RsaKeyError> {
        self.0
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .map_err(|_| RsaKeyError::PublicKey)
    }

    /// The RSA key itself.
    #[must_use]
    pub fn rsa(&self) -> &RsaPublicKey {
        &self.0
    }

    /// Whether `signature` (base64) is SHA256withRSA of `message` under this key.
    #[must_use]
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = BASE64.decode(signature.trim()) else {
            return false;
        };
        let Ok(sig) = Signature::try_from(bytes.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(self.0.clone())
            .verify(message, &sig)
            .is_ok()
    }
}

/// What a v3 request signs: `METHOD\nPATH_WITH_QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
#[must_use]
pub fn v3_request_message(
    method: &str,
    path_with_query: &str,
    timestamp: u64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut m = format!("{method}\n{path_with_query}\n{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// What the platform's answers and notifications sign: `TIMESTAMP\nNONCE\nBODY\n`.
#[must_use]
pub fn v3_response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{timestamp}\n{nonce}\n").into_bytes();
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// Why an `Authorization` header is not a v3 one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationError {
    /// No header, or another scheme.
    #[error("the Authorization header must start with {V3_SCHEMA}")]
    Scheme,
    /// A field is missing (its name) or repeated.
    #[error("the Authorization header lacks {0}")]
    Missing(&'static str),
    /// `timestamp` is not a number.
    #[error("the Authorization timestamp is not a number of seconds")]
    Timestamp,
}

/// The fields of a v3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3Authorization {
    /// The merchant.
    pub mchid: String,
    /// The request's nonce.
    pub nonce_str: String,
    /// Unix seconds.
    pub timestamp: u64,
    /// The serial of the merchant's certificate (the key that signed).
    pub serial_no: String,
    /// Base64 SHA256withRSA of [`v3_request_message`].
    pub signature: String,
}

impl V3Authorization {
    /// Signs a request as the merchant.
    #[must_use]
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        key: &V3PrivateKey,
        mchid: &str,
        serial_no: &str,
        method: &str,
        path_with_query: &str,
        timestamp: u64,
        nonce_str: &str,
        body: &[u8],
    ) -> Self {
        let message = v3_request_message(method, path_with_query, timestamp, nonce_str, body);
        Self {
            mchid: mchid.to_owned(),
            nonce_str: nonce_str.to_owned(),
            timestamp,
            serial_no: serial_no.to_owned(),
            signature: key.sign(&message),
        }
    }

    /// The header value.
    #[must_use]
    pub fn to_header(&self) -> String {
        format!(
            "{V3_SCHEMA} mchid=\"{}\",nonce_str=\"{}\",timestamp=\"{}\",serial_no=\"{}\",signature=\"{}\"",
            self.mchid, self.nonce_str, self.timestamp, self.serial_no, self.signature
        )
    }

    /// Reads a header value (fields in any order, quoted or not, separated by commas).
    pub fn parse(header: &str) -> Result<Self, AuthorizationError> {
        let rest = header
            .trim()
            .strip_prefix(V3_SCHEMA)
            .filter(|r| r.starts_with(' '))
            .ok_or(AuthorizationError::Scheme)?;
        let mut fields = std::collections::HashMap::new();
        for part in rest.split(',') {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            fields.insert(k.trim().to_owned(), v.to_owned());
        }
        let mut take = |k: &'static str| {
            fields
                .remove(k)
                .filter(|v| !v.is_empty())
                .ok_or(AuthorizationError::Missing(k))
        };
        Ok(Self {
            mchid: take("mchid")?,
            nonce_str: take("nonce_str")?,
            timestamp: take("timestamp")?
                .parse()
                .map_err(|_| AuthorizationError::Timestamp)?,
            serial_no: take("serial_no")?,
            signature: take("signature")?,
        })
    }

    /// What this request should have signed.
    #[must_use]
    pub fn message(&self, method: &str, path_with_query: &str, body: &[u8]) -> Vec<u8> {
        v3_request_message(
            method,
            path_with_query,
            self.timestamp,
            &self.nonce_str,
            body,
        )
    }

    /// Whether the signature is the merchant's over this request.
    #[must_use]
    pub fn verify(
        &self,
        merchant: &V3PublicKey,
        method: &str,
        path_with_query: &str,
        body: &[u8],
    ) -> bool {
        merchant.verify(
            &self.message(method, path_with_query, body),
            &self.signature,
        )
    }
}

/// The `Wechatpay-*` headers of a platform answer or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatpayHeaders {
    /// `Wechatpay-Timestamp`.
    pub timestamp: String,
    /// `Wechatpay-Nonce`.
    pub nonce: String,
    /// `Wechatpay-Serial`: which platform key signed.
    pub serial: String,
    /// `Wechatpay-Signature`.
    pub signature: String,
}

/// Why a platform answer or notification is not to be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A probe (`WECHATPAY/SIGNTEST/…`): invalid by construction.
    #[error("a probe signature (WECHATPAY/SIGNTEST/…): the platform tests that it is rejected")]
    Probe,
    /// The serial names no key we know.
    #[error("Wechatpay-Serial {0} names no known platform key")]
    UnknownSerial(String),
    /// Older than five minutes, or from the future.
    #[error("Wechatpay-Timestamp is more than 5 minutes from now")]
    Stale,
    /// Does not verify.
    #[error("Wechatpay-Signature does not verify with the platform key")]
    Mismatch,
}

impl WechatpayHeaders {
    /// Reads the four headers with `get` (a header's value by name, `""` when absent).
    pub fn read(get: impl Fn(&str) -> String) -> Self {
        Self {
            timestamp: get("Wechatpay-Timestamp"),
            nonce: get("Wechatpay-Nonce"),
            serial: get("Wechatpay-Serial"),
            signature: get("Wechatpay-Signature"),
        }
    }

    /// The headers to send, with `Wechatpay-Signature-Type`.
    #[must_use]
    pub fn into_pairs(self) -> [(&'static str, String); 5] {
        [
            ("Wechatpay-Timestamp", self.timestamp),
            ("Wechatpay-Nonce", self.nonce),
            ("Wechatpay-Serial", self.serial),
            ("Wechatpay-Signature", self.signature),
            ("Wechatpay-Signature-Type", V3_SCHEMA.to_owned()),
        ]
    }

    /// Signs `body` as the platform.
    #[must_use]
    pub fn sign(
        key: &V3PrivateKey,
        serial: &str,
        timestamp: u64,
        nonce: &str,
        body: &[u8],
    ) -> Self {
        let timestamp = timestamp.to_string();
        let signature = key.sign(&v3_response_message(&timestamp, nonce, body));
        Self {
            timestamp,
            nonce: nonce.to_owned(),
            serial: serial.to_owned(),
            signature,
        }
    }

    /// Verifies `body` against these headers: `key_for` gives the platform key of a serial;
    /// `now` (Unix seconds) bounds the timestamp to five minutes either way.
    pub fn verify<'k>(
        &self,
        body: &[u8],
        now: u64,
        key_for: impl Fn(&str) -> Option<&'k V3PublicKey>,
    ) -> Result<(), SignatureError> {
        if self.signature.starts_with(PROBE_SIGNATURE_PREFIX) {
            return Err(SignatureError::Probe);
        }
        let key = key_for(&self.serial)
            .ok_or_else(|| SignatureError::UnknownSerial(self.serial.clone()))?;
        let ts: u64 = self.timestamp.parse().map_err(|_| SignatureError::Stale)?;
        if ts.abs_diff(now) > 300 {
            return Err(SignatureError::Stale);
        }
        if key.verify(
            &v3_response_message(&self.timestamp, &self.nonce, body),
            &self.signature,
        ) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// Why an AES-256-GCM resource cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AeadError {
    /// The APIv3 key is not 32 bytes.
    #[error("the APIv3 key must be 32 bytes (it is {0})")]
    KeyLength(usize),
    /// The nonce is not 12 bytes.
    #[error("the resource nonce must be 12 bytes")]
    Nonce,
    /// Not base64.
    #[error("the ciphertext is not base64")]
    Base64,
    /// The tag does not match: another key, or altered data.
    #[error("the resource does not decrypt with this APIv3 key (wrong key, or altered data)")]
    Tag,
}

fn cipher(key: &ApiV3Key) -> Result<Aes256Gcm, AeadError> {
    let bytes = key.secret().as_bytes();
    Aes256Gcm::new_from_slice(bytes).map_err(|_| AeadError::KeyLength(bytes.len()))
}

/// Decrypts a v3 resource (`ciphertext` is base64 of ciphertext‖16-byte tag).
pub fn aead_decrypt(
    key: &ApiV3Key,
    nonce: &str,
    associated_data: &str,
    ciphertext: &str,
) -> Result<Vec<u8>, AeadError> {
    let cipher = cipher(key)?;
    if nonce.len() != 12 {
        return Err(AeadError::Nonce);
    }
    let data = BASE64
        .decode(ciphertext.trim())
        .map_err(|_| AeadError::Base64)?;
    cipher
        .decrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: &data,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| AeadError::Tag)
}

/// Encrypts a v3 resource: base64 of ciphertext‖tag.
pub fn aead_encrypt(
    key: &ApiV3Key,
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<String, AeadError> {
    let cipher = cipher(key)?;
    if nonce.len() != 12 {
        return Err(AeadError::Nonce);
    }
    let data = cipher
        .encrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| AeadError::Tag)?;
    Ok(BASE64.encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> V3PrivateKey {
        V3PrivateKey::from_pem(&PrivateKeyPem::new(include_str!(
            "../tests/merchant_key.pem"
        )))
        .unwrap()
    }

    #[test]
    fn requests_sign_and_verify_and_any_change_breaks_them() {
        let k = key();
        let body = br#"{"mchid":"1900000109"}"#;
        let a = V3Authorization::sign(
            &k,
            "1900000109",
            "SERIAL",
            "POST",
            "/v3/pay/transactions/jsapi",
            1_700_000_000,
            "N1",
            body,
        );
        let parsed = V3Authorization::parse(&a.to_header()).unwrap();
        assert_eq!(parsed, a);
        let public = k.public_key();
        assert!(parsed.verify(&public, "POST", "/v3/pay/transactions/jsapi", body));
        assert!(!parsed.verify(&public, "POST", "/v3/pay/transactions/jsapi", b"{}"));
        assert!(!parsed.verify(&public, "GET", "/v3/pay/transactions/jsapi", body));
        assert!(!parsed.verify(&public, "POST", "/v3/pay/transactions/jsapi?x", body));
    }

    #[test]
    fn authorization_headers_that_are_not_v3_are_told_apart() {
        assert_eq!(
            V3Authorization::parse("Bearer x"),
            Err(AuthorizationError::Scheme)
        );
        assert_eq!(
            V3Authorization::parse(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",timestamp=\"1\",signature=\"s\""
            ),
            Err(AuthorizationError::Missing("serial_no"))
        );
        assert_eq!(
            V3Authorization::parse(
                "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",timestamp=\"x\",serial_no=\"s\",signature=\"s\""
            ),
            Err(AuthorizationError::Timestamp)
        );
    }

    #[test]
    fn answers_verify_within_five_minutes_and_probes_are_rejected() {
        let k = key();
        let public = k.public_key();
        let h = WechatpayHeaders::sign(&k, "PUB_KEY_ID_1", 1000, "n", b"{}");
        let keys = |s: &str| (s == "PUB_KEY_ID_1").then_some(&public);
        assert_eq!(h.verify(b"{}", 1200, keys), Ok(()));
        assert_eq!(h.verify(b"{ }", 1200, keys), Err(SignatureError::Mismatch));
        assert_eq!(h.verify(b"{}", 1301, keys), Err(SignatureError::Stale));
        let mut other = h.clone();
        other.serial = "X".into();
        assert_eq!(
            other.verify(b"{}", 1000, keys),
            Err(SignatureError::UnknownSerial("X".into()))
        );
        let mut probe = h;
        probe.signature = format!("{PROBE_SIGNATURE_PREFIX}abc");
        assert_eq!(probe.verify(b"{}", 1000, keys), Err(SignatureError::Probe));
    }

    #[test]
    fn resources_round_trip_and_a_wrong_key_or_altered_text_fails() {
        let key = ApiV3Key::new("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
        let c = aead_encrypt(&key, "fdasflkja484", "transaction", b"{\"a\":1}").unwrap();
        assert_eq!(
            aead_decrypt(&key, "fdasflkja484", "transaction", &c).unwrap(),
            b"{\"a\":1}"
        );
        assert_eq!(
            aead_decrypt(&key, "fdasflkja484", "certificate", &c),
            Err(AeadError::Tag)
        );
        let other = ApiV3Key::new("b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
        assert_eq!(
            aead_decrypt(&other, "fdasflkja484", "transaction", &c),
            Err(AeadError::Tag)
        );
        assert_eq!(
            aead_decrypt(&ApiV3Key::new("short"), "fdasflkja484", "t", &c),
            Err(AeadError::KeyLength(5))
        );
        assert_eq!(aead_decrypt(&key, "short", "t", &c), Err(AeadError::Nonce));
        assert_eq!(
            aead_decrypt(&key, "fdasflkja484", "t", "***"),
            Err(AeadError::Base64)
        );
    }

    #[test]
    fn private_keys_do_not_show_in_debug() {
        assert_eq!(format!("{:?}", key()), "V3PrivateKey([redacted])");
    }
}
