//! Back-end endpoints, behind an API key: card parameters (`addCard`, `chooseCard`), payment
//! parameters (`chooseWXPay` in the 2014, v2 and v3 forms), address parameters (`editAddress`),
//! and the central credential server.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wxjs_client::{Kind, Stored};
use wxjs_platform::pay::MAX_FEE;
use wxjs_sign::PaySignType;

use super::{JsonObject, json_body, json_response};
use crate::config::{AppConfig, Merchant};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Authenticates, then finds the account.
pub(crate) fn enter<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    app_id: &str,
) -> Result<&'a AppConfig, ApiError> {
    state.authorize(headers)?;
    state.app(app_id)
}

/// The account's merchant, or `409 merchant_not_configured`.
pub(crate) fn merchant(app: &AppConfig) -> Result<&Merchant, ApiError> {
    app.merchant.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "merchant_not_configured",
            format!("app {} has no [apps.merchant] section", app.app_id),
        )
    })
}

fn missing_key(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "merchant_not_configured",
        format!("the merchant's {what} is not configured"),
    )
}

async fn credential_of(state: &AppState, app_id: &str, kind: Kind) -> Result<Stored, ApiError> {
    state
        .0
        .creds
        .get(app_id, kind)
        .await
        .map_err(|e| ApiError::unavailable("credential_unavailable", &e))
}

fn stamp() -> (String, String) {
    (
        wxjs_sign::timestamp_now().to_string(),
        wxjs_sign::nonce_str(),
    )
}

/// One card to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CardToAdd {
    /// The card id.
    card_id: String,
    /// The code, for cards with custom codes.
    #[serde(default)]
    code: String,
    /// The only user who may take it.
    #[serde(default)]
    openid: String,
    /// Red-packet balance in fen (2014 form, LUCKY_MONEY).
    #[serde(default)]
    balance: String,
}

/// Cards to sign for `wx.addCard`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CardExtRequest {
    /// 1 to 50 cards.
    cards: Vec<CardToAdd>,
    /// `ticket` (api_ticket and nonce, the default) or `2014` (appsecret and balance).
    #[serde(default)]
    form: Option<String>,
}

/// `cardList` for `wx.addCard`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CardExtResponse {
    card_list: Vec<CardListItem>,
}

/// One entry of `cardList`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CardListItem {
    card_id: String,
    /// The `cardExt` JSON string.
    card_ext: String,
}

/// Signs `cardExt` for `wx.addCard`.
#[utoipa::path(post, path = "/v1/{appId}/cards/ext", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = CardExtRequest,
    responses((status = 200, body = CardExtResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn card_ext(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<CardExtRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    if req.cards.is_empty() || req.cards.len() > 50 {
        return Err(ApiError::bad_request(
            "bad_request",
            "cards must list 1 to 50 cards",
        ));
    }
    if let Some(i) = req.cards.iter().position(|c| c.card_id.is_empty()) {
        return Err(ApiError::bad_request(
            "bad_request",
            format!("cards[{i}].cardId is required"),
        ));
    }
    let legacy = match req.form.as_deref() {
        None | Some("ticket") => false,
        Some("2014") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_request",
                format!("form must be \"ticket\" or \"2014\", not {other:?}"),
            ));
        }
    };
    let ticket = if legacy {
        None
    } else {
        Some(wxjs_sign::CardTicket::new(
            credential_of(&state, &app_id, Kind::CardTicket)
                .await?
                .value,
        ))
    };
    let (timestamp, _) = stamp();
    let card_list = req
        .cards
        .iter()
        .map(|c| {
            let ext = match &ticket {
                Some(t) => wxjs_sign::CardExtParams {
                    card_id: &c.card_id,
                    code: &c.code,
                    openid: &c.openid,
                    timestamp: &timestamp,
                    nonce_str: &wxjs_sign::nonce_str(),
                }
                .card_ext(t),
                None => wxjs_sign::CardExt2014Params {
                    card_id: &c.card_id,
                    code: &c.code,
                    openid: &c.openid,
                    timestamp: &timestamp,
                    balance: &c.balance,
                }
                .card_ext(&app.app_secret),
            };
            CardListItem {
                card_id: c.card_id.clone(),
                card_ext: ext.to_json(),
            }
        })
        .collect();
    Ok(json_response(&CardExtResponse { card_list }))
}

/// What `wx.chooseCard` filters on.
#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChooseCardRequest {
    #[serde(default)]
    shop_id: String,
    #[serde(default)]
    card_type: String,
    #[serde(default)]
    card_id: String,
}

/// Parameters for `wx.chooseCard`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChooseCardResponse {
    shop_id: String,
    card_type: String,
    card_id: String,
    timestamp: String,
    nonce_str: String,
    sign_type: &'static str,
    card_sign: String,
}

