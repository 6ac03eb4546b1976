//! The platform's own WeChat Pay v3 keys: the key behind its certificate (certificate mode,
//! `Wechatpay-Serial` = the certificate's serial) and the WeChat Pay public key (public-key mode,
//! serials `PUB_KEY_ID_…`). They sign every v3 answer and notification.
//!
//! A simulator without a data directory uses fixed test keys (published with the demo
//! merchants); one with a data directory generates its keys once and keeps them there.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wxjs_sign::{PrivateKeyPem, V3PrivateKey};
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::EncodePem;
use x509_cert::der::pem::LineEnding;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::Validity;

use crate::config::PlatformKeyMode;

const FIXED_CERTIFICATE_KEY: &str = include_str!("../keys/platform_certificate_key.pem");
const FIXED_PUBLIC_KEY_KEY: &str = include_str!("../keys/platform_public_key_key.pem");

/// How long the platform certificate is valid, from when the simulator starts (real time).
const CERTIFICATE_LIFETIME: Duration = Duration::from_secs(5 * 365 * 24 * 3600);

/// The platform's two signing keys and its certificate.
pub struct PlatformKeys {
    certificate_key: V3PrivateKey,
    /// The certificate's serial, upper-case hex.
    certificate_serial: String,
    certificate_pem: String,
    effective: u64,
    expire: u64,
    public_key_key: V3PrivateKey,
    /// Alternates the key during a switch period.
    turns: AtomicU64,
}

impl std::fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("certificate_serial", &self.certificate_serial)
            .finish_non_exhaustive()
    }
}

/// Why the platform keys cannot be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key file could not be read or written.
    #[error("platform key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A key file holds no usable key.
    #[error("platform key file {0} holds no RSA private key")]
    Key(String),
    /// Generating or certifying failed.
    #[error("cannot make the platform key: {0}")]
    Make(String),
}

impl PlatformKeys {
    /// The fixed test keys.
    ///
    /// # Panics
    /// Never: the embedded keys are valid (a test checks them).
    #[must_use]
    pub fn fixed() -> Self {
        let k = |pem: &str| V3PrivateKey::from_pem(&PrivateKeyPem::new(pem)).expect("embedded key");
        Self::build(k(FIXED_CERTIFICATE_KEY), k(FIXED_PUBLIC_KEY_KEY)).expect("embedded key")
    }

