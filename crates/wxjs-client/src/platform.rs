//! [`PlatformClient`]: an async client of the platform API. The base URL and the HTTP client come
//! from outside, so tests and `wxjs dev` point it at the simulator.

use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use wxjs_platform::stable_token::StableTokenRequest;
use wxjs_platform::ticket::{TicketResponse, TicketType};
use wxjs_platform::token::{GRANT_TYPE, TokenResponse};
use wxjs_platform::{ApiError, DEFAULT_BASE_URL, decode, stable_token, ticket, token};
use wxjs_sign::{AccessToken, AppSecret};

use crate::error::ClientError;

/// A value the platform handed out and the seconds it said it lives.
#[derive(Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The token or ticket.
    pub value: String,
    /// `expires_in`.
    pub expires_in: u64,
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("value", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// One platform call made, for metrics: the endpoint path and `ok` or the error's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The path (`/cgi-bin/token`).
    pub endpoint: &'static str,
    /// `ok`, an errcode, `http_503`, `timeout`…
    pub outcome: String,
}

/// Called after every platform call.
type Observer = std::sync::Arc<dyn Fn(CallRecord) + Send + Sync>;

/// The platform API client.
#[derive(Clone)]
pub struct PlatformClient {
    http: reqwest::Client,
    base: String,
    observer: Option<Observer>,
}

impl std::fmt::Debug for PlatformClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlatformClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The default timeout of a platform call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

impl PlatformClient {
    /// A client of the real platform (`https://api.weixin.qq.com`) with a 5 s timeout.
    #[must_use]
    pub fn new() -> Self {
        Self::with_base_url(DEFAULT_BASE_URL)
    }

    /// A client of the platform at `base` (no trailing `/`), with a 5 s timeout.
    #[must_use]
    pub fn with_base_url(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .unwrap_or_default();
        Self::with_http(http, base)
    }

    /// A client using a prepared HTTP client (its timeouts, proxies, TLS settings).
    #[must_use]
    pub fn with_http(http: reqwest::Client, base: &str) -> Self {
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            observer: None,
        }
    }

    /// Calls `observer` after every platform call (for metrics).
    #[must_use]
    pub fn observe(mut self, observer: impl Fn(CallRecord) + Send + Sync + 'static) -> Self {
        self.observer = Some(std::sync::Arc::new(observer));
        self
    }

    /// The base URL.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn call<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let result = async {
            let res = req.send().await?;
            let status = res.status();
            if !status.is_success() {
                return Err(ClientError::Status(status.as_u16()));
            }
            let body = res.bytes().await?;
            decode::<T>(&body).map_err(|e| match e {
                ApiError::Platform { code, errmsg } => ClientError::Platform { code, errmsg },
                ApiError::Decode { reason, .. } => ClientError::Decode(reason),
                other => ClientError::Decode(other.to_string()),
            })
        }
        .await;
        if let Some(observe) = &self.observer {
            observe(CallRecord {
                endpoint,
                outcome: result
                    .as_ref()
                    .map_or_else(ClientError::label, |_| "ok".to_owned()),
            });
        }
        result
    }

    /// `GET /cgi-bin/token`.
    pub async fn get_access_token(
        &self,
        app_id: &str,
        secret: &AppSecret,
    ) -> Result<Fetched, ClientError> {
        let req = self
            .http
            .get(format!("{}{}", self.base, token::PATH))
            .query(&[
                ("grant_type", GRANT_TYPE),
                ("appid", app_id),
                ("secret", secret.secret()),
            ]);
        let r: TokenResponse = self.call(token::PATH, req).await?;
        non_empty("access token", r.access_token, r.expires_in)
    }

    /// `POST /cgi-bin/stable_token`.
    pub async fn get_stable_token(
        &self,
        app_id: &str,
        secret: &AppSecret,
        force_refresh: bool,
    ) -> Result<Fetched, ClientError> {
        let body = StableTokenRequest {
            grant_type: Some(GRANT_TYPE.to_owned()),
            appid: Some(app_id.to_owned()),
            secret: Some(secret.secret().to_owned()),
            force_refresh: Some(force_refresh),
        };
        let req = self
            .http
            .post(format!("{}{}", self.base, stable_token::PATH))
            .json(&body);
        let r: TokenResponse = self.call(stable_token::PATH, req).await?;
        non_empty("access token", r.access_token, r.expires_in)
    }

    /// `GET /cgi-bin/ticket/getticket`.
    pub async fn get_ticket(
        &self,
        token: &AccessToken,
        kind: TicketType,
    ) -> Result<Fetched, ClientError> {
        let req = self
            .http
            .get(format!("{}{}", self.base, ticket::PATH))
            .query(&[("access_token", token.secret()), ("type", kind.as_str())]);
        let r: TicketResponse = self.call(ticket::PATH, req).await?;
        non_empty("ticket", r.ticket, r.expires_in)
    }

    /// `GET /cgi-bin/media/get`: a temporary medium's bytes and content type.
    pub async fn get_media(
        &self,
        token: &AccessToken,
        media_id: &str,
    ) -> Result<(Bytes, String), ClientError> {
        let req = self
            .http
            .get(format!("{}{}", self.base, wxjs_platform::media::GET_PATH))
            .query(&[("access_token", token.secret()), ("media_id", media_id)]);
        let result = async {
            let res = req.send().await?;
            if !res.status().is_success() {
                return Err(ClientError::Status(res.status().as_u16()));
            }
            let ct = res
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = res.bytes().await?;
            if ct.starts_with("application/json") || ct.starts_with("text/plain") {
                // An error answer (or a video's link).
                return match decode::<serde_json::Value>(&body) {
                    Err(ApiError::Platform { code, errmsg }) => {
                        Err(ClientError::Platform { code, errmsg })
                    }
                    _ => Ok((body, ct)),
                };
            }
            Ok((body, ct))
        }
        .await;
        if let Some(observe) = &self.observer {
            observe(CallRecord {
                endpoint: wxjs_platform::media::GET_PATH,
                outcome: result
                    .as_ref()
                    .map_or_else(ClientError::label, |_| "ok".to_owned()),
            });
        }
        result
    }
}

impl Default for PlatformClient {
    fn default() -> Self {
        Self::new()
    }
}

fn non_empty(what: &'static str, value: String, expires_in: u64) -> Result<Fetched, ClientError> {
    if value.is_empty() || expires_in == 0 {
        return Err(ClientError::Empty(what));
    }
    Ok(Fetched { value, expires_in })
}
