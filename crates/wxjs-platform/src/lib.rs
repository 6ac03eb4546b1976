//! Wire types of the WeChat Official Account platform API (`platform.md`): one module per
//! endpoint with its request and response, the errcode catalogue, and response decoding; and
//! WeChat Pay's shared rules (`pay`).
//!
//! Shared by the platform client (`wxjs-client`) and the simulator (`wxjs-sim`), as ruma shares
//! types between client and server. No I/O.

pub mod clear_quota;
mod errcode;
mod error;
pub mod jsapi;
pub mod media;
pub mod oauth;
pub mod pay;
pub mod quota;
pub mod stable_token;
pub mod ticket;
pub mod token;

pub use errcode::ErrCode;
pub use error::{ApiError, ErrorBody, decode};

/// The real platform's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// A `{"errcode":0,"errmsg":"ok"}` answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OkBody {
    /// Always 0.
    pub errcode: i64,
    /// Always `ok`.
    pub errmsg: String,
}

impl OkBody {
    /// The success answer.
    #[must_use]
    pub fn ok() -> Self {
        Self {
            errcode: 0,
            errmsg: "ok".to_owned(),
        }
    }
}
