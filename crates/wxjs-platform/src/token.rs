//! `GET /cgi-bin/token?grant_type=client_credential&appid=APPID&secret=SECRET`

use serde::{Deserialize, Serialize};

/// The path.
pub const PATH: &str = "/cgi-bin/token";

/// The only `grant_type` this endpoint takes.
pub const GRANT_TYPE: &str = "client_credential";

/// Query parameters. All optional on the wire, so that a server can answer 41002/41004/40002.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TokenQuery {
    /// `client_credential`.
    pub grant_type: Option<String>,
    /// The appId.
    pub appid: Option<String>,
    /// The AppSecret. (This struct is a wire type: keep it out of logs.)
    pub secret: Option<String>,
}

/// `{"access_token":"…","expires_in":7200}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The token (reserve 512 characters).
    pub access_token: String,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}
