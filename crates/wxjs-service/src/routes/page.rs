//! Page endpoints: `GET /v1/{appId}/jssdk/config` and `POST /v1/{appId}/jssdk/explain`, with CORS
//! for exactly the account's JS safe domains and a per-client rate limit.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wxjs_client::Kind;
use wxjs_sign::{DiagnoseInput, JsapiTicket, PageUrl, UsedConfig, domain_allowed};

use super::{JsonObject, caller_ip, json_body};
use crate::config::AppConfig;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Query of the config endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigQuery {
    /// The page URL (`location.href`; a `#…` part is cut off before signing).
    url: Option<String>,
    /// Interfaces to list, comma-separated (the account's default list when absent).
    js_api_list: Option<String>,
}

/// The config endpoint's two parameters, read straight from the query (the hottest path of the
/// service: no serde machinery, one decoding pass); other parameters are ignored, a repeated one
/// is an error, and any key or value that is not UTF-8 once decoded is refused (`%FF` must not
/// become U+FFFD in the signed URL).
fn config_query(uri: &axum::http::Uri) -> Result<ConfigQuery, ApiError> {
    let mut q = ConfigQuery {
        url: None,
        js_api_list: None,
    };
    // A repeated parameter is reported once every pair has been decoded: a query that is not
    // UTF-8 is `bad_url` wherever its bad pair stands.
    let mut repeated = None;
    for pair in uri.query().unwrap_or("").split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (form_decode(k)?, form_decode(v)?);
        let slot = match k.as_ref() {
            "url" => &mut q.url,
            "jsApiList" => &mut q.js_api_list,
            _ => continue,
        };
        if slot.replace(v.into_owned()).is_some() {
            repeated.get_or_insert(k);
        }
    }
    match repeated {
        None => Ok(q),
        Some(k) => Err(ApiError::bad_request(
            "bad_request",
            format!("{k} is given more than once"),
        )),
    }
}

/// One key or value of a form-encoded query: `+` is a space, `%XX` a byte, and the bytes must be
/// UTF-8. Text without either is borrowed as it is.
fn form_decode(part: &str) -> Result<std::borrow::Cow<'_, str>, ApiError> {
    use std::borrow::Cow;
    if !part.contains(['%', '+']) {
        return Ok(Cow::Borrowed(part));
    }
    let spaced: Cow<'_, str> = if part.contains('+') {
        Cow::Owned(part.replace('+', " "))
    } else {
        Cow::Borrowed(part)
    };
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
    String::from_utf8(bytes).map(Cow::Owned).map_err(|_| {
        ApiError::bad_request("bad_url", "the query is not UTF-8 once percent-decoded")
    })
}

/// `wx.config` parameters.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfigResponse<'a> {
    app_id: &'a str,
    /// Seconds since the epoch.
    timestamp: u64,
    nonce_str: String,
    /// SHA-1 over jsapi_ticket, noncestr, timestamp, url.
    signature: String,
    /// The interfaces to pass to `wx.config`.
    #[schema(value_type = Vec<String>)]
    js_api_list: &'a serde_json::value::RawValue,
    /// The signed URL: the page URL without `#…`.
    url: &'a str,
}

/// The config answer: the bytes serde writes for [`ConfigResponse`] (the tests compare them),
/// written straight into one buffer of the answer's exact length, as this is the service's
/// hottest answer.
fn config_answer(r: &ConfigResponse<'_>) -> Response {
    /// Whether JSON writes `s` between quotes as it is (no quote, backslash or control
    /// character): the nonce, the hex signature and nearly every app id and URL.
    fn plain(s: &str) -> bool {
        !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
    }
    fn string(buf: &mut Vec<u8>, s: &str) {
        if plain(s) {
            buf.push(b'"');
            buf.extend_from_slice(s.as_bytes());
            buf.push(b'"');
        } else {
            // Writing a `&str` into a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut *buf, s);
        }
    }
    const FIXED: &str =
        r#"{"appId":"","timestamp":,"nonceStr":"","signature":"","jsApiList":,"url":""}"#;
    let list = r.js_api_list.get();
    let mut digits = itoa::Buffer::new();
    let timestamp = digits.format(r.timestamp);
    // Exact unless a string needs escaping; then the buffer grows. A `Vec` whose length is its
    // capacity becomes the body without another allocation.
    let mut buf = Vec::with_capacity(
        FIXED.len()
            + r.app_id.len()
            + timestamp.len()
            + r.nonce_str.len()
            + r.signature.len()
            + list.len()
            + r.url.len(),
    );
    buf.extend_from_slice(b"{\"appId\":");
    string(&mut buf, r.app_id);
    buf.extend_from_slice(b",\"timestamp\":");
    buf.extend_from_slice(timestamp.as_bytes());
    buf.extend_from_slice(b",\"nonceStr\":");
    string(&mut buf, &r.nonce_str);
    buf.extend_from_slice(b",\"signature\":");
    string(&mut buf, &r.signature);
    buf.extend_from_slice(b",\"jsApiList\":");
    buf.extend_from_slice(list.as_bytes());
    buf.extend_from_slice(b",\"url\":");
    string(&mut buf, r.url);
    buf.push(b'}');
    super::json_bytes(buf)
}

