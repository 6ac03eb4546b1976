//! Web authorisation (OAuth 2.0): `/connect/oauth2/authorize` (a page the browser visits), then
//! `GET /sns/oauth2/access_token`, `GET /sns/oauth2/refresh_token`, `GET /sns/userinfo` and
//! `GET /sns/auth`.

use serde::{Deserialize, Serialize};

/// The consent page (on `open.weixin.qq.com` in the real world).
pub const AUTHORIZE_PATH: &str = "/connect/oauth2/authorize";
/// Exchanges a code for a user access token.
pub const ACCESS_TOKEN_PATH: &str = "/sns/oauth2/access_token";
/// Renews a user access token.
pub const REFRESH_TOKEN_PATH: &str = "/sns/oauth2/refresh_token";
/// The user's profile (`snsapi_userinfo` scope).
pub const USERINFO_PATH: &str = "/sns/userinfo";
/// Checks a user access token.
pub const AUTH_PATH: &str = "/sns/auth";

/// A code lives this long, and is single-use.
pub const CODE_LIFETIME_SECS: u64 = 300;
/// A user access token lives this long.
pub const ACCESS_TOKEN_LIFETIME_SECS: u64 = 7200;
/// A refresh token lives this long (30 days).
pub const REFRESH_TOKEN_LIFETIME_SECS: u64 = 30 * 24 * 3600;

/// The scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Silent: the openid only.
    #[serde(rename = "snsapi_base")]
    Base,
    /// With consent: the profile too.
    #[serde(rename = "snsapi_userinfo")]
    UserInfo,
}

impl Scope {
    /// Reads the wire spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "snsapi_base" => Some(Self::Base),
            "snsapi_userinfo" => Some(Self::UserInfo),
            _ => None,
        }
    }

    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base => "snsapi_base",
            Self::UserInfo => "snsapi_userinfo",
        }
    }
}

/// `/connect/oauth2/authorize` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizeQuery {
    /// The appId.
    pub appid: Option<String>,
    /// Where the browser goes with `code` and `state`.
    pub redirect_uri: Option<String>,
    /// `code`.
    pub response_type: Option<String>,
    /// `snsapi_base` or `snsapi_userinfo`.
    pub scope: Option<String>,
    /// Returned unchanged.
    pub state: Option<String>,
}

/// `/sns/oauth2/access_token` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccessTokenQuery {
    /// The appId.
    pub appid: Option<String>,
    /// The AppSecret.
    pub secret: Option<String>,
    /// The code from the redirect.
    pub code: Option<String>,
    /// `authorization_code`.
    pub grant_type: Option<String>,
}

/// The user access token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenResponse {
    /// The user's access token (for `addrSign` and `/sns/userinfo`).
    pub access_token: String,
    /// 7200.
    pub expires_in: u64,
    /// Renews the access token for 30 days.
    pub refresh_token: String,
    /// The user's id within this account.
    pub openid: String,
    /// The scope granted.
    pub scope: String,
    /// The user's id across the developer's accounts (userinfo scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}

impl std::fmt::Debug for AccessTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenResponse")
            .field("openid", &self.openid)
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// `/sns/oauth2/refresh_token` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefreshTokenQuery {
    /// The appId.
    pub appid: Option<String>,
    /// `refresh_token`.
    pub grant_type: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
}

/// `/sns/userinfo` and `/sns/auth` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserQuery {
    /// The user's access token.
    pub access_token: Option<String>,
    /// The user's openid.
    pub openid: Option<String>,
    /// `zh_CN`, `zh_TW` or `en`.
    pub lang: Option<String>,
}

/// `/sns/userinfo` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The openid.
    pub openid: String,
    /// Nickname.
    pub nickname: String,
    /// 1 male, 2 female, 0 unknown.
    pub sex: u8,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// Avatar URL.
    pub headimgurl: String,
    /// Privileges (card holders…).
    pub privilege: Vec<String>,
    /// The unionid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
}
