//! The platform's error codes, as one enum with a fallback for codes not listed.

/// An `errcode` of the platform API. Codes this crate does not name arrive as [`ErrCode::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrCode {
    /// -1 `system error`: busy, retry later.
    SystemError,
    /// 40001: the access token is invalid or not the latest.
    InvalidCredential,
    /// 40002: `grant_type` is wrong.
    InvalidGrantType,
    /// 40003: the openid is not this user's.
    InvalidOpenid,
    /// 40004: media `type` is not one of image, voice, video, thumb.
    InvalidMediaType,
    /// 40005: the file's format does not suit the media type.
    InvalidFileType,
    /// 40006: the file is too large for the media type (`invalid meida size`, sic).
    InvalidMediaSize,
    /// 40007: no such media, or it expired.
    InvalidMediaId,
    /// 40013: unknown appid.
    InvalidAppid,
    /// 40014: the access token is malformed.
    InvalidAccessToken,
    /// 40029: unknown or expired OAuth code.
    InvalidCode,
    /// 40030: unknown refresh token.
    InvalidRefreshToken,
    /// 40125: wrong appsecret.
    InvalidAppsecret,
    /// 40163: the OAuth code was already used.
    CodeBeenUsed,
    /// 40164: the caller's IP is not on the account's allow-list.
    InvalidIp,
    /// 40243: the AppSecret is frozen.
    AppSecretFrozen,
    /// 41001: `access_token` missing.
    AccessTokenMissing,
    /// 41002: `appid` missing.
    AppidMissing,
    /// 41003: `refresh_token` missing.
    RefreshTokenMissing,
    /// 41004: `secret` missing.
    AppsecretMissing,
    /// 41005: the multipart field `media` is missing.
    MediaDataMissing,
    /// 41006: `media_id` missing.
    MediaIdMissing,
    /// 41008: OAuth `code` missing.
    CodeMissing,
    /// 41009: `openid` missing.
    OpenidMissing,
    /// 42001: the access token expired.
    AccessTokenExpired,
    /// 42002: the refresh token expired.
    RefreshTokenExpired,
    /// 43001: the endpoint takes GET.
    RequireGet,
    /// 43002: the endpoint takes POST.
    RequirePost,
    /// 44002: the POST body is empty.
    EmptyPostData,
    /// 45009: the daily quota of this API is used up.
    DailyQuota,
    /// 45011: too many calls this minute.
    MinuteQuota,
    /// 47001: the body is not valid JSON (or not the expected shape).
    DataFormatError,
    /// 48001: the token's scope does not allow this API.
    ApiUnauthorized,
    /// 48006: `clear_quota` used up for this month.
    ClearQuotaLimit,
    /// 50004: the account may not use access tokens (punishment).
    UserPunished,
    /// 89503: the call waits for an administrator's confirmation.
    IpNeedsConfirmation,
    /// Any other code.
    Other(i64),
}