/// Signs `cardSign` for `wx.chooseCard`.
#[utoipa::path(post, path = "/v1/{appId}/cards/choose", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = ChooseCardRequest,
    responses((status = 200, body = ChooseCardResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn choose_card(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<ChooseCardRequest>, ApiError>,
) -> Result<Response, ApiError> {
    enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    let ticket = wxjs_sign::CardTicket::new(
        credential_of(&state, &app_id, Kind::CardTicket)
            .await?
            .value,
    );
    let (timestamp, nonce) = stamp();
    let sign = wxjs_sign::CardSignParams {
        app_id: &app_id,
        location_id: &req.shop_id,
        timestamp: &timestamp,
        nonce_str: &nonce,
        card_id: &req.card_id,
        card_type: &req.card_type,
    }
    .sign(&ticket);
    Ok(json_response(&ChooseCardResponse {
        shop_id: req.shop_id,
        card_type: req.card_type,
        card_id: req.card_id,
        timestamp,
        nonce_str: nonce,
        sign_type: "SHA1",
        card_sign: sign.into_parts().1,
    }))
}

/// Order fields of the 2014 package (appendix 5); `partner`, `bank_type` and `fee_type` are
/// filled in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PackageRequest {
    body: String,
    out_trade_no: String,
    /// In fen.
    total_fee: String,
    notify_url: String,
    spbill_create_ip: String,
    #[serde(default)]
    attach: String,
    #[serde(default)]
    time_start: String,
    #[serde(default)]
    time_expire: String,
    #[serde(default)]
    transport_fee: String,
    #[serde(default)]
    product_fee: String,
    #[serde(default)]
    goods_tag: String,
    /// `UTF-8` (the default here) or `GBK`.
    #[serde(default)]
    input_charset: Option<String>,
}

/// Parameters for `wx.chooseWXPay`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PayResponse {
    app_id: String,
    /// Seconds since the epoch, as a string.
    timestamp: String,
    nonce_str: String,
    package: String,
    sign_type: String,
    pay_sign: String,
}

/// What WeChat Pay takes as a `notify_url`.
pub(crate) const NOTIFY_URL_RULE: &str =
    "notify_url must be an absolute http or https URL of at most 255 characters, without #fragment";

/// Whether WeChat Pay would take `url` as a `notify_url` (v2 and v3 alike).
pub(crate) fn notify_url_ok(url: &str) -> bool {
    url.len() <= 255 && wxjs_sign::PageUrl::parse(url).is_ok_and(|u| u.fragment().is_none())
}

/// A fee in fen: digits only, at most [`MAX_FEE`].
fn fee(name: &str, text: &str) -> Result<u64, ApiError> {
    wxjs_platform::pay::parse_fee(text).ok_or_else(|| {
        ApiError::bad_request(
            "bad_request",
            format!("{name} must be a whole number of fen from 0 to {MAX_FEE}"),
        )
    })
}

fn check_order(r: &PackageRequest) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::bad_request("bad_request", m));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if r.body.is_empty() || r.body.len() > 128 {
        return bad("body is required, at most 128 bytes".into());
    }
    if r.out_trade_no.is_empty()
        || r.out_trade_no.len() > 32
        || !r
            .out_trade_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return bad("out_trade_no is required: at most 32 letters, digits, - or _".into());
    }
    if fee("total_fee", &r.total_fee)? == 0 {
        return bad("total_fee must be a positive whole number of fen".into());
    }
    if !notify_url_ok(&r.notify_url) {
        return bad(NOTIFY_URL_RULE.into());
    }
    if r.spbill_create_ip.parse::<std::net::Ipv4Addr>().is_err() {
        return bad("spbill_create_ip must be the user's IPv4 address".into());
    }
    for (name, v) in [
        ("time_start", &r.time_start),
        ("time_expire", &r.time_expire),
    ] {
        if !v.is_empty() && (v.len() != 14 || !digits(v)) {
            return bad(format!("{name} must be yyyyMMddHHmmss"));
        }
    }
    let total = fee("total_fee", &r.total_fee)?;
    let transport = (!r.transport_fee.is_empty())
        .then(|| fee("transport_fee", &r.transport_fee))
        .transpose()?;
    let product = (!r.product_fee.is_empty())
        .then(|| fee("product_fee", &r.product_fee))
        .transpose()?;
    if transport.is_some() || product.is_some() {
        let sum = transport.unwrap_or(0).checked_add(product.unwrap_or(0));
        if sum != Some(total) {
            return bad("transport_fee + product_fee must equal total_fee".into());
        }
    }
    Ok(())
}

