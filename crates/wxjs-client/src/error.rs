//! Errors of the platform client and of the credential cache. Neither ever carries a secret:
//! URLs (whose queries hold secrets and tokens) are stripped from transport errors.

use wxjs_platform::ErrCode;

/// Why a platform call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The platform answered an error code.
    #[error("platform error {} ({errmsg})", code.code())]
    Platform {
        /// The code.
        code: ErrCode,
        /// The platform's message.
        errmsg: String,
    },
    /// The platform answered a non-200 HTTP status.
    #[error("platform answered HTTP {0}")]
    Status(u16),
    /// No answer in time.
    #[error("platform call timed out")]
    Timeout,
    /// The connection failed or was closed before an answer.
    #[error("platform unreachable: {0}")]
    Transport(#[source] Cause),
    /// The answer was not the JSON expected.
    #[error("cannot decode the platform's answer: {0}")]
    Decode(String),
    /// The platform answered success with an empty value or no lifetime.
    #[error("platform answered an empty {0}")]
    Empty(&'static str),
}

impl ClientError {
    /// The platform's errcode, if it answered one.
    #[must_use]
    pub fn errcode(&self) -> Option<ErrCode> {
        match self {
            Self::Platform { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Worth retrying after a pause: -1, 5xx, timeouts, broken connections.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Platform { code, .. } => code.is_transient(),
            Self::Status(s) => *s >= 500 || *s == 429,
            Self::Timeout | Self::Transport(_) => true,
            Self::Decode(_) | Self::Empty(_) => false,
        }
    }

    /// 40001/40014/42001: the token used is no good.
    #[must_use]
    pub fn is_invalid_credential(&self) -> bool {
        self.errcode().is_some_and(ErrCode::is_invalid_credential)
    }

    /// 45009/45011: a quota is used up.
    #[must_use]
    pub fn is_quota(&self) -> bool {
        self.errcode().is_some_and(ErrCode::is_quota)
    }

    /// A short label for metrics: the errcode, `http_NNN`, `timeout`, `transport`, `decode`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Platform { code, .. } => code.code().to_string(),
            Self::Status(s) => format!("http_{s}"),
            Self::Timeout => "timeout".into(),
            Self::Transport(_) => "transport".into(),
            Self::Decode(_) => "decode".into(),
            Self::Empty(_) => "empty".into(),
        }
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(e: reqwest::Error) -> Self {
        // The URL holds the secret or the token: never keep it.
        let e = e.without_url();
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_decode() {
            Self::Decode(e.to_string())
        } else {
            Self::Transport(Cause::new(e))
        }
    }
}

/// The error underneath another, kept for [`std::error::Error::source`] (shared, so that the
/// error stays `Clone`; equal when their messages are).
#[derive(Debug, Clone)]
pub struct Cause(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// Keeps `error` as a cause. It must not carry a secret in its message.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(error))
    }

    /// A cause that is only a message.
    pub fn message(message: impl Into<String>) -> Self {
        #[derive(Debug)]
        struct Message(String);
        impl std::fmt::Display for Message {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl std::error::Error for Message {}
        Self::new(Message(message.into()))
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// Why the store failed: what was being done, and the store's own error underneath when it
/// is safe to keep (a Redis error can name the server's URL with its password: only its kind
/// is kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credential store: {what}")]
pub struct StoreError {
    what: String,
    #[source]
    cause: Option<Cause>,
}

impl StoreError {
    /// A failure described by `what`.
    pub fn new(what: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            cause: None,
        }
    }

    /// A failure described by `what`, caused by `cause`.
    pub fn caused_by(
        what: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            what: what.into(),
            cause: Some(Cause::new(cause)),
        }
    }
}

/// Why the cache could not give a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The app is not configured in this cache.
    #[error("unknown app {0}")]
    UnknownApp(String),
    /// The platform refused or failed, and no valid value is cached.
    #[error("cannot obtain the {kind}: {source}")]
    Platform {
        /// Which credential.
        kind: &'static str,
        /// The last platform error.
        source: ClientError,
        /// Seconds until the next attempt is allowed.
        retry_after: u64,
    },
    /// The store failed and no valid value is cached.
    #[error("cannot obtain the {kind}: {source}")]
    Store {
        /// Which credential.
        kind: &'static str,
        /// The store's error.
        source: StoreError,
        /// Seconds until the store is tried again.
        retry_after: u64,
    },
    /// Another instance holds the refresh lease and did not publish a value in time.
    #[error("cannot obtain the {0}: another instance is refreshing it and has not finished")]
    Busy(&'static str),
}

impl CredentialError {
    /// Seconds a caller should wait before asking again (for `Retry-After`).
    #[must_use]
    pub fn retry_after(&self) -> u64 {
        match self {
            Self::Platform { retry_after, .. } => (*retry_after).max(1),
            Self::UnknownApp(_) => 0,
            Self::Store { retry_after, .. } => (*retry_after).max(1),
            Self::Busy(_) => 1,
        }
    }
}
