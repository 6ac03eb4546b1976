//! Payments for back ends in any language: one call makes the order on WeChat Pay and answers
//! `chooseWXPay`'s parameters; another takes a notification as received and answers the
//! verified, decrypted transaction.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use wxjs_sign::{PaySignType, WechatpayHeaders};

use super::backend::{enter, merchant};
use super::{JsonObject, json_body, json_response};
use crate::error::{ApiError, ErrorBody};
use crate::pay::{NewOrder, notification_error, open_v3_resource};
use crate::state::AppState;

/// An order to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OrderRequest {
    /// The merchant's order number: at most 32 letters, digits, `_ - | *`.
    out_trade_no: String,
    /// What is sold (shown to the payer).
    description: String,
    /// The amount in fen.
    total: u64,
    /// The payer: an openid of this appId (from web authorisation).
    openid: String,
    /// Where WeChat Pay notifies; the merchant's `notify_url` when absent.
    #[serde(default)]
    notify_url: Option<String>,
    /// Returned unchanged with the payment.
    #[serde(default)]
    attach: String,
    /// When the order can no longer be paid (RFC 3339 for v3, `yyyyMMddHHmmss` for v2).
    #[serde(default)]
    time_expire: Option<String>,
    /// The payer's IP (v2's `spbill_create_ip`).
    #[serde(default)]
    client_ip: Option<String>,
}

/// The order made and the parameters for `wx.chooseWXPay`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderResponse {
    /// `v3` or `v2`: the merchant API used.
    api: &'static str,
    prepay_id: String,
    app_id: String,
    /// Seconds since the epoch, as a string.
    timestamp: String,
    nonce_str: String,
    package: String,
    /// `RSA` (v3) or `HMAC-SHA256` (v2).
    sign_type: String,
    pay_sign: String,
}

/// Creates a JSAPI order on WeChat Pay (v3, or v2 when the merchant has only an API key) and
/// answers `chooseWXPay`'s parameters.
#[utoipa::path(post, path = "/v1/{appId}/pay/orders", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body = OrderRequest,
    responses((status = 200, body = OrderResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub(crate) async fn create_order(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonObject<OrderRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let req = json_body(body)?;
    let m = merchant(app)?;
    let bad = |m: &str| ApiError::bad_request("bad_request", m);
    if !wxjs_platform::pay::valid_out_trade_no(&req.out_trade_no) {
        return Err(bad("outTradeNo must be 1 to 32 letters, digits, _ - | *"));
    }
    if req.description.is_empty() || req.description.len() > 127 {
        return Err(bad("description is required, at most 127 bytes"));
    }
    if req.total == 0 || req.total > i32::MAX as u64 {
        return Err(bad(
            "total must be a positive number of fen up to 2147483647",
        ));
    }
    if req.openid.is_empty() || req.openid.len() > 128 {
        return Err(bad(
            "openid (the payer, from web authorisation on this appId) is required",
        ));
    }
    if req.attach.len() > 127 {
        return Err(bad("attach must be at most 127 bytes"));
    }
    let notify_url = req
        .notify_url
        .clone()
        .or_else(|| m.notify_url.clone())
        .ok_or_else(|| bad("notifyUrl is required (or set the merchant's notify_url)"))?;
    if !super::backend::notify_url_ok(&notify_url) {
        return Err(bad(super::backend::NOTIFY_URL_RULE));
    }
    let order = NewOrder {
        out_trade_no: req.out_trade_no,
        description: req.description,
        total: req.total,
        openid: req.openid,
        notify_url,
        attach: req.attach,
        time_expire: req.time_expire.filter(|t| !t.is_empty()),
        client_ip: req.client_ip.unwrap_or_else(|| "127.0.0.1".into()),
    };
    let (timestamp, nonce) = (
        wxjs_sign::timestamp_now().to_string(),
        wxjs_sign::nonce_str(),
    );
    let (api, prepay_id, sign_type, pay_sign) = if m.uses_v3() {
        let prepay_id = state.0.pay.create_v3(&app_id, m, &order).await?;
        let package = format!("prepay_id={prepay_id}");
        let key = m
            .private_key
            .as_ref()
            .ok_or_else(|| bad("no private_key"))?;
        let sign = wxjs_sign::PayParams {
            app_id: &app_id,
            time_stamp: &timestamp,
            nonce_str: &nonce,
            package: &package,
        }
        .sign_v3(key)
        .map_err(|_| bad("the merchant's private_key cannot sign"))?
        .into_parts()
        .1;
        ("v3", prepay_id, "RSA".to_owned(), sign)
    } else if let Some(key) = &m.api_key {
        let prepay_id = state.0.pay.create_v2(&app_id, m, &order).await?;
        let package = format!("prepay_id={prepay_id}");
        let sign = wxjs_sign::PayParams {
            app_id: &app_id,
            time_stamp: &timestamp,
            nonce_str: &nonce,
            package: &package,
        }
        .sign_v2(PaySignType::HmacSha256, key)
        .into_parts()
        .1;
        ("v2", prepay_id, "HMAC-SHA256".to_owned(), sign)
    } else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "merchant_not_configured",
            "the merchant needs private_key, merchant_serial and api_v3_key (v3) or api_key (v2)",
        ));
    };
    tracing::info!(app = %app_id, api, out_trade_no = %order.out_trade_no, "order created");
    Ok(json_response(&OrderResponse {
        api,
        package: format!("prepay_id={prepay_id}"),
        prepay_id,
        app_id,
        timestamp,
        nonce_str: nonce,
        sign_type,
        pay_sign,
    }))
}