/// Each named code with its number and canonical message (without the ` rid: …` suffix).
const TABLE: &[(ErrCode, i64, &str)] = &[
    (ErrCode::SystemError, -1, "system error"),
    (
        ErrCode::InvalidCredential,
        40001,
        "invalid credential, access_token is invalid or not latest",
    ),
    (ErrCode::InvalidGrantType, 40002, "invalid grant_type"),
    (ErrCode::InvalidOpenid, 40003, "invalid openid"),
    (ErrCode::InvalidMediaType, 40004, "invalid media type"),
    (ErrCode::InvalidFileType, 40005, "invalid file type"),
    (ErrCode::InvalidMediaSize, 40006, "invalid meida size"),
    (ErrCode::InvalidMediaId, 40007, "invalid media_id"),
    (ErrCode::InvalidAppid, 40013, "invalid appid"),
    (ErrCode::InvalidAccessToken, 40014, "invalid access_token"),
    (ErrCode::InvalidCode, 40029, "invalid code"),
    (ErrCode::InvalidRefreshToken, 40030, "invalid refresh_token"),
    (ErrCode::InvalidAppsecret, 40125, "invalid appsecret"),
    (ErrCode::CodeBeenUsed, 40163, "code been used"),
    (ErrCode::InvalidIp, 40164, "invalid ip, not in whitelist"),
    (
        ErrCode::AppSecretFrozen,
        40243,
        "AppSecret frozen, unfreeze it on mp.weixin.qq.com and try again",
    ),
    (ErrCode::AccessTokenMissing, 41001, "access_token missing"),
    (ErrCode::AppidMissing, 41002, "appid missing"),
    (ErrCode::RefreshTokenMissing, 41003, "refresh_token missing"),
    (ErrCode::AppsecretMissing, 41004, "appsecret missing"),
    (ErrCode::MediaDataMissing, 41005, "media data missing"),
    (ErrCode::MediaIdMissing, 41006, "media_id missing"),
    (ErrCode::CodeMissing, 41008, "missing code"),
    (ErrCode::OpenidMissing, 41009, "missing openid"),
    (ErrCode::AccessTokenExpired, 42001, "access_token expired"),
    (ErrCode::RefreshTokenExpired, 42002, "refresh_token expired"),
    (ErrCode::RequireGet, 43001, "require GET method"),
    (ErrCode::RequirePost, 43002, "require POST method"),
    (ErrCode::EmptyPostData, 44002, "empty post data"),
    (
        ErrCode::DailyQuota,
        45009,
        "reach max api daily quota limit",
    ),
    (
        ErrCode::MinuteQuota,
        45011,
        "api minute-quota reach limit, must slower, retry next minute",
    ),
    (ErrCode::DataFormatError, 47001, "data format error"),
    (ErrCode::ApiUnauthorized, 48001, "api unauthorized"),
    (
        ErrCode::ClearQuotaLimit,
        48006,
        "forbid to clear quota because of reaching the limit",
    ),
    (
        ErrCode::UserPunished,
        50004,
        "user not allow to use accesstoken, maybe for punishment",
    ),
    (
        ErrCode::IpNeedsConfirmation,
        89503,
        "this call needs an administrator's confirmation",
    ),
];

impl ErrCode {
    /// The code for a number.
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        TABLE
            .iter()
            .find(|(_, n, _)| *n == code)
            .map_or(Self::Other(code), |(c, _, _)| *c)
    }

    /// The number.
    #[must_use]
    pub fn code(self) -> i64 {
        match self {
            Self::Other(n) => n,
            named => TABLE
                .iter()
                .find(|(c, _, _)| *c == named)
                .map_or(0, |(_, n, _)| *n),
        }
    }

    /// The platform's message for this code, without the per-request ` rid: …` suffix.
    #[must_use]
    pub fn message(self) -> &'static str {
        TABLE
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or("unknown error", |(_, _, m)| m)
    }

    /// 40001, 40014, 42001: the access token used is no good; refresh it (once) and retry.
    #[must_use]
    pub fn is_invalid_credential(self) -> bool {
        matches!(
            self,
            Self::InvalidCredential | Self::InvalidAccessToken | Self::AccessTokenExpired
        )
    }

    /// -1: the platform is busy; retry with backoff.
    #[must_use]
    pub fn is_transient(self) -> bool {
        matches!(self, Self::SystemError)
    }

    /// 45009, 45011: a quota is used up; stop asking until its window passes.
    #[must_use]
    pub fn is_quota(self) -> bool {
        matches!(self, Self::DailyQuota | Self::MinuteQuota)
    }
}

impl std::fmt::Display for ErrCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code(), self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for (c, n, _) in TABLE {
            assert_eq!(ErrCode::from_code(*n), *c);
            assert_eq!(c.code(), *n);
        }
        assert_eq!(ErrCode::from_code(12345), ErrCode::Other(12345));
        assert_eq!(ErrCode::Other(12345).code(), 12345);
        assert!(ErrCode::from_code(42001).is_invalid_credential());
        assert!(ErrCode::from_code(45011).is_quota());
        assert!(ErrCode::from_code(-1).is_transient());
    }
}
