//! `POST /cgi-bin/stable_token` with a JSON body.

use serde::{Deserialize, Serialize};

/// The path.
pub const PATH: &str = "/cgi-bin/stable_token";

/// `{"grant_type":"client_credential","appid":…,"secret":…,"force_refresh":false}`.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct StableTokenRequest {
    /// `client_credential`.
    #[serde(default)]
    pub grant_type: Option<String>,
    /// The appId.
    #[serde(default)]
    pub appid: Option<String>,
    /// The AppSecret.
    #[serde(default)]
    pub secret: Option<String>,
    /// Invalidate the current token and issue a new one (20 a day, 30 s apart).
    #[serde(default)]
    pub force_refresh: Option<bool>,
}

impl std::fmt::Debug for StableTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StableTokenRequest")
            .field("appid", &self.appid)
            .field("force_refresh", &self.force_refresh)
            .finish_non_exhaustive()
    }
}

/// The answer has the shape of `/cgi-bin/token`'s.
pub use crate::token::TokenResponse as StableTokenResponse;