/// An order as WeChat Pay reports it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderState {
    /// `v3` or `v2`.
    api: &'static str,
    /// `SUCCESS`, `NOTPAY`, `CLOSED`, `PAYERROR`, …
    trade_state: String,
    /// The whole answer: v3's transaction object, or v2's fields.
    #[schema(value_type = Object)]
    transaction: Value,
}

/// Queries an order on WeChat Pay by the merchant's number (v3, or v2 for a v2-only merchant).
#[utoipa::path(get, path = "/v1/{appId}/pay/orders/{outTradeNo}", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path), ("outTradeNo" = String, Path)),
    responses((status = 200, body = OrderState), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub(crate) async fn query_order(
    State(state): State<AppState>,
    Path((app_id, out_trade_no)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let m = merchant(app)?;
    if !wxjs_platform::pay::valid_out_trade_no(&out_trade_no) {
        return Err(ApiError::bad_request(
            "bad_request",
            "outTradeNo must be 1 to 32 letters, digits, _ - | *",
        ));
    }
    let (api, transaction) = state.0.pay.query(m, &app_id, &out_trade_no).await?;
    Ok(json_response(&OrderState {
        api,
        trade_state: transaction["trade_state"].as_str().unwrap_or("").to_owned(),
        transaction,
    }))
}

/// A notification, verified.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotificationResponse {
    /// `v3` or `v2`.
    api: &'static str,
    /// v3: `TRANSACTION.SUCCESS`…; v2: `TRANSACTION.SUCCESS` when `result_code` is SUCCESS.
    event_type: String,
    /// The transaction: v3's decrypted resource; v2's fields.
    #[schema(value_type = Object)]
    transaction: Value,
    /// What to answer WeChat Pay so that it stops retrying (v2: this XML; v3: HTTP 200 or 204,
    /// no body needed).
    ack: String,
}

/// Verifies a notification exactly as WeChat Pay posted it — the body as the request body, the
/// `Wechatpay-*` headers copied (v3) — and answers the transaction. A v3 notification's
/// signature, serial and timestamp are checked and its resource decrypted with the APIv3 key;
/// a v2 one's `sign` is checked with the API key. Probes (`WECHATPAY/SIGNTEST/…`) are refused.
#[utoipa::path(post, path = "/v1/{appId}/pay/notifications", tag = "backend", security(("api_key" = [])),
    params(("appId" = String, Path)), request_body(content = String, description = "The notification's body, unchanged"),
    responses((status = 200, body = NotificationResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn notification(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app = enter(&state, &headers, &app_id)?;
    let m = merchant(app)?;
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'<') {
        // v2: XML signed with the API key (the sign type the order used, MD5 by default).
        let key = m.api_key.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "merchant_not_configured",
                "the merchant's api_key is not configured",
            )
        })?;
        let f = wxjs_sign::parse_v2_xml(&body).map_err(notification_error)?;
        let st = match f.get("sign_type").map(String::as_str) {
            Some("HMAC-SHA256") => Some(PaySignType::HmacSha256),
            Some("MD5") => Some(PaySignType::Md5),
            _ => None,
        };
        let ok = match st {
            Some(t) => wxjs_sign::verify_v2_fields(&f, t, key),
            None => [PaySignType::HmacSha256, PaySignType::Md5]
                .into_iter()
                .any(|t| wxjs_sign::verify_v2_fields(&f, t, key)),
        };
        if !ok {
            return Err(notification_error("sign does not match the API key"));
        }
        if f.get("appid").map(String::as_str) != Some(app_id.as_str())
            || f.get("mch_id") != Some(&m.partner_id)
        {
            return Err(notification_error(
                "appid or mch_id is not this app's merchant",
            ));
        }
        // A payment succeeded only when the call and the business result both say so; such a
        // notification names the order, the payment and the amount.
        let field = |k: &str| f.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let success =
            field("return_code") == Some("SUCCESS") && field("result_code") == Some("SUCCESS");
        if success
            && let Some(missing) = ["out_trade_no", "transaction_id", "total_fee"]
                .into_iter()
                .find(|k| field(k).is_none())
        {
            return Err(notification_error(format!(
                "a successful payment notification without {missing}"
            )));
        }
        return Ok(json_response(&NotificationResponse {
            api: "v2",
            event_type: if success {
                "TRANSACTION.SUCCESS".into()
            } else {
                "TRANSACTION.FAIL".into()
            },
            transaction: serde_json::to_value(&f).unwrap_or(Value::Null),
            ack: "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>".into(),
        }));
    }
    let wh = WechatpayHeaders::read(h);
    if wh.signature.is_empty() {
        return Err(notification_error(
            "no Wechatpay-Signature header: copy the Wechatpay-* headers of the notification",
        ));
    }
    state
        .0
        .pay
        .verify(m, &wh, &body)
        .await
        .map_err(notification_error)?;
    let v: Value =
        serde_json::from_slice(&body).map_err(|_| notification_error("the body is not JSON"))?;
    let transaction = open_v3_resource(m, &v)?;
    if transaction["mchid"].as_str() != Some(m.partner_id.as_str())
        || transaction["appid"].as_str() != Some(app_id.as_str())
    {
        return Err(notification_error(
            "appid or mchid is not this app's merchant",
        ));
    }
    Ok(json_response(&NotificationResponse {
        api: "v3",
        event_type: v["event_type"].as_str().unwrap_or("").to_owned(),
        transaction,
        ack: String::new(),
    }))
}
