//! `AppId`: an Official Account's identifier, validated when parsed.

use std::fmt;

/// An Official Account's `appId`: `wx` followed by 16 lower-case ASCII letters or digits, as the
/// platform issues them (`wxf8b4f85f3a794e77`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(String);

/// Why a text is not an [`AppId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppIdError {
    /// The text is empty.
    #[error("appId is empty")]
    Empty,
    /// The text does not start with `wx`.
    #[error("appId must start with \"wx\"")]
    Prefix,
    /// The text is not 18 characters long.
    #[error("appId must be 18 characters (\"wx\" and 16 more), not {0}")]
    Length(usize),
    /// The text holds a character other than a lower-case ASCII letter or digit.
    #[error("appId may hold only lower-case letters and digits after \"wx\"")]
    Character,
}

impl AppId {
    /// Parses and validates an appId.
    ///
    /// ```
    /// use wxjs_sign::AppId;
    /// assert!(AppId::parse("wxf8b4f85f3a794e77").is_ok());
    /// assert!(AppId::parse("wxF8B4").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, AppIdError> {
        if text.is_empty() {
            return Err(AppIdError::Empty);
        }
        if !text.starts_with("wx") {
            return Err(AppIdError::Prefix);
        }
        let len = text.chars().count();
        if len != 18 {
            return Err(AppIdError::Length(len));
        }
        if !text[2..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(AppIdError::Character);
        }
        Ok(Self(text.to_owned()))
    }

    /// The appId text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AppId {
    type Err = AppIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for AppId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_platform_ids_and_rejects_the_rest() {
        for ok in [
            "wxf8b4f85f3a794e77",
            "wxd678efh567hg6787",
            "wx8888888888888888",
        ] {
            assert_eq!(AppId::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(AppId::parse(""), Err(AppIdError::Empty));
        assert_eq!(AppId::parse("ab8888888888888888"), Err(AppIdError::Prefix));
        assert_eq!(AppId::parse("wx88"), Err(AppIdError::Length(4)));
        assert_eq!(
            AppId::parse("wx888888888888888A"),
            Err(AppIdError::Character)
        );
        assert_eq!(
            AppId::parse("wx88888888888888-8"),
            Err(AppIdError::Character)
        );
        assert_eq!(
            AppId::parse("wx888888888888888é"),
            Err(AppIdError::Character)
        );
    }
}
