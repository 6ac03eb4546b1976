//! Secret newtypes: values that must never reach logs, errors or `Debug` output.
//!
//! Each type prints `Name([redacted])` in `Debug`, has no `Display`, and gives its value only
//! through [`secret`](AppSecret::secret), so a leak has to be written on purpose.

use subtle::ConstantTimeEq;

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            #[must_use]
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Call only where the value must leave the process
            /// (a signature input, an outbound request, a store).
            #[must_use]
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Whether the value is empty: an empty secret is never usable.
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// Compares with another value in time independent of where they differ.
            #[must_use]
            pub fn ct_eq(&self, other: &str) -> bool {
                self.0.as_bytes().ct_eq(other.as_bytes()).into()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A WeChat Pay merchant's APIv3 key: 32 characters, the AES-256-GCM key of notifications
    /// and of the platform certificate list.
    ApiV3Key
);
secret_type!(
    /// The account's AppSecret (`secret` of `/cgi-bin/token`; `appsecret` of the 2014 card forms).
    AppSecret
);
secret_type!(
    /// An `access_token`: the account's own from `/cgi-bin/token`, or a user's OAuth token
    /// (`accesstoken` of `addrSign`).
    AccessToken
);
secret_type!(
    /// The `jsapi_ticket` that signs `wx.config` (appendix 1).
    JsapiTicket
);
secret_type!(
    /// The card `api_ticket` (`type=wx_card`) that signs `cardExt` and `cardSign` (appendix 6).
    CardTicket
);
secret_type!(
    /// The merchant's partner key (`partnerKey`) that signs the payment `package` (appendix 5).
    PartnerKey
);
secret_type!(
    /// The merchant's `paySignKey` (`appkey`) of the 2014 `paySign` (appendix 5).
    PaySignKey
);
secret_type!(
    /// The WeChat Pay v2 API key (`key`) of the MD5 and HMAC-SHA256 `paySign`.
    PayApiKey
);
secret_type!(
    /// A PEM-encoded RSA private key (PKCS#8 or PKCS#1) of the WeChat Pay v3 `paySign`.
    PrivateKeyPem
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = AppSecret::new("hunter2-very-secret");
        let printed = format!("{s:?} {:?}", JsapiTicket::new("t1cket"));
        assert_eq!(printed, "AppSecret([redacted]) JsapiTicket([redacted])");
        assert!(!printed.contains("hunter2"));
    }

    #[test]
    fn ct_eq_compares_whole_values() {
        let s = PartnerKey::new("abc");
        assert!(s.ct_eq("abc"));
        assert!(!s.ct_eq("abd"));
        assert!(!s.ct_eq("ab"));
        assert!(!s.ct_eq("abcd"));
    }
}