    /// The keys kept in `dir` (`platform_certificate_key.pem`, `platform_public_key_key.pem`),
    /// generated there the first time.
    pub fn load_or_generate(dir: &Path) -> Result<Self, KeyError> {
        let one = |name: &str| -> Result<V3PrivateKey, KeyError> {
            let path = dir.join(name);
            let io = |source| KeyError::Io {
                path: path.display().to_string(),
                source,
            };
            // A key file is small: refuse a device or a huge file rather than read it.
            if let Ok(meta) = std::fs::metadata(&path)
                && (!meta.is_file() || meta.len() > wxjs_http::TEXT_FILE_LIMIT)
            {
                return Err(KeyError::Key(path.display().to_string()));
            }
            match std::fs::read_to_string(&path) {
                Ok(pem) => V3PrivateKey::from_pem(&PrivateKeyPem::new(pem))
                    .map_err(|_| KeyError::Key(path.display().to_string())),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    use rsa::pkcs8::EncodePrivateKey;
                    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                        .map_err(|e| KeyError::Make(e.to_string()))?;
                    let pem = key
                        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                        .map_err(|e| KeyError::Make(e.to_string()))?;
                    std::fs::create_dir_all(dir).map_err(io)?;
                    let tmp = path.with_extension("tmp");
                    std::fs::write(&tmp, pem.as_bytes()).map_err(io)?;
                    std::fs::rename(&tmp, &path).map_err(io)?;
                    Ok(V3PrivateKey::from_key(key))
                }
                Err(e) => Err(io(e)),
            }
        };
        Self::build(
            one("platform_certificate_key.pem")?,
            one("platform_public_key_key.pem")?,
        )
    }

    fn build(
        certificate_key: V3PrivateKey,
        public_key_key: V3PrivateKey,
    ) -> Result<Self, KeyError> {
        let make = |e: &dyn std::fmt::Display| KeyError::Make(e.to_string());
        let public_der = {
            use rsa::pkcs8::EncodePublicKey;
            certificate_key
                .public_key()
                .rsa()
                .to_public_key_der()
                .map_err(|e| make(&e))?
        };
        // A stable serial per key: 16 bytes of its public key's hash, first bit clear.
        let mut serial = Sha256::digest(public_der.as_bytes())[..16].to_vec();
        serial[0] &= 0x7f;
        serial[0] |= 0x10;
        let certificate_serial: String = serial.iter().map(|b| format!("{b:02X}")).collect();
        let spki =
            SubjectPublicKeyInfoOwned::try_from(public_der.as_bytes()).map_err(|e| make(&e))?;
        let validity = Validity::from_now(CERTIFICATE_LIFETIME).map_err(|e| make(&e))?;
        let subject = Name::from_str(
            "CN=Tenpay.com Root CA (wxjs simulator),OU=Tenpay.com CA Center,O=Tenpay.com,C=CN",
        )
        .map_err(|e| make(&e))?;
        let builder = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::new(&serial).map_err(|e| make(&e))?,
            validity,
            subject,
            spki,
            certificate_key.signing_key(),
        )
        .map_err(|e| make(&e))?;
        let certificate = builder
            .build::<rsa::pkcs1v15::Signature>()
            .map_err(|e| make(&e))?;
        let certificate_pem = certificate.to_pem(LineEnding::LF).map_err(|e| make(&e))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Ok(Self {
            certificate_key,
            certificate_serial,
            certificate_pem,
            effective: now,
            expire: now + CERTIFICATE_LIFETIME.as_secs(),
            public_key_key,
            turns: AtomicU64::new(0),
        })
    }

    /// The certificate's serial (upper-case hex), as `Wechatpay-Serial` names it.
    #[must_use]
    pub fn certificate_serial(&self) -> &str {
        &self.certificate_serial
    }

    /// The certificate (PEM).
    #[must_use]
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// When the certificate became valid and when it expires (Unix seconds, real time).
    #[must_use]
    pub fn certificate_validity(&self) -> (u64, u64) {
        (self.effective, self.expire)
    }

    /// The merchant's WeChat Pay public key id.
    #[must_use]
    pub fn public_key_id(mch_id: &str) -> String {
        format!("PUB_KEY_ID_01{mch_id}00000001")
    }

    /// The WeChat Pay public key (SPKI PEM).
    #[must_use]
    pub fn public_key_pem(&self) -> String {
        self.public_key_key
            .public_key()
            .to_pem()
            .unwrap_or_default()
    }

    /// The certificate's public key (SPKI PEM).
    #[must_use]
    pub fn certificate_public_key_pem(&self) -> String {
        self.certificate_key
            .public_key()
            .to_pem()
            .unwrap_or_default()
    }

    /// The key that signs for a merchant in `mode`, and its serial. During a switch the two
    /// keys take turns, so a merchant that knows only one of them fails half of the time.
    #[must_use]
    pub fn signer(&self, mode: PlatformKeyMode, mch_id: &str) -> (&V3PrivateKey, String) {
        let use_public_key = match mode {
            PlatformKeyMode::Certificate => false,
            PlatformKeyMode::PublicKey => true,
            PlatformKeyMode::Switching => self.turns.fetch_add(1, Ordering::Relaxed) % 2 == 1,
        };
        if use_public_key {
            (&self.public_key_key, Self::public_key_id(mch_id))
        } else {
            (&self.certificate_key, self.certificate_serial.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_certificate_carries_its_key_and_serial() {
        let keys = PlatformKeys::fixed();
        let (public, serial) =
            wxjs_sign::V3PublicKey::from_certificate_pem(keys.certificate_pem()).unwrap();
        assert_eq!(serial, keys.certificate_serial());
        assert_eq!(public.to_pem().unwrap(), keys.certificate_public_key_pem());
        assert_ne!(keys.public_key_pem(), keys.certificate_public_key_pem());
    }

    #[test]
    fn switching_takes_turns_between_the_two_keys() {
        let keys = PlatformKeys::fixed();
        let serials: Vec<String> = (0..4)
            .map(|_| keys.signer(PlatformKeyMode::Switching, "1900000109").1)
            .collect();
        assert_eq!(serials[0], serials[2]);
        assert_ne!(serials[0], serials[1]);
        assert!(serials.iter().any(|s| s.starts_with("PUB_KEY_ID_01")));
    }
}