/// `chooseWXPay` parameters in the document's 2014 form: the signed `package` and a SHA-1
/// `paySign`.
#[utoipa::path(post, path = "/v1/{appId}/pay/package", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = PackageRequest,
    responses((status = 200, body = PayResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn pay_package(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<PackageRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    check_order(&req)?;
    let m = merchant(app)?;
    let partner_key = m
        .partner_key
        .as_ref()
        .ok_or_else(|| missing_key("partner_key"))?;
    let pay_sign_key = m
        .pay_sign_key
        .as_ref()
        .ok_or_else(|| missing_key("pay_sign_key"))?;
    let mut fields = BTreeMap::new();
    for (k, v) in [
        ("bank_type", "WX"),
        ("fee_type", "1"),
        ("partner", m.partner_id.as_str()),
        ("body", &req.body),
        ("out_trade_no", &req.out_trade_no),
        ("total_fee", &req.total_fee),
        ("notify_url", &req.notify_url),
        ("spbill_create_ip", &req.spbill_create_ip),
        ("attach", &req.attach),
        ("time_start", &req.time_start),
        ("time_expire", &req.time_expire),
        ("transport_fee", &req.transport_fee),
        ("product_fee", &req.product_fee),
        ("goods_tag", &req.goods_tag),
        (
            "input_charset",
            req.input_charset.as_deref().unwrap_or("UTF-8"),
        ),
    ] {
        fields.insert(k.to_owned(), v.to_owned());
    }
    let package = wxjs_sign::sign_package(&fields, partner_key)
        .map_err(|e| ApiError::bad_request("bad_request", e.to_string()))?;
    let (timestamp, nonce) = stamp();
    let pay_sign = wxjs_sign::PayParams {
        app_id: &app_id,
        time_stamp: &timestamp,
        nonce_str: &nonce,
        package: &package.package,
    }
    .sign_2014(pay_sign_key)
    .into_parts()
    .1;
    Ok(json_response(&PayResponse {
        app_id,
        timestamp,
        nonce_str: nonce,
        package: package.package,
        sign_type: "SHA1".into(),
        pay_sign,
    }))
}

/// A prepay id from a unified order, and the signature form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PrepayRequest {
    /// From the unified order.
    prepay_id: String,
    /// `MD5`, `HMAC-SHA256` (v2) or `RSA` (v3).
    sign_type: String,
}

/// `chooseWXPay` parameters from a `prepay_id`.
#[utoipa::path(post, path = "/v1/{appId}/pay/prepay", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = PrepayRequest,
    responses((status = 200, body = PayResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn pay_prepay(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<PrepayRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    if req.prepay_id.is_empty()
        || req.prepay_id.len() > 64
        || !req
            .prepay_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(ApiError::bad_request(
            "bad_request",
            "prepayId must be 1 to 64 letters, digits, - or _",
        ));
    }
    let m = merchant(app)?;
    let package = format!("prepay_id={}", req.prepay_id);
    let (timestamp, nonce) = stamp();
    let pay_sign = if req.sign_type == "RSA" {
        let key = m
            .private_key
            .as_ref()
            .ok_or_else(|| missing_key("private_key"))?;
        wxjs_sign::PayParams {
            app_id: &app_id,
            time_stamp: &timestamp,
            nonce_str: &nonce,
            package: &package,
        }
        .sign_v3(key)
        .map_err(|e| {
            tracing::error!(error = %e, "merchant private key unusable");
            ApiError::new(
                StatusCode::CONFLICT,
                "merchant_not_configured",
                "the merchant's private_key is not a usable RSA key",
            )
        })?
        .into_parts()
        .1
    } else {
        let sign_type = PaySignType::parse(&req.sign_type).ok_or_else(|| {
            ApiError::bad_request(
                "bad_request",
                format!(
                    "signType must be MD5, HMAC-SHA256 or RSA, not {:?}",
                    req.sign_type
                ),
            )
        })?;
        let key = m.api_key.as_ref().ok_or_else(|| missing_key("api_key"))?;
        wxjs_sign::PayParams {
            app_id: &app_id,
            time_stamp: &timestamp,
            nonce_str: &nonce,
            package: &package,
        }
        .sign_v2(sign_type, key)
        .into_parts()
        .1
    };
    Ok(json_response(&PayResponse {
        app_id,
        timestamp,
        nonce_str: nonce,
        package,
        sign_type: req.sign_type,
        pay_sign,
    }))
}

/// The page and the user's OAuth access token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AddressRequest {
    /// The page URL.
    url: String,
    /// The user's access token from web authorisation (`/sns/oauth2/access_token`).
    access_token: String,
}

/// Parameters for `editAddress`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressResponse {
    app_id: String,
    scope: &'static str,
    sign_type: &'static str,
    addr_sign: String,
    time_stamp: String,
    nonce_str: String,
}

