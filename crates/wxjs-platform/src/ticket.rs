//! `GET /cgi-bin/ticket/getticket?access_token=TOKEN&type=jsapi|wx_card`

use serde::{Deserialize, Serialize};

/// The path.
pub const PATH: &str = "/cgi-bin/ticket/getticket";

/// Which ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TicketType {
    /// `jsapi`: signs `wx.config`.
    #[serde(rename = "jsapi")]
    Jsapi,
    /// `wx_card`: the card `api_ticket`.
    #[serde(rename = "wx_card")]
    WxCard,
}

impl TicketType {
    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsapi => "jsapi",
            Self::WxCard => "wx_card",
        }
    }

    /// Reads the wire spelling.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jsapi" => Some(Self::Jsapi),
            "wx_card" => Some(Self::WxCard),
            _ => None,
        }
    }
}

/// Query parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TicketQuery {
    /// The access token.
    pub access_token: Option<String>,
    /// `jsapi` or `wx_card`.
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
}

/// `{"errcode":0,"errmsg":"ok","ticket":"…","expires_in":7200}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketResponse {
    /// 0.
    #[serde(default)]
    pub errcode: i64,
    /// `ok`.
    #[serde(default)]
    pub errmsg: String,
    /// The ticket.
    pub ticket: String,
    /// Seconds it stays valid.
    pub expires_in: u64,
}

impl std::fmt::Debug for TicketResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketResponse")
            .field("ticket", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}
