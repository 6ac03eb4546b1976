//! `POST /cgi-bin/clear_quota?access_token=TOKEN` with `{"appid":"…"}`: resets the account's API
//! call counters, at most 10 times a month.

use serde::{Deserialize, Serialize};

/// The path.
pub const PATH: &str = "/cgi-bin/clear_quota";

/// `{"appid":"…"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClearQuotaRequest {
    /// The appId whose counters to reset.
    #[serde(default)]
    pub appid: Option<String>,
}

/// Answered with [`OkBody`](crate::OkBody).
pub type ClearQuotaResponse = crate::OkBody;
