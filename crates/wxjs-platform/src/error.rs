//! The error body every endpoint may answer, and decoding of answers into typed results.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ErrCode;

/// `{"errcode":N,"errmsg":"… rid: …"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The code.
    pub errcode: i64,
    /// The message, with its per-request suffix. Never compare it: use `errcode`.
    pub errmsg: String,
}

/// Why an answer is not the expected success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The platform answered an error code.
    #[error("platform error {}: {errmsg}", code.code())]
    Platform {
        /// The code.
        code: ErrCode,
        /// The platform's message.
        errmsg: String,
    },
    /// The answer is not the JSON expected. The body is kept (cut to 512 bytes) for diagnosis;
    /// success bodies hold tokens, so it is only kept when the answer was not a success shape.
    #[error("cannot decode the platform's answer: {reason}")]
    Decode {
        /// What the decoder said.
        reason: String,
        /// The start of the body.
        body: String,
    },
}

impl ApiError {
    /// The platform's code, if it answered one.
    #[must_use]
    pub fn errcode(&self) -> Option<ErrCode> {
        match self {
            Self::Platform { code, .. } => Some(*code),
            Self::Decode { .. } => None,
        }
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Decodes an answer: a non-zero `errcode` becomes [`ApiError::Platform`]; otherwise the body
/// must be a `T`.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let probe: Probe = serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        reason: e.to_string(),
        body: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
    })?;
    if probe.errcode != 0 {
        return Err(ApiError::Platform {
            code: ErrCode::from_code(probe.errcode),
            errmsg: probe.errmsg,
        });
    }
    serde_json::from_slice(body).map_err(|e| ApiError::Decode {
        reason: e.to_string(),
        // A success-shaped body may hold a token: do not keep it.
        body: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenResponse;

    #[test]
    fn decodes_success_errors_and_garbage() {
        let ok: TokenResponse = decode(br#"{"access_token":"T","expires_in":7200}"#).unwrap();
        assert_eq!(ok.expires_in, 7200);
        let err =
            decode::<TokenResponse>(br#"{"errcode":40013,"errmsg":"invalid appid rid: 1-2-3"}"#)
                .unwrap_err();
        assert_eq!(err.errcode(), Some(ErrCode::InvalidAppid));
        let err = decode::<TokenResponse>(b"<html>").unwrap_err();
        assert!(matches!(err, ApiError::Decode { ref body, .. } if body == "<html>"));
        let err = decode::<TokenResponse>(br#"{"access_token":"SECRET"}"#).unwrap_err();
        assert!(matches!(err, ApiError::Decode { ref body, .. } if body.is_empty()));
    }
}