/// Adds CORS headers when the request's origin is on the account's JS safe domains.
fn cors(app: Option<&AppConfig>, headers: &HeaderMap, res: &mut Response) {
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    let (Some(app), Some(origin)) = (app, headers.get(header::ORIGIN)) else {
        return;
    };
    let allowed = origin
        .to_str()
        .ok()
        .and_then(|o| PageUrl::parse(o).ok())
        .is_some_and(|u| domain_allowed(&app.domains, &u));
    if allowed {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
}

fn page_url(app: &AppConfig, text: Option<&str>) -> Result<PageUrl, ApiError> {
    let text = text
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("bad_url", "url is required"))?;
    let page = PageUrl::parse(text).map_err(|e| ApiError::bad_request("bad_url", e.to_string()))?;
    if !domain_allowed(&app.domains, &page) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "domain_not_allowed",
            format!(
                "{} is not among the JS safe domains of {}",
                page.host(),
                app.app_id
            ),
        ));
    }
    Ok(page)
}

/// `OPTIONS` preflight of the page endpoints.
pub(crate) async fn preflight(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let app = match state.app(&app_id) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut res = StatusCode::NO_CONTENT.into_response();
    cors(Some(app), &headers, &mut res);
    res
}

/// `wx.config` parameters for a page.
#[utoipa::path(get, path = "/v1/{appId}/jssdk/config", tag = "page",
    params(("appId" = String, Path, description = "The account"), ConfigQuery),
    responses(
        (status = 200, description = "Ready for wx.config", body = ConfigResponse<'_>),
        (status = 400, description = "Bad url or jsApiList", body = ErrorBody),
        (status = 403, description = "URL host not among the JS safe domains", body = ErrorBody),
        (status = 404, description = "Unknown app", body = ErrorBody),
        (status = 429, description = "Rate limited (Retry-After)", body = ErrorBody),
        (status = 503, description = "No valid ticket can be had (Retry-After)", body = ErrorBody),
    ))]
pub(crate) async fn config(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    req: axum::extract::Request,
) -> Response {
    // The request is taken whole: extracting its headers and URI would copy them.
    let (headers, uri) = (req.headers(), req.uri());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([0, 0, 0, 0], 0)), |c| c.0);
    let app = state.app(&app_id).ok();
    let result = async {
        let app = app.ok_or_else(|| ApiError::unknown_app(&app_id))?;
        state.rate_limit(caller_ip(&state, peer, headers))?;
        let q = config_query(uri)?;
        let page = page_url(app, q.url.as_deref())?;
        let asked = match q.js_api_list.as_deref() {
            None | Some("") => None,
            Some(list) => {
                let names: Vec<&str> = list.split(',').map(str::trim).collect();
                if let Some(bad) = names.iter().find(|n| !wxjs_platform::jsapi::is_known(n)) {
                    return Err(ApiError::bad_request(
                        "bad_js_api_list",
                        format!("{bad:?} is not a JS-SDK interface"),
                    ));
                }
                serde_json::value::to_raw_value(&names).ok()
            }
        };
        let ticket = state
            .0
            .creds
            .get(&app_id, Kind::JsapiTicket)
            .await
            .map_err(|e| ApiError::unavailable("ticket_unavailable", &e))?;
        let timestamp = wxjs_sign::timestamp_now();
        let nonce = state.issue_nonce(timestamp);
        let url = page.for_signing();
        let signature = wxjs_sign::ConfigParams {
            url,
            timestamp,
            nonce_str: &nonce,
        }
        .signature(&JsapiTicket::new(ticket.value));
        let js_api_list = match &asked {
            Some(raw) => raw.as_ref(),
            None => state
                .0
                .default_lists
                .get(&app_id)
                .map(AsRef::as_ref)
                .ok_or_else(|| ApiError::unknown_app(&app_id))?,
        };
        Ok::<_, ApiError>(config_answer(&ConfigResponse {
            app_id: &app_id,
            timestamp,
            nonce_str: nonce,
            signature,
            js_api_list,
            url,
        }))
    }
    .await;
    let mut res = result.unwrap_or_else(IntoResponse::into_response);
    cors(app, headers, &mut res);
    res
}

/// A timestamp as a number or a string of digits, as pages pass it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum Timestamp {
    /// `1414587457`.
    Number(u64),
    /// `"1414587457"`.
    Text(String),
}