/// Signs `addrSign` (appendix 4) for `editAddress`.
#[utoipa::path(post, path = "/v1/{appId}/address", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = AddressRequest,
    responses((status = 200, body = AddressResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn address(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<AddressRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    let page = wxjs_sign::PageUrl::parse(&req.url)
        .map_err(|e| ApiError::bad_request("bad_url", e.to_string()))?;
    if !wxjs_sign::domain_allowed(&app.domains, &page) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "domain_not_allowed",
            format!(
                "{} is not among the JS safe domains of {app_id}",
                page.host()
            ),
        ));
    }
    if req.access_token.is_empty() {
        return Err(ApiError::bad_request(
            "bad_request",
            "accessToken (the user's OAuth token) is required",
        ));
    }
    let (timestamp, nonce) = stamp();
    let sign = wxjs_sign::AddrParams {
        app_id: &app_id,
        url: page.for_signing(),
        timestamp: &timestamp,
        nonce_str: &nonce,
    }
    .sign(&wxjs_sign::AccessToken::new(req.access_token));
    Ok(json_response(&AddressResponse {
        app_id,
        scope: "jsapi_address",
        sign_type: "sha1",
        addr_sign: sign.into_parts().1,
        time_stamp: timestamp,
        nonce_str: nonce,
    }))
}

/// A credential with its lifetime.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CredentialResponse {
    /// `access_token`, `jsapi_ticket` or `card_ticket`.
    kind: String,
    /// The value.
    value: String,
    /// When it was fetched (seconds since the epoch).
    fetched_at: u64,
    /// When it expires.
    expires_at: u64,
    /// Seconds it has left.
    expires_in: u64,
    /// For a passive refresh: whether the rejected token was expired in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    expired: Option<bool>,
}

fn credential_body(
    state: &AppState,
    kind: Kind,
    s: Stored,
    expired: Option<bool>,
) -> CredentialResponse {
    CredentialResponse {
        kind: kind.as_str().to_owned(),
        expires_in: s.expires_at.saturating_sub(state.0.creds.now()),
        value: s.value,
        fetched_at: s.fetched_at,
        expires_at: s.expires_at,
        expired,
    }
}

/// The central credential server: the current access token or ticket.
#[utoipa::path(get, path = "/v1/{appId}/credentials/{kind}", tag = "credentials", security(("api_key" = [])),
    params(("appId" = String, Path), ("kind" = String, Path, description = "access_token, jsapi_ticket or card_ticket")),
    responses((status = 200, body = CredentialResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn credential(
    State(state): State<AppState>,
    Path((app_id, kind)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    enter(&state, &headers, &app_id)?;
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_request",
                format!("kind must be access_token, jsapi_ticket or card_ticket, not {kind:?}"),
            )
        })?;
    let s = credential_of(&state, &app_id, kind).await?;
    Ok(json_response(&credential_body(&state, kind, s, None)))
}

/// The token a call was rejected with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    /// The access token the platform rejected (40001/40014/42001).
    rejected: String,
}

/// A token fetched less than this long ago is not replaced on a passive refresh. The platform
/// keeps a replaced token valid for 5 minutes, so a token this fresh that was refused is not
/// cured by fetching another: a caller in a loop would only spend the daily quota of 2000.
pub(crate) const MIN_PASSIVE_REFRESH_SECS: u64 = 60;

/// Passive refresh: expires the rejected token if the store still holds it, and answers the
/// current one. A token fetched less than [`MIN_PASSIVE_REFRESH_SECS`] ago stays
/// (`"expired": false`).
#[utoipa::path(post, path = "/v1/{appId}/credentials/access_token/refresh", tag = "credentials", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = RefreshRequest,
    responses((status = 200, body = CredentialResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(crate) async fn refresh_token(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<RefreshRequest>, ApiError>,
) -> Result<Response, ApiError> {
    enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    if req.rejected.is_empty() {
        return Err(ApiError::bad_request(
            "bad_request",
            "rejected (the token the platform refused) is required",
        ));
    }
    let current = credential_of(&state, &app_id, Kind::AccessToken).await?;
    let age = state.0.creds.now().saturating_sub(current.fetched_at);
    if current.value == req.rejected && age < MIN_PASSIVE_REFRESH_SECS {
        tracing::debug!(app = %app_id, age_secs = age, "passive refresh of a token this fresh: kept");
        return Ok(json_response(&credential_body(
            &state,
            Kind::AccessToken,
            current,
            Some(false),
        )));
    }
    let expired = state
        .0
        .creds
        .invalidate_token(&app_id, &req.rejected)
        .await
        .map_err(|e| ApiError::unavailable("credential_unavailable", &e))?;
    let s = credential_of(&state, &app_id, Kind::AccessToken).await?;
    Ok(json_response(&credential_body(
        &state,
        Kind::AccessToken,
        s,
        Some(expired),
    )))
}