/// What a page used.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ExplainRequest {
    /// The URL that was signed.
    url: String,
    /// `timestamp` passed to wx.config.
    timestamp: Timestamp,
    /// `nonceStr` passed to wx.config.
    nonce_str: String,
    /// `signature` passed to wx.config.
    signature: String,
    /// The page's real URL, if it differs from `url` (`location.href`).
    #[serde(default)]
    page_url: Option<String>,
}

/// The diagnosis.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExplainResponse {
    /// Whether the client would accept the signature.
    valid: bool,
    /// The URL the client checks against.
    checked_url: String,
    /// Findings, most decisive first: `{code, message, …}`.
    #[schema(value_type = Vec<Object>)]
    findings: Vec<wxjs_sign::Finding>,
    /// Age of the jsapi ticket in use, in seconds (the ticket itself is never shown).
    ticket_age_secs: u64,
    /// Seconds until that ticket expires.
    ticket_expires_in_secs: u64,
}

/// Why a page's signature does or does not match.
#[utoipa::path(post, path = "/v1/{appId}/jssdk/explain", tag = "page",
    params(("appId" = String, Path, description = "The account")),
    request_body = ExplainRequest,
    responses(
        (status = 200, description = "The diagnosis", body = ExplainResponse),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody), (status = 503, body = ErrorBody),
    ))]
pub(crate) async fn explain(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<JsonObject<ExplainRequest>, ApiError>,
) -> Response {
    let app = state.app(&app_id).ok();
    let result = async {
        let app = app.ok_or_else(|| ApiError::unknown_app(&app_id))?;
        state.rate_limit(caller_ip(&state, peer, &headers))?;
        let req = json_body(body)?;
        page_url(app, Some(&req.url))?;
        if let Some(p) = &req.page_url {
            page_url(app, Some(p))?;
        }
        let timestamp = match &req.timestamp {
            Timestamp::Number(n) => n.to_string(),
            Timestamp::Text(t) => t.clone(),
        };
        let ticket = state
            .0
            .creds
            .get(&app_id, Kind::JsapiTicket)
            .await
            .map_err(|e| ApiError::unavailable("ticket_unavailable", &e))?;
        let previous: Vec<JsapiTicket> = state
            .0
            .creds
            .previous_values(&app_id, Kind::JsapiTicket)
            .into_iter()
            .filter(|t| *t != ticket.value)
            .map(JsapiTicket::new)
            .collect();
        let current = JsapiTicket::new(ticket.value.clone());
        let issued = state.issued(&req.nonce_str);
        let diagnosis = wxjs_sign::diagnose(&DiagnoseInput {
            used: UsedConfig {
                url: &req.url,
                timestamp: &timestamp,
                nonce_str: &req.nonce_str,
                signature: &req.signature,
            },
            page_url: req.page_url.as_deref(),
            ticket: &current,
            previous_tickets: &previous,
            issued: issued.map(|t| (t, req.nonce_str.as_str())),
        });
        let now = state.0.creds.now();
        Ok::<_, ApiError>(super::json_response(&ExplainResponse {
            valid: diagnosis.valid,
            checked_url: diagnosis.checked_url,
            findings: diagnosis.findings,
            ticket_age_secs: now.saturating_sub(ticket.fetched_at),
            ticket_expires_in_secs: ticket.expires_at.saturating_sub(now),
        }))
    }
    .await;
    let mut res = result.unwrap_or_else(IntoResponse::into_response);
    cors(app, &headers, &mut res);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written config answer must be the JSON serde writes for the documented type.
    #[tokio::test]
    async fn the_config_answer_is_the_json_of_its_type() {
        let list =
            serde_json::value::to_raw_value(&["chooseImage", "onMenuShareTimeline"]).unwrap();
        for (app_id, url, timestamp) in [
            (
                "wx1a2b3c4d5e6f7a8b",
                "http://localhost/h5/page?a=1",
                1_414_587_457,
            ),
            (
                "wx\"quoted\\",
                "https://例子.example/活动页?q=\"x\"&b=\\",
                0,
            ),
            ("", "http://a.b/\u{7f}\u{2028}", u64::MAX),
            ("wx\u{1}", "http://a.b/\t\n\u{1f}", 9),
            // Each character JSON escapes, alone in a string.
            ("wx\"a", "http://a.b/\\x", 10),
            ("wx\\a", "http://a.b/\"x", 11),
        ] {
            let answer = ConfigResponse {
                app_id,
                timestamp,
                nonce_str: "Wm3WZYTPz0wzccnW".to_owned(),
                signature: "f4d90daf4b3bca3078ab155816175ba34c443a7b".to_owned(),
                js_api_list: &list,
                url,
            };
            let res = config_answer(&answer);
            assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
            let body = axum::body::to_bytes(res.into_body(), 1 << 16)
                .await
                .unwrap();
            assert_eq!(
                std::str::from_utf8(&body).unwrap(),
                serde_json::to_string(&answer).unwrap()
            );
        }
    }
}
